"""A cluster's effective add-ons as Helm releases on the customer cluster.

The list comes from :meth:`FleetSpec.addons` (bundle minus disabled plus
extra, ``when: gpu`` honoured, values deep-merged), so the compiler, the
planner and the policy rules never disagree on it. Each release depends on
the whole control-plane group (a chart is only installed or upgraded against
an apiserver that is fully rolled out) and on the add-ons it must follow
(``addon_order``: the CNI first, CRD providers before their users).

Every change of an add-on is a rollout (docs/spec.md 6.2): the plan says per
add-on what this step applies (``ClusterPlan.revision``). An add-on a gate
holds keeps exactly what is live -- its release is emitted with the applied
chart version and ``version`` and ``values`` kept as they are live (Pulumi:
``ignore_changes``; render: as rendered before) -- and one that is not
installed yet and held is left out (installing it would be the change). When
what is applied is unknown, every release is kept as it is live.

The CNI's values carry the apiserver's address (``k8sServiceHost``/``k8sServicePort``
from ``controlPlane.endpoint``, merged in by :meth:`FleetSpec.addons` so the
planner's values fingerprint sees them too). A cluster without an endpoint gets
no such values: its address is Kamaji's LoadBalancer pick, unknown before the
control plane exists (docs/rollouts.md, "The CNI and the endpoint").

A cluster created in this step gets its add-ons in the same run: Pulumi
waits until its TenantControlPlane is Ready, and the provider's kubeconfig
is an Output of that TenantControlPlane's status (docs/spec.md 6.1).
"""

from __future__ import annotations

import copy

from fleetc.compile import ids
from fleetc.compile.addon_order import addon_dependencies, install_order
from fleetc.compile.context import ClusterContext
from fleetc.compile.graph import Kind, Node
from fleetc.compile.props import AddonBundleProps, HelmReleaseProps
from fleetc.plan.model import AddonPlan
from fleetc.spec.anchors import where

# Helm inputs a held release keeps as they are live (HelmReleaseProps.keep_live).
HELD_INPUTS = ("version", "values")


def compile_addons(ctx: ClusterContext) -> list[Node]:
    revision = ctx.plan.revision
    plans: dict[str, AddonPlan] | None
    if revision is None:
        plans = {} if ctx.plan.phase != "unknown" else None  # no record tracked: as desired; unknown: as live
    else:
        plans = {p.name: p for p in revision.addons} if revision.addons is not None else None
    addons = [a for a in ctx.spec.addons(ctx.cluster) if plans is None or not _left_out(plans.get(a.name))]
    deps = addon_dependencies(addons)
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
    for addon in install_order(addons, deps):
        held = plans is None or (addon.name in plans and plans[addon.name].held)
        plan = plans.get(addon.name) if plans is not None else None
        nodes.append(
            Node(
                id=ids.addon(ctx.id, addon.name),
                kind=Kind.HELM_RELEASE,
                props=HelmReleaseProps(
                    name=addon.name,
                    namespace=addon.namespace,
                    chart=addon.chart.name,
                    repository=addon.chart.repository,
                    version=plan.version if plan is not None and held else addon.chart.version,
                    helm_values=copy.deepcopy(addon.values),
                    create_namespace=True,
                    keep_live=HELD_INPUTS if held else (),
                ),
                parent=group_id,
                deps=(ids.control_plane(ctx.id), *(ids.addon(ctx.id, d) for d in deps[addon.name])),
                provider=ids.provider(ctx.id),
                cluster=ctx.id,
                source=where(addon),
            )
        )
    return nodes


def _left_out(plan: AddonPlan | None) -> bool:
    return plan is not None and plan.held and plan.install
