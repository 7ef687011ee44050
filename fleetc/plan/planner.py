"""``plan()``: the next safe step of every rollout, as a pure function.

Inputs are the fleet, the live facts, the approvals that count (with the
approval policy read at their revision) and the clock; nothing is read from
anywhere else, so every decision can be tested from plain data and the same
inputs always give the same Plan (everything is sorted; node order in the
facts does not matter). The work is linear in the number of nodes. The
rules, per cluster (targets K, etcd, I from ``spec.targets``;
docs/planner.md has the full list):

1. *New* (no control plane in the management cluster, nothing unreadable):
   phase ``new``, the compiler creates it at K; creating is not upgrading.
2. *Unknown* (problems, control plane or its versions unreadable, nodes
   unreadable, or no node listed although the spec has some): one
   ``unknown-state``; phase ``unknown``, ``control_plane_version`` None so
   the compiler leaves the live control plane as it is; no step at all
   (fail closed).
3. *Path* (``path.py``): the whole climb is planned first; a climb that
   cannot be finished (no node image for a minor the kubelets must pass
   through) is refused before it starts (``halted``).
4. *Gates* (``gates.py``) when anything needs upgrading: freeze/paused,
   approval, window. A closed gate withholds every new step; ``uncordon``
   still goes.
5. *Control plane first* (``control_plane.py``): one minor per step, etcd
   with it, only from a fully rolled-out control plane, kubelet skew checked.
6. *Nodes* (``waves.py``) only once the control plane is at the stage's
   version (in the final stage: K, etcd at its target) and ready; until then
   one ``control-plane-not-ready`` per cluster says the nodes wait. Nodes
   labelled with a pool the spec does not have are not fleetc's: ignored
   (but their kubelets still count for skew). A node with no pool label at
   all could belong to any pool: until it is labelled, no pool of its cluster
   takes new nodes (fail closed).

Phases (:class:`Phase`): ``up-to-date`` (nothing to do, nothing blocked),
``blocked`` (no step other than uncordon, and something a person or the
clock must clear: a gate, ``halted`` or ``unknown-state``), else
``control-plane`` while the control plane is not at its stage, else
``nodes``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from fleetc.live.facts import AppliedRecord, ClusterLive, ControlPlaneFacts, LiveState, NodeFacts
from fleetc.plan.changes import Openings, Pending, complete_revision, decide_changes, pending_changes, rolled_out_now
from fleetc.plan.control_plane import KnownVersions, decide, downgrade_block, fleet_versions, migration_block
from fleetc.plan.fleet_waves import WaveBook, WaveFacts, WaveOrder, WaveWait, wave_block, wave_facts, wave_order
from fleetc.plan.gates import (
    ClusterRef,
    addon_approval_block,
    common_gates,
    gate_blocks,
    index_approvals,
)
from fleetc.plan.model import (
    Action,
    Blocked,
    ClusterPlan,
    Phase,
    Plan,
    PoolStatus,
    Reason,
    RevisionPlan,
    Step,
    blocked_key,
    step_key,
)
from fleetc.plan.path import Refusal, Stage, plan_path
from fleetc.plan.revision import (
    CONTROL_PLANE,
    KUBERNETES,
    NODE_IMAGE,
    Revision,
    addon_field,
    describe_field,
    desired_revision,
    field_value,
)
from fleetc.plan.waves import PoolContext, PoolWave, plan_pool
from fleetc.plan.windows import as_aware
from fleetc.plan.wording import plural, shorten, waiting
from fleetc.spec.fleet import ApprovalPolicy, FleetSpec, Targets
from fleetc.spec.models import ApprovalDoc, NodePool
from fleetc.versions import Version

# The gates every change of revision passes (``gates.common_gates``); approval is per kind of change.
COMMON_GATES = frozenset({Reason.PAUSED, Reason.EXCLUDED, Reason.OUTSIDE_WINDOW})


@dataclass
class ClusterResult:
    plan: ClusterPlan
    steps: list[Step] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    pending: dict[str, str] = field(default_factory=dict)  # wave fields this cluster changes -> desired value


def _wave_facts(cid: str, result: ClusterResult | None, live: LiveState) -> WaveFacts:
    """What later waves see of ``cid``: from its own plan when its region was read, else from a peer report."""
    if result is None:
        peer = live.peers.get(cid)
        if peer is None:
            return WaveFacts(None, None, "its region's live state was not read")
        why = "" if peer.healthy else ("unhealthy" if peer.healthy is False else "health unknown")
        return WaveFacts(peer.rolled_out, peer.healthy, why)
    return wave_facts(result.plan, result.blocked)


def _with_waiting(plan: ClusterPlan, waits: Sequence[WaveWait]) -> ClusterPlan:
    revision = plan.revision
    if revision is None:
        return plan
    what = tuple(describe_field(w.field, w.value) for w in waits)
    return replace(plan, revision=replace(revision, waiting_for=what))


@dataclass(frozen=True)
class Inputs:
    """Per-plan context shared by every cluster (computed once)."""

    spec: FleetSpec
    approvals: dict[str, list[ApprovalDoc]]
    policy: ApprovalPolicy
    now: datetime
    known: KnownVersions
    waves: WaveOrder | None = None
    revisions: dict[str, Revision] = field(default_factory=dict)  # desired revisions, by cluster id (memo)

    def desired(self, cid: str) -> Revision:
        found = self.revisions.get(cid)
        if found is None:
            cluster = self.spec.cluster(cid)
            assert cluster is not None, cid
            found = self.revisions[cid] = desired_revision(self.spec, cluster)
        return found

    def wave(self, cid: str) -> str | None:
        return self.waves.wave_of(cid) if self.waves is not None else None


def plan(
    spec: FleetSpec,
    live: LiveState,
    approvals: Sequence[ApprovalDoc],
    now: datetime,
    region: str | None = None,
    policy: ApprovalPolicy | None = None,
) -> Plan:
    """The next safe step of every cluster's rollout (one region if given).

    ``approvals`` are the approvals that count as committed, and ``policy``
    who may approve and which clusters need approval, read at the same
    revision (``fleetc.plan.approvals.counted_approvals``); without a policy
    the fleet's own is used. ``now`` is the clock (naive: UTC).
    """
    inputs = Inputs(
        spec,
        index_approvals(approvals),
        policy or ApprovalPolicy.of(spec),
        as_aware(now),
        fleet_versions(spec),
        wave_order(spec),
    )
    steps: list[Step] = []
    blocked: list[Blocked] = []
    clusters: dict[str, ClusterPlan] = {}
    first: dict[str, ClusterResult] = {}  # every cluster planned as if no wave held it (the waves' facts)

    def planned(cid: str) -> ClusterResult | None:
        if cid not in first:
            region_name, _, name = cid.partition("/")
            cluster = spec.cluster(cid)
            if cluster is None or region_name not in live.regions:
                return None
            first[cid] = plan_cluster(inputs, ClusterRef(region_name, cluster), live.region(region_name).cluster(name))
        return first[cid]

    book = (
        WaveBook(inputs.waves, inputs.desired, lambda cid: _wave_facts(cid, planned(cid), live), inputs.now)
        if inputs.waves is not None
        else None
    )
    for region_name, cluster in spec.clusters(region):
        ref = ClusterRef(region_name, cluster)
        cluster_live = live.region(region_name).cluster(cluster.name)
        result = planned(ref.id) or plan_cluster(inputs, ref, cluster_live)
        if book is not None and result.pending:
            waits = book.holds(ref.id, result.pending)
            if waits:
                assert inputs.waves is not None
                soaks = dict(zip(inputs.waves.names, inputs.waves.soaks, strict=True))
                result = plan_cluster(inputs, ref, cluster_live, held=frozenset(w.field for w in waits))
                result.blocked.append(wave_block(ref.id, waits, soaks))
                result.plan = _with_waiting(result.plan, waits)
                if not any(s.action.disrupts for s in result.steps):
                    result.plan = replace(result.plan, phase=Phase.BLOCKED)  # waits for other clusters and a clock
        steps.extend(result.steps)
        blocked.extend(result.blocked)
        clusters[ref.id] = result.plan
    return Plan(
        steps=tuple(sorted(steps, key=step_key)),
        blocked=tuple(sorted(blocked, key=blocked_key)),
        clusters=dict(sorted(clusters.items())),
    )


def unknown_reasons(live: ClusterLive, spec_nodes: int) -> list[str]:
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
    elif not live.nodes and spec_nodes:
        reasons.append(
            f"no node is listed although the spec counts {spec_nodes}: an empty List says nothing "
            "(not even the kubelet versions the control plane's skew check needs)"
        )
    return sorted(set(reasons), key=reasons.index)


def plan_cluster(
    inputs: Inputs, ref: ClusterRef, live: ClusterLive, held: frozenset[str] = frozenset()
) -> ClusterResult:
    """One cluster's plan; ``held`` names the wave fields an earlier wave holds back (``fleet_waves.py``)."""
    cluster = ref.cluster
    targets = inputs.spec.targets(cluster)
    if not live.exists and not live.problems:
        revision = RevisionPlan(None, False, None, True, None, inputs.wave(ref.id))
        return ClusterResult(
            ClusterPlan(
                ref.id,
                Phase.NEW,
                targets.kubernetes,
                targets.node_image,
                targets.kubernetes,
                targets.etcd,
                revision=revision if inputs.waves is not None else None,
            )
        )
    reasons = unknown_reasons(live, sum(pool.count for pool in cluster.node_pools))
    cp = live.control_plane
    live_version = cp.apiserver_version if cp is not None else None
    if reasons or cp is None or live.nodes is None:
        detail = f"live state unknown: {'; '.join(reasons)}; nothing in this cluster changes until it can be read"
        pools = _pool_statuses(inputs, ref, targets, live.nodes) if live.nodes is not None else ()
        earlier = cp is not None and cp.earlier_form
        unknown = RevisionPlan(None, False, None, False, None, inputs.wave(ref.id))
        return ClusterResult(
            ClusterPlan(
                ref.id,
                Phase.UNKNOWN,
                targets.kubernetes,
                targets.node_image,
                None,
                None,
                live_version,
                pools,
                revision=unknown,
                earlier_form=earlier,
            ),
            blocked=[Blocked(ref.id, Reason.UNKNOWN_STATE, detail)],
        )
    result = _plan_known(inputs, ref, targets, cp, live.nodes, live.record, held)
    if cp.earlier_form:
        result.plan = dataclasses.replace(result.plan, earlier_form=True)
    return result


def _plan_known(
    inputs: Inputs,
    ref: ClusterRef,
    targets: Targets,
    cp: ControlPlaneFacts,
    nodes: Sequence[NodeFacts],
    record: AppliedRecord | None,
    held: frozenset[str],
) -> ClusterResult:
    """A readable cluster: versions and nodes first (as before), then add-ons and settings (``changes.py``)."""
    revision = inputs.desired(ref.id)
    pending = pending_changes(revision, record)
    result = _plan_versions(inputs, ref, targets, cp, nodes, pending, held)
    approvals = inputs.approvals.get(ref.id, [])
    if pending.any and not result.pending:  # no version work: its gates were not asked yet
        result.blocked.extend(common_gates(inputs.spec, ref, inputs.now))
    common = [b for b in result.blocked if b.reason in COMMON_GATES]
    if common and pending.any:  # say what the closed gates hold besides the versions: the add-ons, by name
        held_text = _held_text(pending)
        result.blocked = [
            replace(b, detail=f"{b.detail}; held: {held_text}") if b.reason in COMMON_GATES else b
            for b in result.blocked
        ]
    disruptive = {name: addon.version for name, addon in pending.addons.items() if addon.disruptive}
    addon_gate, approved = addon_approval_block(inputs.spec, inputs.policy, ref, disruptive, approvals, inputs.now)
    upgrading = any(s.action is Action.UPGRADE_CONTROL_PLANE for s in result.steps)
    pools = frozenset(pool.name for pool in ref.cluster.node_pools)
    tracked = record if record is not None else AppliedRecord()
    reached = complete_revision(cp, nodes, pools, tracked, inputs.now)
    decision = decide_changes(
        ref.id,
        revision,
        tracked,
        pending,
        Openings(not common, approved, held, cp.ready is True and not upgrading),
        rolled_out_now(tracked.rolled_out, reached),
        inputs.wave(ref.id),
    )
    if addon_gate is not None:
        result.blocked.append(addon_gate)
    result.steps.extend(decision.steps)
    result.blocked.extend(decision.blocked)
    result.pending.update(_wave_fields(revision, pending, result.pending))
    result.plan = replace(result.plan, revision=decision.revision, phase=_phase(result, pending))
    return result


def _held_text(pending: Pending) -> str:
    what = [f"{name} {addon.version}" for name, addon in sorted(pending.addons.items())]
    return ", ".join([*what, *(["the control-plane settings"] if pending.config else [])])


def _wave_fields(revision: Revision, pending: Pending, versions: Mapping[str, str]) -> dict[str, str]:
    fields = dict(versions)
    for name in pending.addons:
        value = field_value(revision, addon_field(name))
        if value is not None:
            fields[addon_field(name)] = value
    if pending.config:
        fields[CONTROL_PLANE] = revision.control_plane
    return fields


def _phase(result: ClusterResult, pending: Pending) -> Phase:
    """Add-on and settings changes fold into the phase the version rollout gave (``config`` when only they remain)."""
    phase = result.plan.phase
    if phase is not Phase.UP_TO_DATE:
        if phase is Phase.BLOCKED and any(s.action.disrupts for s in result.steps):
            return Phase.CONFIG
        return phase
    if any(s.action.disrupts for s in result.steps):
        return Phase.CONFIG
    if any(b.reason.needs_person for b in result.blocked):
        return Phase.BLOCKED
    if pending.any or result.blocked:
        return Phase.CONFIG
    return Phase.UP_TO_DATE


def _plan_versions(
    inputs: Inputs,
    ref: ClusterRef,
    targets: Targets,
    cp: ControlPlaneFacts,
    nodes: Sequence[NodeFacts],
    pending: Pending,
    held: frozenset[str],
) -> ClusterResult:
    """Kubernetes, etcd and the node image: the control plane first, then the nodes (docs/planner.md)."""
    assert cp.apiserver_version is not None and cp.etcd_version is not None  # unknown_reasons checked
    apiserver, etcd = cp.apiserver_version, cp.etcd_version
    pools = {pool.name: pool for pool in ref.cluster.node_pools}
    members, unlabelled, outsiders, behind, movable = _group_by_pool(pools, nodes, targets.node_image)
    cp_work = apiserver != targets.kubernetes or etcd != targets.etcd
    result = ClusterResult(
        ClusterPlan(ref.id, Phase.BLOCKED, targets.kubernetes, targets.node_image, apiserver, etcd, apiserver)
    )
    if cp_work:
        result.pending[KUBERNETES] = f"{targets.kubernetes}/{targets.etcd}"
    if behind:
        result.pending[NODE_IMAGE] = targets.node_image
    stop = downgrade_block(ref.id, apiserver, etcd, targets) or migration_block(ref.id, cp, cp_work)
    path = _path(inputs, ref, targets, apiserver, movable, outsiders) if stop is None else None
    if isinstance(path, Refusal):
        stop = Blocked(
            ref.id, Reason.HALTED, f"{path.detail}; nothing of this upgrade starts until then", nodes=path.nodes
        )
    stage = path[0] if isinstance(path, list) else Stage(targets.kubernetes, targets.node_image, final=True)
    needs_upgrade = cp_work or behind > 0
    approvals = inputs.approvals.get(ref.id, [])
    gates = gate_blocks(inputs.spec, inputs.policy, ref, targets, approvals, inputs.now) if needs_upgrade else []
    result.blocked.extend(gates)
    if needs_upgrade and held & {KUBERNETES, NODE_IMAGE}:
        gates = [*gates, Blocked(ref.id, Reason.WAITING_FOR_WAVE, "held by an earlier wave")]  # reported by plan()
    if stop is not None:
        result.blocked.append(stop)
        waves = [
            plan_pool(pools[name], members[name], _pool_context(inputs, ref, stage, False)) for name in sorted(pools)
        ]
        _collect(result, waves)
        result.plan = _finish(result, waves, stage, work=needs_upgrade, cp_work=True)
        return result
    unlisted = sorted(name for name, pool in pools.items() if pool.count > 0 and not members[name])
    decision = decide(
        ref.id,
        cp,
        apiserver,
        etcd,
        nodes,
        targets,
        stage.kubernetes,
        stage.final,
        inputs.known,
        allow_new=not gates,
        unlisted_pools=unlisted,
    )
    result.plan = ClusterPlan(
        ref.id,
        Phase.BLOCKED,
        targets.kubernetes,
        targets.node_image,
        decision.version,
        decision.etcd,
        apiserver,
        stage_kubernetes=stage.kubernetes,
        stage_image=stage.node_image,
    )
    result.blocked.extend(decision.blocked)
    if decision.step is not None:
        result.steps.append(decision.step)
    stage_behind = (
        behind
        if stage.node_image == targets.node_image
        else sum(1 for group in members.values() for n in group if n.image != stage.node_image)
    )
    if unlabelled and stage_behind:
        result.blocked.append(
            Blocked(
                ref.id,
                Reason.UNKNOWN_STATE,
                f"{plural(len(unlabelled), 'node')} without a pool label: {shorten(sorted(unlabelled))}; "
                "they could belong to any pool, so no pool takes new nodes until they are labelled",
                nodes=tuple(sorted(unlabelled)),
            )
        )
    if not stage.final and decision.at_stage and stage_behind == 0:
        result.blocked.append(_stage_mismatch(ref, stage, members))
    may_start = not gates and decision.at_stage and not unlabelled
    waves = [
        plan_pool(pools[name], members[name], _pool_context(inputs, ref, stage, may_start)) for name in sorted(pools)
    ]
    _collect(result, waves)
    stopped = bool(gates or decision.blocked)
    nodes_wait = _cp_waiting(decision.waiting, decision.at_stage, stopped, stage_behind, stage, targets)
    if nodes_wait is not None and needs_upgrade:
        result.blocked.append(Blocked(ref.id, Reason.CONTROL_PLANE_NOT_READY, nodes_wait))
    result.plan = _finish(result, waves, stage, work=needs_upgrade, cp_work=cp_work or not decision.at_stage)
    return result


def _pool_context(inputs: Inputs, ref: ClusterRef, stage: Stage, may_start: bool) -> PoolContext:
    return PoolContext(
        cluster_id=ref.id,
        image=stage.node_image,
        now=inputs.now,
        timeout=timedelta(minutes=ref.cluster.upgrade.node_timeout_minutes),
        may_start=may_start,
        busy=ref.cluster.upgrade.busy_nodes,
        checkpoint=ref.cluster.upgrade.checkpoint_request.enabled,
    )


def _collect(result: ClusterResult, waves: Sequence[PoolWave]) -> None:
    for wave in waves:
        result.steps.extend(wave.steps)
        result.blocked.extend(wave.blocked)


def _path(
    inputs: Inputs,
    ref: ClusterRef,
    targets: Targets,
    apiserver: Version,
    movable: Sequence[Version],
    outsiders: Sequence[NodeFacts],
) -> list[Stage] | Refusal:
    """The cluster's climb (``path.plan_path``) from what the fleet names and the live kubelets."""
    fixed = [(n.name, n.kubelet) for n in outsiders if n.kubelet is not None]
    images = inputs.spec.intermediate_images(ref.cluster)
    return plan_path(
        apiserver,
        movable,
        fixed,
        targets.kubernetes,
        targets.node_image,
        images,
        inputs.known.kubernetes,
    )


def _stage_mismatch(ref: ClusterRef, stage: Stage, members: Mapping[str, Sequence[NodeFacts]]) -> Blocked:
    """Every node is at the stage's image, yet the path still asks for it: the image's kubelet is not the one named."""
    kubelets = sorted({str(n.kubelet) for group in members.values() for n in group if n.kubelet is not None})
    return Blocked(
        ref.id,
        Reason.HALTED,
        f"every node runs the intermediate image {stage.node_image}, but their kubelets ({', '.join(kubelets)}) "
        "are not the minor the channel's nodeImages names for it; fix the nodeImages entry or the image",
    )


def _cp_waiting(
    rolling: str | None, at_stage: bool, stopped: bool, behind: int, stage: Stage, targets: Targets
) -> str | None:
    """The one ``control-plane-not-ready`` of a cluster, if it has one."""
    where = f"{stage.kubernetes} (etcd {targets.etcd})" if stage.final else str(stage.kubernetes)
    nodes_wait = (
        f"{waiting(behind, 'node')} for the control plane to be at {where} and ready" if behind and not at_stage else ""
    )
    if rolling is not None:
        return f"{rolling}; {nodes_wait}" if nodes_wait else rolling
    if nodes_wait and not stopped:
        return nodes_wait
    return None


def _finish(result: ClusterResult, waves: list[PoolWave], stage: Stage, work: bool, cp_work: bool) -> ClusterPlan:
    base = result.plan
    disruptive = any(s.action.disrupts for s in result.steps)
    if not work and not result.steps and not result.blocked and not any(w.needs_work for w in waves):
        phase = Phase.UP_TO_DATE
    elif not disruptive and any(b.reason.needs_person for b in result.blocked):
        phase = Phase.BLOCKED
    elif cp_work:
        phase = Phase.CONTROL_PLANE
    else:
        phase = Phase.NODES
    return ClusterPlan(
        base.cluster,
        phase,
        base.target,
        base.node_image,
        base.control_plane_version,
        base.etcd_version,
        base.live_version,
        tuple(wave.status for wave in waves),
        stage_kubernetes=stage.kubernetes,
        stage_image=stage.node_image,
    )


def _pool_statuses(
    inputs: Inputs, ref: ClusterRef, targets: Targets, nodes: Sequence[NodeFacts]
) -> tuple[PoolStatus, ...]:
    """Pool progress for reports of an unknown cluster (no decisions)."""
    ctx = PoolContext(ref.id, targets.node_image, inputs.now, timedelta(0), may_start=False)
    pools = {pool.name: pool for pool in ref.cluster.node_pools}
    members = _group_by_pool(pools, nodes)[0]
    return tuple(plan_pool(pools[name], members[name], ctx).status for name in sorted(pools))


def _group_by_pool(
    pools: Mapping[str, NodePool], nodes: Sequence[NodeFacts], image: str | None = None
) -> tuple[dict[str, list[NodeFacts]], list[str], list[NodeFacts], int, list[Version]]:
    """Nodes of each spec pool, the names of nodes with no pool label, nodes of pools the spec does not have,
    how many pool members do not run ``image``, and the pool members' kubelets.

    Nodes labelled with a pool the spec does not have are not fleetc's: it never moves them. One pass: a
    4,000-node cluster is walked once here, not once per question (the simulator calls plan() thousands of times).
    """
    members: dict[str, list[NodeFacts]] = {name: [] for name in pools}
    unlabelled: list[str] = []
    outsiders: list[NodeFacts] = []
    kubelets: list[Version] = []
    behind = 0
    for node in nodes:
        pool = node.pool
        if pool is None:
            unlabelled.append(node.name)
            continue
        group = members.get(pool)
        if group is None:
            outsiders.append(node)
            continue
        group.append(node)
        if node.image != image:
            behind += 1
        if node.kubelet is not None:
            kubelets.append(node.kubelet)
    return members, unlabelled, outsiders, behind, kubelets
