"""upgrade.busyNodes in the fleet spec: defaults, and every mistake named at its file:line:col."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fleetc.errors import FleetcError
from fleetc.spec.loader import load_fleet
from fleetc.spec.models import BusyNodes

MINIMAL = Path(__file__).parent / "valid" / "minimal"
REGION = "regions/r1.yaml"
APPROVAL_LINE = "        approval: required\n"


def with_busy(tmp_path: Path, lines: str) -> Path:
    root = tmp_path / "fleet"
    shutil.copytree(MINIMAL, root)
    text = (root / REGION).read_text()
    assert text.count(APPROVAL_LINE) == 1
    (root / REGION).write_text(text.replace(APPROVAL_LINE, APPROVAL_LINE + "        busyNodes:\n" + lines))
    return root


def test_valid_policy_is_read(tmp_path: Path) -> None:
    spec = load_fleet(with_busy(tmp_path, '          escalateAfter: "6h"\n          escalateWhenRemaining: 40\n'))
    busy = next(c for _, c in spec.clusters() if c.name == "train").upgrade.busy_nodes
    assert (busy.after_seconds(), busy.remaining_nodes(4000)) == (6 * 3600, 40)


def test_defaults_when_absent() -> None:
    busy = next(c for _, c in load_fleet(MINIMAL).clusters() if c.name == "train").upgrade.busy_nodes
    assert busy == BusyNodes()
    assert BusyNodes.model_validate({"escalateAfter": "never"}).after_seconds() is None
    assert BusyNodes.model_validate({"escalateWhenRemaining": "5%"}).remaining_nodes(4000) == 200


@pytest.mark.parametrize(
    ("lines", "line", "words"),
    [
        ('          escalateAfter: "6 hours"\n', 18, "is not a duration"),
        ('          escalateAfter: "400d"\n', 18, "longer than a year"),
        ("          escalateAfter: 6\n", 18, "string"),
        ("          escalateWhenRemaining: -1\n", 18, "negative"),
        ('          escalateWhenRemaining: "150%"\n', 18, "more than 100%"),
        ('          escalateWhenRemaining: "few"\n', 18, "percentage"),
        ("          escalateAftr: 6h\n", 18, "escalateAftr"),
    ],
)
def test_mistakes_are_named_where_they_are(tmp_path: Path, lines: str, line: int, words: str) -> None:
    root = with_busy(tmp_path, lines)
    with pytest.raises(FleetcError) as raised:
        load_fleet(root)
    [diagnostic] = raised.value.diagnostics
    assert str(diagnostic).startswith(f"{root / REGION}:{line}:11: "), str(diagnostic)
    assert words in diagnostic.message
