"""Small scenarios whose answers follow by hand from the rules (real planner, real engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fleetc.plan.model import Action
from fleetc.plan.planner import plan
from fleetc.simulate.baselines import DrainStrategy, WaitIdleStrategy
from fleetc.simulate.driver import FleetcStrategy
from fleetc.simulate.metrics import PoolStart, lower_bound, pool_bound
from fleetc.simulate.run import simulate, simulation
from fleetc.simulate.scenario import Scenario
from fleetc.simulate.trace import Arrival, PoolTrace, RunningJob
from fleetc.simulate.world import World, build_world

from .helpers import scenario_data, write_fleet, write_scenario

MIN = 60
HOUR = 3600


@pytest.mark.parametrize(
    ("nodes", "budget", "expected_minutes"),
    [
        # CP step at 0, rolls until 20; the 00:30 run sees it ready and cordons a
        # wave; 00:45 reimages it (done 01:30); 01:30 sees it back and uncordons,
        # but counts it unavailable still, so the next wave is cordoned at 01:45:
        # a wave every 75 min, the last done 60 min after its cordon.
        # makespan = 30 + 60 + (waves - 1) * 75.
        (4, 1, 30 + 60 + 3 * 75),  # 315 min
        (4, 2, 30 + 60 + 1 * 75),  # 165 min
        (5, 2, 30 + 60 + 2 * 75),  # 240 min: waves of 2, 2, 1
        (4, 4, 30 + 60),  # one wave
    ],
)
def test_idle_pool_makespan_is_interval_aligned_waves(
    tmp_path: Path, nodes: int, budget: int, expected_minutes: int
) -> None:
    fleet = write_fleet(tmp_path)
    scenario = write_scenario(tmp_path, scenario_data(nodes=nodes, max_unavailable=budget))
    result = simulate(scenario, fleet).results
    fleetc = result["fleetc"]
    assert fleetc.makespan == expected_minutes * MIN
    assert fleetc.settled == expected_minutes * MIN  # the uncordon goes in the same run
    assert fleetc.max_unavailable_seen == budget
    assert fleetc.violations.total() == 0
    # drain reacts at once: CP done at 20, then ceil(nodes / budget) back-to-back reimages of 45 min.
    waves = -(-nodes // budget)
    assert result["drain"].makespan == (20 + waves * 45) * MIN
    assert result["wait-idle"].makespan == (20 + waves * 45) * MIN  # an idle pool is rolled at once


def test_lower_bound_of_an_idle_pool_is_the_budget_term(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path)
    scenario = write_scenario(tmp_path, scenario_data(nodes=4, max_unavailable=1))
    comparison = simulate(scenario, fleet)
    assert comparison.bound.hours == pytest.approx((20 + 4 * 45) / 60)
    assert comparison.bound.budget_hours == pytest.approx((20 + 4 * 45) / 60)


def test_two_minors_take_two_control_plane_rolls(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path)
    data = scenario_data(nodes=2, max_unavailable=2)
    data["spec"]["from"]["kubernetes"] = "1.29.10"
    scenario = write_scenario(tmp_path, data)
    comparison = simulate(scenario, fleet, strategies=["fleetc"])
    # 1.29.10 -> 1.30.6 at 0 (ready 20), -> 1.31.2 at 00:30 (ready 50), nodes cordoned at 01:00,
    # reimaged 01:15, back 02:00.
    assert comparison.results["fleetc"].makespan == 120 * MIN
    assert comparison.control_plane_hours == pytest.approx(40 / 60)
    assert comparison.results["fleetc"].steps[str(Action.UPGRADE_CONTROL_PLANE)] == 2


def _one_long_job(tmp_path: Path, remaining_hours: int) -> tuple[Scenario, World, dict[tuple[str, str], PoolTrace]]:
    fleet = write_fleet(tmp_path)
    scenario = write_scenario(tmp_path, scenario_data(nodes=4, max_unavailable=1, horizon_days=10))
    world = build_world(scenario, fleet)
    remaining = remaining_hours * HOUR
    job = RunningJob(size=1, duration=remaining + 5 * HOUR, remaining=remaining)
    traces = {("sim/sim-01", "gpu"): PoolTrace((job,), (), (), 0.0, 0.0, 1.0, 1.0)}
    return scenario, world, traces


def test_one_long_job_fleetc_waits_and_interrupts_nothing(tmp_path: Path) -> None:
    scenario, world, traces = _one_long_job(tmp_path, remaining_hours=100)
    strategy = FleetcStrategy(world, plan, None)
    result = simulation(world, scenario, traces, 7, strategy).run()
    # The 3 idle nodes go in waves of one (done by 04:00, see above); the busy
    # node is marked pending at 00:30 and waits. Its job ends at 100:00, exactly
    # on a run: cordoned at 100:00, reimaged at 100:15, back at 101:00.
    assert result.makespan == 101 * HOUR
    assert result.jobs_interrupted == 0
    assert result.violations.total() == 0
    marked = [step for _, step in strategy.applied if step.action is Action.MARK_PENDING]
    assert len(marked) == 1
    assert result.tail is not None and result.tail.job_how == "running at start"


def test_one_long_job_drain_interrupts_it_and_wait_idle_waits(tmp_path: Path) -> None:
    scenario, world, traces = _one_long_job(tmp_path, remaining_hours=100)
    drain = simulation(world, scenario, traces, 7, DrainStrategy()).run()
    assert drain.jobs_interrupted_distinct == 1
    assert drain.jobs_interrupted >= 1  # resubmitted, it may land on a node still to do and be evicted again
    assert drain.violations.busy_disrupted == drain.jobs_interrupted
    assert drain.makespan == (20 + 4 * 45) * MIN
    wait = simulation(world, scenario, traces, 7, WaitIdleStrategy()).run()
    assert wait.jobs_interrupted == 0
    assert wait.makespan == (100 * 60 + 4 * 45) * MIN  # the pool is idle at 100:00, then 4 reimages in a row


def test_wait_idle_that_never_sees_an_idle_pool_reports_the_horizon(tmp_path: Path) -> None:
    scenario, world, traces = _one_long_job(tmp_path, remaining_hours=1000)  # beyond the 10-day horizon
    wait = simulation(world, scenario, traces, 7, WaitIdleStrategy()).run()
    assert wait.makespan is None and not wait.finished
    assert wait.to_json()["makespan_at_least_hours"] == 240
    assert wait.end == 240 * HOUR


def test_pool_bound_is_release_ordered_list_scheduling() -> None:
    # releases 0,0,0,10 on 2 slots of length 5: starts 0,0,5,10 -> ends 5,5,10,15
    assert pool_bound([0, 0, 10, 0], budget=2, control_plane=0, reimage=5) == 15
    # the control plane delays every release: starts 3,3,8,10 -> last end 15
    assert pool_bound([0, 0, 10, 0], budget=2, control_plane=3, reimage=5) == 15
    # a late job dominates: max release + reimage
    assert pool_bound([0, 100], budget=1, control_plane=0, reimage=5) == 105
    bound = lower_bound([PoolStart("p", 1, [0, 0, 0, 0])], control_plane=20 * MIN, reimage=45 * MIN)
    assert bound.hours == pytest.approx(200 / 60)


def _freed_pending_node(tmp_path: Path, busy: dict[str, object], request: bool = False, honours: bool = False) -> Any:
    """2 nodes, budget 1: jobs of 10 h and 2 h running at t=0, a 100-h job arriving at 01:00 (queued)."""
    fleet = write_fleet(tmp_path)
    data = scenario_data(nodes=2, max_unavailable=1, horizon_days=10)
    data["spec"]["busyNodes"] = busy
    if request:
        data["spec"]["checkpointRequest"] = {"enabled": True}
        data["spec"]["jobs"]["checkpointable"] = {"fraction": 1.0, "intervalHours": 6, "reactionMinutes": 10}
    scenario = write_scenario(tmp_path, data)
    world = build_world(scenario, fleet)
    if request:  # one gang job on both nodes that honours requests
        running: tuple[RunningJob, ...] = (RunningJob(2, 20 * HOUR, 10 * HOUR, checkpointable=honours),)
        arrivals: tuple[Arrival, ...] = ()
    else:
        running = (RunningJob(1, 20 * HOUR, 10 * HOUR), RunningJob(1, 20 * HOUR, 2 * HOUR))
        arrivals = (Arrival(HOUR, 1, 100 * HOUR),)
    traces = {("sim/sim-01", "gpu"): PoolTrace(running, arrivals, (), 0.0, 0.0, 1.0, 1.0)}
    strategy = FleetcStrategy(world, plan, None)
    return simulation(world, scenario, traces, 7, strategy).run(), strategy


@pytest.mark.parametrize(
    ("busy", "hours"),
    [
        # PreferNoSchedule only: the 2-h job's node is freed at 02:00 and the queued 100-h job starts there at
        # once (the fallback); it is cordoned at 102:00, reimaged 102:15, back 103:00.
        ({"escalateAfter": "never", "escalateWhenRemaining": 0}, 103),
        # NoSchedule at once: the freed node stays empty, cordoned 02:00, back 03:00 (the 100-h job starts there,
        # on the new image); the 10-h job's node: cordoned 10:00, back 11:00.
        ({"escalateAfter": "0m"}, 11),
        # marked at 00:30, pending 1 h at 01:30: escalated before 02:00, as NoSchedule.
        ({"escalateAfter": "1h", "escalateWhenRemaining": 0}, 11),
        # escalated at 06:30 only: too late for the node freed at 02:00.
        ({"escalateAfter": "6h", "escalateWhenRemaining": 0}, 103),
        # both nodes still to do and at most 2 remaining: NoSchedule at once.
        ({"escalateAfter": "never", "escalateWhenRemaining": 2}, 11),
    ],
)
def test_busy_node_policies_decide_who_gets_a_freed_pending_node(
    tmp_path: Path, busy: dict[str, object], hours: int
) -> None:
    result, _ = _freed_pending_node(tmp_path, busy)
    assert result.makespan == hours * HOUR
    assert result.jobs_interrupted == 0 and result.violations.total() == 0
    assert result.jobs_on_pending == (1 if hours > 100 else 0)


@pytest.mark.parametrize(("honours", "hours", "exits"), [(True, 3.25, 2), (False, 12.25, 0)])
def test_checkpoint_requests_free_a_gang_at_checkpoint_boundaries(
    tmp_path: Path, honours: bool, hours: float, exits: int
) -> None:
    # One 2-node job (10 h left). 00:30: one node asked (budget 1) and NoSchedule; the job exits at 00:40 and
    # waits (1 node it may use); 00:45 cordon, 01:00 reimage, 01:45 back and uncordoned: the job starts again
    # on both nodes; 02:00 the other node is asked, exit 02:10; cordon 02:15, reimage 02:30, back 03:15.
    # A job that ignores requests runs to 10:00: then 10:00 cordon, 11:00 back, 11:15 cordon, 12:15 back.
    result, strategy = _freed_pending_node(
        tmp_path, {"escalateAfter": "never", "escalateWhenRemaining": 0}, request=True, honours=honours
    )
    assert result.makespan == round(hours * HOUR)
    assert (result.jobs_checkpointed, result.jobs_interrupted, result.lost_gpu_hours) == (exits, 0, 0)
    assert result.violations.total() == 0
    assert any(step.action is Action.REQUEST_CHECKPOINT for _, step in strategy.applied)


def test_progress_reports_simulated_hours_and_changes_nothing(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path)
    scenario = write_scenario(tmp_path, scenario_data(nodes=4, max_unavailable=1, load=0.7, horizon_days=2))
    seen: list[tuple[str, int, int]] = []
    watched = simulate(scenario, fleet, strategies=["fleetc"], progress=lambda *a: seen.append(a)).results["fleetc"]
    quiet = simulate(scenario, fleet, strategies=["fleetc"]).results["fleetc"]
    assert watched.to_json() == quiet.to_json()
    times = [now for _, now, _ in seen]
    assert times == sorted(times) and seen[-1][1] == seen[-1][2] == watched.end  # the last report: done
    assert all(name == "fleetc" for name, _, _ in seen)
