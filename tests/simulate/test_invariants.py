"""DESIGN.md invariants checked at every simulated step, on random small scenarios.

The engine counts every violation as it happens (a busy node cordoned or
reimaged, an action leaving a pool above maxUnavailable, a node step before
the control plane is at its target, a control-plane step skipping a minor...);
here those counters must stay zero for fleetc whatever the load, budget,
failures, seed, busy-node policy and checkpointable jobs (with or without
checkpoint requests). The same runs check that skipping unchanged plan() calls
changes nothing: every step, at the same instant, as calling it every interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetc.plan.planner import plan
from fleetc.simulate.baselines import DrainStrategy
from fleetc.simulate.driver import FleetcStrategy
from fleetc.simulate.run import bound_of, pool_traces, simulation
from fleetc.simulate.world import build_world

from .helpers import scenario_data, write_fleet, write_scenario


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    nodes = draw(st.integers(3, 24))
    data = scenario_data(
        nodes=nodes,
        max_unavailable=draw(st.integers(1, max(1, nodes // 3))),
        zones=draw(st.sampled_from([["a"], ["a", "b"], ["a", "b", "c"]])),
        load=draw(st.floats(0.2, 1.1)),
        horizon_days=draw(st.sampled_from([3, 6])),
        failures=draw(st.sampled_from([0.0, 0.02, 0.1])),
        interval=draw(st.sampled_from([10, 15, 30])),
        reimage=draw(st.sampled_from([20, 45, 150])),  # 150 > one interval and > nothing: timeouts at 120
    )
    data["spec"]["seed"] = draw(st.integers(0, 10_000))
    data["spec"]["jobs"]["duration"]["meanHours"] = draw(st.sampled_from([2, 10, 30]))
    data["spec"]["jobs"]["duration"]["maxHours"] = 80
    if draw(st.booleans()):
        data["spec"]["from"]["kubernetes"] = "1.29.10"
    if draw(st.booleans()):
        data["spec"]["scheduler"] = {"pendingTaintEffect": "NoSchedule"}
    data["spec"]["busyNodes"] = draw(
        st.fixed_dictionaries(
            {
                "escalateAfter": st.sampled_from(["never", "0m", "30m", "6h"]),
                "escalateWhenRemaining": st.sampled_from([0, 2, "25%"]),
            }
        )
    )
    if draw(st.booleans()):  # checkpointable jobs, and fleetc asking them
        data["spec"]["jobs"]["checkpointable"] = {
            "fraction": draw(st.sampled_from([0.5, 1.0])),
            "intervalHours": draw(st.sampled_from([1, 6])),
            "reactionMinutes": draw(st.sampled_from([0, 10, 40])),
        }
        data["spec"]["checkpointRequest"] = {"enabled": draw(st.booleans())}
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=scenarios())
def test_fleetc_never_breaks_an_invariant(tmp_path_factory: Any, data: dict[str, Any]) -> None:
    root: Path = tmp_path_factory.mktemp("sim")
    fleet = write_fleet(root)
    scenario = write_scenario(root, data)
    world = build_world(scenario, fleet)
    seed = scenario.spec.seed
    traces = pool_traces(world, scenario, seed)

    skipping = FleetcStrategy(world, plan, None, skip_unchanged=True)
    result = simulation(world, scenario, traces, seed, skipping).run()
    assert result.violations.as_dict() == {k: 0 for k in result.violations.as_dict()}
    assert result.max_unavailable_exceeded == 0
    assert result.jobs_interrupted == 0
    assert result.lost_gpu_hours == 0  # a job asked to checkpoint exits at a checkpoint: nothing is redone
    for pool in result.pools.values():
        # above the budget only ever through hardware failures, never by a step
        assert pool.max_unavailable_seen <= pool.max_unavailable or pool.exceeded_by_failure > 0

    every = FleetcStrategy(world, plan, None, skip_unchanged=False)
    exact = simulation(world, scenario, traces, seed, every).run()
    assert every.skipped == 0
    assert skipping.applied == every.applied
    assert result.makespan == exact.makespan
    assert skipping.blocked_seconds == every.blocked_seconds  # the same Blocked reasons at every interval

    bound = bound_of(world, scenario, traces, seed)
    if result.makespan is not None:
        assert result.makespan / 3600 >= bound.hours - 1e-9


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=scenarios())
def test_drain_keeps_the_budget_and_the_order_but_interrupts(tmp_path_factory: Any, data: dict[str, Any]) -> None:
    root: Path = tmp_path_factory.mktemp("sim")
    fleet = write_fleet(root)
    scenario = write_scenario(root, data)
    world = build_world(scenario, fleet)
    traces = pool_traces(world, scenario, scenario.spec.seed)
    result = simulation(world, scenario, traces, scenario.spec.seed, DrainStrategy()).run()
    assert result.max_unavailable_exceeded == 0
    assert result.violations.node_step_before_control_plane == 0
    assert result.violations.control_plane_skip == 0
    assert result.violations.busy_disrupted == result.jobs_interrupted
