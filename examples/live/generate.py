"""Write the example live snapshot (docs/spec.md section 4) for the example fleet.

Run from the repository root::

    python examples/live/generate.py            # writes examples/live/<region>/*.json
    python examples/live/generate.py --check    # exit 1 if the committed JSON is stale

The snapshot is what ``kubectl get tenantcontrolplanes,deploy,sts -A -o json``
(management cluster; every cluster in the Kamaji form but eu-west-02/beta-cpu,
kept in the earlier Deployment + StatefulSet form to show both read) and
``kubectl get nodes,pods -A -o json`` (each customer cluster) would print at 2026-11-25T15:00:00Z, a Wednesday, so that
``fleetc plan --live examples/live --now 2026-11-25T15:00:00Z`` shows every
kind of planner decision on one screen:

- us-east-04/alpha-train: its TenantControlPlane Upgrading to 1.31.2 (its
  Deployment 1 of 3 replicas updated): control-plane-not-ready.
- us-east-04/beta-train: control plane at 1.31.2; the gb200 wave is rolling:
  nodes at the target, nodes reimaging, one reimaged node still cordoned
  (uncordon), two cordoned idle nodes (reimage), idle nodes (cordon up to the
  budget), busy training nodes (mark-pending / busy), one node protected by
  the do-not-disrupt annotation.
- us-east-04/infer-east: 1.30.6 -> 1.31.2 is due, but its window is the
  weekend in New York: outside-window.
- eu-west-02/alpha-research: 1.30.6 -> 1.31.2 without an Approval:
  approval-required.
- eu-west-02/beta-cpu, eu-west-02/infer-eu: at their targets, nothing to do.

Pools, counts, failure domains, instance types and targets come from the
fleet itself (``fleet/``), so the snapshot cannot drift from it: node counts
equal each pool's ``count``. Everything is derived from names (no clock, no
randomness), so the output is byte-for-byte reproducible; commit the JSON
together with this script.

To keep the files small, workload pods are on the nodes where they change a
decision (and on a realistic share of the others); DaemonSet pods (which
never make a node busy) are on every node of the clusters where the node
wave is live, and only ``cilium`` elsewhere.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fleetc import conventions  # noqa: E402
from fleetc.plan.revision import desired_revision  # noqa: E402
from fleetc.spec.anchors import where  # noqa: E402
from fleetc.spec.fleet import FleetSpec  # noqa: E402
from fleetc.spec.loader import load_fleet  # noqa: E402
from fleetc.spec.models import Cluster, NodePool  # noqa: E402

NOW = "2026-11-25T15:00:00Z"
CREATED = "2025-03-04T09:12:40Z"  # when the example clusters were built
OLD_K8S = "1.30.6"
NEW_K8S = "1.31.2"
OLD_IMAGE = "gpu-node-2024.11.1"
NEW_IMAGE = "gpu-node-2024.12.0"
ETCD_IMAGE = "registry.k8s.io/etcd:3.5.16-0"

# What each node image ships (the kubelet comes with the image).
IMAGE_INFO: dict[str, dict[str, str]] = {
    OLD_IMAGE: {"kernel": "6.8.0-48-generic", "containerd": "containerd://1.7.23", "kubelet": OLD_K8S},
    NEW_IMAGE: {"kernel": "6.8.0-49-generic", "containerd": "containerd://1.7.24", "kubelet": NEW_K8S},
}
ARCH = {"gb200x4": "arm64"}  # Grace CPUs; everything else is x86_64


def uid(*parts: str) -> str:
    """A stable UUID per object, as the API server would have assigned one."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "fleetc-example/" + "/".join(parts)))


def suffix(*parts: str, length: int = 5) -> str:
    """A stable pod-name suffix in Kubernetes' alphabet (no vowels, no 0/1/3)."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


def resource_version(*parts: str) -> str:
    return str(int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:8], 16) % 90_000_000 + 10_000_000)


# ---------------------------------------------------------------- scenario


@dataclass(frozen=True)
class Workload:
    """A pod that keeps a node busy (or not: finished pods never do)."""

    namespace: str
    name: str
    owner_kind: str  # PyTorchJob, Job, ReplicaSet
    owner_api: str
    owner_name: str
    image: str
    gpus: int = 0
    phase: str = "Running"
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NodeState:
    """What one node looks like in the snapshot."""

    image: str = OLD_IMAGE
    ready: str = "True"  # the Ready condition: True, False or Unknown
    cordoned: bool = False
    target_image: str | None = None
    reimage_requested_at: str | None = None
    pending: bool = False
    do_not_disrupt: bool = False
    workloads: tuple[Workload, ...] = ()


@dataclass(frozen=True)
class ControlPlaneState:
    """The hosted control plane's four workloads (cp-<cluster>)."""

    version: str  # image tag of all four (the spec fleetc applied last)
    updated: int | None = None  # kube-apiserver updatedReplicas; None: all of them
    previous: str | None = None  # while kube-apiserver rolls: the version the others still run


def pytorch_worker(job: str, namespace: str, index: int, gpus: int, image: str) -> Workload:
    return Workload(
        namespace=namespace,
        name=f"{job}-worker-{index}",
        owner_kind="PyTorchJob",
        owner_api="kubeflow.org/v1",
        owner_name=job,
        image=image,
        gpus=gpus,
        labels={
            "training.kubeflow.org/job-name": job,
            "training.kubeflow.org/operator-name": "pytorchjob-controller",
            "training.kubeflow.org/replica-index": str(index),
            "training.kubeflow.org/replica-type": "worker",
        },
    )


def job_pod(job: str, namespace: str, gpus: int, image: str, phase: str = "Running") -> Workload:
    return Workload(
        namespace=namespace,
        name=f"{job}-{suffix(namespace, job)}",
        owner_kind="Job",
        owner_api="batch/v1",
        owner_name=job,
        image=image,
        gpus=gpus,
        phase=phase,
        labels={"batch.kubernetes.io/job-name": job, "job-name": job},
    )


def replica_pod(deployment: str, namespace: str, index: int, gpus: int, image: str) -> Workload:
    template = suffix(namespace, deployment, length=10)
    return Workload(
        namespace=namespace,
        name=f"{deployment}-{template}-{suffix(namespace, deployment, str(index))}",
        owner_kind="ReplicaSet",
        owner_api="apps/v1",
        owner_name=f"{deployment}-{template}",
        image=image,
        gpus=gpus,
        labels={"app.kubernetes.io/name": deployment, "pod-template-hash": template},
    )


def steady(pool: NodePool, image: str, busy: Callable[[int], tuple[Workload, ...]]) -> list[NodeState]:
    """A pool at rest on ``image``: every node Ready, schedulable, workloads from ``busy(i)``."""
    return [NodeState(image=image, workloads=busy(i)) for i in range(pool.count)]


def system_pool(pool: NodePool, image: str) -> list[NodeState]:
    """System pools run Deployments (CoreDNS, cert-manager...): one of them on each node."""
    names = ["coredns", "cert-manager", "metrics-server", "external-dns", "hubble-relay", "cilium-operator"]
    return [
        NodeState(
            image=image,
            workloads=(
                replica_pod(names[i % len(names)], "kube-system", i // len(names), 0, "registry.k8s.io/pause:3.10"),
            ),
        )
        for i in range(pool.count)
    ]


def alpha_train(cluster: Cluster) -> tuple[ControlPlaneState, dict[str, list[NodeState]]]:
    """kube-apiserver part-way to 1.31.2; the h100s all busy with one big pretraining run."""
    h100, system = cluster.node_pools
    image = "nvcr.io/lab-alpha/megatron:24.10-py3"

    def busy(i: int) -> tuple[Workload, ...]:
        if i < 480:  # 480 nodes x 8 H100 = the 3,840-GPU pretraining gang
            return (pytorch_worker("pretrain-405b-r7", "pretrain", i, 8, image),)
        if i < 496:
            return (job_pod(f"eval-harness-{i - 480:02d}", "evals", 8, image),)
        return ()

    return (
        ControlPlaneState(NEW_K8S, updated=1, previous=OLD_K8S),
        {h100.name: steady(h100, OLD_IMAGE, busy), system.name: system_pool(system, OLD_IMAGE)},
    )


def beta_train(cluster: Cluster) -> tuple[ControlPlaneState, dict[str, list[NodeState]]]:
    """The gb200 wave half-way: every node state the planner distinguishes is here once.

    Node index ranges of pool gb200 (256 trays, budget 5% = 12):
      0-95     at gpu-node-2024.12.0, Ready; new jobs already land there
      96-100   cordoned, reimage requested 15-35 minutes ago, NotReady (reimaging)
      101      reimaged: Ready at the target but still cordoned -> uncordon
      102-103  cordoned last run, now idle, not yet labelled -> reimage
      104      idle but annotated do-not-disrupt (hardware burn-in by the tenant) -> busy
      105-114  idle on the old image (a finished eval pod on 105) -> cordon up to the budget
      115-249  busy with training, already labelled upgrade-pending -> busy
      250-255  busy with training, not labelled yet -> mark-pending
    """
    gb200, system = cluster.node_pools
    train = "nvcr.io/lab-beta/moe-trainer:2024.11.3"
    nodes: list[NodeState] = []
    for i in range(gb200.count):
        if i < 96:
            work = (pytorch_worker("moe-1t-ablation-b", "research", i, 4, train),) if i < 64 else ()
            nodes.append(NodeState(image=NEW_IMAGE, workloads=work))
        elif i <= 100:
            minutes = 35 - (i - 96) * 5  # 14:25 .. 14:45
            nodes.append(
                NodeState(
                    ready="False",
                    cordoned=True,
                    target_image=NEW_IMAGE,
                    reimage_requested_at=f"2026-11-25T14:{60 - minutes:02d}:00Z",
                )
            )
        elif i == 101:
            nodes.append(
                NodeState(
                    image=NEW_IMAGE,
                    cordoned=True,
                    target_image=NEW_IMAGE,
                    reimage_requested_at="2026-11-25T13:50:00Z",
                )
            )
        elif i <= 103:
            nodes.append(NodeState(cordoned=True))
        elif i == 104:
            nodes.append(NodeState(do_not_disrupt=True, pending=True))
        elif i <= 114:
            done = (job_pod("eval-mmlu-1124", "evals", 4, train, phase="Succeeded"),) if i == 105 else ()
            nodes.append(NodeState(workloads=done))
        else:
            worker = pytorch_worker("moe-1t-pretrain", "pretrain", i - 115, 4, train)
            nodes.append(NodeState(pending=i < 250, workloads=(worker,)))
    return (
        ControlPlaneState(NEW_K8S),
        {gb200.name: nodes, system.name: system_pool(system, NEW_IMAGE)},
    )


def infer_east(cluster: Cluster) -> tuple[ControlPlaneState, dict[str, list[NodeState]]]:
    """Serving on 1.30.6; the 1.31.2 upgrade waits for the weekend window."""
    h100, gateway = cluster.node_pools
    serve = "vllm/vllm-openai:v0.6.4"
    return (
        ControlPlaneState(OLD_K8S),
        {
            h100.name: steady(h100, OLD_IMAGE, lambda i: (replica_pod("llama-70b-serve", "serving", i, 8, serve),)),
            gateway.name: steady(
                gateway,
                OLD_IMAGE,
                lambda i: (replica_pod("envoy-gateway", "gateway", i, 0, "envoyproxy/envoy:v1.32.1"),),
            ),
        },
    )


def alpha_research(cluster: Cluster) -> tuple[ControlPlaneState, dict[str, list[NodeState]]]:
    """On 1.30.6, rapid says 1.31.2, nobody approved yet."""
    h100, system = cluster.node_pools
    image = "nvcr.io/lab-alpha/megatron:24.10-py3"

    def busy(i: int) -> tuple[Workload, ...]:
        return (pytorch_worker("rlhf-70b-sweep", "research", i, 8, image),) if i < 96 else ()

    return (
        ControlPlaneState(OLD_K8S),
        {h100.name: steady(h100, OLD_IMAGE, busy), system.name: system_pool(system, OLD_IMAGE)},
    )


def infer_eu(cluster: Cluster) -> tuple[ControlPlaneState, dict[str, list[NodeState]]]:
    """Pinned to 1.30.6 / gpu-node-2024.11.1 and running them: up to date."""
    h100, gateway = cluster.node_pools
    serve = "vllm/vllm-openai:v0.6.4"
    return (
        ControlPlaneState(OLD_K8S),
        {
            h100.name: steady(h100, OLD_IMAGE, lambda i: (replica_pod("mistral-large-serve", "serving", i, 8, serve),)),
            gateway.name: steady(
                gateway,
                OLD_IMAGE,
                lambda i: (replica_pod("envoy-gateway", "gateway", i, 0, "envoyproxy/envoy:v1.32.1"),),
            ),
        },
    )


def beta_cpu(cluster: Cluster) -> tuple[ControlPlaneState, dict[str, list[NodeState]]]:
    """Stable channel, at 1.30.6 / gpu-node-2024.11.1: up to date; tokenisation jobs on half the nodes."""
    batch, system = cluster.node_pools
    image = "ghcr.io/lab-beta/dataprep:2024.11.20"

    def busy(i: int) -> tuple[Workload, ...]:
        return (job_pod(f"tokenize-shard-{i:04d}", "dataprep", 0, image),) if i % 2 == 0 else ()

    return (
        ControlPlaneState(OLD_K8S),
        {batch.name: steady(batch, OLD_IMAGE, busy), system.name: system_pool(system, OLD_IMAGE)},
    )


SCENARIOS: dict[str, Callable[[Cluster], tuple[ControlPlaneState, dict[str, list[NodeState]]]]] = {
    "us-east-04/alpha-train": alpha_train,
    "us-east-04/beta-train": beta_train,
    "us-east-04/infer-east": infer_east,
    "eu-west-02/alpha-research": alpha_research,
    "eu-west-02/infer-eu": infer_eu,
    "eu-west-02/beta-cpu": beta_cpu,
}
# Clusters whose nodes get every DaemonSet pod (the rest only cilium, to keep files small).
FULL_DAEMONSETS = {"us-east-04/beta-train", "us-east-04/infer-east", "eu-west-02/infer-eu", "eu-west-02/beta-cpu"}


# ---------------------------------------------------------------- management cluster


# Kept in the earlier form (Deployment kube-apiserver + StatefulSet etcd, no TenantControlPlane): a cluster
# adopted before fleetc ran on Kamaji still reads as before (docs/spec.md 6.1).
EARLIER_FORM = {"eu-west-02/beta-cpu"}


def control_plane_objects(cluster_id: str, cluster: Cluster, state: ControlPlaneState) -> list[dict[str, Any]]:
    """The Kamaji form (TenantControlPlane, its Deployment, StatefulSet etcd), or the earlier one for EARLIER_FORM."""
    if cluster_id in EARLIER_FORM:
        return earlier_control_plane_objects(cluster, state)
    namespace = f"cp-{cluster.name}"
    pos = where(cluster)
    source = f"{Path(pos.file).resolve().relative_to(ROOT)}#{pos.anchor}"  # the stable form fleetc applies
    rolling = state.updated is not None and state.updated < cluster.control_plane.replicas
    return [
        tenant_control_plane(source, namespace, cluster.name, state.version, "Upgrading" if rolling else "Ready"),
        kamaji_deployment(source, namespace, cluster.name, cluster.control_plane.replicas, state),
        statefulset(source, namespace, cluster.control_plane.etcd.replicas, cluster.control_plane.etcd.storage_gib),
    ]


def tenant_control_plane(source: str, namespace: str, name: str, version: str, status: str) -> dict[str, Any]:
    """What Kamaji reports for a TenantControlPlane fleetc applied (the fields the live reader uses, and a few more)."""
    meta = workload_meta(source, namespace, name, 4, {"fleetc.dev/cluster": name})
    return {
        "apiVersion": "kamaji.clastix.io/v1alpha1",
        "kind": "TenantControlPlane",
        "metadata": meta,
        "spec": {
            "controlPlane": {"deployment": {"replicas": 3}, "service": {"serviceType": "LoadBalancer"}},
            "dataStore": f"{namespace}-etcd",
            "kubernetes": {"kubelet": {}, "version": f"v{version}"},
        },
        "status": {
            "controlPlaneEndpoint": f"{name}.{namespace}.svc:6443",
            "kubeconfig": {"admin": {"secretName": f"{name}-admin-kubeconfig", "lastUpdate": CREATED}},
            "kubernetesResources": {
                "deployment": {"name": name, "namespace": namespace, "selector": f"kamaji.clastix.io/name={name}"},
                "version": {"status": status, "version": f"v{version}"},
            },
        },
    }


def kamaji_deployment(
    source: str, namespace: str, name: str, replicas: int, state: ControlPlaneState
) -> dict[str, Any]:
    """The Deployment Kamaji runs for a TenantControlPlane: apiserver, controller-manager and scheduler together."""
    obj = deployment(source, namespace, "kube-apiserver", replicas, state, ["--secure-port=6443"], 6443)
    obj["metadata"]["name"] = name
    obj["metadata"]["labels"] = {"kamaji.clastix.io/name": name}
    obj["metadata"]["uid"] = uid(namespace, name, "kamaji")
    template = obj["spec"]["template"]
    template["metadata"]["labels"] = {"kamaji.clastix.io/name": name}
    obj["spec"]["selector"] = {"matchLabels": {"kamaji.clastix.io/name": name}}
    obj["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": "100%", "maxUnavailable": 0}, "type": "RollingUpdate"}
    apiserver = template["spec"]["containers"][0]
    for component in ("kube-controller-manager", "kube-scheduler"):
        template["spec"]["containers"].append(
            {**apiserver, "name": component, "image": f"registry.k8s.io/{component}:v{state.version}",
             "command": [component], "ports": []}
        )  # fmt: skip
    return obj


def earlier_control_plane_objects(cluster: Cluster, state: ControlPlaneState) -> list[dict[str, Any]]:
    """Deployments kube-apiserver, kube-controller-manager, kube-scheduler and StatefulSet etcd in cp-<cluster>."""
    namespace = f"cp-{cluster.name}"
    replicas = cluster.control_plane.replicas
    etcd_replicas = cluster.control_plane.etcd.replicas
    pos = where(cluster)
    source = f"{Path(pos.file).resolve().relative_to(ROOT)}:{pos.line}:{pos.col}"
    apiserver_args = [
        "--etcd-servers=https://etcd-client:2379",
        "--service-cluster-ip-range=10.96.0.0/12",
        "--secure-port=6443",
        *[f"--{k}={v}" for k, v in sorted(cluster.control_plane.api_server.extra_args.items())],
    ]
    leader = ["--leader-elect=true"]
    # Version skew policy: controller-manager and scheduler move only after every apiserver has.
    others = ControlPlaneState(state.previous or state.version)
    return [
        deployment(source, namespace, "kube-apiserver", replicas, state, apiserver_args, 6443),
        deployment(source, namespace, "kube-controller-manager", 2, others, leader, 10257),
        deployment(source, namespace, "kube-scheduler", 2, others, leader, 10259),
        statefulset(source, namespace, etcd_replicas, cluster.control_plane.etcd.storage_gib),
    ]


def cluster_record(spec: FleetSpec, cluster: Cluster) -> dict[str, Any]:
    """The fleetc-cluster ConfigMap (docs/spec.md 6.4): every add-on and setting applied as the fleet says.

    What ``kubectl get configmaps -A -l app.kubernetes.io/managed-by=fleetc -o json`` adds to the List; only
    the keys fleetc reads back are shown.
    """
    revision = desired_revision(spec, cluster)

    def compact(value: object) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": conventions.CLUSTER_CONFIGMAP,
            "namespace": f"cp-{cluster.name}",
            "labels": {conventions.MANAGED_BY_LABEL: conventions.MANAGED_BY},
            "uid": uid("configmap", cluster.name),
            "creationTimestamp": CREATED,
        },
        "data": {
            conventions.RECORD_ADDONS: compact({n: a.version for n, a in revision.addons.items()}),
            conventions.RECORD_ADDON_VALUES: compact({n: a.values for n, a in revision.addons.items()}),
            conventions.RECORD_CONTROL_PLANE: revision.control_plane,
        },
    }


def workload_meta(source: str, namespace: str, name: str, generation: int, labels: dict[str, str]) -> dict[str, Any]:
    """Metadata as fleetc writes it (CONVENTIONS.md: source annotation, managed-by label)."""
    return {
        "annotations": {"fleetc.dev/source": source},
        "creationTimestamp": CREATED,
        "generation": generation,
        "labels": {"app.kubernetes.io/managed-by": "fleetc", **labels},
        "name": name,
        "namespace": namespace,
        "resourceVersion": resource_version(namespace, name),
        "uid": uid(namespace, name),
    }


def deployment(
    source: str, namespace: str, name: str, replicas: int, state: ControlPlaneState, args: list[str], port: int
) -> dict[str, Any]:
    """A Deployment; ``state.updated`` < replicas is a rolling update in progress (maxSurge 1)."""
    version, updated = state.version, state.updated
    labels = {"app.kubernetes.io/component": name, "app.kubernetes.io/part-of": "hosted-control-plane"}
    generation = 7 if updated is not None else 6
    container = {
        "command": [name, *args],
        "image": f"registry.k8s.io/{name}:v{version}",
        "imagePullPolicy": "IfNotPresent",
        "name": name,
        "ports": [{"containerPort": port, "name": "https", "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "2" if name == "kube-apiserver" else "500m", "memory": "8Gi"}},
    }
    if updated is None or updated >= replicas:
        status: dict[str, Any] = {
            "availableReplicas": replicas,
            "conditions": [
                condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
                condition("Progressing", "True", "NewReplicaSetAvailable", "ReplicaSet has successfully progressed."),
            ],
            "observedGeneration": generation,
            "readyReplicas": replicas,
            "replicas": replicas,
            "updatedReplicas": replicas,
        }
    else:
        status = {
            "availableReplicas": replicas,
            "conditions": [
                condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
                condition("Progressing", "True", "ReplicaSetUpdated", "ReplicaSet is progressing."),
            ],
            "observedGeneration": generation,
            "readyReplicas": replicas,
            "replicas": replicas + 1,  # maxSurge 1: the new pod is starting
            "unavailableReplicas": 1,
            "updatedReplicas": updated,
        }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": workload_meta(source, namespace, name, generation, labels),
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": replicas,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app.kubernetes.io/component": name}},
            "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}, "type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [container], "priorityClassName": "system-cluster-critical"},
            },
        },
        "status": status,
    }


def statefulset(source: str, namespace: str, replicas: int, storage_gib: int) -> dict[str, Any]:
    labels = {"app.kubernetes.io/component": "etcd", "app.kubernetes.io/part-of": "hosted-control-plane"}
    revision = f"etcd-{suffix(namespace, 'etcd', length=10)}"
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": workload_meta(source, namespace, "etcd", 3, labels),
        "spec": {
            "podManagementPolicy": "Parallel",
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/component": "etcd"}},
            "serviceName": "etcd",
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "command": [
                                "etcd",
                                "--data-dir=/var/lib/etcd",
                                "--listen-client-urls=https://0.0.0.0:2379",
                            ],
                            "image": ETCD_IMAGE,
                            "name": "etcd",
                            "ports": [{"containerPort": 2379, "name": "client", "protocol": "TCP"}],
                            "volumeMounts": [{"mountPath": "/var/lib/etcd", "name": "data"}],
                        }
                    ],
                    "priorityClassName": "system-cluster-critical",
                },
            },
            "updateStrategy": {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"},
            "volumeClaimTemplates": [
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": f"{storage_gib}Gi"}},
                    },
                }
            ],
        },
        "status": {
            "availableReplicas": replicas,
            "collisionCount": 0,
            "currentReplicas": replicas,
            "currentRevision": revision,
            "observedGeneration": 3,
            "readyReplicas": replicas,
            "replicas": replicas,
            "updateRevision": revision,
            "updatedReplicas": replicas,
        },
    }


def condition(kind: str, status: str, reason: str, message: str) -> dict[str, str]:
    return {
        "lastTransitionTime": CREATED,
        "lastUpdateTime": NOW,
        "message": message,
        "reason": reason,
        "status": status,
        "type": kind,
    }


# ---------------------------------------------------------------- customer clusters


@dataclass(frozen=True)
class PoolContext:
    region: str
    cluster: Cluster
    pool: NodePool
    gpus: int
    cpus: int
    memory_gib: int
    prefix: str
    zones: list[str]


def node_object(ctx: PoolContext, index: int, state: NodeState, name: str) -> dict[str, Any]:
    """One Node as the API prints it; fleetc's labels/annotations as CONVENTIONS.md describes them."""
    prefix = ctx.prefix
    info = IMAGE_INFO[state.image]
    arch = ARCH.get(ctx.pool.instance_type, "amd64")
    zone = ctx.zones[index % len(ctx.zones)]
    labels: dict[str, str] = {
        "beta.kubernetes.io/arch": arch,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": ctx.pool.instance_type,
        "topology.kubernetes.io/region": ctx.region,
        "topology.kubernetes.io/zone": zone,
        f"{prefix}/pool": ctx.pool.name,
        f"{prefix}/node-image": state.image,
        **ctx.pool.labels,
    }
    if ctx.gpus:
        labels["nvidia.com/gpu.count"] = str(ctx.gpus)
        labels["nvidia.com/gpu.present"] = "true"
    if state.target_image:
        labels[f"{prefix}/target-image"] = state.target_image
    if state.pending:
        labels[f"{prefix}/upgrade-pending"] = "true"
    if state.cordoned:  # every cordon in this snapshot is fleetc's own (its patches label them)
        labels[f"{prefix}/cordoned-by"] = "fleetc"
    annotations = {
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }
    if state.reimage_requested_at:
        annotations[f"{prefix}/reimage-requested-at"] = state.reimage_requested_at
    if state.do_not_disrupt:
        annotations[f"{prefix}/do-not-disrupt"] = "true"
    taints: list[dict[str, str]] = [
        {"effect": t.effect, "key": t.key, **({"value": t.value} if t.value else {})} for t in ctx.pool.taints
    ]
    if state.pending:
        taints.append({"effect": "PreferNoSchedule", "key": f"{prefix}/upgrade-pending", "value": "true"})
    if state.ready != "True":
        unreachable = "unreachable" if state.ready == "Unknown" else "not-ready"
        taints.append({"effect": "NoSchedule", "key": f"node.kubernetes.io/{unreachable}", "timeAdded": NOW})
    if state.cordoned:
        taints.append({"effect": "NoSchedule", "key": "node.kubernetes.io/unschedulable", "timeAdded": NOW})
    octet = index_octets(ctx, index)
    spec: dict[str, Any] = {
        "podCIDR": f"10.{octet[0]}.{octet[1]}.0/24",
        "podCIDRs": [f"10.{octet[0]}.{octet[1]}.0/24"],
        "providerID": f"metal://{ctx.region}/{name}",
    }
    if taints:
        spec["taints"] = taints
    if state.cordoned:
        spec["unschedulable"] = True
    resources: dict[str, str] = {
        "cpu": str(ctx.cpus),
        "ephemeral-storage": "3750000000Ki",
        "memory": f"{ctx.memory_gib * 1024 * 1024}Ki",
        "pods": "110",
    }
    if ctx.gpus:
        resources["nvidia.com/gpu"] = str(ctx.gpus)
    allocatable = dict(resources, cpu=f"{ctx.cpus * 1000 - 2000}m", memory=f"{(ctx.memory_gib - 16) * 1024 * 1024}Ki")
    ready_message = {
        "True": ("KubeletReady", "kubelet is posting ready status"),
        "False": ("KubeletNotReady", "node is being reimaged by the provisioner"),
        "Unknown": ("NodeStatusUnknown", "Kubelet stopped posting node status."),
    }[state.ready]
    conditions = [
        node_condition(kind, "False", f"KubeletHas{reason}", message)
        for kind, reason, message in (
            ("MemoryPressure", "SufficientMemory", "kubelet has sufficient memory available"),
            ("DiskPressure", "NoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "SufficientPID", "kubelet has sufficient PID available"),
        )
    ]
    conditions.append(node_condition("Ready", state.ready, *ready_message))
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "annotations": annotations,
            "creationTimestamp": CREATED,
            "labels": labels,
            "name": name,
            "resourceVersion": resource_version(ctx.cluster.name, name),
            "uid": uid(ctx.region, ctx.cluster.name, "node", name),
        },
        "spec": spec,
        "status": {
            "addresses": [
                {"address": f"172.{16 + octet[0] % 16}.{octet[1]}.{10 + index % 200}", "type": "InternalIP"},
                {"address": name, "type": "Hostname"},
            ],
            "allocatable": allocatable,
            "capacity": resources,
            "conditions": conditions,
            "nodeInfo": {
                "architecture": arch,
                "containerRuntimeVersion": info["containerd"],
                "kernelVersion": info["kernel"],
                "kubeProxyVersion": "",
                "kubeletVersion": f"v{info['kubelet']}",
                "operatingSystem": "linux",
                "osImage": f"Ubuntu 22.04.5 LTS ({state.image})",
            },
        },
    }


def index_octets(ctx: PoolContext, index: int) -> tuple[int, int]:
    base = int(hashlib.sha256(f"{ctx.cluster.name}/{ctx.pool.name}".encode()).hexdigest()[:2], 16)
    return (base + index // 250) % 250 + 1, index % 250


def node_condition(kind: str, status: str, reason: str, message: str) -> dict[str, str]:
    return {
        "lastHeartbeatTime": "2026-11-25T14:59:31Z",
        "lastTransitionTime": CREATED,
        "message": message,
        "reason": reason,
        "status": status,
        "type": kind,
    }


DAEMONSETS_GPU = (
    ("kube-system", "cilium", "quay.io/cilium/cilium:v1.16.3"),
    ("monitoring", "kube-prometheus-stack-prometheus-node-exporter", "quay.io/prometheus/node-exporter:v1.8.2"),
    ("gpu-operator", "nvidia-device-plugin-daemonset", "nvcr.io/nvidia/k8s-device-plugin:v0.17.0"),
    ("gpu-operator", "nvidia-dcgm-exporter", "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.8-3.6.0-ubuntu22.04"),
)
DAEMONSETS_CPU = DAEMONSETS_GPU[:2]


def pod_object(
    pod: Workload, node: str, ip: str, *, daemonset: bool = False, gpu_tolerations: bool = False
) -> dict[str, Any]:
    """A Pod as the API prints it (trimmed of managedFields and volume noise)."""
    container: dict[str, Any] = {"image": pod.image, "imagePullPolicy": "IfNotPresent", "name": pod.name.split("-")[0]}
    if pod.gpus:
        container["resources"] = {
            "limits": {"nvidia.com/gpu": str(pod.gpus)},
            "requests": {"nvidia.com/gpu": str(pod.gpus)},
        }
    tolerations: list[dict[str, Any]] = [
        {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
        {
            "effect": "NoExecute",
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "tolerationSeconds": 300,
        },
    ]
    if daemonset:
        tolerations = [{"operator": "Exists"}]
    elif gpu_tolerations:
        tolerations.insert(0, {"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"})
    metadata: dict[str, Any] = {
        "creationTimestamp": "2026-11-21T06:00:00Z" if not daemonset else CREATED,
        "labels": pod.labels,
        "name": pod.name,
        "namespace": pod.namespace,
        "ownerReferences": [
            {
                "apiVersion": pod.owner_api,
                "blockOwnerDeletion": True,
                "controller": True,
                "kind": pod.owner_kind,
                "name": pod.owner_name,
                "uid": uid(pod.namespace, pod.owner_kind, pod.owner_name),
            }
        ],
        "resourceVersion": resource_version(pod.namespace, pod.name),
        "uid": uid(pod.namespace, "pod", pod.name),
    }
    if pod.annotations:
        metadata["annotations"] = pod.annotations
    status: dict[str, Any] = {"hostIP": ip, "phase": pod.phase, "podIP": ip, "qosClass": "Burstable"}
    status["startTime"] = metadata["creationTimestamp"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "containers": [container],
            "nodeName": node,
            "restartPolicy": "Always" if pod.owner_kind in ("ReplicaSet", "DaemonSet") else "Never",
            "schedulerName": "default-scheduler",
            "tolerations": tolerations,
        },
        "status": status,
    }


def daemonset_pod(namespace: str, name: str, image: str, node: str) -> Workload:
    hash_ = suffix(namespace, name, length=9)
    return Workload(
        namespace=namespace,
        name=f"{name}-{suffix(namespace, name, node)}",
        owner_kind="DaemonSet",
        owner_api="apps/v1",
        owner_name=name,
        image=image,
        labels={"app.kubernetes.io/name": name, "controller-revision-hash": hash_, "pod-template-generation": "1"},
    )


def cluster_objects(
    spec: FleetSpec, region: str, cluster: Cluster, pools: dict[str, list[NodeState]]
) -> Iterator[dict[str, Any]]:
    """Nodes first, then pods (kubectl prints each kind's list in turn)."""
    region_doc = spec.regions[region]
    pods: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    full = f"{region}/{cluster.name}" in FULL_DAEMONSETS
    for pool in cluster.node_pools:
        kind = spec.instance_type(pool.instance_type)
        assert kind is not None, pool.instance_type
        states = pools[pool.name]
        assert len(states) == pool.count, (cluster.name, pool.name, len(states), pool.count)
        ctx = PoolContext(
            region=region,
            cluster=cluster,
            pool=pool,
            gpus=kind.gpus,
            cpus=kind.cpus,
            memory_gib=kind.memory_gib,
            prefix=spec.label_prefix,
            zones=list(pool.failure_domains or region_doc.spec.failure_domains),
        )
        daemonsets = DAEMONSETS_GPU if kind.gpus else DAEMONSETS_CPU
        if not full:
            daemonsets = daemonsets[:1]
        for index, state in enumerate(states):
            name = f"{cluster.name}-{pool.name}-{index:03d}"
            node = node_object(ctx, index, state, name)
            nodes.append(node)
            host_ip = node["status"]["addresses"][0]["address"]
            octet = index_octets(ctx, index)
            for ds_namespace, ds_name, ds_image in daemonsets:
                ds = daemonset_pod(ds_namespace, ds_name, ds_image, name)
                pods.append(pod_object(ds, name, host_ip, daemonset=True))
            for n, work in enumerate(state.workloads):
                ip = f"10.{octet[0]}.{octet[1]}.{10 + n}"
                pods.append(pod_object(work, name, ip, gpu_tolerations=bool(work.gpus)))
    # A gang member the scheduler has not placed yet: no nodeName, never makes a node busy.
    if cluster.name == "beta-train":
        waiting = pytorch_worker("moe-1t-pretrain", "pretrain", 141, 4, "nvcr.io/lab-beta/moe-trainer:2024.11.3")
        pod = pod_object(waiting, "", "", gpu_tolerations=True)
        del pod["spec"]["nodeName"]
        pod["status"] = {
            "conditions": [
                {
                    "lastProbeTime": None,
                    "lastTransitionTime": "2026-11-25T14:41:07Z",
                    "message": "0/260 nodes are available: 12 node(s) were unschedulable, "
                    "248 Insufficient nvidia.com/gpu.",
                    "reason": "Unschedulable",
                    "status": "False",
                    "type": "PodScheduled",
                }
            ],
            "phase": "Pending",
            "qosClass": "Burstable",
        }
        pods.append(pod)
    yield from nodes
    yield from pods


def kubectl_list(items: list[dict[str, Any]]) -> str:
    """What ``kubectl get ... -o json`` prints: a v1 List, keys sorted, 4-space indent."""
    document = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    return json.dumps(document, indent=4, sort_keys=True, ensure_ascii=False) + "\n"


def snapshot(spec: FleetSpec) -> dict[str, str]:
    """Relative path -> file content, for every file of the snapshot."""
    files: dict[str, str] = {}
    for region in spec.regions:
        management: list[dict[str, Any]] = []
        for _, cluster in spec.clusters(region):
            cluster_id = f"{region}/{cluster.name}"
            scenario = SCENARIOS.get(cluster_id)
            if scenario is None:
                raise SystemExit(f"no scenario for {cluster_id}: add one to {Path(__file__).name}")
            control_plane, pools = scenario(cluster)
            management.extend(control_plane_objects(f"{region}/{cluster.name}", cluster, control_plane))
            management.append(cluster_record(spec, cluster))
            files[f"{region}/{cluster.name}.json"] = kubectl_list(list(cluster_objects(spec, region, cluster, pools)))
        files[f"{region}/management.json"] = kubectl_list(management)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fleet", type=Path, default=ROOT / "fleet")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the files on disk differ from what would be written"
    )
    args = parser.parse_args(argv)
    files = snapshot(load_fleet(args.fleet))
    stale = [
        rel for rel, text in files.items() if not (args.out / rel).is_file() or (args.out / rel).read_text() != text
    ]
    if args.check:
        for rel in stale:
            print(f"stale: {args.out / rel}", file=sys.stderr)
        return 1 if stale else 0
    for rel, text in sorted(files.items()):
        path = args.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    total = sum(len(text.encode()) for text in files.values())
    print(f"wrote {len(files)} files, {total / 1e6:.1f} MB, to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
