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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from types import MappingProxyType

# --------------------------------------------------------------- Kubernetes' own

ZONE_LABEL = "topology.kubernetes.io/zone"
HOSTNAME_LABEL = "kubernetes.io/hostname"
MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"  # static pods' mirrors in the API
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
PART_OF_LABEL = "app.kubernetes.io/part-of"
COMPONENT_LABEL = "app.kubernetes.io/component"

# --------------------------------------------------------------- Pulumi's (pulumi-kubernetes) annotations

PULUMI_WAIT_FOR = "pulumi.com/waitFor"  # the provider waits until the condition holds (PULUMI-NOTES)
PULUMI_TIMEOUT_SECONDS = "pulumi.com/timeoutSeconds"
PULUMI_PATCH_FORCE = "pulumi.com/patchForce"
PULUMI_PATCH_FIELD_MANAGER = "pulumi.com/patchFieldManager"

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
# Effects of the upgrade-pending taint (docs/planner.md, "Busy nodes"): soft until the cluster's
# upgrade.busyNodes policy escalates it. Neither ever evicts a running pod.
PENDING_SOFT = "PreferNoSchedule"
PENDING_HARD = "NoSchedule"
# Keys of CLUSTER_CONFIGMAP's data that fleetc reads back as live state (docs/spec.md 6.4, docs/rollouts.md).
RECORD_ADDONS = "addons"  # JSON: add-on -> chart version applied
RECORD_ADDON_VALUES = "addonValues"  # JSON: add-on -> fingerprint of the merged Helm values applied
RECORD_CONTROL_PLANE = "controlPlane"  # fingerprint of the control-plane settings applied
RECORD_ROLLED_OUT = "rolledOut"  # JSON: the last revision the whole cluster reached, and when ("at")

# Objects and containers of a hosted control plane in the management cluster (docs/spec.md sections 4 and 6.1).
APISERVER = "kube-apiserver"
ETCD = "etcd"

# Kamaji (docs/spec.md 6.1): the TenantControlPlane of cluster <c> is named <c> in cp-<c>.
KAMAJI_API_VERSION = "kamaji.clastix.io/v1alpha1"
TENANT_CONTROL_PLANE = "TenantControlPlane"
KAMAJI_NAME_LABEL = "kamaji.clastix.io/name"  # on the TenantControlPlane's Deployment pods: <tcp name>
KAMAJI_ADMIN_KEY = "admin.conf"  # admin kubeconfig, server = the published endpoint (Pulumi, the live reader)
KAMAJI_ADMIN_SVC_KEY = "admin.svc"  # admin kubeconfig, server = <tcp>.<ns>.svc (Flux in the management cluster)
# A TenantControlPlane is ready when this status field says so (Pulumi waits on it: pulumi.com/waitFor).
KAMAJI_READY_PATH = "status.kubernetesResources.version.status"
KAMAJI_READY = "Ready"


def kamaji_admin_secret(cluster: str) -> str:
    """The admin kubeconfig Secret Kamaji writes for TenantControlPlane <cluster> (its status names it too)."""
    return f"{cluster}-admin-kubeconfig"


def datastore_name(cluster: str) -> str:
    """The (cluster-scoped) Kamaji DataStore of a cluster's dedicated etcd: unique in the management cluster."""
    return f"{control_plane_namespace(cluster)}-etcd"


# --------------------------------------------------------------- other owners' names fleetc relies on

# Kamaji's labels on every object it creates for a TenantControlPlane (internal/constants/labels.go, 26.8.2-edge).
KAMAJI_NAME_LABEL = "kamaji.clastix.io/name"  # the TenantControlPlane's name; also on its pods
KAMAJI_COMPONENT_LABEL = "kamaji.clastix.io/component"  # which of Kamaji's resources made it ("service", ...)

# What makes kube-prometheus-stack's Prometheus pick up a ServiceMonitor, PodMonitor or PrometheusRule: with
# the chart's defaults (``*SelectorNilUsesHelmValues: true``) the label ``release: <its Helm release name>``,
# in any namespace. fleetc assumes the release is named kube-prometheus-stack (docs/management-cluster.md).
PROMETHEUS_OPERATOR_API = "monitoring.coreos.com/v1"  # ServiceMonitor, PodMonitor, PrometheusRule
PROMETHEUS_SELECTOR_LABELS: Mapping[str, str] = MappingProxyType({"release": "kube-prometheus-stack"})


def cluster_id(region: str, name: str) -> str:
    """``<region>/<name>``: how a cluster is named across regions (docs/spec.md section 2)."""
    return f"{region}/{name}"


def split_cluster_id(value: str) -> tuple[str, str]:
    """``(region, name)`` of a ``<region>/<name>`` id; ValueError if it is not one."""
    region, slash, name = value.partition("/")
    if not slash or not region or not name or "/" in name:
        raise ValueError(f"{value!r} is not <region>/<cluster>")
    return region, name


def utc_stamp(instant: datetime) -> str:
    """How fleetc writes an instant into a node annotation: RFC 3339 in UTC, whole seconds (naive means UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    def pending_since(self) -> str:
        """Node annotation: when fleetc first marked the node pending (RFC 3339, UTC); kept while it stays pending."""
        return self._key("pending-since")

    @cached_property
    def upgrade_requested(self) -> str:
        """Pod annotation: when fleetc asked the pod's job to checkpoint and exit (docs/checkpoint-requests.md)."""
        return self._key("upgrade-requested")

    @cached_property
    def upgrade_deadline(self) -> str:
        """Pod annotation: the checkpoint request's deadline, when the cluster configures one (informational)."""
        return self._key("upgrade-deadline")

    @cached_property
    def cordoned_by(self) -> str:
        """Node label: ``fleetc`` on nodes fleetc cordoned; fleetc uncordons only those."""
        return self._key("cordoned-by")

    @cached_property
    def do_not_disrupt(self) -> str:
        """Node or pod annotation: ``"true"`` keeps the node busy."""
        return self._key("do-not-disrupt")
