"""The rollout state of a plan as plain numbers: for Prometheus and for the Pulumi stack outputs.

One home for "what a dashboard counts", so the metrics ``fleetc plan
--format prometheus`` prints and the outputs ``pulumi up`` exports (per
cluster phase, per pool node counts, blocked counts by reason) can never
disagree. Every cluster gets every phase, action and reason, zeros
included: a series that disappears when its count drops to zero reads as
"no data", not as "nothing blocked".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fleetc.plan.model import Plan
from fleetc.report.plan_view import ACTION_ORDER, PHASE_ORDER, REASON_ORDER, ClusterView, cluster_views

# PoolStatus counts by the name they carry as the ``state`` label and the stack output key.
POOL_STATES = ("total", "at_target", "unavailable", "busy", "waiting")


@dataclass(frozen=True)
class PoolState:
    """One pool: node counts by state, and its budget."""

    pool: str
    nodes: dict[str, int]  # POOL_STATES -> count; waiting: busy nodes that hold up the rollout
    max_unavailable: int
    pending_since: datetime | None = None  # the earliest pending-since of its nodes still to do


@dataclass(frozen=True)
class ClusterState:
    cluster: str
    phase: str
    live_version: str | None
    target: str | None
    node_image: str | None
    steps: dict[str, int]  # every action, zeros included
    blocked: dict[str, int]  # every reason, zeros included
    pools: tuple[PoolState, ...]


def rollout_state(plan: Plan) -> list[ClusterState]:
    """Every cluster of the plan, sorted by id."""
    return [_cluster_state(view) for view in cluster_views(plan)]


def _cluster_state(view: ClusterView) -> ClusterState:
    steps = {str(action): 0 for action in ACTION_ORDER}
    for step in view.steps:
        steps[str(step.action)] = steps.get(str(step.action), 0) + 1
    blocked = {str(reason): 0 for reason in REASON_ORDER}
    for entry in view.blocked:
        blocked[str(entry.reason)] = blocked.get(str(entry.reason), 0) + 1
    pools = tuple(
        PoolState(
            pool=pool.name,
            nodes={
                "total": pool.total,
                "at_target": pool.at_target,
                "unavailable": pool.unavailable,
                "busy": pool.busy,
                "waiting": view.busy_waiting(pool.name),
            },
            max_unavailable=pool.max_unavailable,
            pending_since=pool.pending_since,
        )
        for pool in view.pools
    )
    return ClusterState(
        cluster=view.cluster,
        phase=view.phase,
        live_version=str(view.live_version) if view.live_version else None,
        target=str(view.target) if view.target else None,
        node_image=view.node_image,
        steps=steps,
        blocked=blocked,
        pools=pools,
    )


def known_phases(states: list[ClusterState]) -> list[str]:
    """Every phase a cluster can be in, then any other a newer planner reports."""
    extra = sorted({state.phase for state in states} - set(PHASE_ORDER))
    return [*PHASE_ORDER, *extra]


def stack_outputs(plan: Plan) -> dict[str, dict[str, dict[str, object]]]:
    """The Pulumi stack outputs beside ``clusters`` (phase) and ``steps``: ``pools`` and ``blocked``.

    ``pools``: cluster -> pool -> node counts by state plus ``max_unavailable``;
    ``blocked``: cluster -> reason -> count (non-zero reasons only: a stack
    output is read by a person or a script, not graphed).
    """
    states = rollout_state(plan)
    return {
        "pools": {
            s.cluster: {p.pool: {**p.nodes, "max_unavailable": p.max_unavailable} for p in s.pools} for s in states
        },
        "blocked": {s.cluster: {reason: n for reason, n in s.blocked.items() if n} for s in states},
    }
