"""SPEC.md section 5: exit 2 for unusable live state, in ``plan``, ``render`` and ``check --live``.

- A snapshot directory that does not exist, or holds no
  ``<region>/management.json`` for any region asked for: exit 2 before
  anything is planned, saying what was expected there.
- A region whose management cluster could not be read at all (a file
  missing or corrupt, a 401 from the API): the output is still printed
  (that region's clusters unknown, nothing in them moves), then one stderr
  line per region says why, and the exit code is 2, so CI does not take an
  incomplete plan for a clean one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from live.fake_api import FakeApi, serve
from live.objects import apiserver, etcd
from typer.testing import CliRunner

from fleetc.cli.main import app

REPO = Path(__file__).resolve().parents[2]
FLEET = REPO / "fleet"
LIVE = REPO / "examples" / "live"
NOW = "2026-11-25T15:00:00Z"
COMMANDS = {
    "plan": ["plan", "--format", "json"],
    "render": ["render"],  # --out added per test
    "check": ["check", "--format", "json"],
}


def run(command: str, live: Path | str, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    args = [*COMMANDS[command], "--fleet", str(FLEET), "--live", str(live), "--now", NOW, *extra]
    if command == "render":
        args += ["--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "120"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    target = tmp_path / "live"
    shutil.copytree(LIVE, target, ignore=shutil.ignore_patterns("*.py", "*.md"))
    return target


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_example_snapshot_is_usable(command: str, tmp_path: Path) -> None:
    code, _, err = run(command, LIVE, tmp_path)
    assert code == 0, err
    assert "live state unusable" not in err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_missing_snapshot_directory_exits_2(command: str, tmp_path: Path) -> None:
    code, out, err = run(command, tmp_path / "nope", tmp_path)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"fleetc: live snapshot directory {tmp_path / 'nope'} does not exist: pass --live kube, or a directory "
        "written by `fleetc live export --out DIR` (docs/spec.md section 4)"
    ]


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("contents", ["empty", "other regions", "files but no management.json"])
def test_a_directory_without_any_region_snapshot_exits_2_before_planning(
    command: str, contents: str, tmp_path: Path
) -> None:
    live = tmp_path / "live"
    live.mkdir()
    if contents == "other regions":
        (live / "ap-south-01").mkdir()
        (live / "ap-south-01" / "management.json").write_text('{"kind": "List", "items": []}')
    elif contents == "files but no management.json":
        shutil.copytree(LIVE / "us-east-04", live / "us-east-04")
        (live / "us-east-04" / "management.json").unlink()
    code, out, err = run(command, live, tmp_path)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"fleetc: live snapshot directory {live} holds no snapshot of any of eu-west-02, us-east-04: expected "
        f"{live}/<region>/management.json (and <cluster>.json beside it), as `fleetc live export --out {live}` "
        "writes them (docs/spec.md section 4)"
    ]
    assert not (tmp_path / "out").exists()


def test_with_region_only_that_region_must_be_there(snapshot: Path, tmp_path: Path) -> None:
    shutil.rmtree(snapshot / "eu-west-02")
    code, _, err = run("plan", snapshot, tmp_path, "--region", "us-east-04")
    assert code == 0, err
    code, out, err = run("plan", snapshot, tmp_path, "--region", "eu-west-02")
    assert (code, out) == (2, "")
    assert "holds no snapshot of region eu-west-02" in err


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("damage", ["corrupt", "missing", "not a List"])
def test_an_unreadable_management_cluster_prints_the_output_then_exits_2(
    command: str, damage: str, snapshot: Path, tmp_path: Path
) -> None:
    management = snapshot / "us-east-04" / "management.json"
    if damage == "corrupt":
        management.write_text('{"kind": "List", "items": [')
    elif damage == "missing":
        management.unlink()
    else:
        management.write_text('{"kind": "Deployment"}')
    code, out, err = run(command, snapshot, tmp_path)
    assert code == 2
    unusable = [line for line in err.splitlines() if "live state unusable" in line]
    assert len(unusable) == 1
    assert unusable[0].startswith(
        "fleetc: region us-east-04: live state unusable, every cluster of it is unknown: "
        f"{snapshot / 'us-east-04' / 'management.json'}"
    )
    if command == "plan":
        plan = json.loads(out)
        east = sorted(c for c in plan["clusters"] if c.startswith("us-east-04/"))
        assert east == ["us-east-04/alpha-train", "us-east-04/beta-train", "us-east-04/infer-east"]
        blocked = {b["cluster"] for b in plan["blocked"] if b["reason"] == "unknown-state"}
        assert set(east) <= blocked
        assert not [s for s in plan["steps"] if s["cluster"].startswith("us-east-04/")]
        assert any(c.startswith("eu-west-02/") for c in plan["clusters"])
    elif command == "render":
        assert (tmp_path / "out" / "eu-west-02").is_dir()
    else:
        assert json.loads(out)["basis"] == "live"


def test_two_unusable_regions_are_two_lines(snapshot: Path, tmp_path: Path) -> None:
    (snapshot / "us-east-04" / "management.json").write_text("[")
    (snapshot / "eu-west-02" / "management.json").write_text("[")
    # neither management.json is readable, but both exist: planning happens, both are reported
    code, out, err = run("plan", snapshot, tmp_path)
    assert code == 2 and json.loads(out)["clusters"]
    assert [line.split(":")[1].strip() for line in err.splitlines() if "live state unusable" in line] == [
        "region eu-west-02",
        "region us-east-04",
    ]


@pytest.fixture
def wrong_token(tmp_path: Path) -> Iterator[Path]:
    """A management cluster that answers every request with 401: the kubeconfig's token is wrong."""
    with serve(FakeApi()) as api:
        api.add_control_plane("alpha-train", apiserver("alpha-train"), etcd("alpha-train"))
        config = tmp_path / "kubeconfig"
        config.write_text(api.management_kubeconfig(token="not-the-token"))
        yield config


def test_a_401_from_the_management_cluster_is_exit_2_after_the_plan(wrong_token: Path, tmp_path: Path) -> None:
    code, out, err = run("plan", "kube", tmp_path, "--kubeconfig", str(wrong_token), "--region", "us-east-04")
    assert code == 2
    assert sorted(json.loads(out)["clusters"]) == [
        "us-east-04/alpha-train",
        "us-east-04/beta-train",
        "us-east-04/infer-east",
    ]
    [line] = [line for line in err.splitlines() if "live state unusable" in line]
    assert line.startswith("fleetc: region us-east-04: live state unusable") and "401" in line
