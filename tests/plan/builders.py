"""Plain-data builders for planner tests: fleets from dicts, facts from keywords.

Fleets are built through the same pydantic models the loader uses (camelCase
keys, strict), without YAML or files, so hypothesis can build hundreds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleetc.live.facts import ClusterLive, ControlPlaneFacts, LiveState, NodeFacts, RegionLive
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import ApprovalDoc, FleetDoc, RegionDoc, TenantDoc
from fleetc.versions import Version

REGION = "r1"
OLD_K, NEW_K = "1.30.6", "1.31.2"
ETCD = "3.5.16"
OLD_IMAGE, NEW_IMAGE = "img-old", "img-new"
APPROVER = "ops@t.example"
NOW = datetime(2024, 12, 11, 15, 0, tzinfo=UTC)  # a Wednesday


def pool(name: str = "gpu", count: int = 10, max_unavailable: int | str = 2, **extra: Any) -> dict[str, Any]:
    return {"name": name, "instanceType": "gpu8", "count": count, "maxUnavailable": max_unavailable, **extra}


def cluster(
    name: str = "c1",
    pools: list[dict[str, Any]] | None = None,
    approval: str = "automatic",
    channel: str = "new",
    **upgrade: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "tenant": "t",
        "channel": channel,
        "upgrade": {"approval": approval, **upgrade},
        "nodePools": pools if pools is not None else [pool()],
    }


def fleet(
    *clusters: dict[str, Any],
    freeze: bool = False,
    channels: dict[str, dict[str, str]] | None = None,
    approvers: list[str] | None = None,
    region: str = REGION,
) -> FleetSpec:
    body = {
        "labelPrefix": "fleet.test",
        "freeze": freeze,
        "channels": channels
        or {
            "new": {"kubernetes": NEW_K, "etcd": ETCD, "nodeImage": NEW_IMAGE},
            "old": {"kubernetes": OLD_K, "etcd": ETCD, "nodeImage": OLD_IMAGE},
        },
        "instanceTypes": {"gpu8": {"gpus": 8, "cpus": 64, "memoryGiB": 512}},
    }
    spec = FleetSpec(root=Path("."), fleet=FleetDoc.model_validate(_doc("Fleet", "f", body)))
    spec.tenants["t"] = TenantDoc.model_validate(
        _doc("Tenant", "t", {"approvers": approvers if approvers is not None else [APPROVER]})
    )
    spec.regions[region] = RegionDoc.model_validate(
        _doc("Region", region, {"failureDomains": ["a", "b", "c"], "clusters": list(clusters or [cluster()])})
    )
    return spec


def approval(
    cluster_id: str = f"{REGION}/c1",
    kubernetes: str = NEW_K,
    node_image: str | None = NEW_IMAGE,
    by: str = APPROVER,
    expires: str = "2030-01-01T00:00:00Z",
    name: str = "ok",
) -> ApprovalDoc:
    body: dict[str, Any] = {"cluster": cluster_id, "kubernetes": kubernetes, "approvedBy": by, "expires": expires}
    if node_image is not None:
        body["nodeImage"] = node_image
    return ApprovalDoc.model_validate(_doc("Approval", name, body))


def _doc(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "fleetc.dev/v1alpha1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def node(
    name: str,
    pool: str | None = "gpu",
    image: str | None = OLD_IMAGE,
    *,
    zone: str | None = "a",
    kubelet: str | None = OLD_K,
    ready: bool | None = True,
    cordoned: bool = False,
    cordoned_by: str | None = "fleetc",
    busy: bool | None = False,
    busy_reasons: tuple[str, ...] = (),
    pending: bool = False,
    target_image: str | None = None,
    reimage_requested_at: datetime | None = None,
    problems: tuple[str, ...] = (),
    pending_hard: bool = False,
    pending_since: datetime | None = None,
) -> NodeFacts:
    return NodeFacts(
        name=name,
        pool=pool,
        zone=zone,
        kubelet=Version.parse(kubelet) if kubelet else None,
        image=image,
        ready=ready,
        cordoned=cordoned,
        busy=busy,
        busy_reasons=busy_reasons or (("ns/job",) if busy else ()),
        pending=pending,
        target_image=target_image,
        reimage_requested_at=reimage_requested_at,
        problems=problems,
        fleetc_cordon=cordoned and cordoned_by == "fleetc",
        pending_hard=pending_hard,
        pending_since=pending_since,
    )


def control_plane(
    version: str | None = NEW_K, etcd: str | None = ETCD, ready: bool | None = True, etcd_ready: bool | None = True
) -> ControlPlaneFacts:
    return ControlPlaneFacts(
        apiserver_version=Version.parse(version) if version else None,
        apiserver_ready=ready,
        apiserver_replicas=3,
        etcd_version=Version.parse(etcd) if etcd else None,
        etcd_ready=etcd_ready,
    )


def cluster_live(
    nodes: list[NodeFacts] | None,
    cp: ControlPlaneFacts | None = None,
    name: str = "c1",
    region: str = REGION,
    exists: bool = True,
    problems: tuple[str, ...] = (),
) -> ClusterLive:
    return ClusterLive(
        f"{region}/{name}",
        exists=exists,
        control_plane=cp if cp is not None or not exists else control_plane(),
        nodes=tuple(nodes) if nodes is not None else None,
        problems=problems,
    )


def live(*clusters: ClusterLive, region: str = REGION) -> LiveState:
    return LiveState({region: RegionLive(region, {c.cluster.split("/", 1)[1]: c for c in clusters})})


def nodes_of(count: int, pool: str = "gpu", prefix: str = "n", **kw: Any) -> list[NodeFacts]:
    zones = ["a", "b", "c"]
    return [node(f"{prefix}{i:03d}", pool, zone=zones[i % 3], **kw) for i in range(count)]
