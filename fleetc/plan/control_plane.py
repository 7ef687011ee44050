"""The control plane's next version: one minor per step, etcd with it.

The hosted control plane (kube-apiserver and etcd in ``cp-<cluster>``)
always moves first (SPEC.md section 3). From live apiserver version V to
target K:

- V == K and live etcd == target etcd: nothing to do;
- V < K: the next version is K when it is at most one minor ahead, else the
  intermediate minor V.minor+1 -- the highest patch of that minor the fleet
  names anywhere (a channel or a pin), else ``x.(minor+1).0``. Every step
  carries the target etcd version. V == K with another etcd is a step too
  (to K, for etcd alone): the compiler must never move etcd without a step,
  or gates would not apply to it;
- V > K, or live etcd newer than its target: halted, fleetc does not
  downgrade; crossing a major version is not automated either;
- a step only starts from a fully rolled-out control plane (every apiserver
  and etcd replica updated and ready): while it rolls, ``control_plane_version``
  stays V, so nothing ever jumps ahead of what is running;
- before moving to a new minor, every kubelet of the cluster (whatever its
  pool) must stay no newer than the new apiserver minor and at most 3 minors
  older; a kubelet outside that, or unreadable, stops the step for a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fleetc.live.facts import ControlPlaneFacts, NodeFacts
from fleetc.plan.model import Action, Blocked, Reason, Step
from fleetc.plan.wording import plural, shorten
from fleetc.spec.fleet import FleetSpec, Targets
from fleetc.versions import Version

MAX_KUBELET_SKEW = 3


@dataclass
class ControlPlaneDecision:
    """What the planner concluded about one control plane."""

    version: Version  # ClusterPlan.control_plane_version
    etcd: Version  # ClusterPlan.etcd_version
    step: Step | None = None
    blocked: list[Blocked] = field(default_factory=list)
    waiting: str | None = None  # set while the control plane rolls
    at_target: bool = False  # at K, etcd at target and ready: nodes may move


def fleet_versions(spec: FleetSpec) -> list[Version]:
    """Every kubernetes version the fleet names (channels and pins), sorted:
    where intermediate minors are taken from."""
    found = {Version.parse(c.kubernetes) for c in spec.fleet.spec.channels.values()}
    for _, cluster in spec.clusters():
        if cluster.versions.kubernetes:
            found.add(Version.parse(cluster.versions.kubernetes))
    return sorted(found)


def next_version(live: Version, target: Version, known: Iterable[Version]) -> Version:
    """The version one step from ``live`` towards ``target`` (same major, live < target)."""
    if live.minor + 1 >= target.minor:
        return target
    minor = live.minor + 1
    same_minor = [v for v in known if v.major == live.major and v.minor == minor]
    return max(same_minor) if same_minor else Version(live.major, minor, 0)


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


def decide(
    cluster_id: str,
    cp: ControlPlaneFacts,
    apiserver: Version,
    etcd: Version,
    nodes: Sequence[NodeFacts],
    targets: Targets,
    known: Sequence[Version],
    allow_new: bool,
) -> ControlPlaneDecision:
    """Decide the control plane of one known cluster.

    ``allow_new`` is False when a gate is closed: the step is then withheld
    (the gate's Blocked says why) and the control plane stays where it is.
    """
    decision = ControlPlaneDecision(version=apiserver, etcd=etcd)
    target = targets.kubernetes
    if apiserver > target or etcd > targets.etcd:
        what = f"apiserver {apiserver} -> {target}" if apiserver > target else f"etcd {etcd} -> {targets.etcd}"
        decision.blocked.append(
            Blocked(
                cluster_id,
                Reason.HALTED,
                f"live {what} would be a downgrade; fleetc does not downgrade: "
                "fix the target in the fleet or the control plane by hand",
            )
        )
        return decision
    if apiserver.major != target.major:
        decision.blocked.append(
            Blocked(
                cluster_id,
                Reason.HALTED,
                f"apiserver {apiserver} -> {target} crosses a major version; fleetc does not automate that",
            )
        )
        return decision
    ready = cp.ready
    needs_work = apiserver != target or etcd != targets.etcd
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
    if not needs_work:
        decision.at_target = True
        return decision
    step_to = next_version(apiserver, target, known)
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
        if bad or unknown:
            return decision
    if not allow_new:
        return decision
    hop = "" if step_to == target else f", one minor towards {target}"
    decision.step = Step(
        cluster_id,
        Action.UPGRADE_CONTROL_PLANE,
        str(step_to),
        etcd=str(targets.etcd),
        detail=f"{apiserver} -> {step_to} (etcd {etcd} -> {targets.etcd}){hop}",
    )
    decision.version = step_to
    decision.etcd = targets.etcd
    return decision
