"""Every name fleetc reads or writes in a cluster, in one place.

Labels, annotations, taints, namespaces, object names and id formats are a
contract with the clusters (and with the people and tools reading them): a
key spelt twice drifts. Everything here is a constant or a pure function of
the fleet's names, so this module sits on the ground floor and imports
nothing of fleetc. docs/CONVENTIONS.md explains each name; this module is
where the code takes them from.

Keys under the fleet's ``labelPrefix`` (docs/spec.md section 2) come from
:class:`Keys`, built once per fleet; keys of other owners (Kubernetes,
app.kubernetes.io, fleetc's own ``fleetc.dev``) are module constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

# --------------------------------------------------------------- Kubernetes' own

ZONE_LABEL = "topology.kubernetes.io/zone"
HOSTNAME_LABEL = "kubernetes.io/hostname"
MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"  # static pods' mirrors in the API
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
PART_OF_LABEL = "app.kubernetes.io/part-of"
COMPONENT_LABEL = "app.kubernetes.io/component"

# --------------------------------------------------------------- fleetc's fixed names

MANAGED_BY = "fleetc"  # value of MANAGED_BY_LABEL on everything fleetc applies
FLEETC_DOMAIN = "fleetc.dev"  # fleetc's own keys, independent of a fleet's labelPrefix
SOURCE_ANNOTATION = f"{FLEETC_DOMAIN}/source"  # where in fleet/ an object comes from
KEEP_LIVE_ANNOTATION = f"{FLEETC_DOMAIN}/keep-live"
KEEP_LIVE_REASON_ANNOTATION = f"{FLEETC_DOMAIN}/keep-live-reason"
POOL_CONFIG_LABEL = f"{FLEETC_DOMAIN}/pool"  # on a pool's desired-state ConfigMap
CLUSTER_LABEL = f"{FLEETC_DOMAIN}/cluster"  # on a control-plane namespace
REGION_LABEL = f"{FLEETC_DOMAIN}/region"
CORDONED_BY_FLEETC = "fleetc"  # value of Keys.cordoned_by on nodes fleetc cordoned
CLUSTER_CONFIGMAP = "fleetc-cluster"  # per cluster in cp-<cluster>: applied revision (SPEC 6.4)
# Keys of CLUSTER_CONFIGMAP's data that fleetc reads back as live state (docs/spec.md 6.4, docs/rollouts.md).
RECORD_ADDONS = "addons"  # JSON: add-on -> chart version applied
RECORD_ADDON_VALUES = "addonValues"  # JSON: add-on -> fingerprint of the merged Helm values applied
RECORD_CONTROL_PLANE = "controlPlane"  # fingerprint of the control-plane settings applied
RECORD_ROLLED_OUT = "rolledOut"  # JSON: the last revision the whole cluster reached, and when ("at")

# Objects and containers of a hosted control plane in the management cluster (docs/spec.md sections 4 and 6.1).
APISERVER = "kube-apiserver"
ETCD = "etcd"


def cluster_id(region: str, name: str) -> str:
    """``<region>/<name>``: how a cluster is named across regions (docs/spec.md section 2)."""
    return f"{region}/{name}"


def split_cluster_id(value: str) -> tuple[str, str]:
    """``(region, name)`` of a ``<region>/<name>`` id; ValueError if it is not one."""
    region, slash, name = value.partition("/")
    if not slash or not region or not name or "/" in name:
        raise ValueError(f"{value!r} is not <region>/<cluster>")
    return region, name


def control_plane_namespace(cluster: str) -> str:
    """Namespace of a hosted control plane in its region's management cluster (docs/spec.md section 4)."""
    return f"cp-{cluster}"


def pool_configmap(pool: str) -> str:
    """The desired-state ConfigMap of a node pool, read by the bare-metal provisioner."""
    return f"nodepool-{pool}"


@dataclass(frozen=True)
class Keys:
    """Labels, annotations and taints under a fleet's ``labelPrefix``."""

    prefix: str

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    @cached_property
    def pool(self) -> str:
        """Node label: the spec pool a node belongs to."""
        return self._key("pool")

    @cached_property
    def node_image(self) -> str:
        """Node label: the image the node runs (written by the provisioner)."""
        return self._key("node-image")

    @cached_property
    def target_image(self) -> str:
        """Node label: the image fleetc asked the provisioner to reimage the node to."""
        return self._key("target-image")

    @cached_property
    def reimage_requested_at(self) -> str:
        """Node annotation: when fleetc requested the reimage (what nodeTimeoutMinutes is measured from)."""
        return self._key("reimage-requested-at")

    @cached_property
    def upgrade_pending(self) -> str:
        """Node label and taint key: a busy node waiting to be taken when idle."""
        return self._key("upgrade-pending")

    @cached_property
    def cordoned_by(self) -> str:
        """Node label: ``fleetc`` on nodes fleetc cordoned; fleetc uncordons only those."""
        return self._key("cordoned-by")

    @cached_property
    def do_not_disrupt(self) -> str:
        """Node or pod annotation: ``"true"`` keeps the node busy."""
        return self._key("do-not-disrupt")
