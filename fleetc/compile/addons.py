"""A cluster's effective add-ons as Helm releases on the customer cluster.

The list comes from :meth:`FleetSpec.addons` (bundle minus disabled plus
extra, ``when: gpu`` honoured, values deep-merged), so the compiler, the
planner and the policy rules never disagree on it. Each release depends on
the whole control-plane group: a chart is only installed or upgraded against
an apiserver that is fully rolled out.

A cluster created in this step gets its add-ons in the same run: Pulumi
waits until its TenantControlPlane is Ready, and the provider's kubeconfig
is an Output of that TenantControlPlane's status (docs/spec.md 6.1).
"""

from __future__ import annotations

import copy

from fleetc.compile import ids
from fleetc.compile.context import ClusterContext
from fleetc.compile.graph import Kind, Node
from fleetc.compile.props import AddonBundleProps, HelmReleaseProps
from fleetc.spec.anchors import where


def compile_addons(ctx: ClusterContext) -> list[Node]:
    addons = ctx.spec.addons(ctx.cluster)
    group_id = ids.addons(ctx.id)
    group = Node(
        id=group_id,
        kind=Kind.ADDON_BUNDLE,
        props=AddonBundleProps(ctx.cluster.bundle, [a.name for a in addons]),
        parent=ctx.region_name,
        cluster=ctx.id,
        source=where(ctx.cluster, "addons") if ctx.cluster.bundle is None else where(ctx.cluster, "bundle"),
    )
    nodes = [group]
    for addon in addons:
        nodes.append(
            Node(
                id=ids.addon(ctx.id, addon.name),
                kind=Kind.HELM_RELEASE,
                props=HelmReleaseProps(
                    name=addon.name,
                    namespace=addon.namespace,
                    chart=addon.chart.name,
                    repository=addon.chart.repository,
                    version=addon.chart.version,
                    helm_values=copy.deepcopy(addon.values),
                    create_namespace=True,
                ),
                parent=group_id,
                deps=(ids.control_plane(ctx.id),),
                provider=ids.provider(ctx.id),
                cluster=ctx.id,
                source=where(addon),
            )
        )
    return nodes
