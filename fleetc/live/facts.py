"""The facts the planner reads about live clusters.

Every field that could not be read or made sense of is ``None`` (unknown) and
the reason is kept in ``problems``: the planner fails closed on unknowns, so a
guess here would turn into a disruption there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from fleetc.conventions import cluster_id
from fleetc.versions import Version


@dataclass(frozen=True)
class NodeFacts:
    """One node of a customer cluster."""

    name: str
    pool: str | None  # label <labelPrefix>/pool; None: unlabelled
    zone: str | None  # label topology.kubernetes.io/zone
    kubelet: Version | None  # status.nodeInfo.kubeletVersion; None: unknown
    image: str | None  # label <labelPrefix>/node-image; None: unknown
    ready: bool | None  # condition Ready; None: unknown (missing or Unknown)
    cordoned: bool  # spec.unschedulable
    busy: bool | None  # docs/spec.md section 3; None: unknown (e.g. pods unreadable)
    busy_reasons: tuple[str, ...] = ()  # "ns/pod" names, or "annotation do-not-disrupt"
    pending: bool = False  # label <labelPrefix>/upgrade-pending == "true"
    target_image: str | None = None  # label <labelPrefix>/target-image (reimage requested)
    reimage_requested_at: datetime | None = None  # annotation <labelPrefix>/reimage-requested-at
    problems: tuple[str, ...] = ()
    fleetc_cordon: bool = False  # cordoned, and labelled <labelPrefix>/cordoned-by: fleetc (fleetc's own cordon)
    pending_hard: bool = False  # the upgrade-pending taint has effect NoSchedule (escalated)
    pending_since: datetime | None = None  # annotation <labelPrefix>/pending-since
    # Checkpoint requests (docs/checkpoint-requests.md): busy pods ("ns/name") without the pod annotation
    # <labelPrefix>/upgrade-requested, and whether some busy pod of the node already carries it.
    unrequested_pods: tuple[str, ...] = ()
    checkpoint_requested: bool = False

    @property
    def cordoned_by_others(self) -> bool:
        """Cordoned by someone else (a person, another tool): not fleetc's to uncordon."""
        return self.cordoned and not self.fleetc_cordon


@dataclass(frozen=True)
class ControlPlaneFacts:
    """The hosted control plane of one cluster, in namespace ``cp-<cluster>``."""

    apiserver_version: Version | None  # image tag of Deployment kube-apiserver
    apiserver_ready: bool | None  # all replicas updated, ready and available
    apiserver_replicas: int | None
    etcd_version: Version | None  # image tag of StatefulSet etcd
    etcd_ready: bool | None  # all replicas updated and ready
    problems: tuple[str, ...] = ()
    earlier_form: bool = False  # Deployment kube-apiserver, no TenantControlPlane (docs/control-plane.md)

    @property
    def ready(self) -> bool | None:
        """Fully rolled out: every apiserver and etcd replica updated and ready."""
        if self.apiserver_ready is False or self.etcd_ready is False:
            return False
        if self.apiserver_ready is None or self.etcd_ready is None:
            return None
        return True


@dataclass(frozen=True)
class RolledOut:
    """``data.rolledOut`` of the fleetc-cluster ConfigMap: the last revision the whole cluster reached, and since when.

    ``at`` is when fleetc first saw the cluster complete at this revision; waves measure ``soak`` from it.
    Fields are the recorded strings (versions as fleetc writes them); None: not recorded.
    """

    at: datetime
    kubernetes: str | None = None
    etcd: str | None = None
    node_image: str | None = None
    addons: Mapping[str, str] = field(default_factory=dict)  # add-on -> chart version
    addon_values: Mapping[str, str] = field(default_factory=dict)  # add-on -> values fingerprint
    control_plane: str | None = None  # settings fingerprint


@dataclass(frozen=True)
class AppliedRecord:
    """What fleetc recorded in the cluster's ``fleetc-cluster`` ConfigMap (docs/spec.md 6.4).

    A part that is absent is None (a cluster adopted before this release: every difference counts as a change);
    a part that is present but malformed is named in ``unknown`` with the reason (fail closed: that part is
    unknown, nothing it decides moves).
    """

    addons: Mapping[str, str] | None = None
    addon_values: Mapping[str, str] | None = None
    control_plane: str | None = None
    rolled_out: RolledOut | None = None
    unknown: Mapping[str, str] = field(default_factory=dict)  # data key -> why it cannot be read


@dataclass(frozen=True)
class PeerFacts:
    """An earlier wave's cluster as another region reports it (its stack's outputs under ``pulumi up``).

    ``healthy`` None and ``rolled_out`` None are unknown; ``observed`` is when that region last planned.
    """

    rolled_out: RolledOut | None
    healthy: bool | None
    observed: datetime | None = None


@dataclass(frozen=True)
class ClusterLive:
    """Everything known about one customer cluster (id ``<region>/<name>``).

    ``exists`` False means the management cluster was read and has no control
    plane for it (a new cluster). ``control_plane`` or ``nodes`` None means
    they could not be read: unknown, see ``problems``.
    """

    cluster: str
    exists: bool
    control_plane: ControlPlaneFacts | None
    nodes: tuple[NodeFacts, ...] | None
    problems: tuple[str, ...] = ()
    # The fleetc-cluster ConfigMap (docs/spec.md 6.4). The snapshot and API readers always set it (an empty
    # record when there is no ConfigMap); None is a source that does not track add-ons and settings at all
    # (the simulator's synthetic clusters): then they count as applied, and only versions and nodes move.
    record: AppliedRecord | None = None

    @property
    def known(self) -> bool:
        return not self.problems and self.control_plane is not None and self.nodes is not None


@dataclass(frozen=True)
class RegionLive:
    """Live facts of one region, keyed by cluster name (not id)."""

    region: str
    clusters: dict[str, ClusterLive] = field(default_factory=dict)
    problems: tuple[str, ...] = ()  # region-wide: management cluster unreadable, ...

    def cluster(self, name: str) -> ClusterLive:
        """Facts for a cluster; a cluster never read is unknown, not absent."""
        found = self.clusters.get(name)
        if found is not None:
            return found
        reason = self.problems or (f"no live state was read for cluster {name}",)
        return ClusterLive(cluster_id(self.region, name), exists=False, control_plane=None, nodes=None, problems=reason)


@dataclass(frozen=True)
class LiveState:
    """Facts of every region that was read, and what other regions report about their clusters (waves)."""

    regions: dict[str, RegionLive] = field(default_factory=dict)
    peers: dict[str, PeerFacts] = field(default_factory=dict)  # cluster id -> facts of a region not read here

    def region(self, name: str) -> RegionLive:
        found = self.regions.get(name)
        if found is not None:
            return found
        return RegionLive(name, problems=(f"no live state was read for region {name}",))
