"""``compile_region``: the fleet and the plan in, one region's desired graph out.

Pure and deterministic: the same spec, plan and ``now`` always give the same
graph, node for node and byte for byte, so a Pulumi preview of an unchanged
fleet is empty and a rendered manifest directory does not churn. Nodes are
added parents first and dependencies first (DesiredGraph's order), which is
the order the Pulumi components and the renderer walk them in.
"""

from __future__ import annotations

from datetime import datetime

from fleetc import conventions
from fleetc.compile import ids
from fleetc.compile.addons import compile_addons
from fleetc.compile.context import ClusterContext
from fleetc.compile.control_plane import compile_control_plane, tenant_control_plane_id
from fleetc.compile.earlier_control_plane import compile_earlier_control_plane
from fleetc.compile.graph import DesiredGraph, Kind, Node
from fleetc.compile.management import ManagementOptions, compile_management
from fleetc.compile.monitoring import control_plane_monitors
from fleetc.compile.node_pools import compile_pools
from fleetc.compile.objects import manifest_node
from fleetc.compile.props import MANAGEMENT_CLUSTER, KubeconfigRef, ProviderProps, RegionProps
from fleetc.plan.model import ClusterPlan, Phase, Plan, Reason
from fleetc.spec.anchors import where
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import Cluster


def compile_region(
    spec: FleetSpec,
    plan: Plan,
    region: str,
    now: datetime | None = None,
    management: ManagementOptions = ManagementOptions(),
) -> DesiredGraph:
    """The desired graph of ``region`` after the plan's current step.

    ``now`` is the plan's clock: it is written as ``reimage-requested-at`` on
    nodes this step reimages (a Step carries no time), and is only required
    when the plan has a ``reimage`` step. A cluster missing from the plan is
    compiled as unknown: its control plane is kept exactly as it is live.
    ``management`` says which batteries the stack installs into the management
    cluster and whether it runs kube-prometheus-stack (fleetc.compile.management).
    """
    doc = spec.regions.get(region)
    if doc is None:
        known = ", ".join(sorted(spec.regions)) or "none"
        raise ValueError(f"region {region!r} is not in the fleet (regions: {known})")
    graph = DesiredGraph(region)
    graph.add(
        Node(
            id=region,
            kind=Kind.REGION,
            props=RegionProps(region, list(doc.spec.failure_domains), [c.name for c in doc.spec.clusters]),
            source=where(doc, "metadata", "name"),
        )
    )
    graph.add(
        Node(
            id=ids.management_provider(region),
            kind=Kind.PROVIDER,
            props=ProviderProps(MANAGEMENT_CLUSTER, region),
            parent=region,
            source=where(doc, "metadata", "name"),
        )
    )
    for node in compile_management(region, management, source=where(doc, "metadata", "name")):
        graph.add(node)
    for cluster in doc.spec.clusters:
        cluster_id = ids.cluster(region, cluster.name)
        cluster_plan = plan.clusters.get(cluster_id) or _unknown_plan(spec, cluster_id, cluster)
        ctx = ClusterContext(
            spec=spec,
            region=doc,
            cluster=cluster,
            plan=cluster_plan,
            steps=tuple(plan.steps_for(cluster_id)),
            nodes_waiting=any(
                b.cluster == cluster_id and b.reason is Reason.CONTROL_PLANE_NOT_READY for b in plan.blocked
            ),
            now=now,
            management=management,
        )
        for node in _cluster_nodes(ctx):
            graph.add(node)
    return graph


def _cluster_nodes(ctx: ClusterContext) -> list[Node]:
    if ctx.plan.earlier_form:
        # The Cluster API Secret an earlier-form control plane was built with (docs/control-plane.md).
        secret = KubeconfigRef(ctx.namespace, ids.kubeconfig_secret(ctx.cluster.name), "value")
        return [*compile_earlier_control_plane(ctx), _provider(ctx, secret), *compile_addons(ctx), *compile_pools(ctx)]
    control_plane = compile_control_plane(ctx)
    tcp = tenant_control_plane_id(ctx)
    # The admin kubeconfig Secret the TenantControlPlane's status names (docs/spec.md 6.1): an Output of the
    # TenantControlPlane, so a preview of a new cluster reads nothing.
    secret = KubeconfigRef(
        ctx.namespace, conventions.kamaji_admin_secret(ctx.cluster.name), conventions.KAMAJI_ADMIN_KEY, status_of=tcp
    )
    nodes = [*control_plane, *_monitor_nodes(ctx, control_plane), _provider(ctx, secret, deps=(tcp,))]
    nodes.extend(compile_addons(ctx))
    nodes.extend(compile_pools(ctx))
    return nodes


def _provider(ctx: ClusterContext, secret: KubeconfigRef, deps: tuple[str, ...] = ()) -> Node:
    """The customer cluster's API, reached with the kubeconfig in ``secret`` (through the management cluster)."""
    return Node(
        id=ids.provider(ctx.id),
        kind=Kind.PROVIDER,
        props=ProviderProps(ctx.id, ctx.region_name, secret),
        parent=ids.control_plane(ctx.id),
        deps=deps,
        cluster=ctx.id,
        source=where(ctx.cluster, "name"),
    )


def _monitor_nodes(ctx: ClusterContext, control_plane: list[Node]) -> list[Node]:
    """The control plane's monitors (fleetc.compile.monitoring), in its group, after its namespace."""
    if not ctx.management.monitoring:
        return []
    group = ids.control_plane(ctx.id)
    namespace = [
        n.id for n in control_plane if n.api_kind == "Namespace" and n.props["metadata"]["name"] == ctx.namespace
    ]
    return [
        manifest_node(
            group,
            obj,
            provider=ids.management_provider(ctx.region_name),
            cluster=ctx.id,
            deps=namespace,
            source=where(ctx.cluster, "name"),
        )
        for obj in control_plane_monitors(ctx)
    ]


def _unknown_plan(spec: FleetSpec, cluster_id: str, cluster: Cluster) -> ClusterPlan:
    """Fail closed: no plan for a cluster means nothing about it may change."""
    targets = spec.targets(cluster)
    return ClusterPlan(cluster_id, Phase.UNKNOWN, targets.kubernetes, targets.node_image, None, None)
