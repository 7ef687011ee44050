"""Hand-built desired graphs shaped like docs/CONVENTIONS.md, for rule tests.

Independent of the compiler on purpose: a rule test must say what the rule
accepts and rejects, not what today's compiler happens to emit. ``good()``
passes every rule; each test breaks one thing with :func:`edit`.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from typing import Any

from fleetc.compile.graph import DesiredGraph, Kind, Node
from fleetc.errors import Pos

REGION = "r1"
CLUSTER = "c1"
CID = f"{REGION}/{CLUSTER}"
NS = f"cp-{CLUSTER}"
SRC = Pos("fleet/regions/r1.yaml", 10, 7)
K8S = "1.31.2"


def _meta(name: str, ns: str | None = NS, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "labels": {**(labels or {}), "app.kubernetes.io/managed-by": "fleetc"},
        "annotations": {"fleetc.dev/source": str(SRC)},
    }
    if ns is not None:
        meta["namespace"] = ns
    return meta


def _container(name: str, image: str) -> dict[str, Any]:
    return {"name": name, "image": image, "resources": {"requests": {"cpu": "1", "memory": "2Gi"}}}


def _deployment(name: str, image: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [_container(name, image)]}},
        },
    }


def _etcd(replicas: int = 3) -> dict[str, Any]:
    labels = {"app": "etcd"}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta("etcd"),
        "spec": {
            "replicas": replicas,
            "serviceName": "etcd",
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [_container("etcd", "registry.k8s.io/etcd:3.5.16-0")],
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "topology.kubernetes.io/zone",
                            "whenUnsatisfiable": "DoNotSchedule",
                            "labelSelector": {"matchLabels": labels},
                        }
                    ],
                },
            },
            "volumeClaimTemplates": [
                {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "64Gi"}}}}
            ],
        },
    }


def _pdb(name: str, app: str, **budget: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(name),
        "spec": {"selector": {"matchLabels": {"app": app}}, **(budget or {"maxUnavailable": 1})},
    }


def _configmap(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(name), "data": data}


def cluster_config(**data: str) -> dict[str, str]:
    base = {
        "tenant": "t",
        "channel": "rapid",
        "approval": "required",
        "window": json.dumps({"days": ["sat"], "start": "02:00", "hours": 6, "timezone": "UTC"}),
        "paused": "false",
        "gpu": "true",
        "kubernetesTarget": K8S,
        "etcdTarget": "3.5.16",
        "nodeImageTarget": "img-new",
        "disruptiveAddons": json.dumps(["cilium", "gpu-operator"]),
    }
    return {**base, **data}


def pool_config(**data: str) -> dict[str, str]:
    base = {
        "instanceType": "h100x8",
        "gpus": "8",
        "count": "100",
        "image": "img-new",
        "kubernetes": K8S,
        "failureDomains": json.dumps(["a", "b"]),
        "labels": "{}",
        "taints": "[]",
        "maxUnavailable": "5",
        "maxUnavailableNodes": "5",
    }
    return {**base, **data}


def release(name: str, chart: str | None = None, **props: Any) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": name,
        "chart": chart or name,
        "repository": "https://charts.example",
        "version": "1.2.3",
        "values": {},
        **props,
    }


GPU_ADDONS = ("gpu-operator", "node-feature-discovery", "node-problem-detector", "cilium")


def good(*, gpu: bool = True, apiserver: str = K8S, pool: dict[str, str] | None = None) -> DesiredGraph:
    """One region, one cluster, passing every rule."""
    g = DesiredGraph(REGION)
    g.add(Node(REGION, Kind.REGION, {"failureDomains": ["a", "b", "c"]}))
    mgmt = g.add(Node(f"{REGION}/management", Kind.PROVIDER, {"cluster": "management", "region": REGION}, REGION))
    prov = g.add(Node(f"{CID}/provider", Kind.PROVIDER, {"cluster": CID, "region": REGION}, REGION, cluster=CID))
    cp = g.add(Node(f"{CID}/control-plane", Kind.CONTROL_PLANE, {"version": K8S}, REGION, cluster=CID, source=SRC))

    def manifest(group: str, obj: dict[str, Any], provider: str = mgmt.id) -> None:
        node_id = f"{group}/{obj['kind'].lower()}-{obj['metadata']['name']}"
        g.add(Node(node_id, Kind.MANIFEST, obj, group, provider=provider, cluster=CID, source=SRC))

    manifest(cp.id, {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(NS, ns=None)})
    manifest(cp.id, _configmap("fleetc-cluster", cluster_config(gpu="true" if gpu else "false")))
    manifest(cp.id, _etcd())
    manifest(cp.id, _pdb("etcd", "etcd"))
    manifest(cp.id, _deployment("kube-apiserver", f"registry.k8s.io/kube-apiserver:v{apiserver}", 3))
    manifest(cp.id, _pdb("kube-apiserver", "kube-apiserver"))
    for name in ("kube-controller-manager", "kube-scheduler"):
        manifest(cp.id, _deployment(name, f"registry.k8s.io/{name}:v{apiserver}", 2))
        manifest(cp.id, _pdb(name, name))
    addons = g.add(Node(f"{CID}/addons", Kind.ADDON_BUNDLE, {}, REGION, cluster=CID))
    for name in GPU_ADDONS if gpu else ("cilium",):
        g.add(
            Node(
                f"{addons.id}/{name}",
                Kind.HELM_RELEASE,
                release(name),
                addons.id,
                (cp.id,),
                prov.id,
                CID,
                SRC,
            )
        )
    pools = g.add(Node(f"{CID}/pools/gpu", Kind.NODE_POOL, {}, REGION, cluster=CID))
    data = pool_config(**(pool or {}))
    if not gpu:
        data["gpus"] = "0"
    manifest(pools.id, _configmap("nodepool-gpu", data))
    return g


def edit(graph: DesiredGraph, node_id: str, change: Callable[[dict[str, Any]], Any]) -> DesiredGraph:
    """A copy of ``graph`` with ``change`` applied to a deep copy of one node's props."""
    out = DesiredGraph(graph.region)
    for node in graph:
        if node.id == node_id:
            props = copy.deepcopy(node.props)
            change(props)
            node = dataclasses.replace(node, props=props)
        out.add(node)
    if node_id not in out.nodes:
        raise KeyError(node_id)
    return out


def drop(graph: DesiredGraph, *node_ids: str) -> DesiredGraph:
    out = DesiredGraph(graph.region)
    for node in graph:
        if node.id not in node_ids:
            out.add(node)
    return out


def add_node_patch(graph: DesiredGraph, node: str, pool: str = "gpu", target_image: str = "img-new") -> DesiredGraph:
    pool_id = f"{CID}/pools/{pool}"
    graph.add(
        Node(
            f"{pool_id}/node-{node}",
            Kind.NODE_PATCH,
            {
                "name": node,
                "labels": {"fleet.test/target-image": target_image},
                "annotations": {},
                "unschedulable": True,
                "taints": [],
            },
            pool_id,
            (f"{CID}/control-plane",),
            f"{CID}/provider",
            CID,
            SRC,
        )
    )
    return graph


APISERVER = f"{CID}/control-plane/deployment-kube-apiserver"
ETCD = f"{CID}/control-plane/statefulset-etcd"
ETCD_PDB = f"{CID}/control-plane/poddisruptionbudget-etcd"
CLUSTER_CM = f"{CID}/control-plane/configmap-fleetc-cluster"
POOL_CM = f"{CID}/pools/gpu/configmap-nodepool-gpu"
