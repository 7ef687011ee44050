"""The ``fleetc-cluster`` ConfigMap in ``cp-<cluster>``: what fleetc knows and records about a cluster.

Its data holds the cluster's upgrade policy and targets, readable by policy
rules in the IR and in a Pulumi stack alike, and (docs/spec.md 6.4) what
fleetc applied, read back as live state so the planner stays a pure function.
"""

from __future__ import annotations

from typing import Any

from fleetc import conventions
from fleetc.compile.context import ClusterContext
from fleetc.compile.objects import canonical_json, k8s_object


def cluster_config(ctx: ClusterContext) -> dict[str, Any]:
    """The ConfigMap object, applied through the management cluster's provider."""
    cluster, targets = ctx.cluster, ctx.targets
    window = cluster.upgrade.window
    return k8s_object(
        "v1",
        "ConfigMap",
        conventions.CLUSTER_CONFIGMAP,
        namespace=ctx.namespace,
        data={
            "tenant": cluster.tenant,
            "channel": cluster.channel,
            "approval": cluster.upgrade.approval,
            "window": canonical_json(window.model_dump(by_alias=True)) if window else "",
            "paused": _bool(cluster.upgrade.paused),
            "gpu": _bool(ctx.spec.has_gpu(cluster)),
            "kubernetesTarget": str(targets.kubernetes),
            "etcdTarget": str(targets.etcd),
            "nodeImageTarget": targets.node_image,
        },
    )


def _bool(value: bool) -> str:
    return "true" if value else "false"
