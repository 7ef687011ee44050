"""Spec fields of every-change-gated rollouts: disruptive add-ons, waves, windows as a list, exclusions, add-on
approvals -- valid forms load, invalid ones are ``file:line:col`` errors (docs/spec.md 7.5)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fleetc.errors import FleetcError
from fleetc.spec.loader import load_fleet
from fleetc.spec.models import parse_duration

CASE = Path(__file__).with_name("broken") / "approval-unknown-cluster"  # the minimal fleet with one fault


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    target = tmp_path / "fleet"
    shutil.copytree(CASE, target)
    (target / "expected.txt").unlink()
    approval = target / "approvals" / "train.yaml"
    approval.write_text(approval.read_text().replace("r1/trian", "r1/train"))
    return target


def errors(fleet: Path) -> list[str]:
    with pytest.raises(FleetcError) as caught:
        load_fleet(fleet)
    return [str(d).removeprefix(f"{fleet}/") for d in caught.value.diagnostics]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_the_valid_forms_load(minimal: Path) -> None:
    edit(
        minimal / "fleet.yaml",
        "          values:\n            kubeProxyReplacement: true",
        "          values:\n            kubeProxyReplacement: true\n          disruptive: true",
    )
    (minimal / "fleet.yaml").write_text(
        (minimal / "fleet.yaml").read_text()
        + (
            '  rollout:\n    waves:\n      - {name: canary, clusters: ["r1/serve"], soak: 1d12h}\n'
            '      - {name: rest, clusters: ["*"]}\n'
        )
    )
    edit(
        minimal / "regions" / "r1.yaml",
        '        window: {days: [sat, sun], start: "02:00", hours: 6, timezone: UTC}',
        '        window:\n          - {days: [sat], start: "02:00", hours: 6}\n'
        '          - {days: [wed], start: "22:00", hours: 2, timezone: Europe/Berlin}\n'
        '        exclusions: [{from: "2026-12-20T00:00:00Z", to: "2027-01-04T00:00:00Z", reason: year end}]',
    )
    edit(
        minimal / "approvals" / "train.yaml",
        '  kubernetes: "1.31.2"\n  nodeImage: img-2024.12\n',
        '  addons: {gpu-operator: "v24.9.2"}\n',
    )
    spec = load_fleet(minimal)
    train = spec.cluster("r1/train")
    assert train is not None and len(train.upgrade.windows) == 2 and train.upgrade.exclusions[0].reason == "year end"
    assert [a.disruptive for a in spec.fleet.spec.bundles["base"].addons] == [True, False]
    assert [w.soak_time.total_seconds() / 3600 for w in spec.fleet.spec.rollout.waves] == [36.0, 0.0]
    assert spec.approvals[0].spec.kubernetes is None and spec.approvals[0].spec.addons == {"gpu-operator": "v24.9.2"}


def test_a_bad_window_in_a_list_is_named_at_its_place(minimal: Path) -> None:
    edit(
        minimal / "regions" / "r1.yaml",
        '        window: {days: [sat, sun], start: "02:00", hours: 6, timezone: UTC}',
        '        window:\n          - {days: [sat], start: "02:00", hours: 6}\n'
        '          - {days: [wed], start: "25:00", hours: 2}',
    )
    [error] = errors(minimal)
    assert error.startswith("regions/r1.yaml:19:27: start '25:00' is not a time HH:MM"), error


def test_an_approval_must_name_what_it_approves(minimal: Path) -> None:
    edit(minimal / "approvals" / "train.yaml", '  kubernetes: "1.31.2"\n', "")
    [error] = errors(minimal)
    assert "nodeImage is approved together with kubernetes" in error and error.startswith("approvals/train.yaml:")
    edit(minimal / "approvals" / "train.yaml", "  nodeImage: img-2024.12\n", "")
    [error] = errors(minimal)
    assert "an approval names what it approves" in error


@pytest.mark.parametrize(
    ("wave", "message"),
    [
        ('{name: a, clusters: ["r1/*"], soak: 400d}', "longer than a year"),
        ('{name: a, clusters: ["r1"]}', "is not <region>/<cluster>"),
        ("{name: a, clusters: []}", "'clusters' must not be empty"),
        ('{name: Canary, clusters: ["*"]}', "wave name 'Canary' is not a DNS-1123 label"),
    ],
)
def test_bad_waves_are_errors_with_a_fix(minimal: Path, wave: str, message: str) -> None:
    (minimal / "fleet.yaml").write_text(
        (minimal / "fleet.yaml").read_text() + f"  rollout:\n    waves:\n      - {wave}\n"
    )
    [error] = errors(minimal)
    assert message in error and error.startswith("fleet.yaml:34:"), error


def test_duplicate_wave_names_and_an_exclusion_that_ends_before_it_starts(minimal: Path) -> None:
    (minimal / "fleet.yaml").write_text(
        (minimal / "fleet.yaml").read_text()
        + ('  rollout:\n    waves:\n      - {name: a, clusters: ["*"]}\n      - {name: a, clusters: ["r1/*"]}\n')
    )
    edit(
        minimal / "regions" / "r1.yaml",
        "        approval: required\n",
        '        approval: required\n        exclusions: [{from: "2027-01-04T00:00:00Z", to: "2026-12-20T00:00:00Z",'
        " reason: x}]\n",
    )
    found = errors(minimal)
    assert any(e.startswith("fleet.yaml:35:") and "duplicate wave 'a'" in e for e in found), found
    assert any("is not after from" in e and e.startswith("regions/r1.yaml:") for e in found), found


@pytest.mark.parametrize(("text", "hours"), [("24h", 24), ("90m", 1.5), ("1d12h", 36), ("2d", 48)])
def test_durations(text: str, hours: float) -> None:
    assert parse_duration(text).total_seconds() / 3600 == hours


@pytest.mark.parametrize("text", ["", "24", "h", "1h1d", "24 hours", "-1h", "1.5h"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)
