"""Invariant 7 on random input: the loader either loads or names every error with file:line:col.

Never a traceback, never a hang: random bytes, YAML-looking noise and
structured mutations of the minimal fleet (a key deleted, a value of another
type, a list item duplicated, a line dropped or repeated) all end in a
FleetSpec or in a FleetcError whose every diagnostic is
``file:LINE:COL: message`` with LINE, COL >= 1 and the file one of the fleet's,
or, for the one problem of the fleet as a whole that a mutation can cause
(no Fleet document left), ``fleetc: message`` naming the fleet directory.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetc.errors import Diagnostic, FleetcError
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.loader import load_fleet
from fleetc.spec.source import _may_nest_deeper, read_documents

MINIMAL = Path(__file__).parent / "valid" / "minimal"
FILES = sorted(p.relative_to(MINIMAL).as_posix() for p in MINIMAL.rglob("*.yaml"))
LINE = re.compile(r"^(?P<file>[^\n:]+):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (?P<message>[^\n]+)$")

# FLEETC_FUZZ_EXAMPLES=5000 for a long run; the default keeps the suite fast.
EXAMPLES = int(os.environ.get("FLEETC_FUZZ_EXAMPLES", "400"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that make YAML interesting: indicators, quotes, breaks, tabs, a BOM, a NUL.
YAMLISH = st.lists(
    st.sampled_from([*"ab:- \n\t[]{},&*!|>'\"#%@`?~<=.01\\\ufeff\x00\u2028", "---\n", "...\n", "<<: ", "  "]),
    max_size=120,
).map("".join)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            *("1.30", "v1.31.2", " 1.30.6", "latest", "02:00", "on", "5%", "150%", "0", "-1"),
            *("r1/train", "team-c", "UTC", "America", "../etc", "", "2030-01-01T00:00:00", "x@"),
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@contextmanager
def fleet_dir(files: dict[str, bytes]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fleetc-fuzz-") as tmp:
        root = Path(tmp) / "fleet"
        for name, data in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        yield root


def load_or_diagnose(root: Path) -> FleetSpec | list[Diagnostic]:
    """The invariant itself: a FleetSpec, or diagnostics that all name a file of the fleet and a position."""
    try:
        return load_fleet(root)
    except FleetcError as error:
        assert error.diagnostics, "a FleetcError must name at least one problem"
        known = {str(root)} | {str(p) for p in root.rglob("*")}
        for diagnostic in error.diagnostics:
            text = str(diagnostic)
            if diagnostic.pos is None:
                assert text == f"fleetc: no kind: Fleet document found under {root}; add exactly one " + (
                    "(channels, instanceTypes, bundles)"
                ), text
                continue
            match = LINE.match(text)
            assert match, f"not file:line:col: message: {text!r}"
            assert match["file"] in known, text
        return error.diagnostics


def minimal_files() -> dict[str, bytes]:
    return {name: (MINIMAL / name).read_bytes() for name in FILES}


@FUZZ
@given(data=st.binary(max_size=300), name=st.sampled_from(FILES))
def test_random_bytes_in_place_of_a_file(data: bytes, name: str) -> None:
    with fleet_dir({**minimal_files(), name: data}) as root:
        load_or_diagnose(root)


@FUZZ
@given(text=YAMLISH)
def test_yaml_looking_noise(text: str) -> None:
    errors: list[Diagnostic] = []
    read_documents(Path("noise.yaml"), "noise.yaml", errors, text.encode("utf-8", "surrogatepass"))
    for diagnostic in errors:
        assert LINE.match(str(diagnostic)), str(diagnostic)
    with fleet_dir({**minimal_files(), "noise.yaml": text.encode("utf-8", "surrogatepass")}) as root:
        load_or_diagnose(root)


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key and list index below ``data``, as paths."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from paths_of(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield (*prefix, i)
            yield from paths_of(value, (*prefix, i))


def mutate(data: Any, path: tuple[Any, ...], operation: str, value: Any) -> None:
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if operation == "delete":
        del parent[last]
    elif operation == "retype":
        parent[last] = value
    elif operation == "duplicate" and isinstance(parent, list):
        parent.insert(last, parent[last])
    elif operation == "duplicate":
        parent[f"{last}x" if isinstance(last, str) else last] = parent[last]


@FUZZ
@given(data=st.data())
def test_structured_mutations_of_the_minimal_fleet(data: st.DataObject) -> None:
    files = minimal_files()
    name = data.draw(st.sampled_from(FILES), label="file")
    docs = list(yaml.safe_load_all(files[name]))
    index = data.draw(st.integers(0, len(docs) - 1), label="document")
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = list(paths_of(docs[index]))
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="path")
        operation = data.draw(st.sampled_from(["delete", "retype", "duplicate"]), label="operation")
        mutate(docs[index], path, operation, data.draw(VALUES, label="value"))
    files[name] = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True).encode()
    with fleet_dir(files) as root:
        load_or_diagnose(root)


@FUZZ
@given(data=st.data())
def test_line_edits_of_the_minimal_fleet(data: st.DataObject) -> None:
    """Text-level damage: a line dropped, repeated, or cut, re-indented or spliced with noise."""
    files = minimal_files()
    name = data.draw(st.sampled_from(FILES), label="file")
    lines = files[name].decode().split("\n")
    i = data.draw(st.integers(0, len(lines) - 1), label="line")
    edit = data.draw(st.sampled_from(["drop", "repeat", "cut", "indent", "splice"]), label="edit")
    if edit == "drop":
        del lines[i]
    elif edit == "repeat":
        lines.insert(i, lines[i])
    elif edit == "cut":
        lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])), label="at")]
    elif edit == "indent":
        lines[i] = " " * data.draw(st.integers(1, 3), label="by") + lines[i]
    else:
        at = data.draw(st.integers(0, len(lines[i])), label="at")
        lines[i] = lines[i][:at] + data.draw(YAMLISH, label="noise") + lines[i][at:]
    files[name] = "\n".join(lines).encode("utf-8", "surrogatepass")
    with fleet_dir(files) as root:
        load_or_diagnose(root)


def test_the_unmutated_minimal_fleet_loads() -> None:
    """The base of every mutation is valid, so a diagnostic above is the mutation's doing."""
    with fleet_dir(minimal_files()) as root:
        assert isinstance(load_or_diagnose(root), FleetSpec)


def test_mutations_do_reach_the_validator() -> None:
    """A retyped count must be reported at its line: the structured fuzzing exercises validation, not only parsing."""
    files = minimal_files()
    docs = list(yaml.safe_load_all(files["regions/r1.yaml"]))
    mutate(docs[0], ("spec", "clusters", 0, "nodePools", 0, "count"), "retype", "many")
    files["regions/r1.yaml"] = yaml.safe_dump_all(docs, sort_keys=False).encode()
    with fleet_dir(files) as root:
        found = load_or_diagnose(root)
        assert isinstance(found, list)
        assert [d.message for d in found] == [
            "'count' must be a whole number, got 'many' (a string); write a whole number"
        ]


def test_copying_helpers_keep_the_fleet_intact(tmp_path: Path) -> None:
    shutil.copytree(MINIMAL, tmp_path / "copy")
    assert sorted(p.relative_to(tmp_path / "copy").as_posix() for p in (tmp_path / "copy").rglob("*.yaml")) == FILES


def event_depth(text: str) -> int | None:
    """The deepest collection nesting of ``text`` per libyaml's events (None: not YAML)."""
    depth = deepest = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None
    return deepest


NESTED = st.lists(
    st.sampled_from(["- ", "-\n", "? ", ": ", "[", "]", "{", "}", ", ", "a", "a: ", "\n", "  ", " ", "\r", "#"]),
    max_size=60,
).map("".join)


@FUZZ
@given(text=NESTED, limit=st.integers(0, 12))
def test_the_nesting_bound_never_underestimates(text: str, limit: int) -> None:
    """The cheap bound that keeps deep files away from libyaml's recursive composer must be sound."""
    depth = event_depth(text)
    if depth is not None and depth > limit:
        assert _may_nest_deeper(text, limit), f"depth {depth} > {limit} not flagged: {text!r}"
