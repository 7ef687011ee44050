"""A cluster's revision: everything fleetc applies to it, desired and as recorded live (docs/spec.md 6.2).

The revision is Kubernetes and etcd versions, the node image, the control-plane settings (replicas,
featureGates, extraArgs, endpoint) and, per add-on, its chart version and merged Helm values. The desired one
comes from the fleet (:func:`desired_revision`); what was applied comes from the ``fleetc-cluster`` ConfigMap
(``fleetc.live.records``) for add-ons and settings, and from the live control plane and nodes for versions.

Settings and values are compared by *fingerprint* (a short hash of their canonical JSON), so the record stays
small and never needs to hold a tenant's values; the fingerprint is also what waves compare across clusters
("same target for the fields that changed", docs/spec.md 6.3).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleetc.live.facts import RolledOut
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import Cluster

FINGERPRINT_LENGTH = 16  # hex digits of sha256: collisions are not a concern at fleet sizes


def fingerprint(value: Any) -> str:
    """The short hash of ``value``'s canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def control_plane_settings(cluster: Cluster) -> dict[str, Any]:
    """The control-plane settings that are part of the revision (docs/spec.md 6.2), as written in the fleet."""
    cp = cluster.control_plane
    endpoint = cp.endpoint.model_dump(by_alias=True, exclude_none=True) if cp.endpoint is not None else None
    return {
        "replicas": cp.replicas,
        "featureGates": dict(cp.api_server.feature_gates),
        "extraArgs": dict(cp.api_server.extra_args),
        "endpoint": endpoint,
        # what the TenantControlPlane's apiserver is also configured with (docs/control-plane.md)
        "audit": cp.api_server.audit,
        "auditPolicy": cp.api_server.audit_policy,
        "encryptionAtRest": cp.api_server.encryption_at_rest,
    }


@dataclass(frozen=True)
class AddonRevision:
    """One add-on of a revision: its chart version, values fingerprint, and whether a change restarts node agents."""

    version: str
    values: str
    disruptive: bool


@dataclass(frozen=True)
class Revision:
    """The desired revision of one cluster."""

    kubernetes: str
    etcd: str
    node_image: str
    control_plane: str  # fingerprint of control_plane_settings
    addons: Mapping[str, AddonRevision]


def desired_revision(spec: FleetSpec, cluster: Cluster) -> Revision:
    targets = spec.targets(cluster)
    return Revision(
        kubernetes=str(targets.kubernetes),
        etcd=str(targets.etcd),
        node_image=targets.node_image,
        control_plane=fingerprint(control_plane_settings(cluster)),
        addons={
            addon.name: AddonRevision(addon.chart.version, fingerprint(addon.values), addon.disruptive)
            for addon in spec.addons(cluster)
        },
    )


# The fields a wave compares (docs/spec.md 6.3): one per version, the settings, one per add-on.
KUBERNETES = "kubernetes"
NODE_IMAGE = "nodeImage"
CONTROL_PLANE = "controlPlane"


def addon_field(name: str) -> str:
    return f"addons.{name}"


def field_value(revision: Revision, name: str) -> str | None:
    """The desired value of one wave field (None: this revision does not have it, e.g. an add-on it lacks)."""
    if name == KUBERNETES:
        return f"{revision.kubernetes}/{revision.etcd}"
    if name == NODE_IMAGE:
        return revision.node_image
    if name == CONTROL_PLANE:
        return revision.control_plane
    addon = revision.addons.get(name.removeprefix("addons."))
    return f"{addon.version}/{addon.values}" if addon is not None else None


def describe_field(name: str, value: str | None) -> str:
    """How a person reads one wave field and its value: ``gpu-operator v24.9.2``, ``kubernetes 1.31.2``."""
    if value is None:
        return name
    if name == KUBERNETES:
        return f"kubernetes {value.split('/')[0]}"
    if name == NODE_IMAGE:
        return f"node image {value}"
    if name == CONTROL_PLANE:
        return "control-plane settings"
    return f"{name.removeprefix('addons.')} {value.split('/')[0]}"


def rolled_value(rolled: RolledOut, name: str) -> str | None:
    """The value of one wave field in a recorded ``rolledOut`` (same encoding as :func:`field_value`)."""
    if name == KUBERNETES:
        return f"{rolled.kubernetes}/{rolled.etcd}" if rolled.kubernetes and rolled.etcd else None
    if name == NODE_IMAGE:
        return rolled.node_image
    if name == CONTROL_PLANE:
        return rolled.control_plane
    addon = name.removeprefix("addons.")
    version, values = rolled.addons.get(addon), rolled.addon_values.get(addon)
    return f"{version}/{values}" if version is not None and values is not None else None
