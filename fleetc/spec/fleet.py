"""The loaded fleet: every document, indexed, with derived per-cluster answers.

The questions asked of a cluster by the planner, the compiler and the policy
rules (its target versions, its effective add-ons, whether it has GPUs) are
answered here once, so the three never disagree.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetc.conventions import cluster_id
from fleetc.spec.models import (
    Addon,
    ApprovalDoc,
    Cluster,
    FleetDoc,
    InstanceType,
    RegionDoc,
    TenantDoc,
)
from fleetc.versions import Version

# Charts that are a CNI (chart names in their upstream repositories): installed first (compile/addon_order.py),
# told where the apiserver is (FleetSpec.addons), disruptive by nature (policy rule disruptive-addon-unmarked).
CNI_CHARTS = frozenset({"cilium", "calico", "tigera-operator", "flannel", "antrea"})
# Charts whose upgrade restarts node agents on every node: they must be marked ``disruptive: true``.
DISRUPTIVE_CHARTS = frozenset({"gpu-operator", "network-operator"}) | CNI_CHARTS


def is_cni(addon: Addon) -> bool:
    return addon.chart.name in CNI_CHARTS


@dataclass(frozen=True)
class Targets:
    """What a cluster should run once every rollout is done."""

    kubernetes: Version
    etcd: Version
    node_image: str


@dataclass(frozen=True)
class ApprovalPolicy:
    """Who may approve which cluster's upgrades.

    docs/spec.md section 2: an approval counts only when it is in the commit being
    deployed. What decides whether it counts -- the tenant's approvers and
    the cluster's ``approval`` mode -- must come from that same commit, or an
    uncommitted edit (adding an approver, switching to ``automatic``) would
    unlock a committed approval. The repository reader builds this from the
    fleet as committed; outside git it is the fleet on disk.
    """

    approvers: Mapping[str, tuple[str, ...]]  # tenant -> approvers
    required: frozenset[str]  # ids of clusters whose approval mode is ``required``

    @classmethod
    def of(cls, spec: FleetSpec) -> ApprovalPolicy:
        return cls(
            approvers={name: tuple(t.spec.approvers) for name, t in spec.tenants.items()},
            required=frozenset(
                cluster_id(region, c.name) for region, c in spec.clusters() if c.upgrade.approval == "required"
            ),
        )


@dataclass
class FleetSpec:
    root: Path
    fleet: FleetDoc
    tenants: dict[str, TenantDoc] = field(default_factory=dict)
    regions: dict[str, RegionDoc] = field(default_factory=dict)
    approvals: list[ApprovalDoc] = field(default_factory=list)

    @property
    def label_prefix(self) -> str:
        return self.fleet.spec.label_prefix

    def clusters(self, region: str | None = None) -> Iterator[tuple[str, Cluster]]:
        """(region name, cluster) pairs, in file order; one region if given."""
        for name, doc in self.regions.items():
            if region is None or name == region:
                for cluster in doc.spec.clusters:
                    yield name, cluster

    def cluster(self, cluster_id: str) -> Cluster | None:
        region, _, name = cluster_id.partition("/")
        doc = self.regions.get(region)
        if doc is None:
            return None
        return next((c for c in doc.spec.clusters if c.name == name), None)

    def region_clusters(self) -> dict[str, list[str]]:
        """Region name -> cluster names: what live readers need to know."""
        return {name: [c.name for c in doc.spec.clusters] for name, doc in self.regions.items()}

    def targets(self, cluster: Cluster) -> Targets:
        channel = self.fleet.spec.channels[cluster.channel]
        pins = cluster.versions
        return Targets(
            kubernetes=Version.parse(pins.kubernetes or channel.kubernetes),
            etcd=Version.parse(pins.etcd or channel.etcd),
            node_image=pins.node_image or channel.node_image,
        )

    def intermediate_images(self, cluster: Cluster) -> dict[tuple[int, int], str]:
        """Node images for minors before the cluster's target, by (major, minor): the path's intermediate stages.

        From the cluster's channel: its ``nodeImages``, and its own
        ``nodeImage`` at its own minor when a pin takes the cluster past it.
        """
        channel = self.fleet.spec.channels[cluster.channel]
        target = self.targets(cluster).kubernetes
        images: dict[tuple[int, int], str] = {}
        for minor, image in channel.node_images.items():
            major, _, number = minor.partition(".")
            images[(int(major), int(number))] = image
        own = Version.parse(channel.kubernetes)
        images.setdefault((own.major, own.minor), channel.node_image)
        return {key: image for key, image in images.items() if key < (target.major, target.minor)}

    def instance_type(self, name: str) -> InstanceType | None:
        return self.fleet.spec.instance_types.get(name)

    def has_gpu(self, cluster: Cluster) -> bool:
        return any(self.pool_gpus(cluster, pool.instance_type) > 0 for pool in cluster.node_pools)

    def pool_gpus(self, cluster: Cluster, instance_type: str) -> int:
        found = self.instance_type(instance_type)
        return found.gpus if found else 0

    def addons(self, cluster: Cluster) -> list[Addon]:
        """The cluster's effective add-ons: bundle minus disabled plus extra,
        ``when: gpu`` honoured, per-cluster values deep-merged over the bundle's."""
        bundle = self.fleet.spec.bundles.get(cluster.bundle) if cluster.bundle else None
        chosen = [*(bundle.addons if bundle else []), *cluster.addons.extra]
        gpu = self.has_gpu(cluster)
        disabled = set(cluster.addons.disable)
        result = []
        for addon in chosen:
            if addon.name in disabled or (addon.when == "gpu" and not gpu):
                continue
            override = dict(cluster.addons.values.get(addon.name) or {})
            endpoint = cluster.control_plane.endpoint
            if is_cni(addon) and endpoint is not None:
                # The CNI replaces kube-proxy and must reach the apiserver before any Service works: its
                # published address (an IP: no DNS needed at boot), unless the values already say where.
                values = deep_merge(addon.values, override)
                override.setdefault("k8sServiceHost", values.get("k8sServiceHost", endpoint.address))
                override.setdefault("k8sServicePort", values.get("k8sServicePort", endpoint.port))
            if override:
                merged = addon.model_copy(update={"values": deep_merge(addon.values, override)})
                merged._anchor = addon._anchor
                addon = merged
            result.append(addon)
        return result


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm-style merge: mappings merge key by key, anything else replaces."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result
