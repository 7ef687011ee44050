"""Resource requests of control-plane containers, by cluster size.

A 500-node GPU cluster's apiserver holds far more watches and objects than a
10-node one; sizing by the spec (the nodes it asks for, never live counts)
keeps the requests deterministic and reviewable in a PR.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fleetc.spec.models import Cluster


@dataclass(frozen=True)
class Sizing:
    """Resource requests of one control-plane container."""

    cpu: str
    memory: str

    def requests(self) -> dict[str, Any]:
        return {"requests": {"cpu": self.cpu, "memory": self.memory}}


SIZES: dict[str, dict[str, Sizing]] = {
    "small": {  # up to 100 nodes
        "etcd": Sizing("500m", "2Gi"),
        "kube-apiserver": Sizing("1", "2Gi"),
        "kube-controller-manager": Sizing("200m", "512Mi"),
        "kube-scheduler": Sizing("100m", "256Mi"),
    },
    "medium": {  # up to 500 nodes
        "etcd": Sizing("1", "4Gi"),
        "kube-apiserver": Sizing("2", "8Gi"),
        "kube-controller-manager": Sizing("500m", "1Gi"),
        "kube-scheduler": Sizing("250m", "512Mi"),
    },
    "large": {
        "etcd": Sizing("2", "8Gi"),
        "kube-apiserver": Sizing("4", "16Gi"),
        "kube-controller-manager": Sizing("1", "2Gi"),
        "kube-scheduler": Sizing("500m", "1Gi"),
    },
}


def size_class(node_count: int) -> str:
    if node_count <= 100:
        return "small"
    if node_count <= 500:
        return "medium"
    return "large"


def size(cluster: Cluster, component: str) -> Sizing:
    """The requests of ``component`` (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)."""
    nodes = sum(pool.count for pool in cluster.node_pools)
    return SIZES[size_class(nodes)][component]
