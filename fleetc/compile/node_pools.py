"""Node pools: one desired-state ConfigMap per pool, NodePatches for this step only.

Pulumi never manages nodes one by one (DESIGN.md): a pool is one ConfigMap
``nodepool-<pool>`` in ``cp-<cluster>`` that the bare-metal provisioner
reads, and only the nodes the plan's steps touch *now* get a NODE_PATCH.
The graph is therefore O(clusters + pools + add-ons + nodes of this step).

The pool's ``image`` (and ``kubernetes``) is what a node of the pool, a
freshly provisioned one included, should run. It is the target node image
only once the control plane already runs the target and is ready (a kubelet
is never newer than the apiserver); until then the compiler cannot know the
pool's current image (it is not in the plan) and must not guess, so the two
keys are *kept live*: Pulumi ignores changes to them and the last applied
value -- the image the pool was built with -- stays. When there is no live
value to keep (a first apply), the value is empty: the provisioner builds
nothing rather than a node with a kubelet too new.

NodePatch semantics (server-side apply, one field manager ``fleetc`` for
every patch, so ownership carries over from one step to the next): a patch
states every node field fleetc manages; a field fleetc set before and omits
now is removed by the API server. ``uncordon`` therefore clears
``target-image``, ``reimage-requested-at``, ``upgrade-pending`` and
``pending-since`` by leaving them out (so does ``cordon``: the node is then
no longer pending). ``mark-pending`` stamps ``pending-since`` with the plan's
time; ``escalate-pending`` (the taint's effect to NoSchedule) carries the live
value on, so the annotation is written once per pending spell.
``spec.taints`` is an atomic list in the Node API: a patch that sets it
replaces the whole list, so every patch carries the pool's own taints from
the spec (plus the upgrade-pending taint, PreferNoSchedule or NoSchedule, for
``mark-pending`` and ``escalate-pending``), never just fleetc's. A patch is a one-shot write: when a node drops out of
the next step its NodePatch leaves the graph and the fields stay as written
(components/ marks NodePatches retain-on-delete, because deleting a Pulumi
Patch resource would undo it -- and uncordon a node mid-reimage).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fleetc import conventions
from fleetc.compile import ids
from fleetc.compile.context import ClusterContext
from fleetc.compile.graph import Kind, Node
from fleetc.compile.objects import canonical_json, k8s_object, keep_live, manifest_node
from fleetc.compile.props import NodePatchProps, NodePoolProps, PodPatchProps
from fleetc.conventions import (
    CORDONED_BY_FLEETC,
    PENDING_HARD,
    PENDING_SOFT,
    POOL_CONFIG_LABEL,
    Keys,
    pool_configmap,
    utc_stamp,
)
from fleetc.plan.model import Action, Step
from fleetc.spec.anchors import where
from fleetc.spec.models import NodePool

FIELD_MANAGER = "fleetc"
PATCH_FORCE = conventions.PULUMI_PATCH_FORCE
PATCH_FIELD_MANAGER = conventions.PULUMI_PATCH_FIELD_MANAGER
NODE_ACTIONS = frozenset({Action.CORDON, Action.REIMAGE, Action.UNCORDON, Action.MARK_PENDING, Action.ESCALATE_PENDING})
HELD_REASON = (
    "the control plane is not yet at its target and ready: new nodes keep the pool's current image "
    "(a kubelet is never newer than the apiserver)"
)


def compile_pools(ctx: ClusterContext) -> list[Node]:
    """Every pool's group and ConfigMap, plus NodePatches for this step's nodes."""
    touched = node_actions(ctx.steps)
    requests = checkpoint_requests(ctx.steps)
    pools = {pool.name: pool for pool in ctx.cluster.node_pools}
    unknown = sorted((set(touched) | set(requests)) - set(pools))
    if unknown:
        raise ValueError(f"plan steps for {ctx.id} name pools the spec does not have: {', '.join(unknown)}")
    if touched and ctx.is_new:
        raise ValueError(f"plan has node steps for {ctx.id}, a cluster that is only being created")
    nodes: list[Node] = []
    for pool in ctx.cluster.node_pools:
        group_id = ids.pool(ctx.id, pool.name)
        config = _pool_config(ctx, pool)
        nodes.append(
            Node(
                id=group_id,
                kind=Kind.NODE_POOL,
                props=NodePoolProps(
                    instance_type=pool.instance_type,
                    count=pool.count,
                    image=config["data"]["image"] or None,
                    max_unavailable=pool.max_unavailable_nodes(),
                    touched=len(touched.get(pool.name, {})),
                ),
                parent=ctx.region_name,
                cluster=ctx.id,
                source=where(pool),
            )
        )
        nodes.append(
            manifest_node(
                group_id,
                config,
                provider=ids.management_provider(ctx.region_name),
                cluster=ctx.id,
                # After the whole control plane: a new image is published only to a rolled-out apiserver.
                deps=(ids.control_plane(ctx.id),),
                source=where(pool),
            )
        )
        for node_name, step in sorted(touched.get(pool.name, {}).items()):
            nodes.append(_node_patch(ctx, pool, node_name, step))
        for step in requests.get(pool.name, []):
            nodes.extend(_pod_patches(ctx, pool, step))
    return nodes


def checkpoint_requests(steps: tuple[Step, ...]) -> dict[str, list[Step]]:
    """pool -> its ``request-checkpoint`` steps (one per node), by node name."""
    out: dict[str, list[Step]] = {}
    for step in steps:
        if step.action is Action.REQUEST_CHECKPOINT:
            if step.pool is None:
                raise ValueError(f"plan step {step.action} {step.target} of {step.cluster} names no pool")
            out.setdefault(step.pool, []).append(step)
    return {pool: sorted(found, key=lambda s: s.target) for pool, found in out.items()}


def _pod_patches(ctx: ClusterContext, pool: NodePool, step: Step) -> list[Node]:
    """One POD_PATCH per pod of a ``request-checkpoint`` step: the request's annotations, nothing else.

    Server-side apply with the ``fleetc`` field manager touches only these
    keys of the pod (its spec is never sent); the patch is one-shot like a
    NodePatch (retained on delete), and the next plan sees the annotation on
    the pod and asks no more. docs/checkpoint-requests.md is the protocol.
    """
    keys = Keys(ctx.label_prefix)
    now = ctx.now
    requested = _utc(now, step)
    annotations = {PATCH_FORCE: "true", PATCH_FIELD_MANAGER: FIELD_MANAGER, keys.upgrade_requested: requested}
    deadline = ctx.cluster.upgrade.checkpoint_request.deadline_seconds()
    if deadline is not None and now is not None:
        annotations[keys.upgrade_deadline] = utc_stamp(now + timedelta(seconds=deadline))
    out = []
    for pod in step.pods:
        namespace, slash, name = pod.partition("/")
        if not slash or not namespace or not name:
            raise ValueError(f"request-checkpoint of {step.target} in {step.cluster} names pod {pod!r}, not ns/name")
        out.append(
            Node(
                id=ids.pod_patch(ctx.id, pool.name, pod),
                kind=Kind.POD_PATCH,
                props=PodPatchProps(name=name, namespace=namespace, node=step.target, annotations=dict(annotations)),
                parent=ids.pool(ctx.id, pool.name),
                deps=(ids.control_plane(ctx.id),),
                provider=ids.provider(ctx.id),
                cluster=ctx.id,
                source=where(pool),
            )
        )
    return out


def node_actions(steps: tuple[Step, ...]) -> dict[str, dict[str, Step]]:
    """pool -> node -> the one step for it. ``cordon`` with ``reimage`` is ``reimage``; other pairs are a bug."""
    result: dict[str, dict[str, Step]] = {}
    for step in steps:
        if step.action not in NODE_ACTIONS:
            continue
        if step.pool is None:
            raise ValueError(f"plan step {step.action} {step.target} of {step.cluster} names no pool")
        per_pool = result.setdefault(step.pool, {})
        current = per_pool.get(step.target)
        if current is None or current.action is step.action:
            per_pool[step.target] = step
        elif {current.action, step.action} == {Action.CORDON, Action.REIMAGE}:
            per_pool[step.target] = step if step.action is Action.REIMAGE else current
        else:
            raise ValueError(
                f"plan has conflicting steps for node {step.target} of {step.cluster}: {current.action}, {step.action}"
            )
    return result


def _pool_config(ctx: ClusterContext, pool: NodePool) -> dict[str, Any]:
    move = ctx.nodes_may_move
    obj = k8s_object(
        "v1",
        "ConfigMap",
        pool_configmap(pool.name),
        namespace=ctx.namespace,
        labels={POOL_CONFIG_LABEL: pool.name},
        data={
            "instanceType": pool.instance_type,
            "gpus": str(ctx.spec.pool_gpus(ctx.cluster, pool.instance_type)),
            "count": str(pool.count),
            "image": ctx.plan.nodes_image if move else "",
            "kubernetes": str(ctx.plan.nodes_kubernetes) if move else "",
            "failureDomains": canonical_json(pool.failure_domains or ctx.region.spec.failure_domains),
            "labels": canonical_json(pool.labels),
            "taints": canonical_json(_pool_taints(pool)),
            "maxUnavailable": str(pool.max_unavailable),
            "maxUnavailableNodes": str(pool.max_unavailable_nodes()),
        },
    )
    if not move:
        keep_live(obj, ["data.image", "data.kubernetes"], HELD_REASON)
    return obj


def _pool_taints(pool: NodePool) -> list[dict[str, str]]:
    taints = []
    for taint in pool.taints:
        item = {"key": taint.key, "effect": taint.effect}
        if taint.value:
            item["value"] = taint.value
        taints.append(item)
    return taints


def _node_patch(ctx: ClusterContext, pool: NodePool, node: str, step: Step) -> Node:
    keys = Keys(ctx.label_prefix)
    labels: dict[str, str] = {}
    annotations = {PATCH_FORCE: "true", PATCH_FIELD_MANAGER: FIELD_MANAGER}
    taints = _pool_taints(pool)
    unschedulable: bool | None
    if step.action is Action.CORDON:
        unschedulable = True
        labels[keys.cordoned_by] = CORDONED_BY_FLEETC
    elif step.action is Action.REIMAGE:
        if step.cordoned_by_others:
            unschedulable = None  # their cordon: fleetc neither sets nor owns it, so it is never lifted by fleetc
        else:
            unschedulable = True
            labels[keys.cordoned_by] = CORDONED_BY_FLEETC
        labels[keys.target_image] = step.image or ctx.plan.nodes_image
        annotations[keys.reimage_requested_at] = _utc(ctx.now, step)
    elif step.action is Action.UNCORDON:
        unschedulable = False  # and every fleetc label, annotation and taint is left out: cleared
    else:  # MARK_PENDING, ESCALATE_PENDING: never touch spec.unschedulable (someone else may have cordoned it)
        unschedulable = None
        labels[keys.upgrade_pending] = "true"
        # When the node was first marked: the live value is kept (the planner passes it on), so an
        # escalation does not restart escalateAfter and the annotation never churns.
        annotations[keys.pending_since] = step.pending_since or _utc(ctx.now, step)
        effect = PENDING_HARD if step.action is Action.ESCALATE_PENDING else PENDING_SOFT
        taints.append({"key": keys.upgrade_pending, "value": "true", "effect": effect})
    return Node(
        id=ids.node_patch(ctx.id, pool.name, node),
        kind=Kind.NODE_PATCH,
        props=NodePatchProps(
            name=node,
            action=str(step.action),
            labels=labels,
            annotations=annotations,
            unschedulable=unschedulable,
            taints=taints,
        ),
        parent=ids.pool(ctx.id, pool.name),
        deps=(ids.control_plane(ctx.id),),
        provider=ids.provider(ctx.id),
        cluster=ctx.id,
        source=where(pool),
    )


def _utc(now: datetime | None, step: Step) -> str:
    if now is None:
        raise ValueError(
            f"{step.action} of {step.target} in {step.cluster} needs the plan's time: pass now= to compile_region"
        )
    return utc_stamp(now)  # the planner's convention: naive means UTC
