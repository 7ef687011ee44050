"""Builders of kubectl-shaped objects for the live tests.

Objects carry realistic bulk (managedFields, container specs, conditions
with messages) so the projection in ``fleetc.live.wire`` is exercised on
what real clusters print, not on minimal dicts.
"""

from __future__ import annotations

import base64
import json
from typing import Any

PREFIX = "fleet.gpu-cloud.io"

Obj = dict[str, Any]


def kube_list(items: list[Any]) -> Obj:
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


def _managed_fields() -> list[Obj]:
    return [{"manager": "kubelet", "operation": "Update", "time": "2024-11-01T00:00:00Z", "fieldsV1": {"f:status": {}}}]


def node(
    name: str,
    *,
    pool: str | None = "h100",
    zone: str | None = "rack-a",
    image: str | None = "gpu-node-2024.11.1",
    kubelet: object = "v1.30.6",
    ready: str | None = "True",
    unschedulable: bool = False,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> Obj:
    all_labels = {"kubernetes.io/hostname": name}
    if pool:
        all_labels[f"{PREFIX}/pool"] = pool
    if zone:
        all_labels["topology.kubernetes.io/zone"] = zone
    if image:
        all_labels[f"{PREFIX}/node-image"] = image
    all_labels.update(labels or {})
    conditions: list[Obj] = [
        {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "ok"},
    ]
    if ready is not None:
        conditions.append({"type": "Ready", "status": ready, "reason": "KubeletReady", "message": "kubelet is posting"})
    spec: Obj = {"podCIDR": "10.0.0.0/24", "providerID": f"metal://{name}"}
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"uid-{name}",
            "labels": all_labels,
            "annotations": dict(annotations or {}),
            "managedFields": _managed_fields(),
        },
        "spec": spec,
        "status": {
            "conditions": conditions,
            "nodeInfo": {"kubeletVersion": kubelet, "containerRuntimeVersion": "containerd://1.7.22"},
            "capacity": {"nvidia.com/gpu": "8", "cpu": "128"},
            "images": [{"names": ["nvcr.io/nvidia/cuda:12.4"], "sizeBytes": 123456789}],
        },
    }


def pod(
    namespace: str,
    name: str,
    node_name: str | None,
    *,
    phase: str = "Running",
    owner: str | None = "Job",
    annotations: dict[str, str] | None = None,
) -> Obj:
    metadata: Obj = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{namespace}-{name}",
        "annotations": dict(annotations or {}),
        "managedFields": _managed_fields(),
    }
    if owner:
        metadata["ownerReferences"] = [{"apiVersion": "v1", "kind": owner, "name": f"{name}-owner", "uid": "x"}]
    spec: Obj = {
        "containers": [{"name": "main", "image": "nvcr.io/nvidia/pytorch:24.10", "resources": {"limits": {}}}],
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
    }
    if node_name:
        spec["nodeName"] = node_name
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": spec,
        "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True"}], "podIP": "10.0.0.9"},
    }


def _workload(kind: str, namespace: str, name: str, image: str, replicas: object, status: Obj, **extra: Any) -> Obj:
    containers = extra.pop("containers", None) or [{"name": name, "image": image, "args": ["--v=2"]}]
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "generation": extra.pop("generation", 2),
            "managedFields": _managed_fields(),
        },
        "spec": {"replicas": replicas, "template": {"spec": {"containers": containers}}},
        "status": status,
    }


def apiserver(
    cluster: str,
    *,
    version: str = "v1.30.6",
    image: str | None = None,
    replicas: object = 3,
    updated: int = 3,
    ready: int = 3,
    available: int = 3,
    observed: int = 2,
    **extra: Any,
) -> Obj:
    status = {
        "observedGeneration": observed,
        "replicas": replicas,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
    }
    image = image or f"registry.k8s.io/kube-apiserver:{version}"
    return _workload("Deployment", f"cp-{cluster}", "kube-apiserver", image, replicas, status, **extra)


def etcd(
    cluster: str,
    *,
    version: str = "3.5.16-0",
    replicas: object = 3,
    updated: int = 3,
    ready: int = 3,
    current: str = "etcd-abc",
    update: str = "etcd-abc",
    **extra: Any,
) -> Obj:
    status = {
        "observedGeneration": 2,
        "replicas": replicas,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "currentRevision": current,
        "updateRevision": update,
    }
    image = f"registry.k8s.io/etcd:{version}"
    return _workload("StatefulSet", f"cp-{cluster}", "etcd", image, replicas, status, **extra)


def kubeconfig_text(server: str, token: str, context: str = "ctx") -> str:
    """A kubeconfig (JSON is YAML) with bearer-token auth."""
    return kubeconfig_with(server, {"token": token}, context=context)


def kubeconfig_with(server: str, user: Obj, cluster: Obj | None = None, context: str = "ctx") -> str:
    """A one-context kubeconfig with any user and cluster settings."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
            "users": [{"name": "u", "user": user}],
            "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
            "current-context": context,
        },
        indent=1,
    )


def kubeconfig_secret(cluster: str, text: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": f"{cluster}-kubeconfig", "namespace": f"cp-{cluster}"},
        "type": "cluster.x-k8s.io/secret",
        "data": {"value": base64.b64encode(text.encode()).decode()},
    }
