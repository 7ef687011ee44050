"""The plan a graph is compiled against when no live state is read: every cluster at its target.

``fleetc check`` and ``fleetc preview`` without ``--live`` compile the
fleet's *end state*: every control plane at its target version, every pool
at its target image, no rollout step in flight. That is honest for rules
about configuration (replicas, charts, windows, budgets: they do not depend
on where a rollout stands) and for a diff of what a change asks for. It is
not honest for rules about the rollout itself (kubelet skew against live
nodes, a control plane skipping a minor): from an assumed state they would
always pass, so those rules declare ``needs_live`` and are reported as *not
evaluated* instead of passing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from fleetc.compile import compile_region
from fleetc.compile.graph import DesiredGraph
from fleetc.conventions import cluster_id
from fleetc.plan.model import ClusterPlan, Phase, Plan
from fleetc.preview.progress import Progress, tracked
from fleetc.spec.fleet import FleetSpec

AT_TARGET = Phase.UP_TO_DATE


def target_plan(spec: FleetSpec, region: str | None = None) -> Plan:
    """A plan in which every cluster (of ``region``) already runs its targets."""
    clusters: dict[str, ClusterPlan] = {}
    for region_name, cluster in spec.clusters(region):
        cid = cluster_id(region_name, cluster.name)
        targets = spec.targets(cluster)
        clusters[cid] = ClusterPlan(
            cluster=cid,
            phase=AT_TARGET,
            target=targets.kubernetes,
            node_image=targets.node_image,
            control_plane_version=targets.kubernetes,
            etcd_version=targets.etcd,
            live_version=targets.kubernetes,
        )
    return Plan(clusters=clusters)


def compile_regions(
    spec: FleetSpec,
    plan: Plan,
    regions: Iterable[str] | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> dict[str, DesiredGraph]:
    """Region -> desired graph, for ``regions`` (default: every region of the fleet), sorted by name."""
    chosen = sorted(spec.regions) if regions is None else sorted(regions)
    steps = tracked(chosen, progress, "compiling", len(chosen))
    return {region: compile_region(spec, plan, region, now) for region in steps}
