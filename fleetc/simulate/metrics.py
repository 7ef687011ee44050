"""What a run measured, and the lower bound on the makespan it is compared with.

Lower bound (for any strategy that interrupts no job and respects
``maxUnavailable``). Node ``i`` of a pool cannot start its reimage before

    a_i = max(C, e_i)

where ``C`` is the control plane's roll time times the minors it moves
(nodes go only after it) and ``e_i`` the end of the job running on node i
at t=0 (0 when idle; brought forward to the first drawn hardware failure on
any of that job's nodes, since a failure kills the job earlier). A reimage
takes ``R`` and at most ``m = maxUnavailable`` nodes of the pool can be down
at once, so the pool's rollout is at best the schedule of N equal jobs of
length R with release times a_i on m identical machines. For equal lengths,
starting them in release order on the earliest free machine is optimal,
and its makespan is computed exactly (``pool_bound``). The fleet's bound is
the largest pool bound. It is ``>=`` both simple terms
``max_i(a_i) + R`` (the longest job left running at the start) and
``C + ceil(N/m) * R`` (the budget), and it ignores everything that can only
make a real rollout slower: the ``pulumi up`` interval, the separate cordon
and uncordon runs, failures that take budget or delay a reimage, and new
jobs landing on nodes still to do. A strategy that drains (interrupts jobs)
is bounded by the budget term alone, reported as ``disruptive``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

HOUR = 3600.0


@dataclass(frozen=True)
class PoolStart:
    """Per pool: budget and, per node, when its t=0 job ends (seconds)."""

    pool: str
    budget: int
    releases: list[int]


@dataclass(frozen=True)
class Bound:
    hours: float  # the bound (no job interrupted)
    longest_job_hours: float  # max_i a_i + R
    budget_hours: float  # C + ceil(N/m) R: the bound of a strategy that may interrupt jobs
    pool: str  # the pool that sets it


def pool_bound(releases: Sequence[int], budget: int, control_plane: int, reimage: int) -> int:
    """Optimal makespan of equal-length reimages with release times on ``budget`` slots."""
    ready = sorted(max(control_plane, r) for r in releases)
    ends: list[int] = []
    for k, release in enumerate(ready):
        slot_free = ends[k - budget] if k >= budget else 0
        ends.append(max(release, slot_free) + reimage)
    return ends[-1] if ends else control_plane


def lower_bound(pools: Sequence[PoolStart], control_plane: int, reimage: int) -> Bound:
    best = Bound(control_plane / HOUR, control_plane / HOUR, control_plane / HOUR, "")
    for start in pools:
        hours = pool_bound(start.releases, start.budget, control_plane, reimage) / HOUR
        longest = (max([control_plane, *start.releases]) + reimage) / HOUR
        budget = (control_plane + math.ceil(len(start.releases) / start.budget) * reimage) / HOUR
        if hours > best.hours:
            best = Bound(hours, max(longest, best.longest_job_hours), max(budget, best.budget_hours), start.pool)
        else:
            best = Bound(best.hours, max(longest, best.longest_job_hours), max(budget, best.budget_hours), best.pool)
    return best


@dataclass
class Violations:
    """DESIGN.md invariants broken by a strategy's own actions (fleetc: all zero)."""

    busy_disrupted: int = 0  # a busy node cordoned, drained or reimaged (invariant 1)
    over_budget: int = 0  # an action made a node unavailable while leaving its pool above maxUnavailable (2)
    node_step_before_control_plane: int = 0  # cordon/reimage/mark-pending before the control plane is done (3)
    control_plane_skip: int = 0  # a control-plane step of more than one minor, or a downgrade (4)
    control_plane_not_ready: int = 0  # a control-plane step while it was still rolling (4)
    kubelet_skew: int = 0  # a reimage to a kubelet newer than the apiserver (4)
    reimage_not_cordoned: int = 0  # a reimage of a node still schedulable
    unknown_target: int = 0  # a step naming a node the cluster does not have

    def total(self) -> int:
        return sum(self.as_dict().values())

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Sample:
    """A pool's state at one instant: nodes at target and nodes per state (cluster.STATES)."""

    time: int
    pool: str
    at_target: int
    states: tuple[int, ...]


@dataclass
class PoolResult:
    nodes: int
    gpus_per_node: int
    max_unavailable: int
    max_unavailable_seen: int
    exceeded_by_action: int
    exceeded_by_failure: int
    done: int | None  # when its last node reached the target image


@dataclass(frozen=True)
class Tail:
    """What set the makespan: the last node reimaged, and the last job it ran before."""

    node: str
    reimaged: int | None  # None: not reimaged by the end of the run
    job_started: int | None
    job_finish: int | None
    job_size: int | None
    job_how: str | None  # "running at start", "unmarked idle node", "pending node (...)"

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "reimaged_hours": _hours(self.reimaged),
            "last_job_started_hours": _hours(self.job_started),
            "last_job_finished_hours": _hours(self.job_finish),
            "last_job_nodes": self.job_size,
            "last_job_placed_on": self.job_how,
        }


@dataclass
class RunResult:
    strategy: str
    horizon: int
    end: int  # when the run stopped: rollout complete, or the horizon
    makespan: int | None  # every node at the target image (and the control plane at its target)
    settled: int | None  # ... and every node's rollout marks cleared (uncordoned, untainted)
    nodes_at_target: int
    nodes: int
    jobs_interrupted: int
    jobs_interrupted_distinct: int
    jobs_failed: int
    jobs_completed: int
    jobs_started: int
    jobs_on_outdated: int
    jobs_on_pending: int
    checkpoint_requests: int
    jobs_checkpointed: int
    wait_seconds: int
    lost_gpu_hours: float  # redone after the strategy's evictions
    lost_gpu_hours_failures: float  # redone after hardware failures
    idle_cordoned_gpu_hours: float
    busy_gpu_hours: float
    capacity_gpu_hours: float
    violations: Violations
    pools: dict[str, PoolResult]
    samples: list[Sample]
    tail: Tail | None
    runtime_seconds: float
    plan_calls: int = 0
    plan_calls_skipped: int = 0
    plan_seconds: float = 0.0
    blocked_hours: dict[str, float] = field(default_factory=dict)  # cluster-hours per Blocked reason
    steps: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.makespan is not None

    @property
    def makespan_hours(self) -> float | None:
        return None if self.makespan is None else self.makespan / HOUR

    @property
    def max_unavailable_exceeded(self) -> int:
        return sum(p.exceeded_by_action for p in self.pools.values())

    @property
    def max_unavailable_seen(self) -> int:
        return max((p.max_unavailable_seen for p in self.pools.values()), default=0)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "finished": self.finished,
            "makespan_hours": _hours(self.makespan),
        }
        if not self.finished:
            out["makespan_at_least_hours"] = _hours(self.horizon)
            out["nodes_at_target"] = self.nodes_at_target
        out.update(
            {
                "settled_hours": _hours(self.settled),
                "nodes": self.nodes,
                "jobs_interrupted": self.jobs_interrupted,
                "jobs_interrupted_distinct": self.jobs_interrupted_distinct,
                "jobs_failed_by_hardware": self.jobs_failed,
                "gpu_hours_lost": round(self.lost_gpu_hours, 1),
                "gpu_hours_lost_to_failures": round(self.lost_gpu_hours_failures, 1),
                "checkpoint_requests": self.checkpoint_requests,
                "jobs_checkpointed_on_request": self.jobs_checkpointed,
                "max_unavailable_exceeded": self.max_unavailable_exceeded,
                "over_budget_from_failures": sum(p.exceeded_by_failure for p in self.pools.values()),
                "max_unavailable_seen": self.max_unavailable_seen,
                "idle_cordoned_gpu_hours": round(self.idle_cordoned_gpu_hours, 1),
                "mean_queue_wait_hours": round(self.wait_seconds / HOUR / self.jobs_started, 3)
                if self.jobs_started
                else 0.0,
                "utilisation": round(self.busy_gpu_hours / self.capacity_gpu_hours, 4)
                if self.capacity_gpu_hours
                else 0.0,
                "jobs_started": self.jobs_started,
                "jobs_started_on_outdated_nodes": self.jobs_on_outdated,
                "jobs_started_on_pending_nodes": self.jobs_on_pending,
                "jobs_completed": self.jobs_completed,
                "invariant_violations": self.violations.as_dict(),
                "pools": {
                    name: {
                        "nodes": p.nodes,
                        "max_unavailable": p.max_unavailable,
                        "max_unavailable_seen": p.max_unavailable_seen,
                        "max_unavailable_exceeded": p.exceeded_by_action,
                        "over_budget_from_failures": p.exceeded_by_failure,
                        "makespan_hours": _hours(p.done),
                    }
                    for name, p in sorted(self.pools.items())
                },
                "simulated_hours": _hours(self.end),
            }
        )
        if self.tail is not None:
            out["tail"] = self.tail.to_json()
        if self.plan_calls or self.plan_calls_skipped:
            out["plan_calls"] = self.plan_calls
            out["plan_calls_skipped"] = self.plan_calls_skipped
            out["blocked_cluster_hours"] = {k: round(v, 2) for k, v in sorted(self.blocked_hours.items())}
            out["steps"] = dict(sorted(self.steps.items()))
        return out

    def timing_json(self) -> dict[str, float]:
        """Wall-clock figures of this machine: kept apart so results compare exactly across runs."""
        out = {"runtime_seconds": round(self.runtime_seconds, 2)}
        if self.plan_calls:
            out["plan_seconds"] = round(self.plan_seconds, 2)
        return out


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / HOUR, 3)
