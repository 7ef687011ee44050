"""``fleetc approve CLUSTER --addon NAME=VERSION``: Approvals of disruptive add-ons (docs/spec.md 6.2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.spec.loader import load_fleet

REPO = Path(__file__).resolve().parents[2]
ALPHA = "us-east-04/alpha-train"
ONCALL = "ml-infra-oncall@lab-alpha.example"


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    target = tmp_path / "fleet"
    shutil.copytree(REPO / "fleet", target)
    return target


def approve(fleet: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["approve", *args, "--fleet", str(fleet)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def test_an_addon_approval_is_written_and_loads_with_spec_addons(fleet: Path) -> None:
    code, err = approve(
        fleet, ALPHA, "--addon", "gpu-operator=v24.9.2", "--by", ONCALL, "--expires", "2027-01-01T00:00:00Z"
    )
    assert code == 0, err
    path = fleet / "approvals" / "alpha-train-gpu-operator-v24-9-2.yaml"
    text = path.read_text()
    assert 'addons:\n    gpu-operator: "v24.9.2"\n' in text and "kubernetes" not in text.split("spec:")[1]
    [written] = [a for a in load_fleet(fleet).approvals if a.name == "alpha-train-gpu-operator-v24-9-2"]
    assert written.spec.addons == {"gpu-operator": "v24.9.2"} and written.spec.kubernetes is None
    assert "runs gpu-operator at v24.9.0 in the fleet" in err  # says when it will count
    again, _ = approve(
        fleet, ALPHA, "--addon", "gpu-operator=v24.9.2", "--by", ONCALL, "--expires", "2027-01-01T00:00:00Z"
    )
    assert again == 0 and path.read_text() == text  # the same approval twice changes nothing


def test_kubernetes_and_addons_in_one_approval(fleet: Path) -> None:
    code, err = approve(
        fleet,
        "eu-west-02/alpha-research",
        "--kubernetes",
        "1.31.2",
        "--addon",
        "gpu-operator=v24.9.0",
        "--addon",
        "cilium=1.16.3",
        "--by",
        "ops@lab-alpha.example",
    )
    assert code == 0, err
    [written] = [a for a in load_fleet(fleet).approvals if a.spec.cluster == "eu-west-02/alpha-research"]
    assert written.spec.kubernetes == "1.31.2"
    assert written.spec.addons == {"cilium": "1.16.3", "gpu-operator": "v24.9.0"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--addon", "gpu-operater=v24.9.2"), "did you mean gpu-operator?"),
        (("--addon", "gpu-operator"), "write NAME=VERSION"),
        (("--addon", "gpu-operator="), "write NAME=VERSION"),
        ((), "nothing to approve"),
        (("--addon", "gpu-operator=v1", "--node-image", "img"), "--node-image: approved together with --kubernetes"),
    ],
)
def test_bad_addon_flags_exit_2_and_write_nothing(fleet: Path, args: tuple[str, ...], message: str) -> None:
    before = sorted(p.name for p in (fleet / "approvals").iterdir())
    code, err = approve(fleet, ALPHA, *args, "--by", ONCALL)
    assert code == 2 and message in err, err
    assert sorted(p.name for p in (fleet / "approvals").iterdir()) == before
