"""``plan()``: the next safe step of every rollout, as a pure function.

Inputs are the fleet, the live facts, the approvals that count and the
clock; nothing is read from anywhere else, so every decision can be tested
from plain data and the same inputs always give the same Plan (everything is
sorted; node order in the facts does not matter). The work is linear in the
number of nodes. The rules, per cluster (targets K, etcd, I from
``spec.targets``; docs/planner.md has the full list):

1. *New* (no control plane in the management cluster, nothing unreadable):
   phase ``new``, the compiler creates it at K; creating is not upgrading.
2. *Unknown* (problems, control plane or its versions unreadable, nodes
   unreadable): one ``unknown-state``; phase ``unknown``,
   ``control_plane_version`` None so the compiler leaves the live control
   plane as it is; no step at all (fail closed).
3. *Gates* (``gates.py``) when anything needs upgrading: freeze/paused,
   approval, window. A closed gate withholds every new step; ``uncordon``
   still goes.
4. *Control plane first* (``control_plane.py``): one minor per step, etcd
   with it, only from a fully rolled-out control plane, kubelet skew checked.
5. *Nodes* (``waves.py``) only once the control plane is at K, etcd at its
   target and ready; until then one ``control-plane-not-ready`` per cluster
   says the nodes wait. Nodes labelled with a pool the spec does not have
   are not fleetc's: ignored (but their kubelets still count for skew). A
   node with no pool label at all could belong to any pool: until it is
   labelled, no pool of its cluster takes new nodes (fail closed).

Phases: ``up-to-date`` (nothing to do, nothing blocked), ``blocked`` (no
step other than uncordon, and something a person or the clock must clear:
a gate, ``halted`` or ``unknown-state``), else ``control-plane`` while the
control plane is not at its target, else ``nodes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fleetc.live.facts import ClusterLive, ControlPlaneFacts, LiveState, NodeFacts
from fleetc.plan.control_plane import decide, fleet_versions
from fleetc.plan.gates import ClusterRef, gate_blocks, index_approvals
from fleetc.plan.model import Action, Blocked, ClusterPlan, Plan, PoolStatus, Reason, Step
from fleetc.plan.waves import PoolContext, PoolWave, plan_pool
from fleetc.plan.windows import as_aware
from fleetc.plan.wording import plural, shorten, waiting
from fleetc.spec.fleet import FleetSpec, Targets
from fleetc.spec.models import ApprovalDoc, NodePool
from fleetc.versions import Version

ACTION_ORDER = {
    Action.UPGRADE_CONTROL_PLANE: 0,
    Action.MARK_PENDING: 1,
    Action.CORDON: 2,
    Action.REIMAGE: 3,
    Action.UNCORDON: 4,
}

# Reasons that need a person or the clock, not just time for work to finish.
HARD_REASONS = frozenset(
    {Reason.APPROVAL_REQUIRED, Reason.OUTSIDE_WINDOW, Reason.PAUSED, Reason.HALTED, Reason.UNKNOWN_STATE}
)


def step_key(step: Step) -> tuple[str, int, str, str]:
    return (step.cluster, ACTION_ORDER[step.action], step.pool or "", step.target)


def blocked_key(blocked: Blocked) -> tuple[str, str, str, str]:
    return (blocked.cluster, str(blocked.reason), blocked.pool or "", blocked.detail)


@dataclass
class ClusterResult:
    plan: ClusterPlan
    steps: list[Step] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)


@dataclass(frozen=True)
class Inputs:
    """Per-plan context shared by every cluster (computed once)."""

    spec: FleetSpec
    approvals: dict[str, list[ApprovalDoc]]
    now: datetime
    known_versions: list[Version]


def plan(
    spec: FleetSpec,
    live: LiveState,
    approvals: Sequence[ApprovalDoc],
    now: datetime,
    region: str | None = None,
) -> Plan:
    """The next safe step of every cluster's rollout (one region if given).

    ``approvals`` are the approvals that count as committed (see
    ``approvals.counted_approvals``); ``now`` is the clock (naive: UTC).
    """
    inputs = Inputs(spec, index_approvals(approvals), as_aware(now), fleet_versions(spec))
    steps: list[Step] = []
    blocked: list[Blocked] = []
    clusters: dict[str, ClusterPlan] = {}
    for region_name, cluster in spec.clusters(region):
        ref = ClusterRef(region_name, cluster)
        result = plan_cluster(inputs, ref, live.region(region_name).cluster(cluster.name))
        steps.extend(result.steps)
        blocked.extend(result.blocked)
        clusters[ref.id] = result.plan
    return Plan(
        steps=tuple(sorted(steps, key=step_key)),
        blocked=tuple(sorted(blocked, key=blocked_key)),
        clusters=dict(sorted(clusters.items())),
    )


def unknown_reasons(live: ClusterLive) -> list[str]:
    """Why a cluster's state cannot be trusted; empty: it can."""
    reasons = list(live.problems)
    cp = live.control_plane
    if cp is None:
        reasons.append("control plane not readable")
    else:
        reasons.extend(cp.problems)
        if cp.apiserver_version is None:
            reasons.append("kube-apiserver version unknown")
        if cp.etcd_version is None:
            reasons.append("etcd version unknown")
    if live.nodes is None:
        reasons.append("nodes not readable")
    return sorted(set(reasons), key=reasons.index)


def plan_cluster(inputs: Inputs, ref: ClusterRef, live: ClusterLive) -> ClusterResult:
    cluster = ref.cluster
    targets = inputs.spec.targets(cluster)
    if not live.exists and not live.problems:
        return ClusterResult(
            ClusterPlan(ref.id, "new", targets.kubernetes, targets.node_image, targets.kubernetes, targets.etcd)
        )
    reasons = unknown_reasons(live)
    cp = live.control_plane
    live_version = cp.apiserver_version if cp is not None else None
    if reasons or cp is None or live.nodes is None:
        detail = f"live state unknown: {'; '.join(reasons)}; nothing in this cluster changes until it can be read"
        pools = _pool_statuses(inputs, ref, targets, live.nodes) if live.nodes is not None else ()
        return ClusterResult(
            ClusterPlan(ref.id, "unknown", targets.kubernetes, targets.node_image, None, None, live_version, pools),
            blocked=[Blocked(ref.id, Reason.UNKNOWN_STATE, detail)],
        )
    return _plan_known(inputs, ref, targets, cp, live.nodes)


def _plan_known(
    inputs: Inputs, ref: ClusterRef, targets: Targets, cp: ControlPlaneFacts, nodes: Sequence[NodeFacts]
) -> ClusterResult:
    assert cp.apiserver_version is not None and cp.etcd_version is not None  # unknown_reasons checked
    apiserver, etcd = cp.apiserver_version, cp.etcd_version
    pools = {pool.name: pool for pool in ref.cluster.node_pools}
    members, unlabelled = _group_by_pool(pools, nodes)
    behind = sum(1 for group in members.values() for n in group if n.image != targets.node_image)
    cp_work = apiserver != targets.kubernetes or etcd != targets.etcd
    needs_upgrade = cp_work or behind > 0
    approvals = inputs.approvals.get(ref.id, [])
    gates = gate_blocks(inputs.spec, ref, targets, approvals, inputs.now) if needs_upgrade else []
    decision = decide(ref.id, cp, apiserver, etcd, nodes, targets, inputs.known_versions, allow_new=not gates)
    result = ClusterResult(
        ClusterPlan(ref.id, "", targets.kubernetes, targets.node_image, decision.version, decision.etcd, apiserver)
    )
    result.blocked.extend(gates)
    result.blocked.extend(decision.blocked)
    if decision.step is not None:
        result.steps.append(decision.step)
    if unlabelled and behind:
        result.blocked.append(
            Blocked(
                ref.id,
                Reason.UNKNOWN_STATE,
                f"{plural(len(unlabelled), 'node')} without a pool label: {shorten(sorted(unlabelled))}; "
                "they could belong to any pool, so no pool takes new nodes until they are labelled",
                nodes=tuple(sorted(unlabelled)),
            )
        )
    ctx = PoolContext(
        cluster_id=ref.id,
        image=targets.node_image,
        now=inputs.now,
        timeout=timedelta(minutes=ref.cluster.upgrade.node_timeout_minutes),
        may_start=not gates and decision.at_target and not unlabelled,
    )
    waves = [plan_pool(pools[name], members[name], ctx) for name in sorted(pools)]
    for wave in waves:
        result.steps.extend(wave.steps)
        result.blocked.extend(wave.blocked)
    nodes_wait = _cp_waiting(decision.waiting, decision.at_target, bool(gates or decision.blocked), behind, targets)
    if nodes_wait is not None and (cp_work or behind):
        result.blocked.append(Blocked(ref.id, Reason.CONTROL_PLANE_NOT_READY, nodes_wait))
    result.plan = _finish(result, waves, work=cp_work or behind > 0, cp_work=cp_work or not decision.at_target)
    return result


def _cp_waiting(rolling: str | None, at_target: bool, stopped: bool, behind: int, targets: Targets) -> str | None:
    """The one ``control-plane-not-ready`` of a cluster, if it has one."""
    nodes_wait = (
        f"{waiting(behind, 'node')} for the control plane to be at {targets.kubernetes} (etcd {targets.etcd}) and ready"
        if behind and not at_target
        else ""
    )
    if rolling is not None:
        return f"{rolling}; {nodes_wait}" if nodes_wait else rolling
    if nodes_wait and not stopped:
        return nodes_wait
    return None


def _finish(result: ClusterResult, waves: list[PoolWave], work: bool, cp_work: bool) -> ClusterPlan:
    base = result.plan
    disruptive = any(s.action is not Action.UNCORDON for s in result.steps)
    if not work and not result.steps and not result.blocked:
        phase = "up-to-date"
    elif not disruptive and any(b.reason in HARD_REASONS for b in result.blocked):
        phase = "blocked"
    elif cp_work:
        phase = "control-plane"
    else:
        phase = "nodes"
    return ClusterPlan(
        base.cluster,
        phase,
        base.target,
        base.node_image,
        base.control_plane_version,
        base.etcd_version,
        base.live_version,
        tuple(wave.status for wave in waves),
    )


def _pool_statuses(
    inputs: Inputs, ref: ClusterRef, targets: Targets, nodes: Sequence[NodeFacts]
) -> tuple[PoolStatus, ...]:
    """Pool progress for reports of an unknown cluster (no decisions)."""
    ctx = PoolContext(ref.id, targets.node_image, inputs.now, timedelta(0), may_start=False)
    pools = {pool.name: pool for pool in ref.cluster.node_pools}
    members, _ = _group_by_pool(pools, nodes)
    return tuple(plan_pool(pools[name], members[name], ctx).status for name in sorted(pools))


def _group_by_pool(
    pools: Mapping[str, NodePool], nodes: Sequence[NodeFacts]
) -> tuple[dict[str, list[NodeFacts]], list[str]]:
    """Nodes of each spec pool, and the names of nodes with no pool label.

    Nodes labelled with a pool the spec does not have are not fleetc's: left out.
    """
    members: dict[str, list[NodeFacts]] = {name: [] for name in pools}
    unlabelled: list[str] = []
    for node in nodes:
        if node.pool is None:
            unlabelled.append(node.name)
        elif node.pool in members:
            members[node.pool].append(node)
    return members, unlabelled
