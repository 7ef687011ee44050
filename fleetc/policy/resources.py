"""Pulumi resources back into IR nodes, so the CrossGuard pack runs the same rule functions.

Engine-free: it takes plain (type, props, name) views, so it is tested
without ``pulumi_policy`` and the pack module stays a thin wrapper.

The mapping relies on what ``components/`` registers: a resource's name is
its desired-graph id (docs/CONVENTIONS.md), manifests carry the
``fleetc.dev/source`` annotation, Helm releases are ``helm.v3.Release``
(``repositoryOpts.repo``) and node changes ``core.v1.NodePatch``. When a name
is not an id (a resource someone added by hand), the cluster is recovered
from the ``cp-<cluster>`` namespace or from the provider's name, and rules
that need neither still apply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fleetc.compile.graph import DesiredGraph, Kind, Node
from fleetc.conventions import cluster_id
from fleetc.policy import k8s

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
NODE_PATCH_TYPE = "kubernetes:core/v1:NodePatch"
POD_PATCH_TYPE = "kubernetes:core/v1:PodPatch"
PROVIDER_TYPE = "pulumi:providers:kubernetes"
# kubernetes:<group>/<version>:<Kind> types that are not plain objects
_NOT_OBJECTS = ("helm.sh/", "yaml", "kustomize", "helm:")


@dataclass(frozen=True)
class ResourceView:
    """What the converter needs of a Pulumi resource (inputs or outputs, engine form)."""

    resource_type: str
    props: Mapping[str, Any]
    name: str
    urn: str = ""
    provider_name: str | None = None


def plain(value: Any) -> Any:
    """Deep plain copy of engine values (mappings/sequences proxies become dict/list)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _is_id(name: str) -> bool:
    return "/" in name and not name.startswith("/") and "" not in name.split("/")


def _cluster_from_id(node_id: str) -> str | None:
    parts = node_id.split("/")
    if len(parts) >= 3 and parts[1] != "management":
        return f"{parts[0]}/{parts[1]}"
    return None


def _api_version(resource_type: str) -> tuple[str, str] | None:
    """(apiVersion, kind) of a ``kubernetes:<group>/<version>:<Kind>`` object type."""
    package, _, rest = resource_type.partition(":")
    module, _, kind = rest.partition(":")
    if package != "kubernetes" or not kind or "/" not in module or module.startswith(_NOT_OBJECTS):
        return None
    if kind.endswith(("Patch", "List")):
        return None
    group, _, version = module.partition("/")
    return (version if group == "core" else module), kind


def node_from_resource(view: ResourceView, region: str | None = None) -> Node | None:
    """The IR node a resource was compiled from, or None for resources no rule looks at."""
    props = plain(view.props)
    node_id = view.name if _is_id(view.name) else view.urn or view.name
    kind: Kind
    if view.resource_type == RELEASE_TYPE:
        kind = Kind.HELM_RELEASE
        chart, repository = props.get("chart"), k8s.dig(props, "repositoryOpts", "repo")
        if isinstance(chart, str) and "://" in chart:  # oci://registry/path/chart (components/ for OCI repositories)
            repository, _, chart = chart.rpartition("/")
        props = {
            "name": props.get("name") or view.name.rsplit("/", 1)[-1],
            "namespace": props.get("namespace"),
            "chart": chart,
            "repository": repository,
            "version": props.get("version"),
            "values": props.get("values") or {},
        }
    elif view.resource_type == NODE_PATCH_TYPE:
        kind = Kind.NODE_PATCH
        meta = k8s.mapping(props.get("metadata"))
        spec = k8s.mapping(props.get("spec"))
        props = {
            "name": meta.get("name"),
            "labels": dict(k8s.mapping(meta.get("labels"))),
            "annotations": dict(k8s.mapping(meta.get("annotations"))),
            "unschedulable": spec.get("unschedulable"),
            "taints": k8s.sequence(spec.get("taints")),
        }
    elif view.resource_type == POD_PATCH_TYPE:
        kind = Kind.POD_PATCH
        meta = k8s.mapping(props.get("metadata"))
        props = {
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "node": "",
            "annotations": dict(k8s.mapping(meta.get("annotations"))),
        }
    elif view.resource_type == PROVIDER_TYPE:
        kind = Kind.PROVIDER
    elif view.resource_type.endswith(":Region") and not view.resource_type.startswith("kubernetes:"):
        kind = Kind.REGION
        node_id = view.name  # a region's id is its name
    else:
        found = _api_version(view.resource_type)
        if found is None:
            return None
        kind = Kind.MANIFEST
        props.setdefault("apiVersion", found[0])
        props.setdefault("kind", found[1])
    return Node(node_id, kind, props, cluster=_cluster(node_id, kind, props, view, region))


def _cluster(node_id: str, kind: Kind, props: Mapping[str, Any], view: ResourceView, region: str | None) -> str | None:
    found = _cluster_from_id(node_id) if _is_id(node_id) else None
    if found is not None:
        return found
    if kind is Kind.MANIFEST:
        name = k8s.cluster_name_of_namespace(k8s.dig(props, "metadata", "namespace"))
        if name is not None:
            return cluster_id(region, name) if region else name
    if view.provider_name and _is_id(view.provider_name):
        return _cluster_from_id(view.provider_name)
    return None


def region_of(views: Iterable[ResourceView]) -> str:
    """The stack's region: the first segment most resource names (ids) share."""
    counts = Counter(view.name.split("/", 1)[0] for view in views if _is_id(view.name))
    return counts.most_common(1)[0][0] if counts else ""


def graph_from_resources(views: Iterable[ResourceView]) -> tuple[DesiredGraph, dict[str, str]]:
    """A region's graph rebuilt from a stack's resources, and node id -> URN for reporting.

    Parents, deps and providers are left out: rules read objects and
    clusters, and the engine already checked the resources' references.
    """
    chosen = list(views)
    region = region_of(chosen)
    graph = DesiredGraph(region)
    urns: dict[str, str] = {}
    for view in chosen:
        node = node_from_resource(view, region or None)
        if node is None or node.id in graph.nodes:
            continue
        graph.add(node)
        urns[node.id] = view.urn
    return graph, urns
