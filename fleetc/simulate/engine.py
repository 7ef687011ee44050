"""Discrete-event simulation of a rollout under load.

Time is whole seconds since the scenario's start. Events sit in one heap,
ordered by time, then by kind, so that at one instant the world changes
first (jobs finish, reimages complete, control planes finish rolling, nodes
are repaired or fail), then jobs arrive, and only then does a controller
look: a ``pulumi up`` at 00:45 sees the reimage that completed at 00:45.

Every strategy acts through the same few ``Simulation`` methods
(``cordon``, ``reimage``, ``drain``...), and those check the invariants of
DESIGN.md on every action, whoever takes it: a busy node disrupted, a pool
pushed above its ``maxUnavailable`` (counted by the pool, see
``SimPool._after``), a node step before the control plane is at its target,
a control plane skipping a minor. For fleetc they must stay zero; for the
baselines they measure what those strategies cost.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from fleetc.simulate.cluster import STATES, Job, SimCluster, SimNode, SimPool
from fleetc.simulate.metrics import PoolResult, PoolStart, RunResult, Sample, Tail, Violations
from fleetc.simulate.scenario import Scenario
from fleetc.simulate.trace import PoolTrace
from fleetc.versions import Version

# Event kinds, in the order they are handled at one instant.
FINISH, REIMAGED, ROLLED, REPAIR, FAIL, ARRIVAL, TICK = range(7)
PROGRESS_EVERY = 6 * 3600  # simulated seconds between two progress reports

Progress = Callable[[str, int, int], None]  # (strategy, simulated seconds so far, horizon)


class Strategy(Protocol):
    """How a rollout is driven."""

    name: str

    def begin(self, sim: Simulation) -> None:
        """Called once at t=0, after the running jobs are placed."""

    def after_event(self, sim: Simulation) -> None:
        """Called after every event (in-cluster controllers react here)."""

    def on_reimaged(self, sim: Simulation, node: SimNode) -> None:
        """A node came back Ready at its target image."""

    def report(self, result: RunResult) -> None:
        """Add strategy-specific figures to the result."""


@dataclass
class Timings:
    """The scenario's timings in seconds."""

    interval: int
    reimage: int
    roll: int
    checkpoint: int
    horizon: int
    sample: int
    own_checkpoint: int = 0  # jobs.checkpointable.intervalHours (checkpointable jobs)
    reaction: int = 0  # jobs.checkpointable.reactionMinutes: request -> checkpointed and exited

    @classmethod
    def of(cls, scenario: Scenario) -> Timings:
        spec = scenario.spec
        interval = round(spec.timing.pulumi_up_minutes * 60)
        checkpointable = spec.jobs.checkpointable
        return cls(
            own_checkpoint=round(checkpointable.interval_hours * 3600) if checkpointable else 0,
            reaction=round(checkpointable.reaction_minutes * 60) if checkpointable else 0,
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
    interrupted_ids: set[int] = field(default_factory=set)
    jobs_failed: int = 0
    jobs_completed: int = 0
    jobs_started: int = 0  # arrivals and resubmissions started during the run
    jobs_on_outdated: int = 0  # ... of which on at least one node not at the target image
    jobs_on_pending: int = 0  # ... of which on at least one upgrade-pending (tainted) node
    wait_seconds: int = 0
    lost_gpu_seconds: int = 0  # work redone after an eviction by the strategy
    lost_gpu_seconds_failures: int = 0  # ... after a hardware failure (the same in every strategy)
    checkpoint_requests: int = 0  # nodes whose job's pods were asked to checkpoint
    jobs_checkpointed: int = 0  # jobs that checkpointed and exited on request (no work lost)
    failures_skipped: int = 0  # a failure drawn for a node already down or being reimaged


@dataclass(frozen=True)
class LastJob:
    """The last job that started on a node while the node was not at the target image."""

    started: int
    finish: int
    size: int
    how: str  # "running at start", "unmarked idle node", "pending node (PreferNoSchedule fallback)"


class Simulation:
    """One strategy's run over the shared trace."""

    def __init__(
        self,
        clusters: list[SimCluster],
        traces: dict[tuple[str, str], PoolTrace],
        timings: Timings,
        start: datetime,
        strategy: Strategy,
        progress: Progress | None = None,
    ) -> None:
        self.clusters = clusters
        self.progress = progress
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
        self.pool_done: dict[str, int] = {}
        self.tail: Tail | None = None
        self._heap: list[tuple[int, int, int, Callable[[Any], None], Any]] = []
        self._seq = 0
        self._next_sample = 0
        self._pools = [pool for cluster in clusters for pool in cluster.pools]
        self._rolling = list(self._pools)  # pools not yet entirely at the target image
        self._total = sum(len(pool.nodes) for pool in self._pools)
        self._job_ids = 0
        self._last_job: dict[SimNode, LastJob] = {}
        self._last_reimaged: SimNode | None = None
        self._asks = False  # the clusters send checkpoint requests (set by the caller for the lower bound)
        self._place_running_jobs()

    # ------------------------------------------------------------ setup

    def _place_running_jobs(self) -> None:
        """The steady state at t=0: running jobs on random nodes, finishing at their residual time."""
        for pool in self._pools:
            trace = self.traces[(pool.cluster.id, pool.name)]
            remaining: dict[int, int] = {}
            for running in trace.running:
                job = self._new_job(running.size, running.duration, 0, running.checkpointable)
                remaining[job.id] = running.remaining
                pool.submit(job)
            for job in pool.schedule():
                job.started = remaining[job.id] - job.duration  # it has run this long already
                self._push(job.finish, FINISH, self._on_finish, (job, job.epoch))
                for node in job.nodes:
                    self._last_job[node] = LastJob(job.started, job.finish, job.size, "running at start")
            if trace.arrivals:
                self._push(trace.arrivals[0].time, ARRIVAL, self._on_arrival, (pool, 0))
            if trace.failures:
                self._push(trace.failures[0].time, FAIL, self._on_fail, (pool, 0))

    def _new_job(self, size: int, duration: int, submitted: int, checkpointable: bool = False) -> Job:
        self._job_ids += 1
        every = self.timings.own_checkpoint if checkpointable else self.timings.checkpoint
        return Job(self._job_ids, size, duration, submitted, every, honours=checkpointable)

    def initial_releases(self, asks: bool = False) -> list[PoolStart]:
        """When each node could first be reimaged without interrupting anything,
        ignoring the control plane and the budget: the end of the job running on
        it at t=0 (or 0), brought forward when a drawn hardware failure on one of
        the job's nodes kills that job earlier, and to the reaction time of a
        job that honours checkpoint requests when the clusters send them (a
        request at t=0 at the earliest). Input of the lower bound."""
        self._asks = asks
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
                if job.honours and self._asks:
                    end = min(end, self.timings.reaction)  # asked at once, it exits after its reaction time
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

    def at(self, at: int, handler: Callable[[Any], None], arg: Any = None) -> None:
        """Run ``handler(arg)`` at ``at``, after the world's events of that instant."""
        self._push(at, TICK, handler, arg)

    def run(self) -> RunResult:
        wall = time.perf_counter()
        self.strategy.begin(self)
        horizon = self.timings.horizon
        done = self._check_progress()
        report = self.progress
        next_report = PROGRESS_EVERY
        while self._heap and not done:
            at, _, _, handler, arg = self._heap[0]
            if at > horizon:
                break
            heapq.heappop(self._heap)
            if at != self.now:
                self._advance(at)
                if report is not None and at >= next_report:
                    report(self.strategy.name, at, horizon)
                    next_report = at - at % PROGRESS_EVERY + PROGRESS_EVERY
            handler(arg)
            self.strategy.after_event(self)
            done = self._check_progress()
        if not done:
            self._advance(horizon)
            self.tail = self._tail()
        if report is not None:
            report(self.strategy.name, self.now, self.now)  # finished: the bar is full
        self._sample(self.now)
        return self._result(time.perf_counter() - wall)

    def _advance(self, at: int) -> None:
        while self._next_sample < at:
            self._sample(self._next_sample)
            self._next_sample += self.timings.sample
        for pool in self._pools:
            pool.advance(at)
        self.now = at

    def _sample(self, when: int) -> None:
        for pool in self._pools:
            self.samples.append(
                Sample(when, f"{pool.cluster.id}/{pool.name}", pool.at_target, tuple(pool.states[s] for s in STATES))
            )

    def _check_progress(self) -> bool:
        """Record the makespan moments; True when the rollout is complete."""
        if self.makespan is None:
            if self._rolling:  # after every event: only the pools not yet done are looked at
                for pool in [p for p in self._rolling if p.at_target == len(p.nodes)]:
                    self.pool_done.setdefault(f"{pool.cluster.id}/{pool.name}", self.now)
                    self._rolling.remove(pool)
            if self._rolling or not all(c.version == c.target for c in self.clusters):
                return False
            self.makespan = self.now
            self.tail = self._tail()
        if all(c.complete for c in self.clusters):
            self.settled = self.now
            return True
        return False

    def _tail(self) -> Tail | None:
        """The node that set the makespan; unfinished: the outdated node whose last job ends last."""
        if self.makespan is not None:
            node = self._last_reimaged
        else:
            behind = [n for p in self._pools for n in p.nodes if n.image != p.target_image]
            node = max(behind, key=lambda n: self._last_job[n].finish if n in self._last_job else -1, default=None)
        if node is None:
            return None
        last = self._last_job.get(node)
        return Tail(
            node=f"{node.pool.cluster.id}/{node.name}",
            reimaged=self.makespan,
            job_started=None if last is None else last.started,
            job_finish=None if last is None else last.finish,
            job_size=None if last is None else last.size,
            job_how=None if last is None else last.how,
        )

    # ------------------------------------------------------------ world events

    def _on_arrival(self, arg: tuple[SimPool, int]) -> None:
        pool, index = arg
        trace = self.traces[(pool.cluster.id, pool.name)]
        arrival = trace.arrivals[index]
        pool.submit(self._new_job(arrival.size, arrival.duration, self.now, arrival.checkpointable))
        if index + 1 < len(trace.arrivals):
            self._push(trace.arrivals[index + 1].time, ARRIVAL, self._on_arrival, (pool, index + 1))
        self.schedule(pool)

    def _on_finish(self, arg: tuple[Job, int]) -> None:
        job, epoch = arg
        if job.epoch != epoch or not job.nodes:
            return  # killed earlier: this finish belongs to an older run of the job
        pool = job.nodes[0].pool
        pool.finish(job)
        self.counters.jobs_completed += 1
        self.schedule(pool)

    def _on_reimaged(self, arg: tuple[SimNode, int]) -> None:
        node, token = arg
        if node.token != token or not node.reimaging:
            return
        node.pool.finish_reimage(node, node.pool.cluster.target)
        self._last_reimaged = node
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
            self._kill(node.job, evicted=False)
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
        """Start what fits from the pool's queue; note jobs that land on nodes still to do."""
        for job in pool.schedule():
            self.counters.jobs_started += 1
            self.counters.wait_seconds += self.now - job.submitted
            self._push(job.finish, FINISH, self._on_finish, (job, job.epoch))
            outdated = [node for node in job.nodes if node.image != pool.target_image]
            if not outdated:
                continue
            self.counters.jobs_on_outdated += 1
            fallback = any(node.pending for node in outdated)
            self.counters.jobs_on_pending += 1 if fallback else 0
            for node in outdated:
                how = "pending node (PreferNoSchedule fallback)" if node.pending else "unmarked idle node"
                self._last_job[node] = LastJob(self.now, job.finish, job.size, how)

    def _kill(self, job: Job, evicted: bool) -> None:
        """Kill a running job and resubmit it at the head of its queue.

        Work since its last checkpoint (every ``checkpointMinutes`` of run
        time, or ``jobs.checkpointable.intervalHours`` for a checkpointable
        job; 0: nothing is lost) is lost and redone.
        """
        pool = job.nodes[0].pool
        elapsed = self.now - job.started
        step = job.checkpoint_every
        saved = elapsed if step <= 0 else (elapsed // step) * step
        lost = (elapsed - saved) * job.size * pool.gpus
        if evicted:
            self.counters.lost_gpu_seconds += lost
        else:
            self.counters.lost_gpu_seconds_failures += lost
        pool.finish(job)
        job.remaining -= saved
        job.submitted = self.now
        pool.submit(job, front=True)

    # ------------------------------------------------------------ actions (checked)

    def _check_node_step(self, node: SimNode, disrupts: bool) -> None:
        if not node.pool.cluster.cp_done:
            self.violations.node_step_before_control_plane += 1
        if disrupts and node.job is not None:
            self.violations.busy_disrupted += 1

    def cordon(self, node: SimNode) -> None:
        self._check_node_step(node, disrupts=True)
        node.pool.cordon(node)

    def mark_pending(self, node: SimNode, hard: bool = False) -> None:
        """``mark-pending`` (PreferNoSchedule) or ``escalate-pending`` (``hard``: NoSchedule). Neither evicts."""
        self._check_node_step(node, disrupts=False)
        node.pool.mark_pending(node, self.clock(), hard)

    def request_checkpoint(self, node: SimNode) -> None:
        """fleetc annotates the pods of the node's job; a job that honours it checkpoints and exits after its
        reaction time, losing nothing. Nothing is killed: a job that does not honour it runs on."""
        self._check_node_step(node, disrupts=False)
        job = node.job
        node.pool.ask(node)
        if job is None:
            return
        self.counters.checkpoint_requests += 1
        if job.honours and not job.exiting:
            at = self.now + self.timings.reaction
            if at < job.finish:
                job.exiting = True
                self._push(at, FINISH, self._on_checkpoint_exit, (job, job.epoch))

    def _on_checkpoint_exit(self, arg: tuple[Job, int]) -> None:
        job, epoch = arg
        if job.epoch != epoch or not job.nodes:
            return  # it ended (or was killed) before it saw the request
        pool = job.nodes[0].pool
        done = self.now - job.started  # checkpointed at exit: all of it is kept
        pool.finish(job)
        self.counters.jobs_checkpointed += 1
        job.remaining -= done
        job.submitted = self.now
        pool.submit(job, front=True)  # its controller starts it again from the checkpoint
        self.schedule(pool)

    def uncordon(self, node: SimNode) -> None:
        """Back into service (never gated: restoring capacity disrupts nothing)."""
        node.pool.uncordon(node)
        self.schedule(node.pool)

    def reimage(self, node: SimNode, image: str) -> None:
        """Label the node for the provisioner; it is reimaged now, or once repaired."""
        self._check_node_step(node, disrupts=True)
        if not node.cordoned:
            self.violations.reimage_not_cordoned += 1
        cluster = node.pool.cluster
        if cluster.target.minors_to(cluster.version) < 0:
            self.violations.kubelet_skew += 1  # the new kubelet would be newer than the apiserver
        if node.pool.request_reimage(node, image, self.clock()):
            self._push(self.now + self.timings.reimage, REIMAGED, self._on_reimaged, (node, node.token))

    def drain(self, node: SimNode, image: str) -> None:
        """Cordon, evict whatever runs there (killing the job), reimage: a rolling update's step."""
        pool = node.pool
        self._check_node_step(node, disrupts=True)
        pool.cordon(node)
        job = node.job
        if job is not None:
            self.counters.jobs_interrupted += 1
            self.counters.interrupted_ids.add(job.id)
            self._kill(job, evicted=True)
        if pool.request_reimage(node, image, self.clock()):
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

    # ------------------------------------------------------------ result

    def _result(self, wall: float) -> RunResult:
        counters = self.counters
        self.violations.over_budget = sum(p.exceeded.by_action for p in self._pools)
        pools = {
            f"{p.cluster.id}/{p.name}": PoolResult(
                len(p.nodes),
                p.gpus,
                p.budget,
                p.max_unavailable_seen,
                p.exceeded.by_action,
                p.exceeded.by_failure,
                self.pool_done.get(f"{p.cluster.id}/{p.name}"),
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
            jobs_on_outdated=counters.jobs_on_outdated,
            jobs_on_pending=counters.jobs_on_pending,
            checkpoint_requests=counters.checkpoint_requests,
            jobs_checkpointed=counters.jobs_checkpointed,
            wait_seconds=counters.wait_seconds,
            lost_gpu_hours=counters.lost_gpu_seconds / 3600,
            lost_gpu_hours_failures=counters.lost_gpu_seconds_failures / 3600,
            idle_cordoned_gpu_hours=sum(p.held_node_seconds * p.gpus for p in self._pools) / 3600,
            busy_gpu_hours=sum(p.busy_node_seconds * p.gpus for p in self._pools) / 3600,
            capacity_gpu_hours=sum(len(p.nodes) * p.gpus for p in self._pools) * self.now / 3600,
            violations=self.violations,
            pools=pools,
            samples=self.samples,
            tail=self.tail,
            runtime_seconds=wall,
        )
        self.strategy.report(result)
        return result
