"""What the planner decides: steps to take now, and what is blocked and why.

These types are the contract between the planner, the compiler (which turns
steps into NodePatches and control-plane versions), the CLI (docs/spec.md section
5 JSON) and the simulator. They are plain frozen data, sorted for
deterministic output.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from fleetc.live.facts import RolledOut
from fleetc.versions import Version


class Action(StrEnum):
    """What a step does (docs/spec.md section 5). Order, wording and gating live in ``ACTIONS``."""

    UPGRADE_CONTROL_PLANE = "upgrade-control-plane"
    UPDATE_CONTROL_PLANE_CONFIG = "update-control-plane-config"
    UPDATE_ADDONS = "update-addons"
    MARK_PENDING = "mark-pending"
    ESCALATE_PENDING = "escalate-pending"
    REQUEST_CHECKPOINT = "request-checkpoint"
    CORDON = "cordon"
    REIMAGE = "reimage"
    UNCORDON = "uncordon"

    @property
    def rank(self) -> int:
        """Position in a plan's step order (within a cluster)."""
        return ACTIONS[self].rank

    @property
    def disrupts(self) -> bool:
        """A new disruption: withheld by every closed gate. ``uncordon`` restores capacity and never is."""
        return ACTIONS[self].disrupts

    @property
    def wording(self) -> str:
        return ACTIONS[self].wording


class Reason(StrEnum):
    """Why something waits (docs/spec.md section 5). Order, wording and weight live in ``REASONS``."""

    APPROVAL_REQUIRED = "approval-required"
    OUTSIDE_WINDOW = "outside-window"
    CONTROL_PLANE_NOT_READY = "control-plane-not-ready"
    MAX_UNAVAILABLE = "max-unavailable"
    BUSY = "busy"
    NODE_NOT_READY = "node-not-ready"
    UNKNOWN_STATE = "unknown-state"
    PAUSED = "paused"
    HALTED = "halted"
    EXCLUDED = "excluded"
    WAITING_FOR_WAVE = "waiting-for-wave"

    @property
    def rank(self) -> int:
        """Position in reports: what needs a person first, what merely takes time last."""
        return REASONS[self].rank

    @property
    def needs_person(self) -> bool:
        """Cleared by a person or the clock (a gate, a halt, an unknown), not by work finishing."""
        return REASONS[self].needs_person

    @property
    def wording(self) -> str:
        return REASONS[self].wording


class Phase(StrEnum):
    """Where a cluster's rollout stands (``ClusterPlan.phase``)."""

    UP_TO_DATE = "up-to-date"
    NEW = "new"
    CONTROL_PLANE = "control-plane"
    NODES = "nodes"
    CONFIG = "config"  # only add-on or control-plane-settings changes remain
    BLOCKED = "blocked"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        return list(Phase).index(self)


@dataclass(frozen=True)
class ActionInfo:
    rank: int
    disrupts: bool
    wording: str


@dataclass(frozen=True)
class ReasonInfo:
    rank: int
    needs_person: bool
    wording: str


ACTIONS: dict[Action, ActionInfo] = {
    Action.UPGRADE_CONTROL_PLANE: ActionInfo(0, True, "upgrade the control plane"),
    Action.UPDATE_CONTROL_PLANE_CONFIG: ActionInfo(1, True, "apply new control-plane settings"),
    Action.UPDATE_ADDONS: ActionInfo(2, True, "update add-ons"),
    Action.MARK_PENDING: ActionInfo(3, True, "mark busy nodes pending"),
    Action.ESCALATE_PENDING: ActionInfo(4, True, "escalate the pending taint to NoSchedule"),
    Action.REQUEST_CHECKPOINT: ActionInfo(5, True, "ask the jobs of busy nodes to checkpoint and exit"),
    Action.CORDON: ActionInfo(6, True, "cordon idle nodes"),
    Action.REIMAGE: ActionInfo(7, True, "reimage cordoned idle nodes"),
    Action.UNCORDON: ActionInfo(8, False, "uncordon"),
}

REASONS: dict[Reason, ReasonInfo] = {
    Reason.UNKNOWN_STATE: ReasonInfo(0, True, "unknown state"),
    Reason.PAUSED: ReasonInfo(1, True, "paused"),
    Reason.HALTED: ReasonInfo(2, True, "halted"),
    Reason.APPROVAL_REQUIRED: ReasonInfo(3, True, "approval required"),
    Reason.EXCLUDED: ReasonInfo(4, True, "in an exclusion"),
    Reason.OUTSIDE_WINDOW: ReasonInfo(5, True, "outside the window"),
    Reason.WAITING_FOR_WAVE: ReasonInfo(6, True, "waiting for an earlier wave"),
    Reason.CONTROL_PLANE_NOT_READY: ReasonInfo(7, False, "control plane not ready"),
    Reason.NODE_NOT_READY: ReasonInfo(8, False, "nodes not ready"),
    Reason.MAX_UNAVAILABLE: ReasonInfo(9, False, "max unavailable"),
    Reason.BUSY: ReasonInfo(10, False, "busy"),
}


@dataclass(frozen=True, order=True)
class Step:
    """One action to apply now.

    ``target`` is the version for ``upgrade-control-plane`` and the node's name
    for node actions (docs/spec.md section 5). Node actions also carry the pool and,
    for ``reimage``, the image the node is to be reimaged to.
    """

    cluster: str  # <region>/<name>
    action: Action
    target: str
    pool: str | None = None
    image: str | None = None  # reimage: the target node image
    etcd: str | None = None  # upgrade-control-plane: the etcd version that goes with it
    detail: str = ""
    cordoned_by_others: bool = False  # reimage of a node someone else cordoned: their cordon stays
    pending_since: str | None = None  # escalate-pending: the node's live pending-since (kept, never re-stamped)
    pods: tuple[str, ...] = ()  # request-checkpoint: the node's pods ("ns/name") to annotate
    addons: tuple[tuple[str, str], ...] = ()  # update-addons: (add-on, chart version) pairs, sorted

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cluster": self.cluster, "action": str(self.action), "target": self.target}
        for key in ("pool", "image", "etcd"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.cordoned_by_others:
            out["cordonedByOthers"] = True
        if self.pending_since is not None:
            out["pendingSince"] = self.pending_since
        if self.pods:
            out["pods"] = list(self.pods)
        if self.addons:
            out["addons"] = dict(self.addons)
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True, order=True)
class Blocked:
    """Something that cannot move now, and exactly what blocks it."""

    cluster: str
    reason: Reason
    detail: str
    pool: str | None = None
    nodes: tuple[str, ...] = ()  # the nodes concerned (busy, halted...)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cluster": self.cluster, "reason": str(self.reason), "detail": self.detail}
        if self.pool is not None:
            out["pool"] = self.pool
        if self.nodes:
            out["nodes"] = list(self.nodes)
        return out


@dataclass(frozen=True)
class PoolStatus:
    """Progress of one pool's node rollout, for reports."""

    name: str
    total: int  # nodes seen live in this pool
    at_target: int
    unavailable: int  # now: cordoned, reimaging or NotReady, plus nodes missing from the live list
    max_unavailable: int  # the budget in nodes
    busy: int
    reimaging: int = 0  # requested and not back yet
    missing: int = 0  # the spec's count minus the nodes seen live
    unavailable_after: int | None = None  # once this step's cordons, releases and uncordons apply; None: as now
    pending_since: datetime | None = None  # the earliest pending-since of its nodes still to do (None: none known)

    @property
    def after(self) -> int:
        """Unavailable nodes once this step applies (the planner's own count)."""
        return self.unavailable if self.unavailable_after is None else self.unavailable_after


def addons_target(addons: Iterable[tuple[str, str]]) -> str:
    """The ``target`` of an ``update-addons`` step: ``cilium=1.16.4,gpu-operator=v24.9.2`` (``--addon``'s form)."""
    return ",".join(f"{name}={version}" for name, version in sorted(addons))


@dataclass(frozen=True)
class AddonPlan:
    """One add-on after this step: the chart version and values fingerprint to apply and record.

    ``held``: a gate is closed for it (or what is applied is unknown), so the compiler keeps the release exactly
    as it is live (Pulumi: ``ignore_changes``; render: as rendered before) and ``version`` is the applied one.
    ``install``: not applied yet and held: the compiler leaves it out rather than install it behind a gate.
    """

    name: str
    version: str
    values: str
    held: bool = False
    install: bool = False
    known: bool = True  # held: the applied version and values are recorded (else the desired ones stand in)


@dataclass(frozen=True)
class RevisionPlan:
    """What the compiler applies and records for a cluster's revision in this step (docs/spec.md 6.2, 6.4).

    ``addons`` None: the applied add-ons are unknown, every release stays as it is live and nothing is recorded.
    ``control_plane`` None: the applied settings are unknown (not recorded) and stay so. ``rolled_out``: the
    ``data.rolledOut`` to write (the recorded one, unchanged, unless the cluster is now complete at a new revision).
    """

    addons: tuple[AddonPlan, ...] | None
    addon_values_known: bool
    control_plane: str | None
    config_may_change: bool
    rolled_out: RolledOut | None
    wave: str | None = None
    waiting_for: tuple[str, ...] = ()  # wave fields this cluster waits for (describe_field wording)


@dataclass(frozen=True)
class ClusterPlan:
    """The planner's view of one cluster.

    ``control_plane_version`` is the version the control plane is to run
    after this step (the compiler builds the hosted control plane at it);
    ``None`` means unknown: the compiler must leave the live control plane
    as it is. ``phase`` summarises where the rollout stands (:class:`Phase`).
    """

    cluster: str
    phase: Phase
    target: Version
    node_image: str
    control_plane_version: Version | None
    etcd_version: Version | None
    live_version: Version | None = None
    pools: tuple[PoolStatus, ...] = ()
    stage_kubernetes: Version | None = None  # the control-plane version of the path's current stage (None: target)
    stage_image: str | None = None  # the node image nodes move to in this stage (None: node_image)
    earlier_form: bool = False  # the live control plane is the earlier Deployment form: compiled as it is
    revision: RevisionPlan | None = None  # add-ons and settings after this step; None: everything as desired

    @property
    def nodes_kubernetes(self) -> Version:
        """The control-plane version the current stage's node image needs: nodes move only there."""
        return self.stage_kubernetes or self.target

    @property
    def nodes_image(self) -> str:
        """The node image of the current stage: the target, or an intermediate image on a long climb."""
        return self.stage_image or self.node_image

    @property
    def final_stage(self) -> bool:
        return self.nodes_kubernetes == self.target and self.nodes_image == self.node_image


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    clusters: dict[str, ClusterPlan] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The docs/spec.md section 5 object: ``steps`` and ``blocked`` (plus a summary)."""
        return {
            "steps": [s.to_json() for s in self.steps],
            "blocked": [b.to_json() for b in self.blocked],
            "clusters": {
                cid: {
                    "phase": str(c.phase),
                    "target": str(c.target),
                    "nodeImage": c.node_image,
                    "liveVersion": str(c.live_version) if c.live_version else None,
                    "controlPlaneVersion": str(c.control_plane_version) if c.control_plane_version else None,
                    **(
                        {}
                        if c.final_stage
                        else {"stage": {"kubernetes": str(c.nodes_kubernetes), "nodeImage": c.nodes_image}}
                    ),
                    **_revision_json(c.revision),
                }
                for cid, c in sorted(self.clusters.items())
            },
        }

    def steps_for(self, cluster: str) -> list[Step]:
        return [s for s in self.steps if s.cluster == cluster]


def _revision_json(revision: RevisionPlan | None) -> dict[str, Any]:
    """The wave a cluster is in and what it waits for (only when the fleet has waves)."""
    if revision is None or revision.wave is None:
        return {}
    out: dict[str, Any] = {"wave": revision.wave}
    if revision.waiting_for:
        out["waitingFor"] = list(revision.waiting_for)
    return out


def step_key(step: Step) -> tuple[str, int, str, str]:
    """How a plan orders its steps: by cluster, action order, pool, target."""
    return (step.cluster, step.action.rank, step.pool or "", step.target)


def blocked_key(blocked: Blocked) -> tuple[str, str, str, str]:
    """How a plan orders its blocked entries: by cluster, reason, pool, detail."""
    return (blocked.cluster, str(blocked.reason), blocked.pool or "", blocked.detail)


def merge_plans(plans: Iterable[Plan]) -> Plan:
    """One plan of several disjoint ones (regions planned apart), sorted as :func:`plan` sorts."""
    steps: list[Step] = []
    blocked: list[Blocked] = []
    clusters: dict[str, ClusterPlan] = {}
    for one in plans:
        steps.extend(one.steps)
        blocked.extend(one.blocked)
        clusters.update(one.clusters)
    return Plan(
        steps=tuple(sorted(steps, key=step_key)),
        blocked=tuple(sorted(blocked, key=blocked_key)),
        clusters=dict(sorted(clusters.items())),
    )
