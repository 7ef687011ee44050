"""The GitHub workflows, checked by parsing them (GitHub Actions cannot run here).

The rollout and drift workflows are the loop of docs/operating.md: what
they run, when, with which secrets where, and that every stack is covered.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetc.scaffold import TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
LOOP = ("rollout.yaml", "drift.yaml")
# The current major of each action (pulumi/actions v7.0.0 moved to Node 24; checkout and setup-python v6 too).
MAJORS = {"pulumi/actions": "v7", "actions/checkout": "v6", "actions/setup-python": "v6"}
STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))


def workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(data, dict)
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def matrix_job(data: dict[str, Any]) -> dict[str, Any]:
    (job,) = [job for job in data["jobs"].values() if "matrix" in job.get("strategy", {})]
    return job


def steps_using(data: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [
        step for job in data["jobs"].values() for step in job["steps"] if str(step.get("uses", "")).startswith(action)
    ]


def test_rollout_runs_every_15_minutes_and_on_push_to_main() -> None:
    on = workflow("rollout.yaml")["on"]
    assert on["schedule"] == [{"cron": "*/15 * * * *"}]
    assert on["push"]["branches"] == ["main"]
    assert "pull_request" not in on and "pull_request_target" not in on


def test_drift_runs_on_a_schedule_and_never_on_pull_requests() -> None:
    on = workflow("drift.yaml")["on"]
    assert on["schedule"] and "pull_request" not in on and "pull_request_target" not in on


@pytest.mark.parametrize("name", LOOP)
def test_one_pulumi_operation_per_stack_at_a_time(name: str) -> None:
    concurrency = matrix_job(workflow(name))["concurrency"]
    assert concurrency == {"group": "pulumi-${{ matrix.stack }}", "cancel-in-progress": False}
    assert "concurrency" not in workflow(name)  # a workflow-level group would serialise every region


@pytest.mark.parametrize("name", [*LOOP, "preview.yaml"])
def test_actions_are_pinned_to_their_current_major(name: str) -> None:
    data = workflow(name)
    used = [str(step["uses"]) for job in data["jobs"].values() for step in job["steps"] if "uses" in step]
    for action, major in MAJORS.items():
        for uses in used:
            if uses.startswith(f"{action}@"):
                assert uses == f"{action}@{major}", f"{name}: {uses}"
    if name in LOOP:
        assert any(uses == "pulumi/actions@v7" for uses in used)


def secret_places(node: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path in the workflow where a ``${{ secrets.X }}`` expression appears."""
    if isinstance(node, dict):
        return [place for key, value in node.items() for place in secret_places(value, (*path, str(key)))]
    if isinstance(node, list):
        return [place for i, value in enumerate(node) for place in secret_places(value, (*path, str(i)))]
    return [path] if isinstance(node, str) and re.search(r"\$\{\{\s*secrets\.", node) else []


@pytest.mark.parametrize("name", LOOP)
def test_secrets_only_in_the_steps_that_need_them(name: str) -> None:
    data = workflow(name)
    places = secret_places(data)
    assert places
    for place in places:
        # jobs.<job>.steps.<i>.env.<VAR> or jobs.<job>.steps.<i>.with.<input>: never workflow or job level
        assert place[0] == "jobs" and place[2] == "steps" and place[4] in ("env", "with"), place
    assert "env" not in data and all("env" not in job for job in data["jobs"].values())
    stacks_job = data["jobs"]["stacks"]
    assert not secret_places(stacks_job)  # listing stacks needs no secret
    for step in matrix_job(data)["steps"]:
        if "run" in step and "pip install" in step["run"]:
            assert not secret_places(step)  # installing dependencies runs with no secret in reach


@pytest.mark.parametrize("name", LOOP)
def test_permissions_are_read_only(name: str) -> None:
    assert workflow(name)["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("name", LOOP)
def test_header_says_what_it_trusts(name: str) -> None:
    header = (WORKFLOWS / name).read_text().split("\nname:")[0]
    assert "What it trusts" in header and "main" in header and "secrets" in header.lower()


@pytest.mark.parametrize("name", LOOP)
def test_only_main_runs_the_loop(name: str) -> None:
    assert workflow(name)["jobs"]["stacks"]["if"] == "github.ref == 'refs/heads/main'"


def test_rollout_summarises_the_plan_then_runs_pulumi_up() -> None:
    job = matrix_job(workflow("rollout.yaml"))
    names = [step.get("name", step.get("uses", "")) for step in job["steps"]]
    plan_step = next(step for step in job["steps"] if "fleetc plan" in step.get("run", ""))
    up_step = next(step for step in job["steps"] if step.get("with", {}).get("command") == "up")
    assert names.index(plan_step["name"]) < names.index(up_step["name"])
    assert "--format markdown" in plan_step["run"] and "$GITHUB_STEP_SUMMARY" in plan_step["run"]
    assert '--region "$STACK"' in plan_step["run"] and "--live kube" in plan_step["run"]
    assert up_step["with"]["stack-name"] == "${{ matrix.stack }}"


def test_drift_fails_on_changes_the_planner_does_not_explain() -> None:
    job = matrix_job(workflow("drift.yaml"))
    (step,) = [step for step in job["steps"] if "pulumi preview" in step.get("run", "")]
    assert "--expect-no-changes" in step["run"] and "--refresh" in step["run"]
    assert "$GITHUB_STEP_SUMMARY" in step["run"]
    assert 'if [ "$code" != 0 ] && [ "$steps" = 0 ]; then exit 1; fi' in step["run"]


def listed_stacks(name: str, project: Path) -> list[str]:
    """Run the workflow's own stack-listing script in ``project``, as the runner would."""
    (step,) = [step for step in workflow(name)["jobs"]["stacks"]["steps"] if step.get("id") == "list"]
    output = project / "github-output"
    output.unlink(missing_ok=True)  # the step appends, as to the runner's file
    subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=project,
        env={**os.environ, "GITHUB_OUTPUT": str(output)},
        check=True,
        timeout=60,
    )
    match = re.fullmatch(r"names=(.*)\n", output.read_text())
    assert match is not None
    names: list[str] = yaml.safe_load(match[1])
    return names


@pytest.mark.parametrize("name", LOOP)
def test_every_stack_is_covered(name: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    for stack in STACKS:
        (project / "stacks" / f"Pulumi.{stack}.yaml").write_text((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    assert listed_stacks(name, project) == STACKS
    (project / "stacks" / "Pulumi.new-region-01.yaml").write_text("config: {}\n")  # a region added later
    assert listed_stacks(name, project) == sorted([*STACKS, "new-region-01"])


@pytest.mark.parametrize("name", LOOP)
def test_the_repository_runs_the_workflows_fleetc_init_writes(name: str) -> None:
    """One home: `fleetc init` writes these files, and this repository runs the same bytes."""
    assert (TEMPLATES / ".github" / "workflows" / name).read_bytes() == (WORKFLOWS / name).read_bytes()
