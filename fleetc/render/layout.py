"""Where each object of the desired graph goes, as files (pure: no disk access).

::

    <out>/<region>/<cluster>/management/<kind>-<name>.yaml   applied to the management cluster
    <out>/<region>/<cluster>/cluster/node-<node>.yaml         applied to the customer cluster
    <out>/<region>/_management/<leaf>.yaml                   the management cluster's own batteries

One file per graph leaf, named after the last segment of its id (so file
names are as stable as ids; add-ons ``helmrelease-<addon>.yaml``): the hosted control plane, the pool ConfigMaps
and the add-ons' Flux objects go to ``management/``; the node patches of the
current step to ``cluster/``. Groups are folders; providers become nothing
(a GitOps tool is pointed at a folder instead). Region-wide nodes (cert-manager,
Kamaji: no cluster of their own) go to ``_management/``, a name no cluster can
have (cluster names are DNS labels).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from fleetc.compile.graph import DesiredGraph, Kind, Node
from fleetc.compile.objects import keep_live_paths, kube_object
from fleetc.render.flux import held_fields, helm_objects, node_object, pod_object

MANAGEMENT_DIR = "management"
CLUSTER_DIR = "cluster"
REGION_MANAGEMENT_DIR = "_management"


@dataclass(frozen=True)
class RenderedFile:
    """One output file: its documents, the graph node they come from, and fields to keep as rendered before."""

    path: PurePosixPath  # relative to the output directory: <region>/<cluster>/...
    node_id: str
    source: str
    documents: tuple[dict[str, Any], ...]
    keep_live: tuple[str, ...] = ()  # dotted paths of documents[keep_index]
    keep_index: int = 0
    # Kept fields that must come from an earlier render: without one the file is not written (a HelmRelease
    # without its chart version would install the newest chart, without its values the chart's defaults).
    keep_required: bool = False


def render_graph(graph: DesiredGraph) -> list[RenderedFile]:
    """Every file of the region, sorted by path."""
    files: list[RenderedFile] = []
    for node in graph:
        rendered = _render(graph, node)
        if rendered is not None:
            files.append(rendered)
    paths = [f.path for f in files]
    if len(set(paths)) != len(paths):
        duplicates = sorted({str(p) for p in paths if paths.count(p) > 1})
        raise ValueError(f"two graph nodes render to the same file: {', '.join(duplicates)}")
    return sorted(files, key=lambda f: f.path)


def _render(graph: DesiredGraph, node: Node) -> RenderedFile | None:
    documents: tuple[dict[str, Any], ...]
    filename = f"{node.name}.yaml"
    keep, keep_index = keep_live_paths(node), 0
    if node.kind is Kind.MANIFEST:
        folder, documents = MANAGEMENT_DIR, (kube_object(node),)
    elif node.kind is Kind.HELM_RELEASE:
        provider = graph.get(node.provider or "")
        if provider is None:
            raise ValueError(f"{node.id} names no provider, so its cluster's kubeconfig Secret is unknown")
        deps = [dep for dep in (graph.get(d) for d in node.deps) if dep is not None and dep.kind is Kind.HELM_RELEASE]
        folder, documents = MANAGEMENT_DIR, tuple(helm_objects(node, provider, deps))
        filename = f"helmrelease-{node.name}.yaml"
        keep, keep_index = held_fields(node), 1  # documents: HelmRepository, HelmRelease
    elif node.kind is Kind.NODE_PATCH:
        folder, documents = CLUSTER_DIR, (node_object(node),)
    elif node.kind is Kind.POD_PATCH:
        folder, documents = CLUSTER_DIR, (pod_object(node),)
    else:
        return None  # groups and providers
    if node.cluster is None:
        if folder != MANAGEMENT_DIR:
            raise ValueError(f"{node.id} belongs to no cluster, and only management-cluster objects are region-wide")
        path = PurePosixPath(graph.region, REGION_MANAGEMENT_DIR, filename)
    else:
        region, _, cluster = node.cluster.partition("/")
        path = PurePosixPath(region, cluster, folder, filename)
    return RenderedFile(
        path=path,
        node_id=node.id,
        source=node.source.stable if node.source else "",
        documents=documents,
        keep_live=keep,
        keep_index=keep_index,
        keep_required=node.kind is Kind.HELM_RELEASE,
    )
