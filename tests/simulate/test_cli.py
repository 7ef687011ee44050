"""``fleetc simulate``: exit codes, JSON shape, determinism, plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from fleetc.cli.main import app

from .helpers import scenario_data, write_fleet, write_scenario

REQUIRED = {"makespan_hours", "jobs_interrupted", "max_unavailable_exceeded", "idle_cordoned_gpu_hours", "finished"}


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, ["simulate", *args])


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    write_fleet(tmp_path)
    write_scenario(tmp_path, scenario_data(nodes=30, max_unavailable=3, load=0.85, horizon_days=8, failures=0.01))
    return tmp_path / "fleet", tmp_path / "scenario.yaml"


def test_json_has_the_contracted_shape_and_is_deterministic(tmp_path: Path) -> None:
    fleet, scenario = _setup(tmp_path)
    args = ("--fleet", str(fleet), "--scenario", str(scenario), "--format", "json")
    first = _run(*args, "--seed", "11")
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert isinstance(data["lower_bound_hours"], float)
    assert set(data["strategies"]) == {"fleetc", "drain", "wait-idle"}
    for result in data["strategies"].values():
        assert set(result) >= REQUIRED
    assert data["strategies"]["fleetc"]["jobs_interrupted"] == 0
    again = json.loads(_run(*args, "--seed", "11").stdout)
    data.pop("timing")
    again.pop("timing")
    assert data == again
    other = json.loads(_run(*args, "--seed", "12").stdout)
    other.pop("timing")
    assert other != data


def test_every_interval_gives_the_same_result(tmp_path: Path) -> None:
    fleet, scenario = _setup(tmp_path)
    args = ("--fleet", str(fleet), "--scenario", str(scenario), "--format", "json")
    quick = json.loads(_run(*args).stdout)
    slow = json.loads(_run(*args, "--every-interval").stdout)
    for data in (quick, slow):
        data.pop("timing")
        data["strategies"]["fleetc"].pop("plan_calls")
        data["strategies"]["fleetc"].pop("plan_calls_skipped")
    assert quick == slow


def test_text_table_and_plots(tmp_path: Path) -> None:
    fleet, scenario = _setup(tmp_path)
    out = tmp_path / "plots"
    result = _run("--fleet", str(fleet), "--scenario", str(scenario), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "fleetc" in result.stdout and "wait-idle" in result.stdout and "lower bound" in result.stdout
    written = sorted(p.name for p in out.iterdir())
    assert written == ["progress.png", "states-drain.png", "states-fleetc.png", "states-wait-idle.png"]
    assert all((out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in written)


def test_invalid_scenario_exits_2_with_a_position(tmp_path: Path) -> None:
    fleet, scenario = _setup(tmp_path)
    scenario.write_text(scenario.read_text().replace("horizonDays", "horizonDayz"))
    result = _run("--fleet", str(fleet), "--scenario", str(scenario))
    assert result.exit_code == 2
    assert f"{scenario}:" in result.stderr and "horizonDayz" in result.stderr


def test_missing_scenario_exits_2(tmp_path: Path) -> None:
    fleet, _ = _setup(tmp_path)
    result = _run("--fleet", str(fleet), "--scenario", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
