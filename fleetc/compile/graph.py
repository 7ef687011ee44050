"""The desired graph: what one region should look like after this step.

Engine-free IR shared by three consumers: ``components/`` (Pulumi),
``render`` (plain YAML) and the policy rules. Nodes are typed, carry stable
ids (a Pulumi resource name is derived from the id, so ids must never depend
on ordering or on live state) and name their dependencies and parent group.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fleetc.compile.props import T, typed
from fleetc.errors import Pos


class Kind(StrEnum):
    # groups (ComponentResources in Pulumi; folders in render)
    REGION = "Region"
    CONTROL_PLANE = "HostedControlPlane"
    ADDON_BUNDLE = "AddonBundle"
    NODE_POOL = "NodePool"
    # leaves
    PROVIDER = "Provider"  # a Kubernetes API endpoint: the management cluster or a customer cluster
    MANIFEST = "Manifest"  # a plain Kubernetes object (Namespace, Deployment, StatefulSet, Service, PDB, ConfigMap...)
    HELM_RELEASE = "HelmRelease"
    NODE_PATCH = "NodePatch"
    POD_PATCH = "PodPatch"  # one annotation on one pod (a checkpoint request); never the pod's spec


GROUP_KINDS = frozenset({Kind.REGION, Kind.CONTROL_PLANE, Kind.ADDON_BUNDLE, Kind.NODE_POOL})


@dataclass(frozen=True)
class Node:
    """One desired object.

    ``props`` by kind (typed classes of ``fleetc.compile.props``, which also
    read as camelCase mappings; use :meth:`typed` for the attributes):
    - MANIFEST: a complete Kubernetes object (apiVersion, kind, metadata, spec...), a dict.
    - HELM_RELEASE: ``HelmReleaseProps``; NODE_PATCH: ``NodePatchProps`` (one node);
      POD_PATCH: ``PodPatchProps`` (one pod's annotations);
      PROVIDER: ``ProviderProps``.
    - groups: ``RegionProps``, ``ControlPlaneProps``, ``AddonBundleProps``, ``NodePoolProps``.
    ``provider`` is the id of the PROVIDER node the object is applied through.
    ``source`` is the spec location a policy violation about it blames.
    """

    id: str
    kind: Kind
    props: Mapping[str, Any]
    parent: str | None = None
    deps: tuple[str, ...] = ()
    provider: str | None = None
    cluster: str | None = None  # <region>/<name>, None for region-wide nodes
    source: Pos | None = None

    @property
    def name(self) -> str:
        """The last segment of the id: unique among siblings."""
        return self.id.rsplit("/", 1)[-1]

    def typed(self, cls: type[T]) -> T:
        """The node's properties as their typed class (TypeError for a node of another kind)."""
        return typed(self.props, cls)

    @property
    def api_kind(self) -> str | None:
        """The Kubernetes kind of a MANIFEST node (Deployment, StatefulSet...)."""
        kind = self.props.get("kind") if self.kind is Kind.MANIFEST else None
        return kind if isinstance(kind, str) else None


@dataclass
class DesiredGraph:
    """Nodes in insertion order (parents before children, deps before dependents)."""

    region: str
    nodes: dict[str, Node] = field(default_factory=dict)

    def add(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise ValueError(f"duplicate node id {node.id}")
        missing = [d for d in (*node.deps, node.parent, node.provider) if d is not None and d not in self.nodes]
        if missing:
            raise ValueError(f"node {node.id} refers to unknown nodes {missing}")
        self.nodes[node.id] = node
        return node

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    def get(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id)

    def of_kind(self, kind: Kind) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind is kind]

    def children(self, parent: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.parent == parent]

    def manifests(self, api_kind: str | None = None) -> list[Node]:
        return [
            n for n in self.nodes.values() if n.kind is Kind.MANIFEST and (api_kind is None or n.api_kind == api_kind)
        ]
