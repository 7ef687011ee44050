"""The control plane's next version: one minor per step, etcd with it, one minor per step too.

The hosted control plane always moves first (docs/spec.md section 3), towards
the version of the current stage of the cluster's path (``path.py``): the
target K, or an intermediate minor when the nodes must move first. From live
apiserver V and etcd E:

- V > K, or E newer than its target: halted, fleetc does not downgrade;
  crossing a major version is not automated either;
- a step only starts from a fully rolled-out control plane (every apiserver
  and etcd replica updated and ready): while it rolls, ``control_plane_version``
  stays V, so nothing ever jumps ahead of what is running;
- V below the stage's version: the next version is one minor up, at the
  highest patch of that minor the fleet names (a channel or a pin), else
  ``x.(minor+1).0``, or the stage's version when that is at most one minor
  away. etcd moves in the same step, also by at most one minor (3.3 -> 3.4
  -> 3.5, like Kubernetes: etcd does not support skipping a minor);
- V at K with E below its target: a step to K for etcd alone (the compiler
  never moves etcd without a step, or the gates would not apply to it);
- before moving to a new minor, every kubelet of the cluster (whatever its
  pool) must stay no newer than the new apiserver minor and at most 3 minors
  older; a kubelet outside that, or unreadable, stops the step for a person.
  The path is planned so this holds; the check stays as the last guard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fleetc.live.facts import ControlPlaneFacts, NodeFacts
from fleetc.plan.model import Action, Blocked, Reason, Step
from fleetc.plan.path import MAX_KUBELET_SKEW, minor_version
from fleetc.plan.wording import plural, shorten
from fleetc.spec.fleet import FleetSpec, Targets
from fleetc.versions import Version


@dataclass
class ControlPlaneDecision:
    """What the planner concluded about one control plane."""

    version: Version  # ClusterPlan.control_plane_version
    etcd: Version  # ClusterPlan.etcd_version
    step: Step | None = None
    blocked: list[Blocked] = field(default_factory=list)
    waiting: str | None = None  # set while the control plane rolls
    at_stage: bool = False  # at the stage's version (and, in the final stage, etcd at target) and ready


@dataclass(frozen=True)
class KnownVersions:
    """Every version the fleet names (channels and pins): where intermediate patches are taken from."""

    kubernetes: tuple[Version, ...]
    etcd: tuple[Version, ...]


def fleet_versions(spec: FleetSpec) -> KnownVersions:
    kubernetes = {Version.parse(c.kubernetes) for c in spec.fleet.spec.channels.values()}
    etcd = {Version.parse(c.etcd) for c in spec.fleet.spec.channels.values()}
    for _, cluster in spec.clusters():
        if cluster.versions.kubernetes:
            kubernetes.add(Version.parse(cluster.versions.kubernetes))
        if cluster.versions.etcd:
            etcd.add(Version.parse(cluster.versions.etcd))
    return KnownVersions(tuple(sorted(kubernetes)), tuple(sorted(etcd)))


def next_version(live: Version, target: Version, known: Iterable[Version]) -> Version:
    """One step from ``live`` towards ``target``: ``target`` if at most one minor away, else one minor up."""
    if live >= target:
        return live
    if live.major != target.major or live.minor + 1 >= target.minor:
        return target
    return minor_version((live.major, live.minor + 1), known)


def kubelet_skew(nodes: Sequence[NodeFacts], apiserver: Version) -> tuple[list[str], list[str]]:
    """(nodes out of policy as ``name (version)``, nodes with unknown kubelet)."""
    bad: list[str] = []
    unknown: list[str] = []
    for node in sorted(nodes, key=lambda n: n.name):
        if node.kubelet is None:
            unknown.append(node.name)
            continue
        behind = node.kubelet.minors_to(apiserver)
        if behind < 0 or behind > MAX_KUBELET_SKEW:
            bad.append(f"{node.name} ({node.kubelet})")
    return bad, unknown


def rolling_detail(cp: ControlPlaneFacts) -> str:
    parts = []
    if cp.apiserver_ready is False:
        parts.append("kube-apiserver")
    if cp.etcd_ready is False:
        parts.append("etcd")
    return f"control plane is rolling ({' and '.join(parts)} not all replicas updated and ready)"


def migration_block(cluster_id: str, cp: ControlPlaneFacts, cp_work: bool) -> Blocked | None:
    """A control plane of the earlier form does not move: Kamaji would bring a new CA every kubelet distrusts.

    fleetc keeps such a control plane exactly as it was compiled before
    (docs/control-plane.md, "The earlier form"); its version changes only
    after a person has migrated it to a TenantControlPlane.
    """
    if not (cp.earlier_form and cp_work):
        return None
    return Blocked(
        cluster_id,
        Reason.HALTED,
        "its control plane runs in the earlier form (Deployment kube-apiserver, no Kamaji TenantControlPlane); "
        "fleetc upgrades only TenantControlPlanes, and moving this one to Kamaji changes the cluster's CA: "
        'migrate it by hand (docs/control-plane.md, "The earlier form"), then the upgrade continues',
    )


def downgrade_block(cluster_id: str, apiserver: Version, etcd: Version, targets: Targets) -> Blocked | None:
    """A live version newer than the target, or a major apart: fleetc does not go there."""
    target = targets.kubernetes
    if apiserver > target or etcd > targets.etcd:
        what = f"apiserver {apiserver} -> {target}" if apiserver > target else f"etcd {etcd} -> {targets.etcd}"
        return Blocked(
            cluster_id,
            Reason.HALTED,
            f"live {what} would be a downgrade; fleetc does not downgrade: "
            "fix the target in the fleet or the control plane by hand",
        )
    if apiserver.major != target.major:
        return Blocked(
            cluster_id,
            Reason.HALTED,
            f"apiserver {apiserver} -> {target} crosses a major version; fleetc does not automate that",
        )
    if etcd.major != targets.etcd.major:
        return Blocked(
            cluster_id,
            Reason.HALTED,
            f"etcd {etcd} -> {targets.etcd} crosses a major version; fleetc does not automate that",
        )
    return None


def decide(
    cluster_id: str,
    cp: ControlPlaneFacts,
    apiserver: Version,
    etcd: Version,
    nodes: Sequence[NodeFacts],
    targets: Targets,
    stage: Version,
    final: bool,
    known: KnownVersions,
    allow_new: bool,
    unlisted_pools: Sequence[str] = (),
) -> ControlPlaneDecision:
    """Decide the control plane of one known cluster, in the stage whose control-plane version is ``stage``.

    ``allow_new`` is False when a gate is closed: the step is then withheld
    (the gate's Blocked says why) and the control plane stays where it is.
    ``unlisted_pools``: spec pools of which no node is listed, so their
    kubelets are unknown to the skew check. The caller has ruled out
    downgrades (:func:`downgrade_block`).
    """
    decision = ControlPlaneDecision(version=apiserver, etcd=etcd)
    ready = cp.ready
    climbs = apiserver < stage
    etcd_moves = etcd < targets.etcd and (climbs or final)
    if ready is False:
        decision.waiting = rolling_detail(cp)
        return decision
    if ready is None:
        decision.blocked.append(
            Blocked(
                cluster_id,
                Reason.UNKNOWN_STATE,
                "readiness of the control plane (kube-apiserver / etcd rollout) is unknown; "
                "nothing new starts until it can be read",
            )
        )
        return decision
    if not climbs and not etcd_moves:
        decision.at_stage = True
        return decision
    step_to = next_version(apiserver, stage, known.kubernetes)
    etcd_to = next_version(etcd, targets.etcd, known.etcd) if etcd_moves else etcd
    if not step_to.same_minor(apiserver):
        bad, unknown = kubelet_skew(nodes, step_to)
        if bad:
            decision.blocked.append(
                Blocked(
                    cluster_id,
                    Reason.HALTED,
                    f"apiserver {step_to} would leave kubelets out of the skew policy (never newer, at most "
                    f"{MAX_KUBELET_SKEW} minors older): {plural(len(bad), 'node')}: {shorten(bad)}; "
                    "a person must upgrade or remove them first",
                    nodes=tuple(b.split(" ", 1)[0] for b in bad),
                )
            )
        if unlisted_pools:
            decision.blocked.append(
                Blocked(
                    cluster_id,
                    Reason.UNKNOWN_STATE,
                    f"no node of pool {', '.join(unlisted_pools)} is listed, so its kubelets are unknown; "
                    f"cannot check skew before moving to {step_to}",
                )
            )
        if unknown:
            decision.blocked.append(
                Blocked(
                    cluster_id,
                    Reason.UNKNOWN_STATE,
                    f"kubelet version unknown on {plural(len(unknown), 'node')}: {shorten(unknown)}; "
                    f"cannot check skew before moving to {step_to}",
                    nodes=tuple(unknown),
                )
            )
        if bad or unknown or unlisted_pools:
            return decision
    if not allow_new:
        return decision
    hops = []
    if step_to != targets.kubernetes:
        hops.append(f"one minor towards {targets.kubernetes}")
    if etcd_to != targets.etcd:
        hops.append(f"etcd one minor towards {targets.etcd}")
    decision.step = Step(
        cluster_id,
        Action.UPGRADE_CONTROL_PLANE,
        str(step_to),
        etcd=str(etcd_to),
        detail=f"{apiserver} -> {step_to} (etcd {etcd} -> {etcd_to})" + (f", {', '.join(hops)}" if hops else ""),
    )
    decision.version = step_to
    decision.etcd = etcd_to
    return decision
