"""The four ComponentResources: one per concept of the fleet (DESIGN.md).

``Region`` > ``HostedControlPlane`` | ``AddonBundle`` | ``NodePool``, each
built from one group node of the desired graph and the nodes under it. A
component creates its children in graph order, parents every one of them to
itself, and registers its outputs last; it decides nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi

from components.wiring import Wiring
from fleetc.compile.graph import GROUP_KINDS, DesiredGraph, Kind, Node
from fleetc.compile.props import ControlPlaneProps, HelmReleaseProps, NodePatchProps, NodePoolProps


@dataclass(frozen=True)
class GroupArgs:
    """A group node, its direct children in graph order, and the shared wiring."""

    group: Node
    members: Sequence[Node]
    wiring: Wiring


class _GraphGroup(pulumi.ComponentResource):
    """Shared body: build every member (nested groups as components), then register outputs."""

    type_token: ClassVar[str]
    kind: ClassVar[Kind]

    def __init__(self, args: GroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if args.group.kind is not self.kind:
            raise ValueError(f"{args.group.id} is a {args.group.kind}, not a {self.kind}")
        super().__init__(self.type_token, args.group.id, None, opts)
        args.wiring.register(args.group.id, self)
        self.children_by_id: dict[str, pulumi.Resource] = {}
        for member in args.members:
            if member.kind in GROUP_KINDS:
                child: pulumi.Resource = component_for(member, args.wiring, parent=self)
            else:
                child = args.wiring.build(member, parent=self)
            self.children_by_id[member.id] = child
        self.register_outputs(self.outputs(args))

    def outputs(self, args: GroupArgs) -> dict[str, Any]:
        return {"id": args.group.id, "resources": len(args.members)}


@dataclass(frozen=True)
class HostedControlPlaneArgs(GroupArgs):
    """A HostedControlPlane group: the control-plane manifests and the customer cluster's provider."""

    @property
    def control_plane(self) -> ControlPlaneProps:
        """Versions the plan allows now, the target, the phase and sizes."""
        return self.group.typed(ControlPlaneProps)


class HostedControlPlane(_GraphGroup):
    """One customer cluster's control plane in ``cp-<cluster>`` of the management cluster."""

    type_token = "fleetc:index:HostedControlPlane"
    kind = Kind.CONTROL_PLANE

    def outputs(self, args: GroupArgs) -> dict[str, Any]:
        assert isinstance(args, HostedControlPlaneArgs)
        cp = args.control_plane
        return {"version": cp.version, "etcdVersion": cp.etcd_version, "phase": cp.phase}


@dataclass(frozen=True)
class AddonBundleArgs(GroupArgs):
    """An AddonBundle group: one Helm release per effective add-on."""

    @property
    def releases(self) -> list[HelmReleaseProps]:
        return [m.typed(HelmReleaseProps) for m in self.members if m.kind is Kind.HELM_RELEASE]


class AddonBundle(_GraphGroup):
    """A cluster's add-ons, installed through the cluster's own provider after its control plane."""

    type_token = "fleetc:index:AddonBundle"
    kind = Kind.ADDON_BUNDLE

    def outputs(self, args: GroupArgs) -> dict[str, Any]:
        assert isinstance(args, AddonBundleArgs)
        return {"releases": [release.name for release in args.releases]}


@dataclass(frozen=True)
class NodePoolArgs(GroupArgs):
    """A NodePool group: the pool's ConfigMap and this step's NodePatches."""

    @property
    def pool(self) -> NodePoolProps:
        return self.group.typed(NodePoolProps)

    @property
    def patches(self) -> list[NodePatchProps]:
        return [m.typed(NodePatchProps) for m in self.members if m.kind is Kind.NODE_PATCH]


class NodePool(_GraphGroup):
    """A pool's desired state for the provisioner, and the node patches of the current wave."""

    type_token = "fleetc:index:NodePool"
    kind = Kind.NODE_POOL

    def outputs(self, args: GroupArgs) -> dict[str, Any]:
        assert isinstance(args, NodePoolArgs)
        return {"image": args.pool.image, "nodePatches": [patch.name for patch in args.patches]}


@dataclass(frozen=True)
class RegionArgs:
    """One region's desired graph and the management cluster's kubeconfig (a secret)."""

    graph: DesiredGraph
    kubeconfig: pulumi.Input[str]


class Region(pulumi.ComponentResource):
    """The stack's root component: the management provider and every cluster's components."""

    type_token = "fleetc:index:Region"

    def __init__(self, name: str, args: RegionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        graph = args.graph
        root = graph.get(graph.region)
        if root is None or root.kind is not Kind.REGION:
            raise ValueError(f"graph of {graph.region} has no Region node {graph.region!r}")
        super().__init__(self.type_token, name, None, opts)
        self.wiring = Wiring(args.kubeconfig, graph)
        self.wiring.register(root.id, self)
        self.components: dict[str, pulumi.Resource] = {}
        for member in self.wiring.children(root.id):
            if member.kind in GROUP_KINDS:
                self.components[member.id] = component_for(member, self.wiring, parent=self)
            else:
                self.components[member.id] = self.wiring.build(member, parent=self)
        self.register_outputs(
            {
                "region": graph.region,
                "clusters": root.props.get("clusters", []),
                "resources": sum(1 for n in graph if n.kind not in GROUP_KINDS),
            }
        )


COMPONENTS: dict[Kind, tuple[type[_GraphGroup], type[GroupArgs]]] = {
    Kind.CONTROL_PLANE: (HostedControlPlane, HostedControlPlaneArgs),
    Kind.ADDON_BUNDLE: (AddonBundle, AddonBundleArgs),
    Kind.NODE_POOL: (NodePool, NodePoolArgs),
}


def component_for(group: Node, wiring: Wiring, parent: pulumi.Resource) -> pulumi.Resource:
    """The component of a group node below the region, with its members built inside it."""
    found = COMPONENTS.get(group.kind)
    if found is None:
        raise ValueError(f"{group.id}: no component for a {group.kind} below the region")
    cls, args_cls = found
    args = args_cls(group=group, members=wiring.children(group.id), wiring=wiring)
    return cls(args, pulumi.ResourceOptions(parent=parent))
