"""Add-on and control-plane-settings changes of one cluster: ``update-addons``, ``update-control-plane-config``.

Versions and node images are rolled out by ``control_plane.py`` and ``waves.py``; everything else a cluster's
revision holds (docs/spec.md 6.2) is decided here, from the desired revision (``revision.py``) and what fleetc
recorded as applied (the ``fleetc-cluster`` ConfigMap, ``fleetc.live.records``):

- an add-on changes when the record does not hold its chart version and values fingerprint (a record that is
  absent -- a cluster adopted before this release -- makes every add-on a change); a record that is malformed
  is unknown: no add-on moves, every release stays as it is live;
- the settings change when the recorded fingerprint differs (absent: a change; malformed: unknown, held);
- a change goes only through open gates: freeze/paused, exclusions and the window hold every one; a
  *disruptive* add-on on an ``approval: required`` cluster also needs an approval naming its new version
  (``gates.addon_approval_block``); a wave that has not run it yet holds it (``fleet_waves.py``); and nothing
  moves while the control plane is not ready or is upgraded in this very step (a chart is applied against a
  settled apiserver; settings are applied to a settled control plane);
- what is held stays exactly as applied: :class:`~fleetc.plan.model.AddonPlan` tells the compiler.

It also decides ``data.rolledOut`` (docs/spec.md 6.4): when the cluster is complete -- control plane ready,
every node of its pools at one image and none reimaging, add-ons and settings recorded -- at a revision other
than the one recorded, that revision is recorded with ``at`` = now; otherwise the record stays as it is (never
churned), which is what soaks are measured from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from fleetc import conventions
from fleetc.live.facts import AppliedRecord, ControlPlaneFacts, NodeFacts, RolledOut
from fleetc.plan.model import Action, AddonPlan, Blocked, Reason, RevisionPlan, Step, addons_target
from fleetc.plan.revision import CONTROL_PLANE, AddonRevision, Revision, addon_field


@dataclass(frozen=True)
class Pending:
    """What of a cluster's add-ons and settings differs from what is recorded as applied."""

    addons: Mapping[str, AddonRevision]  # add-ons to install or update, at their desired revision
    installs: frozenset[str]  # of those, the ones the record says are not applied at all
    addons_unknown: str | None  # the record of add-ons cannot be read: nothing of them moves
    config: bool  # the control-plane settings differ (or are not recorded)
    config_unknown: str | None

    @property
    def any(self) -> bool:
        return bool(self.addons) or self.config


NOTHING_PENDING = Pending({}, frozenset(), None, False, None)


def pending_changes(revision: Revision, record: AppliedRecord | None) -> Pending:
    """What differs; nothing for a source that tracks no record (see ``ClusterLive.record``)."""
    if record is None:
        return NOTHING_PENDING
    unknown_addons = [
        record.unknown[key]
        for key in (conventions.RECORD_ADDONS, conventions.RECORD_ADDON_VALUES)
        if key in record.unknown
    ]
    if unknown_addons:
        changed: dict[str, AddonRevision] = {}
        installs: frozenset[str] = frozenset()
    else:
        applied, values = record.addons, record.addon_values
        changed = {
            name: addon
            for name, addon in sorted(revision.addons.items())
            if applied is None
            or values is None
            or applied.get(name) != addon.version
            or values.get(name) != addon.values
        }
        installs = frozenset(name for name in changed if applied is not None and name not in applied)
    config_unknown = record.unknown.get(conventions.RECORD_CONTROL_PLANE)
    return Pending(
        addons=changed,
        installs=installs,
        addons_unknown="; ".join(unknown_addons) or None,
        config=config_unknown is None and record.control_plane != revision.control_plane,
        config_unknown=config_unknown,
    )


@dataclass
class Decision:
    steps: list[Step] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    revision: RevisionPlan | None = None


@dataclass(frozen=True)
class Openings:
    """Which of the pending changes may go in this step, by the gates and waves the planner asked."""

    gates_open: bool  # freeze/paused, exclusions, window
    approved: frozenset[str]  # disruptive add-ons an approval covers (non-disruptive ones need none)
    held: frozenset[str]  # wave fields an earlier wave holds (revision.addon_field names, CONTROL_PLANE)
    control_plane_settled: bool  # ready and not upgraded in this step


def decide_changes(
    cluster_id: str,
    revision: Revision,
    record: AppliedRecord,
    pending: Pending,
    openings: Openings,
    rolled_out: RolledOut | None,
    wave: str | None,
    waiting_for: Sequence[str] = (),
) -> Decision:
    """Steps, waits and the :class:`RevisionPlan` of one known cluster."""
    decision = Decision()
    allowed = {  # every gate, approval and wave lets them go; only a settled control plane is still needed
        name: addon
        for name, addon in pending.addons.items()
        if openings.gates_open
        and addon_field(name) not in openings.held
        and (not addon.disruptive or name in openings.approved)
    }
    config_allowed = pending.config and openings.gates_open and CONTROL_PLANE not in openings.held
    settled = openings.control_plane_settled
    going = allowed if settled else {}
    if going:
        pairs = tuple((name, addon.version) for name, addon in sorted(going.items()))
        decision.steps.append(
            Step(
                cluster_id,
                Action.UPDATE_ADDONS,
                addons_target(pairs),
                addons=pairs,
                detail=f"apply {', '.join(f'{n} {v}' for n, v in pairs)} (chart version and values)",
            )
        )
    config_goes = config_allowed and settled
    if config_goes:
        decision.steps.append(
            Step(
                cluster_id,
                Action.UPDATE_CONTROL_PLANE_CONFIG,
                revision.control_plane,
                detail="apply the control-plane settings of the fleet (replicas, featureGates, extraArgs, endpoint)",
            )
        )
    if not settled and (allowed or config_allowed):
        what = [f"{name} {addon.version}" for name, addon in sorted(allowed.items())]
        what += ["the control-plane settings"] if config_allowed else []
        decision.blocked.append(
            Blocked(
                cluster_id,
                Reason.CONTROL_PLANE_NOT_READY,
                f"{', '.join(what)} wait for the control plane to be ready and not upgrading",
            )
        )
    if pending.addons_unknown is not None:
        decision.blocked.append(
            Blocked(
                cluster_id,
                Reason.UNKNOWN_STATE,
                f"{pending.addons_unknown}: the applied add-ons are unknown, so every add-on stays as it is live",
            )
        )
    if pending.config_unknown is not None:
        decision.blocked.append(
            Blocked(
                cluster_id,
                Reason.UNKNOWN_STATE,
                f"{pending.config_unknown}: the applied control-plane settings are unknown, so they stay as they are",
            )
        )
    decision.revision = RevisionPlan(
        addons=_addon_plans(revision, record, pending, going),
        addon_values_known=pending.addons_unknown is None,
        control_plane=_settings_after(revision, record, pending, config_goes),
        config_may_change=pending.config_unknown is None and (config_goes or not pending.config),
        rolled_out=rolled_out,
        wave=wave,
        waiting_for=tuple(waiting_for),
    )
    return decision


def _settings_after(revision: Revision, record: AppliedRecord, pending: Pending, goes: bool) -> str | None:
    """The settings fingerprint to record: the fleet's when they go (or already match), else what is recorded;
    None (keep the record as it is live) when the recorded one is unreadable."""
    if pending.config_unknown is not None:
        return None
    return revision.control_plane if goes or not pending.config else record.control_plane


def _addon_plans(
    revision: Revision, record: AppliedRecord, pending: Pending, going: Mapping[str, AddonRevision]
) -> tuple[AddonPlan, ...] | None:
    if pending.addons_unknown is not None:
        return None
    plans: list[AddonPlan] = []
    for name, addon in sorted(revision.addons.items()):
        if name not in pending.addons or name in going:
            plans.append(AddonPlan(name, addon.version, addon.values))
            continue
        applied = record.addons.get(name) if record.addons is not None else None
        values = record.addon_values.get(name) if record.addon_values is not None else None
        plans.append(
            AddonPlan(
                name,
                applied if applied is not None else addon.version,
                values if values is not None else addon.values,
                held=True,
                install=name in pending.installs,
                known=applied is not None and values is not None,
            )
        )
    return tuple(plans)


def complete_revision(
    cp: ControlPlaneFacts, nodes: Sequence[NodeFacts], pools: frozenset[str], record: AppliedRecord, now: datetime
) -> RolledOut | None:
    """The revision the whole cluster runs now, if it runs one (see module doc), stamped ``now``; else None."""
    if cp.ready is not True or cp.apiserver_version is None or cp.etcd_version is None:
        return None
    if record.addons is None or record.addon_values is None or record.control_plane is None or record.unknown:
        return None
    members = [n for n in nodes if n.pool in pools]
    images = {n.image for n in members}
    if len(images) > 1 or None in images or any(n.target_image not in (None, n.image) for n in members):
        return None
    image = next(iter(images)) if images else None
    return RolledOut(
        at=now,
        kubernetes=str(cp.apiserver_version),
        etcd=str(cp.etcd_version),
        node_image=image if isinstance(image, str) else None,
        addons=dict(sorted(record.addons.items())),
        addon_values=dict(sorted(record.addon_values.items())),
        control_plane=record.control_plane,
    )


def rolled_out_now(recorded: RolledOut | None, reached: RolledOut | None) -> RolledOut | None:
    """What ``data.rolledOut`` says after this step: ``reached`` when it is a new revision, else the record."""
    if reached is None:
        return recorded
    if recorded is not None and _same(recorded, reached):
        return recorded
    return reached


def _same(a: RolledOut, b: RolledOut) -> bool:
    return (a.kubernetes, a.etcd, a.node_image, dict(a.addons), dict(a.addon_values), a.control_plane) == (
        b.kubernetes,
        b.etcd,
        b.node_image,
        dict(b.addons),
        dict(b.addon_values),
        b.control_plane,
    )
