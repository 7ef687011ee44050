"""``fleetc plan`` on the example fleet and snapshot, compared with committed output.

The goldens pin every byte of the three formats, so a change of wording or
layout shows up in review as a diff of tests/cli/golden/. Regenerate them
after an intended change with::

    FLEETC_UPDATE_GOLDEN=1 pytest tests/cli/test_plan_golden.py

A golden that was regenerated from a wrong plan would pass, so the plan's
meaning is asserted separately on the JSON: each cluster of the example
snapshot is in the state examples/live/generate.py built it to be in.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleetc.cli.main import app

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden")
NOW = "2026-11-25T15:00:00Z"  # a Wednesday
UPDATE = os.environ.get("FLEETC_UPDATE_GOLDEN") == "1"
FORMATS = {"text": "plan.txt", "markdown": "plan.md", "json": "plan.json"}


def run_plan(*extra: str) -> tuple[int, str, str]:
    args = ["plan", "--fleet", str(REPO / "fleet"), "--live", str(REPO / "examples" / "live"), "--now", NOW, *extra]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("output", sorted(FORMATS))
def test_plan_matches_golden(output: str) -> None:
    code, stdout, stderr = run_plan("--format", output)
    assert code == 0, stderr
    golden = GOLDEN / FORMATS[output]
    if UPDATE:
        check_meaning()  # never write a golden of a wrong plan
        golden.write_text(stdout, encoding="utf-8")
        pytest.skip(f"updated {golden.relative_to(REPO)}")
    assert golden.exists(), f"{golden} missing: run with FLEETC_UPDATE_GOLDEN=1"
    assert stdout == golden.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def plan_json() -> dict[str, Any]:
    code, stdout, stderr = run_plan("--format", "json")
    assert code == 0, stderr
    parsed: dict[str, Any] = json.loads(stdout)
    return parsed


def actions(plan: dict[str, Any], cluster: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for step in plan["steps"]:
        if step["cluster"] == cluster:
            found.setdefault(step["action"], []).append(step["target"])
    return found


def reasons(plan: dict[str, Any], cluster: str) -> list[str]:
    return sorted(entry["reason"] for entry in plan["blocked"] if entry["cluster"] == cluster)


def test_json_is_the_spec_object(plan_json: dict[str, Any]) -> None:
    assert {"steps", "blocked"} <= set(plan_json)
    for step in plan_json["steps"]:
        assert {"cluster", "action", "target"} <= set(step)
    for entry in plan_json["blocked"]:
        assert {"cluster", "reason", "detail"} <= set(entry)


def test_alpha_train_waits_for_its_control_plane(plan_json: dict[str, Any]) -> None:
    assert actions(plan_json, "us-east-04/alpha-train") == {}
    assert reasons(plan_json, "us-east-04/alpha-train") == ["control-plane-not-ready"]


def test_beta_train_rolls_its_gb200_wave(plan_json: dict[str, Any]) -> None:
    moves = actions(plan_json, "us-east-04/beta-train")
    assert moves["uncordon"] == ["beta-train-gb200-101"]  # reimaged, Ready at the target, still cordoned
    assert moves["reimage"] == ["beta-train-gb200-102", "beta-train-gb200-103"]  # cordoned and idle
    assert moves["mark-pending"] == [f"beta-train-gb200-{i}" for i in range(250, 256)]  # busy, not yet labelled
    # 5 reimaging + 1 to uncordon + 2 cordoned = 8 of 12 unavailable: room for 4 of the 10 idle nodes.
    assert len(moves["cordon"]) == 4
    assert all(105 <= int(name.rsplit("-", 1)[1]) <= 114 for name in moves["cordon"])
    assert set(moves) == {"uncordon", "reimage", "cordon", "mark-pending"}
    assert reasons(plan_json, "us-east-04/beta-train") == ["busy", "max-unavailable"]


def test_beta_train_never_takes_busy_or_protected_nodes(plan_json: dict[str, Any]) -> None:
    moves = actions(plan_json, "us-east-04/beta-train")
    taken = set(moves["cordon"]) | set(moves["reimage"])
    busy = next(e for e in plan_json["blocked"] if e["cluster"] == "us-east-04/beta-train" and e["reason"] == "busy")
    assert "beta-train-gb200-104" in busy["nodes"]  # idle but annotated do-not-disrupt
    assert not taken & set(busy["nodes"])
    # its only pod has Succeeded: idle, so a cordon candidate (cordoned, or waiting for budget room)
    waiting = [e["nodes"] for e in plan_json["blocked"]
               if e["cluster"] == "us-east-04/beta-train" and e["reason"] == "max-unavailable"]
    assert "beta-train-gb200-105" in moves["cordon"] or any("beta-train-gb200-105" in w for w in waiting)


def test_alpha_research_needs_an_approval(plan_json: dict[str, Any]) -> None:
    assert actions(plan_json, "eu-west-02/alpha-research") == {}
    assert reasons(plan_json, "eu-west-02/alpha-research") == ["approval-required"]


def test_infer_east_waits_for_its_weekend_window(plan_json: dict[str, Any]) -> None:
    assert actions(plan_json, "us-east-04/infer-east") == {}
    assert reasons(plan_json, "us-east-04/infer-east") == ["outside-window"]


@pytest.mark.parametrize("cluster", ["eu-west-02/beta-cpu", "eu-west-02/infer-eu"])
def test_up_to_date_clusters_do_nothing(plan_json: dict[str, Any], cluster: str) -> None:
    assert actions(plan_json, cluster) == {}
    assert reasons(plan_json, cluster) == []
    assert plan_json["clusters"][cluster]["phase"] == "up-to-date"


def check_meaning() -> None:
    """Every assertion about the example plan's meaning, for the update path."""
    code, stdout, stderr = run_plan("--format", "json")
    assert code == 0, stderr
    plan = json.loads(stdout)
    test_json_is_the_spec_object(plan)
    test_alpha_train_waits_for_its_control_plane(plan)
    test_beta_train_rolls_its_gb200_wave(plan)
    test_beta_train_never_takes_busy_or_protected_nodes(plan)
    test_alpha_research_needs_an_approval(plan)
    test_infer_east_waits_for_its_weekend_window(plan)
    for cluster in ("eu-west-02/beta-cpu", "eu-west-02/infer-eu"):
        test_up_to_date_clusters_do_nothing(plan, cluster)


def test_text_names_what_moves_and_what_waits() -> None:
    code, stdout, _ = run_plan()
    assert code == 0
    assert "steps now: 13 (mark-pending 6, cordon 4, reimage 2, uncordon 1)" in stdout
    assert "reimage                  2: beta-train-gb200-[102-103] → gpu-node-2024.12.0" in stdout
    assert "approval-required  upgrade to kubernetes 1.31.2" in stdout
    assert max(len(line) for line in stdout.splitlines()) <= 120
