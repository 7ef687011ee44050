"""The ``fleetc-cluster`` ConfigMap in ``cp-<cluster>``: what fleetc knows and records about a cluster.

Its data holds the cluster's upgrade policy and targets, readable by policy
rules in the IR and in a Pulumi stack alike, and (docs/spec.md 6.4) what
fleetc applied, read back as live state so the planner stays a pure function.
"""

from __future__ import annotations

from typing import Any

from fleetc import conventions
from fleetc.compile.context import ClusterContext
from fleetc.compile.objects import canonical_json, k8s_object, keep_live
from fleetc.live.records import rolled_out_to_json
from fleetc.plan.revision import desired_revision

# Why a recorded key is left as it is live (the keep-live reason annotation).
KEEP_RECORD_REASON = "what fleetc applied to this cluster is unknown in this step, so its record stays as it is"


def cluster_config(ctx: ClusterContext) -> dict[str, Any]:
    """The ConfigMap object, applied through the management cluster's provider.

    Besides the policy keys, it records the revision (docs/spec.md 6.4): ``addons`` (add-on -> chart version
    applied after this step), ``addonValues`` (their values fingerprints), ``controlPlane`` (the settings
    fingerprint) and ``rolledOut``, all as the plan says (``ClusterPlan.revision``). A key whose value this step
    cannot vouch for (unknown applied state) is left out and kept as it is live: Pulumi ignores changes to it,
    render copies it from the previous render, so a record is never overwritten with a guess.
    """
    cluster, targets = ctx.cluster, ctx.targets
    window = cluster.upgrade.window
    if isinstance(window, list):
        shown = canonical_json([w.model_dump(by_alias=True) for w in window])
    else:
        shown = canonical_json(window.model_dump(by_alias=True)) if window else ""
    data = {
        "tenant": cluster.tenant,
        "channel": cluster.channel,
        "approval": cluster.upgrade.approval,
        "window": shown,
        "paused": _bool(cluster.upgrade.paused),
        "gpu": _bool(ctx.spec.has_gpu(cluster)),
        "kubernetesTarget": str(targets.kubernetes),
        "etcdTarget": str(targets.etcd),
        "nodeImageTarget": targets.node_image,
        # Which add-ons the fleet marks disruptive (policy rule disruptive-addon-unmarked reads it).
        "disruptiveAddons": canonical_json(sorted(a.name for a in ctx.spec.addons(cluster) if a.disruptive)),
    }
    kept = _record(ctx, data)
    obj = k8s_object("v1", "ConfigMap", conventions.CLUSTER_CONFIGMAP, namespace=ctx.namespace, data=data)
    if kept:
        keep_live(obj, [f"data.{key}" for key in kept], KEEP_RECORD_REASON)
    return obj


def _record(ctx: ClusterContext, data: dict[str, str]) -> list[str]:
    """Add the recorded revision to ``data``; returns the record keys to keep as they are live."""
    keys = [
        conventions.RECORD_ADDONS,
        conventions.RECORD_ADDON_VALUES,
        conventions.RECORD_CONTROL_PLANE,
        conventions.RECORD_ROLLED_OUT,
    ]
    revision = ctx.plan.revision
    if ctx.is_new or (revision is None and ctx.plan.phase != "unknown"):
        # Created now (or a source that tracks no record): everything is applied as desired.
        desired = desired_revision(ctx.spec, ctx.cluster)
        data[conventions.RECORD_ADDONS] = canonical_json({n: a.version for n, a in desired.addons.items()})
        data[conventions.RECORD_ADDON_VALUES] = canonical_json({n: a.values for n, a in desired.addons.items()})
        data[conventions.RECORD_CONTROL_PLANE] = desired.control_plane
        return [conventions.RECORD_ROLLED_OUT]
    if revision is None:
        return keys
    kept: list[str] = []
    addons = revision.addons
    installed = [a for a in addons if not a.install] if addons is not None else None
    if installed is not None and all(a.known for a in installed):
        data[conventions.RECORD_ADDONS] = canonical_json({a.name: a.version for a in installed})
        data[conventions.RECORD_ADDON_VALUES] = canonical_json({a.name: a.values for a in installed})
    else:
        kept += [conventions.RECORD_ADDONS, conventions.RECORD_ADDON_VALUES]
    if revision.control_plane is not None:
        data[conventions.RECORD_CONTROL_PLANE] = revision.control_plane
    else:
        kept.append(conventions.RECORD_CONTROL_PLANE)
    if revision.rolled_out is not None:
        data[conventions.RECORD_ROLLED_OUT] = canonical_json(rolled_out_to_json(revision.rolled_out))
    else:
        kept.append(conventions.RECORD_ROLLED_OUT)
    return kept


def _bool(value: bool) -> str:
    return "true" if value else "false"
