"""Run a scenario: the three strategies on one seeded trace, plus the lower bound."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fleetc.conventions import cluster_id
from fleetc.simulate.baselines import DrainStrategy, WaitIdleStrategy
from fleetc.simulate.driver import FleetcStrategy, Planner
from fleetc.simulate.engine import Progress, Simulation, Strategy, Timings
from fleetc.simulate.metrics import Bound, RunResult, lower_bound
from fleetc.simulate.scenario import Scenario
from fleetc.simulate.trace import PoolTrace, pool_trace
from fleetc.simulate.world import World, build_world, simulated_clusters
from fleetc.spec.fleet import FleetSpec
from fleetc.versions import Version

STRATEGIES = ("fleetc", "drain", "wait-idle")


@dataclass(frozen=True)
class PoolInfo:
    """A simulated pool and the load it was given, for the report."""

    pool: str
    nodes: int
    budget: int
    gpus_per_node: int
    arrivals_per_day: float
    offered_load: float
    running_at_start: int  # jobs
    busy_at_start: int  # nodes


@dataclass(frozen=True)
class Comparison:
    scenario: Scenario
    seed: int
    bound: Bound
    control_plane_hours: float
    pools: list[PoolInfo]
    results: dict[str, RunResult]


def control_plane_steps(scenario: Scenario) -> int:
    """How many control-plane rolls the upgrade takes: one per minor (etcd rides along)."""
    start = Version.parse(scenario.spec.from_.kubernetes)
    target = Version.parse(scenario.spec.to.kubernetes)
    minors = start.minors_to(target)
    if minors > 0:
        return minors
    etcd_moves = scenario.spec.to.etcd is not None and scenario.spec.to.etcd != scenario.spec.from_.etcd
    return 1 if start != target or etcd_moves else 0


def simulate(
    scenario: Scenario,
    fleet: FleetSpec,
    seed: int | None = None,
    planner: Planner | None = None,
    strategies: Sequence[str] = STRATEGIES,
    skip_unchanged: bool = True,
    progress: Progress | None = None,
) -> Comparison:
    """Simulate ``strategies`` on the scenario; same seed, same answer (``progress`` only watches)."""
    if planner is None:
        from fleetc.plan.planner import plan

        planner = plan
    used_seed = scenario.spec.seed if seed is None else seed
    world = build_world(scenario, fleet)
    traces = pool_traces(world, scenario, used_seed)
    results: dict[str, RunResult] = {}
    for name in strategies:
        strategy = _strategy(name, world, scenario, planner, skip_unchanged)
        sim = simulation(world, scenario, traces, used_seed, strategy, progress)
        results[name] = sim.run()
    bound = bound_of(world, scenario, traces, used_seed)
    sizes = _pool_sizes(world)
    pools = [
        PoolInfo(
            f"{cid}/{name}",
            *sizes[f"{cid}/{name}"],
            trace.arrivals_per_day,
            trace.offered_load,
            len(trace.running),
            sum(r.size for r in trace.running),
        )
        for (cid, name), trace in traces.items()
    ]
    roll_hours = control_plane_steps(scenario) * Timings.of(scenario).roll / 3600
    return Comparison(scenario, used_seed, bound, roll_hours, pools, results)


def bound_of(world: World, scenario: Scenario, traces: dict[tuple[str, str], PoolTrace], seed: int) -> Bound:
    """The lower bound for this trace: from the t=0 state every run starts in (metrics.py)."""
    timings = Timings.of(scenario)
    asks = any(unit.cluster.upgrade.checkpoint_request.enabled for unit in world.units)
    starts = simulation(world, scenario, traces, seed, DrainStrategy()).initial_releases(asks)
    return lower_bound(starts, control_plane_steps(scenario) * timings.roll, timings.reimage)


def simulation(
    world: World,
    scenario: Scenario,
    traces: dict[tuple[str, str], PoolTrace],
    seed: int,
    strategy: Strategy,
    progress: Progress | None = None,
) -> Simulation:
    """A fresh run of ``strategy``: new clusters at the starting versions, the shared traces placed."""
    clusters = simulated_clusters(world, scenario, seed)
    return Simulation(clusters, traces, Timings.of(scenario), scenario.start, strategy, progress)


def _pool_sizes(world: World) -> dict[str, tuple[int, int, int]]:
    out: dict[str, tuple[int, int, int]] = {}
    for unit in world.units:
        for pool in unit.cluster.node_pools:
            gpus = world.spec.pool_gpus(unit.cluster, pool.instance_type)
            out[f"{unit.region}/{unit.cluster.name}/{pool.name}"] = (pool.count, pool.max_unavailable_nodes(), gpus)
    return out


def pool_traces(world: World, scenario: Scenario, seed: int) -> dict[tuple[str, str], PoolTrace]:
    traces: dict[tuple[str, str], PoolTrace] = {}
    for unit in world.units:
        cid = cluster_id(unit.region, unit.cluster.name)
        for pool in unit.cluster.node_pools:
            traces[(cid, pool.name)] = pool_trace(scenario.spec, seed, cid, pool.name, pool.count)
    return traces


def _strategy(name: str, world: World, scenario: Scenario, planner: Planner, skip_unchanged: bool) -> Strategy:
    if name == "fleetc":
        return FleetcStrategy(world, planner, scenario.spec.window, skip_unchanged)
    if name == "drain":
        return DrainStrategy()
    if name == "wait-idle":
        return WaitIdleStrategy()
    raise ValueError(f"unknown strategy {name!r}; use one of {', '.join(STRATEGIES)}")
