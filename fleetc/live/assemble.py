"""Lists (or the reasons they could not be read) -> :class:`RegionLive`.

The snapshot reader and the Kubernetes API reader both end here, so "what
is unknown" is decided in one place: a management List that failed makes
every cluster of the region unknown; a customer List that failed makes that
cluster's nodes unknown; a cluster with neither a control plane nor nodes is
new. Unknown always carries its reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from fleetc.conventions import cluster_id, control_plane_namespace
from fleetc.live.facts import ClusterLive, ControlPlaneFacts, RegionLive
from fleetc.live.parse import control_plane_facts, index_management, scan_cluster
from fleetc.live.records import applied_record
from fleetc.live.wire import KubeList


@dataclass(frozen=True)
class ReadFailure:
    """A List that was there but could not be read; ``reason`` says why and how to fix it."""

    reason: str


@dataclass(frozen=True)
class Missing:
    """No List at all: normal for a cluster that does not exist yet, a problem otherwise."""

    reason: str


Source = KubeList | ReadFailure | Missing


def unknown_cluster(region: str, name: str, reasons: Sequence[str]) -> ClusterLive:
    """A cluster whose state could not be read (the convention of :meth:`RegionLive.cluster`)."""
    return ClusterLive(cluster_id(region, name), exists=False, control_plane=None, nodes=None, problems=tuple(reasons))


def unknown_region(region: str, clusters: Sequence[str], reasons: Sequence[str]) -> RegionLive:
    """A region whose management cluster could not be read: every cluster unknown, for the same reasons."""
    return RegionLive(
        region,
        clusters={name: unknown_cluster(region, name, reasons) for name in clusters},
        problems=tuple(reasons),
    )


def assemble_region(
    region: str,
    clusters: Sequence[str],
    management: KubeList | ReadFailure,
    cluster_lists: Mapping[str, Source],
    label_prefix: str,
) -> RegionLive:
    """Facts of every named cluster of a region from its management List and customer Lists."""
    if isinstance(management, ReadFailure):
        return unknown_region(region, clusters, [management.reason])
    index = index_management(management["items"])
    if index.problems:
        return unknown_region(region, clusters, [f"management List: {p}" for p in index.problems])
    facts: dict[str, ClusterLive] = {}
    for name in clusters:
        source = cluster_lists.get(name, Missing(f"no live state was read for cluster {name}"))
        found = _cluster(region, name, control_plane_facts(index, name), source, label_prefix)
        facts[name] = replace(found, record=applied_record(index, name))
    return RegionLive(region, clusters=facts)


def _cluster(
    region: str, name: str, control_plane: ControlPlaneFacts | None, source: Source, label_prefix: str
) -> ClusterLive:
    cid = cluster_id(region, name)
    if control_plane is None:
        return _without_control_plane(region, name, source, label_prefix)
    problems = [f"control plane: {p}" for p in control_plane.problems]
    if isinstance(source, ReadFailure | Missing):
        return ClusterLive(cid, True, control_plane, None, (*problems, source.reason))
    scan = scan_cluster(source["items"], label_prefix)
    if scan.problems:
        reasons = [f"{name} List: {p}" for p in scan.problems]
        return ClusterLive(cid, True, control_plane, None, (*problems, *reasons))
    return ClusterLive(cid, True, control_plane, scan.nodes, tuple(problems))


def _without_control_plane(region: str, name: str, source: Source, label_prefix: str) -> ClusterLive:
    """A new cluster, unless something says otherwise (then unknown, never guessed new)."""
    if isinstance(source, Missing):
        return ClusterLive(cluster_id(region, name), exists=False, control_plane=None, nodes=())
    if isinstance(source, ReadFailure):
        return unknown_cluster(region, name, [source.reason])
    scan = scan_cluster(source["items"], label_prefix)
    if scan.problems:
        return unknown_cluster(region, name, [f"{name} List: {p}" for p in scan.problems])
    if scan.nodes:
        namespace = control_plane_namespace(name)
        return unknown_cluster(
            region,
            name,
            [f"{len(scan.nodes)} nodes were read but the management cluster has no control plane in {namespace}"],
        )
    return ClusterLive(cluster_id(region, name), exists=False, control_plane=None, nodes=())
