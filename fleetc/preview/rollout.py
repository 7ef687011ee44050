"""What a pull request starts rolling out: per cluster the changes of revision, the wave each reaches first, and
what gates them (docs/spec.md 6.2, 6.3).

The fleet diff says what changed in YAML; this says what it does to clusters: ``us-east-04/alpha-train: gpu-operator
v24.9.2 (wave rest), held by: approval of gpu-operator v24.9.2, waits for wave canary``. The changes are the wave
fields (``fleetc.plan.revision``) whose desired value differs between base and head. Gates come from the head's
plan when there is one (``--live``: the real blocked reasons of the cluster); without live state they are the
gates the fleet itself sets (freeze, paused, an approval the change needs and the head lacks, windows, waves).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleetc.conventions import cluster_id
from fleetc.plan.fleet_waves import wave_order
from fleetc.plan.gates import ClusterRef, needs_approval
from fleetc.plan.model import Plan, Reason
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
from fleetc.spec.fleet import ApprovalPolicy, FleetSpec

# Reasons of a head plan that are gates (what holds a change), not progress.
GATE_REASONS = frozenset(
    {Reason.PAUSED, Reason.APPROVAL_REQUIRED, Reason.OUTSIDE_WINDOW, Reason.EXCLUDED, Reason.WAITING_FOR_WAVE}
)


@dataclass(frozen=True)
class RevisionChange:
    """One cluster's changes of revision in this pull request."""

    cluster: str
    wave: str | None  # the cluster's wave; None: the fleet has no waves
    changes: tuple[str, ...]  # "gpu-operator v24.9.2", "kubernetes 1.31.2", "control-plane settings"
    gated: tuple[str, ...]  # what holds them now

    def to_json(self) -> dict[str, Any]:
        return {"cluster": self.cluster, "wave": self.wave, "changes": list(self.changes), "gated": list(self.gated)}


def revision_changes(base: FleetSpec | None, head: FleetSpec, plan: Plan | None = None) -> tuple[RevisionChange, ...]:
    """Every cluster of ``head`` whose desired revision differs from ``base``'s (a new cluster is not a change)."""
    order = wave_order(head)
    policy = ApprovalPolicy.of(head)
    found: list[RevisionChange] = []
    for region, cluster in head.clusters():
        cid = cluster_id(region, cluster.name)
        before = base.cluster(cid) if base is not None else None
        if before is None or base is None:
            continue
        old, new = desired_revision(base, before), desired_revision(head, cluster)
        fields = _changed(old, new)
        if not fields:
            continue
        ref = ClusterRef(region, cluster)
        gated = _plan_gates(plan, cid) if plan is not None else _spec_gates(head, policy, ref, new, fields, order)
        found.append(
            RevisionChange(
                cid,
                order.wave_of(cid) if order is not None else None,
                tuple(describe_field(f, v) for f, v in sorted(fields.items())),
                gated,
            )
        )
    return tuple(found)


def first_waves(changes: tuple[RevisionChange, ...], head: FleetSpec) -> dict[str, str]:
    """Change -> the first wave any cluster runs it in (waves in order): where a bad change shows up first."""
    order = wave_order(head)
    if order is None:
        return {}
    rank = {name: i for i, name in enumerate(order.names)}
    first: dict[str, str] = {}
    for change in changes:
        for text in change.changes:
            wave = change.wave
            if wave is not None and (text not in first or rank[wave] < rank[first[text]]):
                first[text] = wave
    return dict(sorted(first.items()))


def _changed(old: Revision, new: Revision) -> dict[str, str]:
    names = [KUBERNETES, NODE_IMAGE, CONTROL_PLANE, *(addon_field(n) for n in sorted(new.addons))]
    out: dict[str, str] = {}
    for name in names:
        value = field_value(new, name)
        if value is not None and field_value(old, name) != value:
            out[name] = value
    return out


def _plan_gates(plan: Plan, cid: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(b.reason) for b in plan.blocked if b.cluster == cid and b.reason in GATE_REASONS))


def _spec_gates(
    spec: FleetSpec,
    policy: ApprovalPolicy,
    ref: ClusterRef,
    revision: Revision,
    fields: Mapping[str, str],
    order: Any,
) -> tuple[str, ...]:
    gates: list[str] = []
    upgrade = ref.cluster.upgrade
    if spec.fleet.spec.freeze:
        gates.append("fleet freeze")
    if upgrade.paused:
        gates.append("cluster paused")
    if needs_approval(policy, ref):
        disruptive = [
            f"{name} {revision.addons[name].version}"
            for name in sorted(revision.addons)
            if addon_field(name) in fields and revision.addons[name].disruptive
        ]
        if KUBERNETES in fields or NODE_IMAGE in fields:
            disruptive.insert(0, f"kubernetes {revision.kubernetes}")
        if disruptive:
            gates.append(f"approval of {', '.join(disruptive)}")
    if upgrade.windows:
        gates.append("maintenance window")
    if upgrade.exclusions:
        gates.append("exclusions: " + ", ".join(e.reason for e in upgrade.exclusions))
    if order is not None and order.position[ref.id] > 0:
        gates.append(f"waits for wave {order.names[order.position[ref.id] - 1]} (and the waves before it)")
    return tuple(gates)
