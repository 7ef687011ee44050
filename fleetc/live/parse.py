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

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fleetc.conventions import (
    APISERVER,
    CORDONED_BY_FLEETC,
    ETCD,
    MIRROR_POD_ANNOTATION,
    PENDING_HARD,
    ZONE_LABEL,
    Keys,
    control_plane_namespace,
)
from fleetc.live.facts import ControlPlaneFacts, NodeFacts
from fleetc.versions import Version, image_version

# Times read from clusters outside this range are unknown: arithmetic on them
# (timeouts, soaks) must never overflow, and no real annotation is that old or new.
MIN_YEAR, MAX_YEAR = 1970, 9000
FINISHED_PHASES = frozenset({"Succeeded", "Failed"})
# docs/spec.md section 3 exempts DaemonSet pods from "busy" whatever they carry: they
# run on every node anyway. Static pods (their mirrors carry the mirror
# annotation, and are owned by the Node) are node infrastructure too, unless
# they carry do-not-disrupt: then they keep their node busy like any workload.
DAEMONSET = "DaemonSet"
NODE_OWNER = "Node"
# Kinds a customer cluster's List may hold (`kubectl get nodes,pods -A -o json`).
CLUSTER_KINDS = frozenset({"Node", "Pod"})


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


# --- control plane ----------------------------------------------------------


# Kinds a management cluster's List may hold (docs/spec.md sections 4, 6.1, 6.4).
MANAGEMENT_KINDS = frozenset({"Deployment", "StatefulSet", "TenantControlPlane", "DataStore", "ConfigMap"})


@dataclass(frozen=True)
class ManagementIndex:
    """The objects of a management cluster's List by (kind, namespace, name)."""

    objects: Mapping[tuple[str, str, str], Mapping[str, Any]]
    problems: tuple[str, ...] = ()
    namespaces: frozenset[str] = frozenset()  # every namespace an object of the List is in


def index_management(items: Iterable[object]) -> ManagementIndex:
    """Index a management List once, for many :func:`control_plane_facts` calls.

    An item of a kind a management List never holds (a Node, a Pod: a
    customer cluster's List saved under the wrong name) is a list-level
    problem: the List is not what it claims to be, so nothing in it is trusted.
    """
    objects: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    problems: list[str] = []
    for position, raw in enumerate(items):
        item = identify(position, raw)
        if isinstance(item, str):
            problems.append(item)
        elif item.kind in MANAGEMENT_KINDS:
            objects[(item.kind, item.namespace, item.name)] = item.obj
        else:
            problems.append(
                f"item {position} is a {item.kind}, which a management cluster's List does not hold "
                "(is this a customer cluster's file?)"
            )
    return ManagementIndex(objects, tuple(problems), frozenset(ns for _, ns, _ in objects))


def control_plane_facts(
    management_items: Iterable[object] | ManagementIndex, cluster_name: str
) -> ControlPlaneFacts | None:
    """Facts of the hosted control plane of ``cluster_name``; None if it does not exist yet.

    Two forms are read (docs/spec.md sections 4 and 6.1): a Kamaji
    TenantControlPlane ``<cluster>`` in ``cp-<cluster>`` (its version and
    readiness from its status, its Deployment's rollout, and the dedicated
    StatefulSet ``etcd``), or the earlier Deployment ``kube-apiserver`` plus
    StatefulSet ``etcd``. A missing half is reported, not assumed. The
    cluster is new only when nothing at all stands in ``cp-<cluster>``; if the
    list has malformed items, or objects stand there but no control plane,
    the answer is facts with every field unknown, never None.
    """
    index = management_items if isinstance(management_items, ManagementIndex) else index_management(management_items)
    namespace = control_plane_namespace(cluster_name)
    tenant = index.objects.get(("TenantControlPlane", namespace, cluster_name))
    deployment = index.objects.get(("Deployment", namespace, APISERVER))
    statefulset = index.objects.get(("StatefulSet", namespace, ETCD))
    problems = list(index.problems)
    if tenant is not None:
        return _kamaji(index, tenant, statefulset, namespace, cluster_name, problems)
    if deployment is None and statefulset is None:
        if namespace in index.namespaces:
            problems.append(f"{namespace} holds objects but no control plane (no TenantControlPlane or kube-apiserver)")
        elif not problems:
            return None
        else:
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
        earlier_form=deployment is not None,
    )


# TenantControlPlane status.kubernetesResources.version.status values (Kamaji): Ready serves; these are
# on their way (a rollout or a first start); anything else is unknown.
KAMAJI_READY = "Ready"
KAMAJI_MOVING = frozenset({"Provisioning", "Upgrading", "Migrating", "CertificateAuthorityRotating", "NotReady"})


def _kamaji(
    index: ManagementIndex,
    tenant: Mapping[str, Any],
    statefulset: Mapping[str, Any] | None,
    namespace: str,
    cluster: str,
    problems: list[str],
) -> ControlPlaneFacts:
    """A Kamaji-form control plane: version and state from the TenantControlPlane, rollout from its Deployment."""
    where = f"{namespace}/TenantControlPlane {cluster}"
    text = _field(tenant, "status", "kubernetesResources", "version", "version")
    version = Version.reported(text)
    if version is None:
        problems.append(f"{where}: status.kubernetesResources.version.version is {text!r}, so its version is unknown")
    state = _field(tenant, "status", "kubernetesResources", "version", "status")
    name = _field(tenant, "status", "kubernetesResources", "deployment", "name")
    deployment = index.objects.get(("Deployment", namespace, name if isinstance(name, str) and name else cluster))
    rolled: bool | None
    replicas: int | None = None
    if deployment is None:
        problems.append(f"{where}: its Deployment is not in the List, so its rollout is unknown")
        rolled = None
    else:
        _, rolled, replicas = _apiserver(deployment, namespace, [])  # its containers are Kamaji's
    if state == KAMAJI_READY:
        ready = rolled
    elif state in KAMAJI_MOVING:
        ready = False
    else:
        problems.append(f"{where}: status.kubernetesResources.version.status is {state!r}, so readiness is unknown")
        ready = None
    if statefulset is None:
        problems.append(f"{namespace}: StatefulSet etcd (the cluster's DataStore) not found")
        etcd: tuple[Version | None, bool | None] = (None, None)
    else:
        etcd = _etcd(statefulset, namespace, problems)
    return ControlPlaneFacts(
        apiserver_version=version,
        apiserver_ready=ready,
        apiserver_replicas=replicas,
        etcd_version=etcd[0],
        etcd_ready=etcd[1],
        problems=tuple(problems),
    )


def _image_version(
    obj: Mapping[str, Any], container_name: str, where: str, problems: list[str], *, revision: bool = False
) -> Version | None:
    """Version from the image of the container named ``container_name``.

    Only that container counts: a sidecar listed first (a log shipper, a
    proxy) carries its own version, and taking it would read a downgrade or
    an upgrade that never happened. No container of that name: unknown.
    """
    containers = _field(obj, "spec", "template", "spec", "containers")
    if not isinstance(containers, list) or not containers:
        problems.append(f"{where}: no containers in spec.template, so its version is unknown")
        return None
    named = [c for c in containers if isinstance(c, dict) and c.get("name") == container_name]
    if len(named) != 1:
        what = "no container" if not named else f"{len(named)} containers"
        problems.append(f"{where}: {what} named {container_name} in spec.template, so its version is unknown")
        return None
    image = named[0].get("image")
    version = image_version(image, revision=revision)
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
    version = _image_version(deployment, APISERVER, where, problems)
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
    version = _image_version(statefulset, ETCD, where, problems, revision=True)
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
    """Facts of every node, plus list-level problems. One pass over the items, then one over the nodes.

    A List that says nothing about pods cannot say a node is idle: nodes with
    no pod at all listed (not even the DaemonSet pods every real node runs)
    means the pods were not listed (``kubectl get nodes`` instead of
    ``kubectl get nodes,pods -A``), and reading every node as idle would let
    fleetc cordon nodes running jobs. That is a list-level problem.
    """
    problems: list[str] = []
    nodes: dict[str, Mapping[str, Any]] = {}
    keys = Keys(label_prefix)
    workload = _Workload(keys.do_not_disrupt, keys.upgrade_requested)
    pods_listed = 0
    for position, raw in enumerate(cluster_items):
        if isinstance(raw, dict) and raw.get("kind") == "Pod":
            pods_listed += 1
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
        else:
            problems.append(
                f"item {position} is a {item.kind}, which a customer cluster's List does not hold "
                "(write what `kubectl get nodes,pods -A -o json` prints)"
            )
    if nodes and not pods_listed:
        problems.append(
            f"{len(nodes)} nodes but no pod is listed, so whether a node runs a job is unknown "
            "(write what `kubectl get nodes,pods -A -o json` prints, DaemonSet pods included)"
        )
    facts = tuple(_node(name, nodes[name], keys, workload) for name in sorted(nodes))
    return ClusterScan(facts, tuple(problems))


_EMPTY: dict[str, Any] = {}  # shared, never written: stands for an absent object


class _Workload:
    """Pods that make nodes busy, grouped by node: built in one pass, looked up per node."""

    def __init__(self, do_not_disrupt: str, upgrade_requested: str) -> None:
        self.do_not_disrupt = do_not_disrupt
        self.upgrade_requested = upgrade_requested
        self.pods: defaultdict[str, list[str]] = defaultdict(list)
        self.protected: set[str] = set()  # nodes with a do-not-disrupt workload pod
        self.requested: defaultdict[str, set[str]] = defaultdict(set)  # node -> its busy pods asked to checkpoint

    def add(self, position: int, pod: Mapping[str, Any]) -> str | None:
        """Record a pod if it keeps its node busy; a sentence if it is too malformed to judge.

        Written out by hand rather than with :func:`identify` and ``_field``:
        this runs once per pod (100,000 in a big cluster) and the generic
        helpers doubled the time of a whole scan. Every value is type-checked
        before it is hashed or compared: the List is untrusted input, and a
        list where a string belongs must be a problem, never a crash.
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
        phase = status.get("phase")
        if phase is not None and not isinstance(phase, str):
            return f"{where}: status.phase is not a string, so whether it keeps node {node} busy is unknown"
        if phase in FINISHED_PHASES:
            return None
        annotations = meta.get("annotations")
        annotations = _EMPTY if annotations is None else annotations
        owners = meta.get("ownerReferences")
        owners = () if owners is None else owners
        if not isinstance(annotations, dict) or not isinstance(owners, list | tuple):
            return f"{where}: metadata.annotations or ownerReferences malformed, so node {node} busy is unknown"
        owner_kinds = set()
        for owner in owners:
            kind = owner.get("kind") if isinstance(owner, dict) else None
            if not isinstance(kind, str):
                return f"{where}: an ownerReference has no kind, so whether it keeps node {node} busy is unknown"
            owner_kinds.add(kind)
        if DAEMONSET in owner_kinds:
            return None
        protected = _is_true(annotations.get(self.do_not_disrupt)) if annotations else False
        if not protected and (MIRROR_POD_ANNOTATION in annotations or NODE_OWNER in owner_kinds):
            return None  # a static pod: node infrastructure
        pod_id = f"{namespace}/{name}"
        self.pods[node].append(pod_id)
        if protected:
            self.protected.add(node)
        if annotations and self.upgrade_requested in annotations:
            self.requested[node].add(pod_id)
        return None


def _is_true(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() == "true"


def _node(name: str, node: Mapping[str, Any], keys: Keys, workload: _Workload) -> NodeFacts:
    problems: list[str] = []
    labels = _mapping(node, "metadata", "labels")
    annotations = _mapping(node, "metadata", "annotations")
    if labels is None:
        problems.append("metadata.labels is not an object: pool, zone and image unknown")
        labels = {}
    if annotations is None:
        problems.append("metadata.annotations is not an object: do-not-disrupt unknown")

    kubelet_text = _field(node, "status", "nodeInfo", "kubeletVersion")
    kubelet = Version.reported(kubelet_text)
    if kubelet is None:
        problems.append(f"kubelet version {kubelet_text!r} is not x.y.z, so it is unknown")

    pods = sorted(workload.pods.get(name, ()))
    protected = name in workload.protected or (
        annotations is not None and _is_true(annotations.get(keys.do_not_disrupt))
    )
    busy: bool | None = bool(pods) or protected
    if annotations is None and not busy:
        busy = None
    reasons = [*pods, f"annotation {keys.do_not_disrupt}"] if protected else pods
    cordoned = _field(node, "spec", "unschedulable") is True
    requested_at = _timestamp(annotations or {}, keys.reimage_requested_at, problems)
    asked: set[str] | frozenset[str] = workload.requested.get(name, frozenset())
    pending_since = _timestamp(annotations or {}, keys.pending_since, problems)

    return NodeFacts(
        name=name,
        pool=_label(labels, keys.pool),
        zone=_label(labels, ZONE_LABEL),
        kubelet=kubelet,
        image=_label(labels, keys.node_image),
        ready=_ready(node, problems),
        cordoned=cordoned,
        busy=busy,
        busy_reasons=tuple(reasons),
        pending=labels.get(keys.upgrade_pending) == "true",
        target_image=_label(labels, keys.target_image),
        reimage_requested_at=requested_at,
        problems=tuple(problems),
        fleetc_cordon=cordoned and labels.get(keys.cordoned_by) == CORDONED_BY_FLEETC,
        pending_hard=_pending_hard(node, keys.upgrade_pending),
        pending_since=pending_since,
        unrequested_pods=tuple(p for p in pods if p not in asked),
        checkpoint_requested=bool(asked),
    )


def _pending_hard(node: Mapping[str, Any], key: str) -> bool:
    """The upgrade-pending taint is there with effect NoSchedule (fleetc escalated it).

    Anything else -- no taint, PreferNoSchedule, a malformed list -- reads
    as soft: the planner then asks for NoSchedule again when the policy says
    so, which is safe (the taint never evicts) and converges.
    """
    taints = _field(node, "spec", "taints")
    if not isinstance(taints, list):
        return False
    return any(isinstance(t, dict) and t.get("key") == key and t.get("effect") == PENDING_HARD for t in taints)


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
    try:
        year = instant.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        problems.append(f"annotation {key} {text!r} is not a time between {MIN_YEAR} and {MAX_YEAR}, so it is unknown")
        return None
    return instant
