"""Hand-built plans for compiler tests: the compiler must not depend on the planner's choices."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from fleetc.compile import ids
from fleetc.plan.model import Action, Blocked, ClusterPlan, Plan, Reason, Step
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.loader import load_fleet
from fleetc.spec.models import Cluster
from fleetc.versions import Version

ROOT = Path(__file__).resolve().parents[2]


def example_spec() -> FleetSpec:
    return load_fleet(ROOT / "fleet")


def at_target(spec: FleetSpec, region: str | None = None) -> dict[str, ClusterPlan]:
    """Every cluster's plan with its control plane at the target, nothing to do."""
    plans = {}
    for region_name, cluster in spec.clusters(region):
        targets = spec.targets(cluster)
        cid = f"{region_name}/{cluster.name}"
        plans[cid] = ClusterPlan(
            cid,
            "up-to-date",
            targets.kubernetes,
            targets.node_image,
            targets.kubernetes,
            targets.etcd,
            targets.kubernetes,
        )
    return plans


def make_plan(
    spec: FleetSpec,
    region: str | None = None,
    *,
    overrides: dict[str, dict[str, object]] | None = None,
    steps: tuple[Step, ...] = (),
    blocked: tuple[Blocked, ...] = (),
) -> Plan:
    """A plan with every cluster at target, ``overrides`` replacing ClusterPlan fields per cluster id."""
    clusters = at_target(spec, region)
    for cid, fields in (overrides or {}).items():
        clusters[cid] = dataclasses.replace(clusters[cid], **fields)  # type: ignore[arg-type]
    return Plan(steps=steps, blocked=blocked, clusters=clusters)


def behind(spec: FleetSpec, cid: str, version: str = "1.30.6", etcd: str = "3.5.15") -> dict[str, object]:
    """ClusterPlan fields of a control plane held at an older version (e.g. waiting for an approval)."""
    return {
        "phase": "blocked",
        "control_plane_version": Version.parse(version),
        "etcd_version": Version.parse(etcd),
        "live_version": Version.parse(version),
    }


def node_step(cid: str, action: Action, node: str, pool: str, image: str | None = None) -> Step:
    return Step(cid, action, node, pool=pool, image=image)


def not_ready(cid: str) -> Blocked:
    return Blocked(cid, Reason.CONTROL_PLANE_NOT_READY, "control plane is rolling")


def with_cluster(spec: FleetSpec, region: str, name: str, **changes: object) -> FleetSpec:
    """A copy of ``spec`` with one cluster's fields replaced (pydantic model_copy; anchors are kept)."""
    doc = spec.regions[region]
    clusters: list[Cluster] = []
    for cluster in doc.spec.clusters:
        if cluster.name == name:
            changed = cluster.model_copy(update=changes)
            changed._anchor = cluster._anchor
            cluster = changed
        clusters.append(cluster)
    new_doc = doc.model_copy(update={"spec": doc.spec.model_copy(update={"clusters": clusters})})
    new_doc._anchor = doc._anchor
    return dataclasses.replace(spec, regions={**spec.regions, region: new_doc})


@dataclass(frozen=True)
class FakeCluster:
    name: str


@dataclass(frozen=True)
class FakeContext:
    """What control_plane_monitors reads of a ClusterContext (so any cluster name can be drawn)."""

    region_name: str
    cluster: FakeCluster

    @property
    def id(self) -> str:
        return ids.cluster(self.region_name, self.cluster.name)

    @property
    def namespace(self) -> str:
        return ids.namespace_name(self.cluster.name)
