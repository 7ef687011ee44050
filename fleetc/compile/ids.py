"""Stable ids of the desired graph (docs/CONVENTIONS.md).

A Pulumi resource name is derived from the id, so an id may only depend on
names written in the fleet (region, cluster, pool, add-on) and on node names
from the plan, never on ordering or on live values such as versions.
"""

from __future__ import annotations

from fleetc import conventions


def management_provider(region: str) -> str:
    return f"{region}/management"


def batteries(region: str) -> str:
    """Prefix of the management cluster's own batteries (cert-manager, Kamaji): ``<region>/management``.

    The management provider's id, so that a battery's id names no cluster (``fleetc.policy.resources``
    reads the cluster from an id's second segment unless it is ``management``).
    """
    return management_provider(region)


def cluster(region: str, name: str) -> str:
    return conventions.cluster_id(region, name)


def provider(cluster_id: str) -> str:
    return f"{cluster_id}/provider"


def control_plane(cluster_id: str) -> str:
    return f"{cluster_id}/control-plane"


def addons(cluster_id: str) -> str:
    return f"{cluster_id}/addons"


def addon(cluster_id: str, name: str) -> str:
    return f"{addons(cluster_id)}/{name}"


def pool(cluster_id: str, name: str) -> str:
    return f"{cluster_id}/pools/{name}"


def node_patch(cluster_id: str, pool_name: str, node: str) -> str:
    return f"{pool(cluster_id, pool_name)}/node-{node}"


def pod_patch(cluster_id: str, pool_name: str, pod: str) -> str:
    """``pod-<namespace>.<name>``: a namespace has no dot (a DNS label), so the first dot splits them."""
    namespace, _, name = pod.partition("/")
    return f"{pool(cluster_id, pool_name)}/pod-{namespace}.{name}"


def manifest(group_id: str, api_kind: str, name: str) -> str:
    """``<group>/<kind>-<name>``, kind lower-case: ``.../control-plane/deployment-kube-apiserver``."""
    return f"{group_id}/{api_kind.lower()}-{name}"


def namespace_name(cluster_name: str) -> str:
    """The management-cluster namespace of a hosted control plane (docs/spec.md section 4)."""
    return conventions.control_plane_namespace(cluster_name)


def kubeconfig_secret(cluster_name: str) -> str:
    """The Cluster API kubeconfig Secret of a cluster, in its control-plane namespace (key ``value``)."""
    return f"{cluster_name}-kubeconfig"
