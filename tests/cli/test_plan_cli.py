"""``fleetc plan`` flags: bad input exits 2 with a reason and no traceback; approvals come from git."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleetc.cli.main import app

REPO = Path(__file__).resolve().parents[2]
LIVE = str(REPO / "examples" / "live")
NOW = "2026-11-25T15:00:00Z"


def run(*args: str, fleet: Path = REPO / "fleet") -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["plan", "--fleet", str(fleet), *args], env={"COLUMNS": "120"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("now", "message"),
    [
        ("2026-11-25T15:00:00", "has no time zone"),
        ("next wednesday", "is not an ISO 8601 time"),
    ],
)
def test_unusable_now_exits_2(now: str, message: str) -> None:
    code, out, err = run("--live", LIVE, "--now", now)
    assert (code, out) == (2, "")
    assert err.startswith("--now: ") and message in err


def test_now_with_an_offset_is_the_same_instant() -> None:
    utc = run("--live", LIVE, "--now", NOW, "--format", "json")
    local = run("--live", LIVE, "--now", "2026-11-25T10:00:00-05:00", "--format", "json")
    assert utc[0] == local[0] == 0
    assert utc[1] == local[1]


def test_unknown_region_exits_2_naming_the_known_ones() -> None:
    code, out, err = run("--live", LIVE, "--now", NOW, "--region", "ap-south-01")
    assert (code, out) == (2, "")
    assert "--region ap-south-01: no such region" in err and "eu-west-02, us-east-04" in err


def test_region_plans_only_that_region() -> None:
    code, out, _ = run("--live", LIVE, "--now", NOW, "--region", "eu-west-02", "--format", "json")
    assert code == 0
    clusters = json.loads(out)["clusters"]
    assert sorted(clusters) == ["eu-west-02/alpha-research", "eu-west-02/beta-cpu", "eu-west-02/infer-eu"]


def test_missing_snapshot_directory_exits_2(tmp_path: Path) -> None:
    code, out, err = run("--live", str(tmp_path / "nope"), "--now", NOW)
    assert (code, out) == (2, "")
    assert "does not exist" in err


def test_bad_rev_exits_2() -> None:
    code, _, err = run("--live", LIVE, "--now", NOW, "--rev", "no-such-branch")
    assert code == 2 and "--rev no-such-branch: not a commit" in err


def test_bad_format_exits_2() -> None:
    code, out, _ = run("--live", LIVE, "--now", NOW, "--format", "yaml")
    assert (code, out) == (2, "")


def test_unreadable_cluster_is_blocked_not_an_error(tmp_path: Path) -> None:
    live = tmp_path / "live"
    shutil.copytree(LIVE, live)
    (live / "us-east-04" / "beta-train.json").write_text('{"kind": "List", "items": [')
    code, out, _ = run("--live", str(live), "--now", NOW, "--format", "json")
    assert code == 0
    plan = json.loads(out)
    assert not [s for s in plan["steps"] if s["cluster"] == "us-east-04/beta-train"]
    assert [b["reason"] for b in plan["blocked"] if b["cluster"] == "us-east-04/beta-train"] == ["unknown-state"]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def beta_train_reasons(plan: dict[str, Any]) -> list[str]:
    return sorted(b["reason"] for b in plan["blocked"] if b["cluster"] == "us-east-04/beta-train")


def test_only_committed_approvals_count(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(REPO / "fleet", fleet)
    approval = fleet / "approvals" / "beta-train-1-31-2.yaml"
    text = approval.read_text()
    approval.unlink()
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "0")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "fleet")
    approval.write_text(text)  # on disk, not committed

    code, out, err = run("--live", LIVE, "--now", NOW, "--format", "json", fleet=fleet)
    assert code == 0
    assert "approval-required" in beta_train_reasons(json.loads(out))
    assert "approvals: " in err and "beta-train-1-31-2" in err and "not committed" in err

    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "approve")
    code, out, _ = run("--live", LIVE, "--now", NOW, "--format", "json", fleet=fleet)
    assert "approval-required" not in beta_train_reasons(json.loads(out))
    code, out, _ = run("--live", LIVE, "--now", NOW, "--format", "json", "--rev", "HEAD~1", fleet=fleet)
    assert "approval-required" in beta_train_reasons(json.loads(out))
