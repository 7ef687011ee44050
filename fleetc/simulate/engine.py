"""Discrete-event simulation of a rollout, and the strategy that drives it with the real planner.

Time is whole seconds since the scenario's start. Events sit in one heap,
ordered by time, then by kind, so that at one instant the world changes
first (jobs finish, reimages complete, control planes finish rolling, nodes
fail or are repaired), then jobs arrive, and only then does a controller
look: a ``pulumi up`` at 00:45 sees the reimage that completed at 00:45.

Every strategy acts through the same few ``Simulation`` methods
(``cordon``, ``reimage``, ``drain``...), and those check the invariants of
DESIGN.md on every action, whoever takes it: a busy node disrupted, a pool
pushed above its ``maxUnavailable``, a node step before the control plane is
at its target, a control plane skipping a minor. For fleetc they must stay
zero; for the baselines they measure what those strategies cost.

``FleetcStrategy`` runs ``plan()`` every ``pulumi up`` interval on facts
built from the simulated state and applies its steps as the executor would.
It skips a cluster's ``plan()`` call only when the call's inputs are the same
as at its previous call -- no fact of the cluster changed, the maintenance
window did not open or close and no reimage crossed its timeout -- because
``plan()`` is a pure function of its inputs: the skipped call would return
the same steps, which were already applied. Skips are counted.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from fleetc.live.facts import LiveState, RegionLive
from fleetc.plan.model import Action, Plan, Step
from fleetc.plan.windows import is_open
from fleetc.simulate.cluster import STATES, Job, SimCluster, SimNode, SimPool
from fleetc.simulate.metrics import PoolResult, PoolStart, RunResult, Sample, Violations
from fleetc.simulate.scenario import Scenario
from fleetc.simulate.trace import PoolTrace
from fleetc.simulate.world import PlanUnit, World
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import ApprovalDoc, Window
from fleetc.versions import Version

Planner = Callable[[FleetSpec, LiveState, Sequence[ApprovalDoc], datetime, str | None], Plan]

# Event kinds, in the order they are handled at one instant.
FINISH, REIMAGED, ROLLED, REPAIR, FAIL, ARRIVAL, TICK = range(7)


class Strategy(Protocol):
    """How a rollout is driven. ``after_event`` runs after every event."""

    name: str

    def begin(self, sim: Simulation) -> None: ...

    def after_event(self, sim: Simulation) -> None: ...

    def on_reimaged(self, sim: Simulation, node: SimNode) -> None: ...

    def report(self, result: RunResult) -> None: ...


@dataclass
class Timings:
    """The scenario's timings in seconds."""

    interval: int
    reimage: int
    roll: int
    checkpoint: int
    horizon: int
    sample: int

    @classmethod
    def of(cls, scenario: Scenario) -> Timings:
        spec = scenario.spec
        interval = round(spec.timing.pulumi_up_minutes * 60)
        return cls(
            interval=interval,
            reimage=round(spec.timing.reimage_minutes * 60),
            roll=round(spec.timing.control_plane_roll_minutes * 60),
            checkpoint=round(spec.jobs.checkpoint_minutes * 60),
            horizon=round(spec.horizon_days * 86400),
            sample=interval,
        )


@dataclass
class Counters:
    jobs_interrupted: int = 0
    interrupted_ids: set[tuple[str, int]] = field(default_factory=set)
    jobs_failed: int = 0
    jobs_completed: int = 0
    jobs_started: int = 0  # arrivals (and resubmissions) started during the run
    wait_seconds: int = 0
    lost_gpu_seconds: int = 0
    failures_skipped: int = 0  # a failure drawn for a node already down or being reimaged


class Simulation:
    """One strategy's run over the shared trace."""

    def __init__(
        self,
        clusters: list[SimCluster],
        traces: dict[tuple[str, str], PoolTrace],
        timings: Timings,
        start: datetime,
        strategy: Strategy,
    ) -> None:
        self.clusters = clusters
        self.traces = traces
        self.timings = timings
        self.start = start
        self.strategy = strategy
        self.now = 0
        self.violations = Violations()
        self.counters = Counters()
        self.samples: list[Sample] = []
        self.makespan: int | None = None
        self.settled: int | None = None
        self._heap: list[tuple[int, int, int, Callable[[Any], None], Any]] = []
        self._seq = 0
        self._next_sample = 0
        self._pools = [pool for cluster in clusters for pool in cluster.pools]
        self._total = sum(len(pool.nodes) for pool in self._pools)
        self._job_ids = 0
        self._place_running_jobs()

    # ------------------------------------------------------------ setup

    def _place_running_jobs(self) -> None:
        """The steady state at t=0: running jobs on random nodes, finishing at their residual time."""
        for pool in self._pools:
            trace = self.traces[(pool.cluster.id, pool.name)]
            remaining: dict[int, int] = {}
            for running in trace.running:
                job = self._new_job(running.size, running.duration, 0)
                remaining[job.id] = running.remaining
                pool.submit(job)
            for job in pool.schedule():
                job.started = remaining[job.id] - job.duration  # it has run this long already
                self._push(job.finish, FINISH, self._on_finish, (job, job.epoch))
            if trace.arrivals:
                self._push(trace.arrivals[0].time, ARRIVAL, self._on_arrival, (pool, 0))
            if trace.failures:
                self._push(trace.failures[0].time, FAIL, self._on_fail, (pool, 0))

    def _new_job(self, size: int, duration: int, submitted: int) -> Job:
        self._job_ids += 1
        return Job(self._job_ids, size, duration, submitted)

    def initial_releases(self) -> list[PoolStart]:
        """When each node could first be reimaged without interrupting anything,
        ignoring the control plane and the budget: the end of the job running on
        it at t=0 (or 0), brought forward when a drawn hardware failure on one of
        the job's nodes kills that job earlier. Input of the lower bound."""
        out: list[PoolStart] = []
        for pool in self._pools:
            trace = self.traces[(pool.cluster.id, pool.name)]
            first_failure: dict[int, int] = {}
            for failure in trace.failures:
                first_failure.setdefault(failure.node, failure.time)
            ends: dict[int, int] = {}
            for node in pool.nodes:
                job = node.job
                if job is None or job.id in ends:
                    continue
                end = job.finish
                for member in job.nodes:
                    hit = first_failure.get(member.index)
                    if hit is not None and hit < end:
                        end = hit
                ends[job.id] = end
            releases = [ends[node.job.id] if node.job is not None else 0 for node in pool.nodes]
            out.append(PoolStart(f"{pool.cluster.id}/{pool.name}", pool.budget, releases))
        return out

    # ------------------------------------------------------------ event loop

    def _push(self, at: int, kind: int, handler: Callable[[Any], None], arg: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, kind, self._seq, handler, arg))

    def at(self, at: int, kind: int, handler: Callable[[Any], None], arg: Any = None) -> None:
        """Schedule ``handler(arg)`` (for strategies: their own timers)."""
        self._push(at, kind, handler, arg)

    def run(self) -> RunResult:
        wall = time.perf_counter()
        self.strategy.begin(self)
        horizon = self.timings.horizon
        done = self._check_progress()
        while self._heap and not done:
            at, _, _, handler, arg = self._heap[0]
            if at > horizon:
                break
            heapq.heappop(self._heap)
            if at != self.now:
                self._advance(at)
            handler(arg)
            self.strategy.after_event(self)
            done = self._check_progress()
        if not done:
            self._advance(horizon)
        self._sample_now()
        return self._result(time.perf_counter() - wall)

    def _result(self, wall: float) -> RunResult:
        counters = self.counters
        self.violations.over_budget = sum(p.exceeded.by_action for p in self._pools)
        pools = {
            f"{p.cluster.id}/{p.name}": PoolResult(
                len(p.nodes), p.gpus, p.budget, p.max_unavailable_seen, p.exceeded.by_action, p.exceeded.by_failure
            )
            for p in self._pools
        }
        result = RunResult(
            strategy=self.strategy.name,
            horizon=self.timings.horizon,
            end=self.now,
            makespan=self.makespan,
            settled=self.settled,
            nodes_at_target=sum(p.at_target for p in self._pools),
            nodes=self._total,
            jobs_interrupted=counters.jobs_interrupted,
            jobs_interrupted_distinct=len(counters.interrupted_ids),
            jobs_failed=counters.jobs_failed,
            jobs_completed=counters.jobs_completed,
            jobs_started=counters.jobs_started,
            wait_seconds=counters.wait_seconds,
            lost_gpu_hours=counters.lost_gpu_seconds / 3600,
            idle_cordoned_gpu_hours=sum(p.held_node_seconds * p.gpus for p in self._pools) / 3600,
            busy_gpu_hours=sum(p.busy_node_seconds * p.gpus for p in self._pools) / 3600,
            capacity_gpu_hours=sum(len(p.nodes) * p.gpus for p in self._pools) * self.now / 3600,
            violations=self.violations,
            pools=pools,
            samples=self.samples,
            runtime_seconds=wall,
        )
        self.strategy.report(result)
        return result

    def _advance(self, at: int) -> None:
        while self._next_sample < at:
            self._sample_now(self._next_sample)
            self._next_sample += self.timings.sample
        for pool in self._pools:
            pool.advance(at)
        self.now = at

    def _sample_now(self, at: int | None = None) -> None:
        when = self.now if at is None else at
        for pool in self._pools:
            self.samples.append(
                Sample(when, f"{pool.cluster.id}/{pool.name}", pool.at_target, tuple(pool.states[s] for s in STATES))
            )

    def _check_progress(self) -> bool:
        """Record the makespan moments; True when the rollout is complete."""
        if self.makespan is None:
            if all(c.version == c.target for c in self.clusters) and sum(p.at_target for p in self._pools) == self._total:
                self.makespan = self.now
            else:
                return False
        if all(c.complete for c in self.clusters):
            self.settled = self.now
            return True
        return False

    # ------------------------------------------------------------ world events

    def _on_arrival(self, arg: tuple[SimPool, int]) -> None:
        pool, index = arg
        trace = self.traces[(pool.cluster.id, pool.name)]
        arrival = trace.arrivals[index]
        pool.submit(self._new_job(arrival.size, arrival.duration, self.now))
        if index + 1 < len(trace.arrivals):
            self._push(trace.arrivals[index + 1].time, ARRIVAL, self._on_arrival, (pool, index + 1))
        self.schedule(pool)

    def _on_finish(self, arg: tuple[Job, int]) -> None:
        job, epoch = arg
        if job.epoch != epoch or not job.nodes:
            return  # killed earlier; this finish belongs to an older run of the job
        pool = job.nodes[0].pool
        pool.finish(job)
        self.counters.jobs_completed += 1
        self.schedule(pool)

    def _on_reimaged(self, arg: tuple[SimNode, int]) -> None:
        node, token = arg
        if node.token != token or not node.reimaging:
            return
        node.pool.finish_reimage(node, node.pool.cluster.target)
        self.strategy.on_reimaged(self, node)

    def _on_rolled(self, arg: tuple[SimCluster, int]) -> None:
        cluster, token = arg
        if cluster.cp_token == token:
            cluster.finish_roll()

    def _on_fail(self, arg: tuple[SimPool, int]) -> None:
        pool, index = arg
        trace = self.traces[(pool.cluster.id, pool.name)]
        failure = trace.failures[index]
        if index + 1 < len(trace.failures):
            self._push(trace.failures[index + 1].time, FAIL, self._on_fail, (pool, index + 1))
        node = pool.nodes[failure.node]
        if node.failed or node.reimaging:
            self.counters.failures_skipped += 1
            return
        if node.job is not None:
            self.counters.jobs_failed += 1
            self._kill(node.job)
        pool.fail(node)
        self._push(self.now + failure.repair, REPAIR, self._on_repair, node)
        self.schedule(pool)

    def _on_repair(self, node: SimNode) -> None:
        pool = node.pool
        pool.repair(node)
        if pool.start_pending_reimage(node):
            self._push(self.now + self.timings.reimage, REIMAGED, self._on_reimaged, (node, node.token))
        self.schedule(pool)

    # ------------------------------------------------------------ jobs

    def schedule(self, pool: SimPool) -> None:
        for job in pool.schedule():
            self.counters.jobs_started += 1
            self.counters.wait_seconds += self.now - job.submitted
            self._push(job.finish, FINISH, self._on_finish, (job, job.epoch))

    def _kill(self, job: Job) -> None:
        """Kill a running job and resubmit it at the head of its queue.

        Work since its last checkpoint (every ``checkpointMinutes`` of run
        time; 0: none is lost) is lost and redone.
        """
        pool = job.nodes[0].pool
        elapsed = self.now - job.started
        step = self.timings.checkpoint
        saved = elapsed if step <= 0 else (elapsed // step) * step
        self.counters.lost_gpu_seconds += (elapsed - saved) * job.size * pool.gpus
        pool.finish(job)
        job.remaining -= saved
        job.submitted = self.now
        pool.submit(job, front=True)

    # ------------------------------------------------------------ actions (checked)

    def _check_node_step(self, node: SimNode, action: str) -> None:
        cluster = node.pool.cluster
        if not cluster.cp_done:
            self.violations.node_step_before_control_plane += 1
        if node.job is not None and action in ("cordon", "reimage"):
            self.violations.busy_disrupted += 1

    def cordon(self, node: SimNode) -> None:
        self._check_node_step(node, "cordon")
        node.pool.cordon(node)

    def mark_pending(self, node: SimNode) -> None:
        self._check_node_step(node, "mark-pending")
        node.pool.mark_pending(node)

    def uncordon(self, node: SimNode) -> None:
        node.pool.uncordon(node)
        self.schedule(node.pool)

    def reimage(self, node: SimNode, image: str) -> None:
        self._check_node_step(node, "reimage")
        if not node.cordoned:
            self.violations.reimage_not_cordoned += 1
        if node.pool.cluster.target.minors_to(node.pool.cluster.version) < 0:
            self.violations.kubelet_skew += 1  # the new kubelet would be newer than the apiserver
        pool = node.pool
        if pool.request_reimage(node, image, self.clock()):
            self._push(self.now + self.timings.reimage, REIMAGED, self._on_reimaged, (node, node.token))

    def drain(self, node: SimNode, image: str) -> None:
        """Cordon, evict whatever runs there (killing the job), reimage: a rolling update's step."""
        pool = node.pool
        self._check_node_step(node, "cordon")
        pool.cordon(node)
        job = node.job
        if job is not None:
            self.counters.jobs_interrupted += 1
            self.counters.interrupted_ids.add((pool.cluster.id, job.id))
            self._kill(job)
        pool.request_reimage(node, image, self.clock())
        self._push(self.now + self.timings.reimage, REIMAGED, self._on_reimaged, (node, node.token))
        self.schedule(pool)

    def roll_control_plane(self, cluster: SimCluster, version: Version, etcd: Version | None) -> None:
        if not cluster.cp_ready:
            self.violations.control_plane_not_ready += 1
        if cluster.version.minors_to(version) > 1 or version < cluster.version:
            self.violations.control_plane_skip += 1
        cluster.start_roll(version, etcd)
        self._push(self.now + self.timings.roll, ROLLED, self._on_rolled, (cluster, cluster.cp_token))

    def clock(self) -> datetime:
        return self.start + timedelta(seconds=self.now)


# ---------------------------------------------------------------- fleetc


@dataclass
class UnitState:
    """What the strategy remembers of a cluster's previous plan() call."""

    last_call: int = -1
    window_open: bool | None = None
    deadlines: list[int] = field(default_factory=list)  # heap: reimage requested-at + nodeTimeout
    finished: bool = False  # complete, and a plan() on the complete state returned no step


class FleetcStrategy:
    """Every ``pulumi up`` interval: facts -> the real ``plan()`` -> apply its steps."""

    name = "fleetc"

    def __init__(self, world: World, planner: Planner, window: Window | None, skip_unchanged: bool = True) -> None:
        self.world = world
        self.planner = planner
        self.window = window
        self.skip_unchanged = skip_unchanged
        self.calls = 0
        self.skipped = 0
        self.plan_seconds = 0.0
        self.blocked: Counter[str] = Counter()
        self.steps: Counter[str] = Counter()
        self._units: list[tuple[PlanUnit, SimCluster, UnitState]] = []

    def begin(self, sim: Simulation) -> None:
        by_id = {c.id: c for c in sim.clusters}
        self._units = [(u, by_id[f"{u.region}/{u.cluster.name}"], UnitState()) for u in self.world.units]
        sim.at(0, TICK, self._tick, sim)

    def after_event(self, sim: Simulation) -> None:
        return None

    def on_reimaged(self, sim: Simulation, node: SimNode) -> None:
        return None  # the next plan() sees it Ready at the target and uncordons it

    def report(self, result: RunResult) -> None:
        result.plan_calls = self.calls
        result.plan_calls_skipped = self.skipped
        result.plan_seconds = self.plan_seconds
        result.blocked = dict(self.blocked)
        result.steps = dict(self.steps)

    def _tick(self, sim: Simulation) -> None:
        now = sim.clock()
        for unit, cluster, state in self._units:
            if state.finished:
                continue
            if not self._must_call(sim, cluster, state, now):
                self.skipped += 1
                continue
            cluster.dirty = False
            state.last_call = sim.now
            region = RegionLive(unit.region, {cluster.name: cluster.live()})
            began = time.perf_counter()
            result = self.planner(unit.spec, LiveState({unit.region: region}), (), now, None)
            self.plan_seconds += time.perf_counter() - began
            self.calls += 1
            for blocked in result.blocked:
                self.blocked[str(blocked.reason)] += 1
            if not result.steps and cluster.complete:
                state.finished = True
            for step in result.steps:
                self._apply(sim, cluster, state, step)
        if not all(state.finished for _, _, state in self._units):
            sim.at(sim.now + sim.timings.interval, TICK, self._tick, sim)

    def _must_call(self, sim: Simulation, cluster: SimCluster, state: UnitState, now: datetime) -> bool:
        """False only when plan() would get the same inputs as at its last call."""
        window_open = is_open(self.window, now) if self.window is not None else None
        crossed = False
        while state.deadlines and state.deadlines[0] < sim.now:
            crossed = crossed or heapq.heappop(state.deadlines) >= state.last_call
        changed = window_open != state.window_open
        state.window_open = window_open
        return not self.skip_unchanged or cluster.dirty or changed or crossed or state.last_call < 0

    def _apply(self, sim: Simulation, cluster: SimCluster, state: UnitState, step: Step) -> None:
        self.steps[str(step.action)] += 1
        if step.action is Action.UPGRADE_CONTROL_PLANE:
            sim.roll_control_plane(cluster, Version.parse(step.target), Version.parse(step.etcd) if step.etcd else None)
            return
        node = cluster.node(step.target)
        if node is None or (step.pool is not None and node.pool.name != step.pool):
            sim.violations.unknown_target += 1
            return
        if step.action is Action.CORDON:
            sim.cordon(node)
        elif step.action is Action.REIMAGE:
            sim.reimage(node, step.image or node.pool.target_image)
            timeout = cluster.node_timeout_minutes * 60
            heapq.heappush(state.deadlines, sim.now + timeout)
        elif step.action is Action.UNCORDON:
            sim.uncordon(node)
        elif step.action is Action.MARK_PENDING:
            sim.mark_pending(node)
