"""kubectl List items -> facts. Pure functions, no I/O.

Both live sources (snapshot files, the Kubernetes API) produce the same
kubectl-shaped dicts and end here, so there is one reading of the data. The
input is untrusted (users write snapshots by hand): nothing here raises on
bad data. A field that is missing or makes no sense becomes ``None`` plus a
sentence in ``problems``; an item that is not even an object with a name is a
list-level problem, which the readers turn into an unknown cluster, because a
node missing from the count could hide an unavailable one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetc.live.facts import ControlPlaneFacts, NodeFacts
from fleetc.versions import Version

ZONE_LABEL = "topology.kubernetes.io/zone"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
FINISHED_PHASES = frozenset({"Succeeded", "Failed"})
# Owners that make a pod node infrastructure rather than a workload: DaemonSet
# pods run on every node anyway, and static pods' mirrors are owned by the Node.
INFRA_OWNERS = frozenset({"DaemonSet", "Node"})

# A version tag: 1.30.6, v1.30.6, 3.5.16-0, v1.30.6+k3s1. Not 1.30 or 1.30.6.1.
_TAG_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+_-]*)?$")


def control_plane_namespace(cluster: str) -> str:
    """Namespace of a hosted control plane in the management cluster (SPEC section 4)."""
    return f"cp-{cluster}"


# --- items ------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A well-formed List item: its identity and the raw object."""

    kind: str
    namespace: str  # "" for cluster-scoped objects
    name: str
    obj: Mapping[str, Any]


def identify(position: int, raw: object) -> Item | str:
    """An item's identity, or a sentence saying why it has none."""
    if not isinstance(raw, dict):
        return f"item {position} is not an object"
    kind = raw.get("kind")
    if not isinstance(kind, str) or not kind:
        return f"item {position} has no kind"
    meta = raw.get("metadata")
    if not isinstance(meta, dict):
        return f"item {position} ({kind}) has no metadata"
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return f"item {position} ({kind}) has no metadata.name"
    namespace = meta.get("namespace", "")
    if not isinstance(namespace, str):
        return f"item {position} ({kind} {name}) has a metadata.namespace that is not a string"
    return Item(kind, namespace, name, raw)


def _field(obj: Mapping[str, Any], *path: str) -> Any:
    """obj[path[0]][path[1]]...; None where a step is missing or not an object."""
    value: Any = obj
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _mapping(obj: Mapping[str, Any], *path: str) -> Mapping[str, Any] | None:
    """A nested object; {} when absent, None when present but not an object."""
    value = _field(obj, *path)
    if value is None:
        return {}
    return value if isinstance(value, dict) else None


def _count(obj: Mapping[str, Any], *path: str) -> int | None:
    """A replica count. Absent is 0: the API omits zero counts (omitempty)."""
    value = _field(obj, *path)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def tag_version(image: object) -> Version | None:
    """The version in an image's tag: ``registry.k8s.io/etcd:3.5.16-0`` -> 3.5.16.

    A registry port (``host:5000/img``) is not a tag, and a digest is ignored.
    """
    if not isinstance(image, str):
        return None
    reference = image.split("@", 1)[0]
    last = reference.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    match = _TAG_VERSION.match(last.rsplit(":", 1)[1])
    return Version(int(match[1]), int(match[2]), int(match[3])) if match else None


def lenient_version(text: object) -> Version | None:
    """A reported version such as a kubelet's ``v1.30.6`` or ``v1.30.6+k3s1``."""
    if not isinstance(text, str):
        return None
    match = _TAG_VERSION.match(text.strip())
    return Version(int(match[1]), int(match[2]), int(match[3])) if match else None


# --- control plane ----------------------------------------------------------


@dataclass(frozen=True)
class ManagementIndex:
    """Deployments and StatefulSets of a management cluster by (kind, namespace, name)."""

    objects: Mapping[tuple[str, str, str], Mapping[str, Any]]
    problems: tuple[str, ...] = ()


def index_management(items: Iterable[object]) -> ManagementIndex:
    """Index a management List once, for many :func:`control_plane_facts` calls."""
    objects: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    problems: list[str] = []
    for position, raw in enumerate(items):
        item = identify(position, raw)
        if isinstance(item, str):
            problems.append(item)
        elif item.kind in ("Deployment", "StatefulSet"):
            objects[(item.kind, item.namespace, item.name)] = item.obj
    return ManagementIndex(objects, tuple(problems))


def control_plane_facts(
    management_items: Iterable[object] | ManagementIndex, cluster_name: str
) -> ControlPlaneFacts | None:
    """Facts of the hosted control plane of ``cluster_name``; None if it does not exist yet.

    It exists when either Deployment ``kube-apiserver`` or StatefulSet
    ``etcd`` is in ``cp-<cluster>``; a missing half is reported, not assumed.
    If the list has malformed items the absence of both cannot be trusted, so
    the answer is then facts with every field unknown, never None.
    """
    index = management_items if isinstance(management_items, ManagementIndex) else index_management(management_items)
    namespace = control_plane_namespace(cluster_name)
    deployment = index.objects.get(("Deployment", namespace, "kube-apiserver"))
    statefulset = index.objects.get(("StatefulSet", namespace, "etcd"))
    problems = list(index.problems)
    if deployment is None and statefulset is None:
        if not problems:
            return None
        problems.append(f"cannot tell whether {namespace} exists: the management List has malformed items")
        return ControlPlaneFacts(None, None, None, None, None, tuple(problems))

    if deployment is None:
        problems.append(f"{namespace}: Deployment kube-apiserver not found")
        apiserver: tuple[Version | None, bool | None, int | None] = (None, None, None)
    else:
        apiserver = _apiserver(deployment, namespace, problems)
    if statefulset is None:
        problems.append(f"{namespace}: StatefulSet etcd not found")
        etcd: tuple[Version | None, bool | None] = (None, None)
    else:
        etcd = _etcd(statefulset, namespace, problems)
    return ControlPlaneFacts(
        apiserver_version=apiserver[0],
        apiserver_ready=apiserver[1],
        apiserver_replicas=apiserver[2],
        etcd_version=etcd[0],
        etcd_ready=etcd[1],
        problems=tuple(problems),
    )


def _image_version(obj: Mapping[str, Any], container_name: str, where: str, problems: list[str]) -> Version | None:
    """Version from the image of the container named ``container_name`` (else the first container)."""
    containers = _field(obj, "spec", "template", "spec", "containers")
    if not isinstance(containers, list) or not containers:
        problems.append(f"{where}: no containers in spec.template, so its version is unknown")
        return None
    named = [c for c in containers if isinstance(c, dict) and c.get("name") == container_name]
    container = named[0] if named else containers[0]
    image = container.get("image") if isinstance(container, dict) else None
    version = tag_version(image)
    if version is None:
        problems.append(f"{where}: image {image!r} has no x.y.z version tag, so its version is unknown")
    return version


def _generation_observed(obj: Mapping[str, Any]) -> bool:
    """The controller has seen the latest spec (trivially so when a hand-written file omits generation)."""
    generation = _field(obj, "metadata", "generation")
    if not isinstance(generation, int):
        return True
    observed = _field(obj, "status", "observedGeneration")
    return isinstance(observed, int) and observed >= generation


def _counts(obj: Mapping[str, Any], where: str, keys: Sequence[str], problems: list[str]) -> list[int] | None:
    counts = [_count(obj, "status", key) for key in keys]
    bad = [key for key, value in zip(keys, counts, strict=True) if value is None]
    if bad:
        problems.append(f"{where}: status.{', status.'.join(bad)} not a non-negative integer, so readiness is unknown")
        return None
    return [value for value in counts if value is not None]


def _desired_replicas(obj: Mapping[str, Any], where: str, problems: list[str]) -> int | None:
    replicas = _field(obj, "spec", "replicas")
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        problems.append(f"{where}: spec.replicas is {replicas!r}, not a non-negative integer")
        return None
    return replicas


def _total_matches(obj: Mapping[str, Any], replicas: int) -> bool:
    """No old pods left over (``kubectl rollout status``): status.replicas, when reported, is the desired count."""
    total = _field(obj, "status", "replicas")
    return not isinstance(total, int) or total == replicas


def _apiserver(
    deployment: Mapping[str, Any], namespace: str, problems: list[str]
) -> tuple[Version | None, bool | None, int | None]:
    where = f"{namespace}/kube-apiserver"
    version = _image_version(deployment, "kube-apiserver", where, problems)
    replicas = _desired_replicas(deployment, where, problems)
    counts = _counts(deployment, where, ("updatedReplicas", "readyReplicas", "availableReplicas"), problems)
    if replicas is None or counts is None:
        return version, None, replicas
    # Zero replicas serve nothing: not "fully rolled out" in any useful sense.
    ready = (
        replicas > 0
        and _generation_observed(deployment)
        and all(count == replicas for count in counts)
        and _total_matches(deployment, replicas)
    )
    return version, ready, replicas


def _etcd(statefulset: Mapping[str, Any], namespace: str, problems: list[str]) -> tuple[Version | None, bool | None]:
    where = f"{namespace}/etcd"
    version = _image_version(statefulset, "etcd", where, problems)
    replicas = _desired_replicas(statefulset, where, problems)
    counts = _counts(statefulset, where, ("updatedReplicas", "readyReplicas"), problems)
    if replicas is None or counts is None:
        return version, None
    current = _field(statefulset, "status", "currentRevision")
    update = _field(statefulset, "status", "updateRevision")
    same_revision = current is None or update is None or current == update
    ready = (
        replicas > 0
        and _generation_observed(statefulset)
        and all(count == replicas for count in counts)
        and _total_matches(statefulset, replicas)
        and same_revision
    )
    return version, ready


# --- nodes ------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterScan:
    """Nodes of a customer cluster, and problems with the List itself.

    A list-level problem (an item that is no object, a nameless pod, two nodes
    with one name) means the nodes may be incomplete or their busy state
    wrong: readers treat the cluster's nodes as unknown.
    """

    nodes: tuple[NodeFacts, ...]
    problems: tuple[str, ...] = ()


def node_facts(cluster_items: Iterable[object], label_prefix: str) -> tuple[NodeFacts, ...]:
    """Facts of every node in a customer cluster's Nodes+Pods List, sorted by name.

    List-level problems are only in :func:`scan_cluster`'s result; use that
    where a malformed List must make the cluster unknown.
    """
    return scan_cluster(cluster_items, label_prefix).nodes


def scan_cluster(cluster_items: Iterable[object], label_prefix: str) -> ClusterScan:
    """Facts of every node, plus list-level problems. One pass over the items, then one over the nodes."""
    problems: list[str] = []
    nodes: dict[str, Mapping[str, Any]] = {}
    workload = _Workload(f"{label_prefix}/do-not-disrupt")
    for position, raw in enumerate(cluster_items):
        if isinstance(raw, dict) and raw.get("kind") == "Pod":
            problem = workload.add(position, raw)  # the hot path: 25 pods per node
            if problem:
                problems.append(problem)
            continue
        item = identify(position, raw)
        if isinstance(item, str):
            problems.append(item)
        elif item.kind == "Node":
            if item.name in nodes:
                problems.append(f"node {item.name} appears twice")
            nodes[item.name] = item.obj
    facts = tuple(_node(name, nodes[name], label_prefix, workload) for name in sorted(nodes))
    return ClusterScan(facts, tuple(problems))


_EMPTY: dict[str, Any] = {}  # shared, never written: stands for an absent object


class _Workload:
    """Pods that make nodes busy, grouped by node: built in one pass, looked up per node."""

    def __init__(self, do_not_disrupt: str) -> None:
        self.do_not_disrupt = do_not_disrupt
        self.pods: defaultdict[str, list[str]] = defaultdict(list)
        self.protected: set[str] = set()  # nodes with a do-not-disrupt workload pod

    def add(self, position: int, pod: Mapping[str, Any]) -> str | None:
        """Record a pod if it keeps its node busy; a sentence if it is too malformed to judge.

        Written out by hand rather than with :func:`identify` and ``_field``:
        this runs once per pod (100,000 in a big cluster) and the generic
        helpers doubled the time of a whole scan.
        """
        meta = pod.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        namespace = meta.get("namespace", "") if isinstance(meta, dict) else None
        if not isinstance(meta, dict) or not isinstance(name, str) or not name or not isinstance(namespace, str):
            problem = identify(position, pod)  # the same checks, with the message
            return problem if isinstance(problem, str) else f"item {position} (Pod) is malformed"
        where = f"pod {namespace}/{name}"
        spec, status = pod.get("spec", _EMPTY), pod.get("status", _EMPTY)
        spec = _EMPTY if spec is None else spec
        status = _EMPTY if status is None else status
        if not isinstance(spec, dict) or not isinstance(status, dict):
            return f"{where}: spec or status is not an object, so the node it runs on is unknown"
        node = spec.get("nodeName")
        if not node:
            return None  # not scheduled: keeps no node busy
        if not isinstance(node, str):
            return f"{where}: spec.nodeName is not a string"
        if status.get("phase") in FINISHED_PHASES:
            return None
        annotations = meta.get("annotations")
        annotations = _EMPTY if annotations is None else annotations
        owners = meta.get("ownerReferences")
        owners = () if owners is None else owners
        if not isinstance(annotations, dict) or not isinstance(owners, list | tuple):
            return f"{where}: metadata.annotations or ownerReferences malformed, so node {node} busy is unknown"
        if MIRROR_ANNOTATION in annotations:
            return None
        for owner in owners:
            if isinstance(owner, dict) and owner.get("kind") in INFRA_OWNERS:
                return None
        self.pods[node].append(f"{namespace}/{name}")
        if annotations and _is_true(annotations.get(self.do_not_disrupt)):
            self.protected.add(node)
        return None


def _is_true(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() == "true"


def _node(name: str, node: Mapping[str, Any], prefix: str, workload: _Workload) -> NodeFacts:
    problems: list[str] = []
    labels = _mapping(node, "metadata", "labels")
    annotations = _mapping(node, "metadata", "annotations")
    if labels is None:
        problems.append("metadata.labels is not an object: pool, zone and image unknown")
        labels = {}
    if annotations is None:
        problems.append("metadata.annotations is not an object: do-not-disrupt unknown")

    kubelet_text = _field(node, "status", "nodeInfo", "kubeletVersion")
    kubelet = lenient_version(kubelet_text)
    if kubelet is None:
        problems.append(f"kubelet version {kubelet_text!r} is not x.y.z, so it is unknown")

    pods = sorted(workload.pods.get(name, ()))
    dnd_annotation = f"{prefix}/do-not-disrupt"
    protected = name in workload.protected or (annotations is not None and _is_true(annotations.get(dnd_annotation)))
    busy: bool | None = bool(pods) or protected
    if annotations is None and not busy:
        busy = None
    reasons = [*pods, f"annotation {dnd_annotation}"] if protected else pods

    return NodeFacts(
        name=name,
        pool=_label(labels, f"{prefix}/pool"),
        zone=_label(labels, ZONE_LABEL),
        kubelet=kubelet,
        image=_label(labels, f"{prefix}/node-image"),
        ready=_ready(node, problems),
        cordoned=_field(node, "spec", "unschedulable") is True,
        busy=busy,
        busy_reasons=tuple(reasons),
        pending=labels.get(f"{prefix}/upgrade-pending") == "true",
        target_image=_label(labels, f"{prefix}/target-image"),
        reimage_requested_at=_timestamp(annotations or {}, f"{prefix}/reimage-requested-at", problems),
        problems=tuple(problems),
    )


def _label(labels: Mapping[str, Any], key: str) -> str | None:
    value = labels.get(key)
    return value if isinstance(value, str) and value else None


def _ready(node: Mapping[str, Any], problems: list[str]) -> bool | None:
    """Condition Ready: True/False; Unknown (node lost contact) or missing is None."""
    conditions = _field(node, "status", "conditions")
    if not isinstance(conditions, list):
        conditions = []
    found = [c for c in conditions if isinstance(c, dict) and c.get("type") == "Ready"]
    if not found:
        problems.append("no Ready condition in status.conditions, so readiness is unknown")
        return None
    status = found[0].get("status")
    if status == "True":
        return True
    if status == "False":
        return False
    if status != "Unknown":
        problems.append(f"Ready condition status {status!r} is not True, False or Unknown")
    return None


def _timestamp(annotations: Mapping[str, Any], key: str, problems: list[str]) -> datetime | None:
    """An ISO 8601 instant with a timezone; anything else is unknown (a naive time would be a guess)."""
    text = annotations.get(key)
    if text is None:
        return None
    try:
        instant = datetime.fromisoformat(text.strip()) if isinstance(text, str) else None
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        problems.append(f"annotation {key} {text!r} is not an ISO 8601 time with a timezone, e.g. 2024-11-02T03:00:00Z")
        return None
    return instant
