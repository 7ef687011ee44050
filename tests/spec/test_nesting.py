"""fleetc's nesting limit is its own, whatever the YAML parser's.

MAX_DEPTH collections (the document's own mapping counts as one) load; one
more is ``nesting deeper than 64 levels; flatten this value`` at the
collection that is one too many, in flow style, block style and mixed,
at any depth: below libyaml 0.2.6's own limit (about 1000 levels, hit by
the composer), around it, and far beyond it (hit while fleetc measures the
depth from the event stream, before the composer runs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetc.errors import Diagnostic
from fleetc.spec.source import MAX_DEPTH, read_documents

TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels; flatten this value"
DEPTHS = [MAX_DEPTH, MAX_DEPTH + 1, 500, 999, 1000, 1001, 5000, 50000]


@dataclass(frozen=True)
class Nested:
    """YAML text nesting ``depth`` collections, and where collection number MAX_DEPTH + 1 starts."""

    text: str
    depth: int
    too_deep_at: tuple[int, int] | None  # (line, col), None when depth <= MAX_DEPTH


def nested(mappings: int, sequences: int, flows: int) -> Nested:
    """``mappings`` block mappings (one more space of indent per level), then ``sequences``
    compact block sequences (``- - -``) on the last line, then ``flows`` flow sequences (``[[[``).

    At least one mapping: the document's own collection.
    """
    assert mappings >= 1
    starts: list[tuple[int, int]] = []
    lines = []
    for level in range(mappings):
        lines.append(" " * level + "k:")
        starts.append((level + 1, level + 1))
    indent = mappings  # the value of the innermost key, one space further in
    line = len(lines) + 1
    starts += [(line, indent + 1 + 2 * i) for i in range(sequences)]
    flow_col = indent + 1 + 2 * sequences
    starts += [(line, flow_col + i) for i in range(flows)]
    lines.append(" " * indent + "- " * sequences + "[" * flows + "x" + "]" * flows)
    depth = mappings + sequences + flows
    return Nested("\n".join(lines) + "\n", depth, starts[MAX_DEPTH] if depth > MAX_DEPTH else None)


def diagnose(text: str) -> list[str]:
    errors: list[Diagnostic] = []
    read_documents(Path("deep.yaml"), "deep.yaml", errors, text.encode())
    return [str(e) for e in errors]


def expected(case: Nested) -> list[str]:
    if case.too_deep_at is None:
        return []
    line, col = case.too_deep_at
    return [f"deep.yaml:{line}:{col}: {TOO_DEEP}"]


@pytest.mark.parametrize("depth", DEPTHS)
def test_flow_style(depth: int) -> None:
    case = nested(1, 0, depth - 1)
    assert case.depth == depth
    assert diagnose(case.text) == expected(case)
    if depth > MAX_DEPTH:  # the 65th collection: "k: " then 64 '['
        assert case.too_deep_at == (2, 2 + MAX_DEPTH - 1)


@pytest.mark.parametrize("depth", DEPTHS)
def test_block_style_compact_sequences(depth: int) -> None:
    case = nested(1, depth - 1, 0)
    assert diagnose(case.text) == expected(case)


@pytest.mark.parametrize("depth", [d for d in DEPTHS if d <= 5000])
def test_block_style_indented_mappings(depth: int) -> None:
    """One more space per level: 5000 levels is 12.5 MB, below the 16 MiB file limit."""
    case = nested(depth, 0, 0)
    assert diagnose(case.text) == expected(case)


def test_the_broken_corpus_case_reports_fleetcs_own_limit() -> None:
    """tests/spec/broken/deep-nesting: 20,000 flow levels; libyaml 0.2.6 stops at about 1000."""
    text = (Path(__file__).parent / "broken" / "deep-nesting" / "deep.yaml").read_text()
    assert diagnose(text) == [f"deep.yaml:1:72: {TOO_DEEP}"]


def test_nesting_through_an_alias_is_blamed_on_the_collection_that_contains_itself() -> None:
    text = "a: &m {name: loop, labels: {self: *m}}\n"
    assert diagnose(text) == [
        f"deep.yaml:1:4: nesting deeper than {MAX_DEPTH} levels (an alias inside itself?); flatten this value"
    ]


def test_deep_nesting_in_a_later_document_is_reported_there() -> None:
    first = "apiVersion: fleetc.dev/v1alpha1\nkind: Tenant\n"
    case = nested(1, 0, 2000)
    line, col = case.too_deep_at or (0, 0)
    assert diagnose(first + "---\n" + case.text) == [f"deep.yaml:{line + 3}:{col}: {TOO_DEEP}"]


def test_text_before_the_deep_part_with_multibyte_characters_keeps_columns_right() -> None:
    """The rescan cuts the text where libyaml stopped, by character index, not byte."""
    prefix = 'note: "ééé€😀"\n'
    case = nested(1, 0, 3000)
    line, col = case.too_deep_at or (0, 0)
    assert diagnose(prefix + case.text) == [f"deep.yaml:{line + 1}:{col}: {TOO_DEEP}"]


EXAMPLES = int(os.environ.get("FLEETC_FUZZ_EXAMPLES", "150"))


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    mappings=st.integers(1, 120),
    sequences=st.integers(0, 2500),
    flows=st.integers(0, 2500),
)
def test_any_mix_of_styles_and_depths(mappings: int, sequences: int, flows: int) -> None:
    """Exactly at the first collection beyond MAX_DEPTH, or nothing; on either side of libyaml's limit."""
    case = nested(mappings, sequences, flows)
    assert diagnose(case.text) == expected(case)
