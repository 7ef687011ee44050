"""``fleetc simulate``: exit codes, JSON shape, determinism, plots."""

from __future__ import annotations

import json
import re
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


def test_out_is_checked_before_the_simulation(tmp_path: Path) -> None:
    fleet, scenario = _setup(tmp_path)
    out = tmp_path / "plots.png"
    out.write_text("mine")
    result = _run("--fleet", str(fleet), "--scenario", str(scenario), "--out", str(out))
    assert result.exit_code == 2
    assert result.stdout == ""  # nothing was simulated: the table is printed before the plots are written
    assert result.stderr.strip().splitlines() == [
        f"--out {out}: exists and is not a directory; name a directory (it is created if missing)"
    ]
    assert out.read_text() == "mine"


def test_out_that_cannot_be_made_is_refused_before_the_simulation(tmp_path: Path) -> None:
    fleet, scenario = _setup(tmp_path)
    (tmp_path / "file").write_text("")
    result = _run("--fleet", str(fleet), "--scenario", str(scenario), "--out", str(tmp_path / "file" / "plots"))
    assert result.exit_code == 2 and result.stdout == ""
    assert "cannot write there" in result.stderr


# ---------------------------------------------------------------- wording and plots


def fake_result(**fields: Any) -> Any:
    from types import SimpleNamespace

    defaults = {"makespan": None, "horizon": 100 * 3600, "nodes_at_target": 0, "nodes": 4, "jobs_interrupted": 0}
    return SimpleNamespace(**{"jobs_interrupted_distinct": 0, "samples": [], **defaults, **fields})


def test_makespan_under_the_bound_says_why() -> None:
    from types import SimpleNamespace

    from fleetc.simulate.report import _makespan, _under_bound_notes

    drain = fake_result(makespan=94.5 * 3600, jobs_interrupted=3881, jobs_interrupted_distinct=500)
    fleetc = fake_result(makespan=488.0 * 3600)
    assert _makespan(drain, 487.6) == "94.5 (80.6% under bound †)"
    assert _makespan(fleetc, 487.6) == "488.0 (0.1% over bound)"
    comparison = SimpleNamespace(bound=SimpleNamespace(hours=487.6), results={"fleetc": fleetc, "drain": drain})
    (note,) = _under_bound_notes(comparison)
    assert note.startswith("† drain finished 94.5 h, under the 487.6 h lower bound for rollouts that interrupt no job")
    assert "because it interrupted 3,881 jobs (500 distinct)" in note
    honest = fake_result(makespan=90 * 3600)
    (bug,) = _under_bound_notes(SimpleNamespace(bound=SimpleNamespace(hours=100.0), results={"x": honest}))
    assert "without interrupting a job" in bug


def test_a_job_running_at_the_start_began_before_it() -> None:
    from fleetc.simulate.report import _job_start

    assert _job_start(-17.1 * 3600, "running at start") == (
        "that was running since before the start (it began about 17.1 h earlier)"
    )
    assert (
        _job_start(2.5 * 3600, "pending node (cordon queue)")
        == "that started at 2.5 h on a pending node (cordon queue)"
    )
    assert "-" not in _job_start(-0.5 * 3600, "running at start")
    assert _job_start(0.0, "unmarked idle node") == "that started at 0.0 h on an unmarked idle node"


def test_progress_curve_ends_at_the_makespan_with_every_node() -> None:
    """The bug: 3,999 of 4,000 nodes done at 38 h read as "done"; the last one at 94.5 h was invisible."""
    from types import SimpleNamespace

    from fleetc.simulate.report import progress_curve

    samples = [SimpleNamespace(time=t * 3600, at_target=done) for t, done in [(0, 0), (10, 2), (38, 3)]]
    hours, done = progress_curve(fake_result(samples=samples, makespan=94.5 * 3600))
    assert (hours[-1], done[-1]) == (94.5, 4)
    assert done[:3] == [0, 2, 3]
    unfinished_hours, unfinished = progress_curve(fake_result(samples=samples))
    assert unfinished == [0, 2, 3] and unfinished_hours[-1] == 38


def test_the_headline_counts_pools_in_words(tmp_path: Path) -> None:
    fleet, scenario = _setup(tmp_path)
    result = _run("--fleet", str(fleet), "--scenario", str(scenario))
    assert result.exit_code == 0, result.output
    assert "pool(s)" not in result.stdout and re.search(r"\b1 pool\b|\b\d+ pools\b", result.stdout)
    assert "started at -" not in result.stdout and "% vs bound" not in result.stdout
