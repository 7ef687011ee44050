"""What the planner decides: steps to take now, and what is blocked and why.

These types are the contract between the planner, the compiler (which turns
steps into NodePatches and control-plane versions), the CLI (SPEC.md section
5 JSON) and the simulator. They are plain frozen data, sorted for
deterministic output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fleetc.versions import Version


class Action(StrEnum):
    UPGRADE_CONTROL_PLANE = "upgrade-control-plane"
    CORDON = "cordon"
    REIMAGE = "reimage"
    UNCORDON = "uncordon"
    MARK_PENDING = "mark-pending"


class Reason(StrEnum):
    APPROVAL_REQUIRED = "approval-required"
    OUTSIDE_WINDOW = "outside-window"
    CONTROL_PLANE_NOT_READY = "control-plane-not-ready"
    MAX_UNAVAILABLE = "max-unavailable"
    BUSY = "busy"
    UNKNOWN_STATE = "unknown-state"
    PAUSED = "paused"
    HALTED = "halted"


@dataclass(frozen=True, order=True)
class Step:
    """One action to apply now.

    ``target`` is the version for ``upgrade-control-plane`` and the node's name
    for node actions (SPEC.md section 5). Node actions also carry the pool and,
    for ``reimage``, the image the node is to be reimaged to.
    """

    cluster: str  # <region>/<name>
    action: Action
    target: str
    pool: str | None = None
    image: str | None = None  # reimage: the target node image
    etcd: str | None = None  # upgrade-control-plane: the etcd version that goes with it
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cluster": self.cluster, "action": str(self.action), "target": self.target}
        for key in ("pool", "image", "etcd"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
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
    unavailable: int  # cordoned, reimaging or NotReady now
    max_unavailable: int
    busy: int


@dataclass(frozen=True)
class ClusterPlan:
    """The planner's view of one cluster.

    ``control_plane_version`` is the version the control plane is to run
    after this step (the compiler builds the hosted control plane at it);
    ``None`` means unknown: the compiler must leave the live control plane
    as it is. ``phase`` summarises: ``up-to-date``, ``control-plane``,
    ``nodes``, ``blocked``, ``unknown`` or ``new``.
    """

    cluster: str
    phase: str
    target: Version
    node_image: str
    control_plane_version: Version | None
    etcd_version: Version | None
    live_version: Version | None = None
    pools: tuple[PoolStatus, ...] = ()


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    clusters: dict[str, ClusterPlan] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The SPEC.md section 5 object: ``steps`` and ``blocked`` (plus a summary)."""
        return {
            "steps": [s.to_json() for s in self.steps],
            "blocked": [b.to_json() for b in self.blocked],
            "clusters": {
                cid: {
                    "phase": c.phase,
                    "target": str(c.target),
                    "nodeImage": c.node_image,
                    "liveVersion": str(c.live_version) if c.live_version else None,
                    "controlPlaneVersion": str(c.control_plane_version) if c.control_plane_version else None,
                }
                for cid, c in sorted(self.clusters.items())
            },
        }

    def steps_for(self, cluster: str) -> list[Step]:
        return [s for s in self.steps if s.cluster == cluster]
