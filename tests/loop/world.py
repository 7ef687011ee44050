"""A simulated site made of raw Kubernetes objects, for closed-loop tests of the whole pipeline.

Each tick the test reads the world as kubectl Lists (what a snapshot holds),
runs the real reader (``assemble_region``), the real planner and the real
compiler, and applies the compiled graph the way the API server would:

- ``NODE_PATCH`` props with server-side-apply semantics for one field
  manager (``fleetc``): labels and annotations fleetc set before and omits
  now are removed; ``spec.unschedulable`` is set when the patch states it and
  removed (uncordoned) when fleetc owned it and the patch leaves it out;
  taints are an atomic list, replaced whole;
- the control plane moves to the plan's ``control_plane_version`` and
  ``etcd_version`` (what the compiler builds it at) and rolls over a few
  ticks, its Deployment and StatefulSet status saying so;
- Helm releases and the ``fleetc-cluster`` ConfigMap as Pulumi applies them:
  created as compiled, updated except for their keep-live (``ignore_changes``)
  fields; the ConfigMap is listed in the management List next time, so the
  planner reads back what was recorded (docs/spec.md 6.4).

Around fleetc the world lives: jobs start on schedulable nodes and end; a
bare-metal provisioner reimages cordoned nodes labelled with a target image
(the node goes NotReady, may vanish from the API, then comes back at the
image with that image's kubelet); and people and hardware get in the way:
hand cordons, readiness that flaps, readiness that turns Unknown, static
pods with do-not-disrupt, sidecars listed first in the control plane's pod
templates. Everything random comes from one seeded ``random.Random``.

The world records what it can see go wrong by itself (a job killed by a
reimage); the invariants module checks the rest from the raw objects.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fleetc.compile import compile_region
from fleetc.compile.graph import Kind
from fleetc.compile.objects import keep_live_paths, kube_object
from fleetc.compile.props import HelmReleaseProps
from fleetc.conventions import CLUSTER_CONFIGMAP, CORDONED_BY_FLEETC, MIRROR_POD_ANNOTATION, ZONE_LABEL, Keys
from fleetc.live.assemble import assemble_region
from fleetc.live.facts import LiveState
from fleetc.plan.model import Plan
from fleetc.spec.fleet import FleetSpec
from fleetc.versions import Version

Obj = dict[str, Any]
REGION = "r1"
PREFIX = "fleet.test"
KEYS = Keys(PREFIX)
TICK = timedelta(minutes=15)


@dataclass
class Job:
    name: str
    nodes: list[str]
    ends: int  # tick


@dataclass
class SimNode:
    name: str
    pool: str
    zone: str
    image: str
    kubelet: Version
    labels: dict[str, str] = field(default_factory=dict)  # extra labels (fleetc's and others')
    annotations: dict[str, str] = field(default_factory=dict)
    unschedulable: bool = False
    taints: list[Obj] = field(default_factory=list)
    ready: str = "True"  # True | False | Unknown
    down_until: int = -1  # flapping readiness: NotReady until this tick
    reimage_done: int = -1  # provisioner: back at the target image at this tick
    hidden: bool = False  # deleted from the API while reprovisioned
    owned_labels: set[str] = field(default_factory=set)  # server-side apply: what fleetc's field manager owns
    owned_annotations: set[str] = field(default_factory=set)
    owns_unschedulable: bool = False
    static_dnd: bool = False  # a static pod with do-not-disrupt runs here

    def label_map(self) -> dict[str, str]:
        return {
            KEYS.pool: self.pool,
            ZONE_LABEL: self.zone,
            KEYS.node_image: self.image,
            "kubernetes.io/hostname": self.name,
            **self.labels,
        }


@dataclass
class SimCluster:
    name: str
    apiserver: Version  # what runs once rolled out
    etcd: Version
    rolling_until: int = -1  # tick at which the current rollout is complete
    sidecars: bool = False
    kamaji: bool = False  # the control plane in the Kamaji form (a TenantControlPlane), docs/spec.md 6.1
    nodes: dict[str, SimNode] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    record: Obj | None = None  # the fleetc-cluster ConfigMap as applied (docs/spec.md 6.4); None: none yet
    releases: dict[str, Release] = field(default_factory=dict)  # Helm releases on the customer cluster
    changed: list[tuple[str, str]] = field(default_factory=list)  # (release, version) changed by the last apply
    created: list[tuple[str, str]] = field(default_factory=list)  # (release, version) created by the last apply


@dataclass
class Release:
    """A Helm release as the cluster runs it (what Pulumi's helm.v3.Release would have applied)."""

    version: str
    values: Obj


@dataclass
class Events:
    """What went wrong that the world saw happen."""

    killed: list[str] = field(default_factory=list)  # jobs running on a node when its reimage started


class World:
    def __init__(self, spec: FleetSpec, clusters: list[SimCluster], images: dict[str, Version], seed: int) -> None:
        self.spec = spec
        self.clusters = {c.name: c for c in clusters}
        self.images = images  # node image -> the kubelet it carries
        self.rng = random.Random(seed)
        self.tick = 0
        self.events = Events()
        self.job_seq = 0
        self.calm = False  # phase 2: no new jobs, no interference
        self.interference = 0.0

    # ------------------------------------------------------------ reading

    def management_items(self) -> list[Obj]:
        items: list[Obj] = []
        for cluster in self.clusters.values():
            items.extend(control_plane_objects(cluster, self.tick))
            if cluster.record is not None:
                items.append(cluster.record)
        return items

    def cluster_items(self, cluster: SimCluster) -> list[Obj]:
        items: list[Obj] = []
        for node in sorted(cluster.nodes.values(), key=lambda n: n.name):
            if node.hidden:
                continue
            items.append(node_object(node))
            items.append(pod("kube-system", f"cilium-{node.name}", node.name, owner="DaemonSet"))
            annotations = {MIRROR_POD_ANNOTATION: "x"}
            if node.static_dnd:
                annotations[KEYS.do_not_disrupt] = "true"
            items.append(
                pod("kube-system", f"node-exporter-{node.name}", node.name, owner="Node", annotations=annotations)
            )
        for job in cluster.jobs:
            for i, name in enumerate(job.nodes):
                items.append(pod("ml", f"{job.name}-{i}", name, owner="Job"))
        return items

    def live(self) -> LiveState:
        management = {"apiVersion": "v1", "kind": "List", "items": self.management_items()}
        lists = {
            name: {"apiVersion": "v1", "kind": "List", "items": self.cluster_items(c)}
            for name, c in self.clusters.items()
        }
        region = assemble_region(REGION, list(self.clusters), management, lists, PREFIX)  # type: ignore[arg-type]
        return LiveState({REGION: region})

    # ------------------------------------------------------------ applying

    def apply(self, spec: FleetSpec, result: Plan, now: datetime) -> None:
        graph = compile_region(spec, result, REGION, now)
        for cid, cluster_plan in result.clusters.items():
            cluster = self.clusters[cid.split("/", 1)[1]]
            version, etcd = cluster_plan.control_plane_version, cluster_plan.etcd_version
            if version is None or etcd is None:
                continue  # unknown: left exactly as it is
            if (version, etcd) != (cluster.apiserver, cluster.etcd):
                cluster.apiserver, cluster.etcd = version, etcd
                cluster.rolling_until = self.tick + self.rng.randint(1, 2)
        for node in graph.of_kind(Kind.NODE_PATCH):
            assert node.cluster is not None
            cluster = self.clusters[node.cluster.split("/", 1)[1]]
            target = cluster.nodes[node.props["name"]]
            server_side_apply(target, node.props)
        for cluster in self.clusters.values():
            cluster.changed, cluster.created = [], []
        for node in graph.of_kind(Kind.HELM_RELEASE):
            if node.cluster is None:  # the management cluster's batteries (cert-manager, Kamaji)
                continue
            apply_release(self.clusters[node.cluster.split("/", 1)[1]], node.typed(HelmReleaseProps))
        for node in graph.manifests("ConfigMap"):
            if node.props["metadata"]["name"] == CLUSTER_CONFIGMAP and node.cluster is not None:
                cluster = self.clusters[node.cluster.split("/", 1)[1]]
                cluster.record = apply_keeping(cluster.record, kube_object(node), keep_live_paths(node))

    # ------------------------------------------------------------ time

    def advance(self) -> None:
        """One tick: jobs end and start, the provisioner works, people and hardware interfere."""
        self.tick += 1
        rng = self.rng
        for cluster in self.clusters.values():
            cluster.jobs = [j for j in cluster.jobs if j.ends > self.tick]
            for node in cluster.nodes.values():
                self._provision(cluster, node)
                if node.down_until == self.tick:
                    node.ready = "True"
                    node.down_until = -1
            if not self.calm:
                self._start_jobs(cluster)
                self._interfere(cluster, rng)

    def busy_nodes(self, cluster: SimCluster) -> set[str]:
        return {name for job in cluster.jobs for name in job.nodes}

    def _provision(self, cluster: SimCluster, node: SimNode) -> None:
        target = node.labels.get(KEYS.target_image)
        if node.reimage_done == self.tick:
            node.image = target or node.image
            node.kubelet = self.images[node.image]
            node.ready = "True"
            node.reimage_done = -1
            if node.hidden:  # a new Node object registers: none of the old labels, cordon or owners survive
                node.hidden = False
                node.labels, node.annotations, node.taints = {}, {}, []
                node.unschedulable = False
                node.owned_labels, node.owned_annotations, node.owns_unschedulable = set(), set(), False
            return
        if node.reimage_done >= 0 or target is None or target == node.image or not node.unschedulable:
            return
        if node.name in self.busy_nodes(cluster):
            self.events.killed.append(f"{cluster.name}/{node.name} reimaged with a job running")
            cluster.jobs = [j for j in cluster.jobs if node.name not in j.nodes]
        node.ready = "False"
        node.reimage_done = self.tick + self.rng.randint(1, 2)
        node.hidden = self.rng.random() < 0.3  # the provisioner deletes the Node object while it works

    def _start_jobs(self, cluster: SimCluster) -> None:
        busy = self.busy_nodes(cluster)
        free = [
            n
            for n in cluster.nodes.values()
            if n.name not in busy and not n.unschedulable and n.ready == "True" and not n.hidden
        ]
        untainted = [n for n in free if not any(t.get("key") == KEYS.upgrade_pending for t in n.taints)]
        pool = untainted or free  # PreferNoSchedule: tainted nodes only when nothing else is free
        if not pool or self.rng.random() > 0.5:
            return
        size = min(len(pool), self.rng.randint(1, 3))
        chosen = self.rng.sample(sorted(pool, key=lambda n: n.name), size)
        self.job_seq += 1
        cluster.jobs.append(Job(f"job-{self.job_seq}", [n.name for n in chosen], self.tick + self.rng.randint(1, 8)))

    def _interfere(self, cluster: SimCluster, rng: random.Random) -> None:
        if rng.random() > self.interference:
            return
        node = rng.choice(sorted(cluster.nodes.values(), key=lambda n: n.name))
        roll = rng.random()
        if roll < 0.3 and node.reimage_done < 0:  # a person cordons or uncordons (kubectl takes the field)
            node.unschedulable = not node.unschedulable
            node.owns_unschedulable = False
        elif roll < 0.6 and node.reimage_done < 0:  # the node drops out for a while
            node.ready = "False"
            node.down_until = self.tick + rng.randint(1, 3)
        elif roll < 0.75 and node.reimage_done < 0:  # the kubelet stops reporting: readiness Unknown
            node.ready = "Unknown"
            node.down_until = self.tick + rng.randint(1, 2)
        else:  # a static pod asks not to be disrupted, or stops asking
            node.static_dnd = not node.static_dnd

    def settle(self) -> None:
        """Phase 2: people stop interfering; their cordons and do-not-disrupt pods go away."""
        self.calm = True
        for cluster in self.clusters.values():
            for node in cluster.nodes.values():
                node.static_dnd = False
                if node.unschedulable and node.labels.get(KEYS.cordoned_by) != CORDONED_BY_FLEETC:
                    node.unschedulable = False
                if node.ready == "Unknown":
                    node.ready = "True"
                    node.down_until = -1

    def all_nodes(self) -> Iterator[tuple[SimCluster, SimNode]]:
        for cluster in self.clusters.values():
            for node in cluster.nodes.values():
                yield cluster, node


def apply_release(cluster: SimCluster, release: HelmReleaseProps) -> None:
    """Pulumi's view: a release in the state keeps its ``ignore_changes`` inputs; a new one is created as given."""
    current = cluster.releases.get(release.name)
    version, values = release.version, copy.deepcopy(release.helm_values)
    if current is not None and "version" in release.keep_live:
        version = current.version
    if current is not None and "values" in release.keep_live:
        values = current.values
    if current is None:
        cluster.created.append((release.name, version))
    elif (current.version, current.values) != (version, values):
        cluster.changed.append((release.name, version))
    cluster.releases[release.name] = Release(version, values)


def apply_keeping(previous: Obj | None, obj: Obj, keep: tuple[str, ...]) -> Obj:
    """An apply with ``ignore_changes`` on ``keep`` (dotted paths): those fields stay as they were."""
    result = copy.deepcopy(obj)
    for path in keep:
        *parents, last = path.split(".")
        source: Any = previous
        target: Any = result
        for key in parents:
            source = source.get(key) if isinstance(source, dict) else None
            target = target.setdefault(key, {})
        if isinstance(source, dict) and last in source:
            target[last] = copy.deepcopy(source[last])
        else:
            target.pop(last, None)
    return result


def server_side_apply(node: SimNode, props: Obj) -> None:
    """One NodePatch as the API server applies it for the field manager ``fleetc`` (with force)."""
    labels = {k: v for k, v in props["labels"].items()}
    annotations = {k: v for k, v in props["annotations"].items() if not k.startswith("pulumi.com/")}
    for key in node.owned_labels - labels.keys():
        node.labels.pop(key, None)
    for key in node.owned_annotations - annotations.keys():
        node.annotations.pop(key, None)
    node.labels.update(labels)
    node.annotations.update(annotations)
    node.owned_labels, node.owned_annotations = set(labels), set(annotations)
    if props["unschedulable"] is not None:
        node.unschedulable = bool(props["unschedulable"])
        node.owns_unschedulable = True
    elif node.owns_unschedulable:
        node.unschedulable = False  # the owner gave the field up: it falls back to its default
        node.owns_unschedulable = False
    node.taints = [dict(t) for t in props["taints"]]


# ---------------------------------------------------------------- objects


def node_object(node: SimNode) -> Obj:
    spec: Obj = {"taints": node.taints} if node.taints else {}
    if node.unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": node.name, "labels": node.label_map(), "annotations": dict(node.annotations)},
        "spec": spec,
        "status": {
            "conditions": [{"type": "Ready", "status": node.ready}],
            "nodeInfo": {"kubeletVersion": f"v{node.kubelet}"},
        },
    }


def pod(namespace: str, name: str, node: str, *, owner: str, annotations: dict[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": dict(annotations or {}),
            "ownerReferences": [{"apiVersion": "v1", "kind": owner, "name": f"{name}-owner"}],
        },
        "spec": {"nodeName": node},
        "status": {"phase": "Running"},
    }


def control_plane_objects(cluster: SimCluster, tick: int) -> list[Obj]:
    rolled = tick >= cluster.rolling_until
    namespace = f"cp-{cluster.name}"
    api_containers = [{"name": "kube-apiserver", "image": f"registry.k8s.io/kube-apiserver:v{cluster.apiserver}"}]
    etcd_containers = [{"name": "etcd", "image": f"registry.k8s.io/etcd:{cluster.etcd}-0"}]
    if cluster.sidecars:  # a sidecar listed first, with a version of its own (hardening 2)
        api_containers.insert(0, {"name": "audit-shipper", "image": "r.io/shipper:v9.0.1"})
        etcd_containers.insert(0, {"name": "backup", "image": "r.io/etcd-backup:3.9.9"})
    updated = 3 if rolled else 1
    kamaji: list[Obj] = []
    if cluster.kamaji:  # Kamaji's Deployment is named after the cluster; the TenantControlPlane says the version
        state = {"version": f"v{cluster.apiserver}", "status": "Ready" if rolled else "Upgrading"}
        kamaji.append(
            {
                "apiVersion": "kamaji.clastix.io/v1alpha1",
                "kind": "TenantControlPlane",
                "metadata": {"name": cluster.name, "namespace": namespace},
                "status": {"kubernetesResources": {"version": state, "deployment": {"name": cluster.name}}},
            }
        )
    return [
        *kamaji,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": cluster.name if cluster.kamaji else "kube-apiserver",
                "namespace": namespace,
                "generation": 1,
            },
            "spec": {"replicas": 3, "template": {"spec": {"containers": api_containers}}},
            "status": {
                "observedGeneration": 1,
                "replicas": 3,
                "updatedReplicas": updated,
                "readyReplicas": 3,
                "availableReplicas": 3,
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "etcd", "namespace": namespace, "generation": 1},
            "spec": {"replicas": 3, "template": {"spec": {"containers": etcd_containers}}},
            "status": {
                "observedGeneration": 1,
                "replicas": 3,
                "updatedReplicas": updated,
                "readyReplicas": 3,
                "currentRevision": "a" if rolled else "b",
                "updateRevision": "a",
            },
        },
    ]
