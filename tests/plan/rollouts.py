"""Builders for revision, gate and wave tests: fleets with add-ons and waves over regions, facts with records.

Every cluster runs the ``new`` channel's versions (so only add-ons and settings change unless a test says
otherwise); ``record`` writes what the ConfigMap would hold when every add-on is applied as desired, with
per-add-on overrides for "applied at an older version".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fleetc.live.facts import AppliedRecord, ClusterLive, LiveState, RegionLive, RolledOut
from fleetc.plan.revision import desired_revision
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import ApprovalDoc, FleetDoc, RegionDoc, TenantDoc
from plan.builders import APPROVER, ETCD, NEW_IMAGE, NEW_K, NOW, control_plane, node

GPU_OPERATOR = "gpu-operator"
METRICS = "metrics-server"
OLD_GPU, NEW_GPU = "v24.9.0", "v24.9.2"


def addon(name: str, version: str, disruptive: bool = False, **values: Any) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": name,
        "chart": {"repository": "https://charts.example", "name": name, "version": version},
        "values": values,
        "disruptive": disruptive,
    }


def member(name: str, approval: str = "automatic", **upgrade: Any) -> dict[str, Any]:
    return {
        "name": name,
        "tenant": "t",
        "channel": "new",
        "bundle": "base",
        "upgrade": {"approval": approval, **upgrade},
        "nodePools": [{"name": "gpu", "instanceType": "gpu8", "count": 3, "maxUnavailable": 1}],
    }


def fleet(
    regions: dict[str, list[dict[str, Any]]],
    *,
    gpu: str = NEW_GPU,
    metrics: str = "3.12.2",
    waves: list[dict[str, Any]] | None = None,
    freeze: bool = False,
) -> FleetSpec:
    body: dict[str, Any] = {
        "labelPrefix": "fleet.test",
        "freeze": freeze,
        "channels": {"new": {"kubernetes": NEW_K, "etcd": ETCD, "nodeImage": NEW_IMAGE}},
        "instanceTypes": {"gpu8": {"gpus": 8, "cpus": 64, "memoryGiB": 512}},
        "bundles": {"base": {"addons": [addon(GPU_OPERATOR, gpu, disruptive=True), addon(METRICS, metrics)]}},
    }
    if waves is not None:
        body["rollout"] = {"waves": waves}
    spec = FleetSpec(root=Path("."), fleet=FleetDoc.model_validate(_doc("Fleet", "f", body)))
    spec.tenants["t"] = TenantDoc.model_validate(_doc("Tenant", "t", {"approvers": [APPROVER]}))
    for region, clusters in regions.items():
        spec.regions[region] = RegionDoc.model_validate(
            _doc("Region", region, {"failureDomains": ["a", "b", "c"], "clusters": clusters})
        )
    return spec


def _doc(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "fleetc.dev/v1alpha1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def record(
    spec: FleetSpec, cid: str, applied: dict[str, str] | None = None, rolled_at: datetime | None = None
) -> AppliedRecord:
    """The ConfigMap of a cluster whose add-ons are applied as desired, except ``applied`` (name -> version).

    ``rolled_at``: also a rolledOut of that revision since then.
    """
    cluster = spec.cluster(cid)
    assert cluster is not None
    revision = desired_revision(spec, cluster)
    versions = {name: a.version for name, a in revision.addons.items()} | (applied or {})
    values = {name: a.values for name, a in revision.addons.items()}
    rolled = None
    if rolled_at is not None:
        rolled = RolledOut(rolled_at, NEW_K, ETCD, NEW_IMAGE, dict(versions), dict(values), revision.control_plane)
    return AppliedRecord(versions, values, revision.control_plane, rolled)


def settled(cid: str, rec: AppliedRecord, *, halted: bool = False) -> ClusterLive:
    """A cluster at the target versions on every node, ready; ``halted``: one node's reimage timed out."""
    nodes = [node(f"{cid.split('/')[1]}-{i}", image=NEW_IMAGE, kubelet=NEW_K, zone="abc"[i]) for i in range(3)]
    if halted:
        nodes[0] = node(
            nodes[0].name,
            image="img-old",
            kubelet=NEW_K,
            ready=False,
            cordoned=True,
            target_image=NEW_IMAGE,
            reimage_requested_at=NOW - timedelta(days=1),
        )
    return ClusterLive(cid, True, control_plane(), tuple(nodes), record=rec)


def state(*clusters: ClusterLive) -> LiveState:
    regions: dict[str, dict[str, ClusterLive]] = {}
    for found in clusters:
        region, _, name = found.cluster.partition("/")
        regions.setdefault(region, {})[name] = found
    return LiveState({r: RegionLive(r, c) for r, c in regions.items()})


def addon_approval(cid: str, version: str = NEW_GPU, name: str = "gpu", **extra: Any) -> ApprovalDoc:
    body = {
        "cluster": cid,
        "addons": {GPU_OPERATOR: version},
        "approvedBy": APPROVER,
        "expires": "2030-01-01T00:00:00Z",
        **extra,
    }
    return ApprovalDoc.model_validate(_doc("Approval", name, body))
