"""``fleetc check`` end to end: the example fleet, exit codes, output formats."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetc.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[2] / "fleet"
LINE = re.compile(r"^(?P<pos>[^:]+:\d+:\d+): \[(?P<sev>mandatory|advisory)\] (?P<rule>[a-z0-9-]+): (?P<rest>.+)$")


def check(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A copy of the example fleet, to break."""
    target = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, target)
    return target


def test_example_fleet_passes_with_advisories_only() -> None:
    code, out, err = check("--fleet", str(EXAMPLE))
    assert code == 0, out
    found = [m for m in map(LINE.match, out.splitlines()) if m]
    assert len(found) == len(out.splitlines()) > 0
    assert {m["sev"] for m in found} == {"advisory"}
    assert "policy passed" in err


def test_passing_fleet_exits_0_and_prints_advisories(fleet: Path) -> None:
    code, out, err = check("--fleet", str(fleet))
    assert code == 0, out
    lines = out.splitlines()
    assert lines and all(LINE.match(line) for line in lines)
    assert {m["sev"] for m in map(LINE.match, lines) if m} == {"advisory"}
    assert f"{fleet}/regions/eu-west-02.yaml:" in out
    assert "policy passed" in err and "not evaluated without --live: kubelet-skew-live, cp-one-minor-step" in err


def test_mandatory_violation_exits_1_and_blames_the_field(fleet: Path) -> None:
    region = fleet / "regions" / "eu-west-02.yaml"
    text = region.read_text()
    region.write_text(text.replace('maxUnavailable: "5%"          # 6 nodes', 'maxUnavailable: "20%"'))
    line = next(i for i, t in enumerate(region.read_text().splitlines(), 1) if 'maxUnavailable: "20%"' in t)
    code, out, _ = check("--fleet", str(fleet), "--format", "text")
    assert code == 1
    found = [m for m in map(LINE.match, out.splitlines()) if m and m["rule"] == "gpu-pool-max-unavailable"]
    assert [m["pos"] for m in found] == [f"{region}:{line}:11"]
    assert "eu-west-02/alpha-research: GPU pool h100: maxUnavailable 20% lets an upgrade take 25 of 128" in out


def test_invalid_fleet_exits_2(fleet: Path) -> None:
    (fleet / "broken.yaml").write_text("apiVersion: fleetc.dev/v1alpha1\nkind: Nope\n")
    code, out, err = check("--fleet", str(fleet))
    assert code == 2 and out == ""
    assert f"{fleet}/broken.yaml:2:1: kind is 'Nope'" in err


def test_json_and_markdown(fleet: Path) -> None:
    code, out, _ = check("--fleet", str(fleet), "--format", "json", "--region", "eu-west-02")
    data = json.loads(out)
    assert code == 0 and data["passed"] is True and data["regions"] == ["eu-west-02"] and data["basis"] == "target"
    assert {v["rule"] for v in data["violations"]} == {"upgrade-window-gpu", "upgrade-approval-required"}
    assert set(data["violations"][0]) == {"rule", "severity", "location", "subject", "resource", "message"}
    code, out, _ = check("--fleet", str(fleet), "--format", "markdown")
    assert code == 0 and out.startswith("### ✅ fleetc check: policy passed")
    assert "**Advisory** (4)" in out


def test_unknown_region_exits_2(fleet: Path) -> None:
    code, _, err = check("--fleet", str(fleet), "--region", "mars-01")
    assert code == 2 and "mars-01" in err


def test_rules_listing() -> None:
    code, out, _ = check("--rules")
    assert code == 0
    assert re.search(r"^cp-ha-apiservers\s+mandatory\s+kube-apiserver runs at least 3 replicas$", out, re.M)
    assert re.search(r"^gpu-pool-spread\s+advisory\s+", out, re.M)


LIVE = EXAMPLE.parent / "examples" / "live"


@pytest.mark.skipif(not LIVE.is_dir(), reason="no example live snapshot")
def test_live_basis_evaluates_every_rule(fleet: Path) -> None:
    """The next step from the example snapshot (a GB200 node wave mid-way) passes the rollout rules too."""
    code, out, _ = check(
        "--fleet", str(fleet), "--live", str(LIVE), "--now", "2024-12-11T15:00:00Z", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and data["basis"] == "live" and data["notEvaluated"] == []
