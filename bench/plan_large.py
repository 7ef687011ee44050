"""Benchmark: ``fleetc plan`` on one region with 4,000 GPU nodes and 100,000 pods.

    python bench/plan_large.py [--clusters 4] [--nodes 4000] [--pods 100000] [--repeat 3]

Generates, in a temp dir, a fleet (one region, ``--clusters`` clusters
sharing ``--nodes`` GPU nodes, each with a small system pool) and a matching
snapshot (SPEC section 4) of a rollout in full swing: control planes at
the target, a third of each GPU pool already reimaged, some nodes reimaging
or cordoned, most of the rest busy with training, a few protected by
do-not-disrupt. Pods are what a real GPU cluster lists: 8 DaemonSet pods per
node, running training pods (8 one-GPU or one 8-GPU pod per busy node) and,
to reach ``--pods``, finished Job pods kept by their TTL. Objects carry
``managedFields`` and the usual noise, like ``kubectl get -o json``.

Then it times, in this process, the two phases the target (< 2 s) is about:
``read`` (``fleetc.live.read.read_live`` on the snapshot: decode + facts)
and ``plan`` (``fleetc.plan.planner.plan``), each ``--repeat`` times: first,
best and median (the first read pays for cold caches and heap growth, so
the target applies to it). Loading the fleet and rendering the plan are
timed too, for information, and so is one whole ``fleetc plan --format
json`` process. The plan must have work in it, or the bench would measure
an empty loop: the script fails if it has no steps, and exits 1 if the
target is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REGION = "bench-1"
PREFIX = "fleet.gpu-cloud.io"
ZONES = ("rack-a", "rack-b", "rack-c", "rack-d")
OLD, NEW = "gpu-node-2024.11.1", "gpu-node-2024.12.0"
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
DAEMONSETS = (
    ("kube-system", "cilium"),
    ("monitoring", "node-exporter"),
    ("gpu-operator", "nvidia-device-plugin-daemonset"),
    ("gpu-operator", "nvidia-dcgm-exporter"),
    ("gpu-operator", "gpu-feature-discovery"),
    ("gpu-operator", "nvidia-container-toolkit-daemonset"),
    ("node-feature-discovery", "nfd-worker"),
    ("kube-system", "node-problem-detector"),
)
SYSTEM_NODES = 3

Obj = dict[str, Any]


# --- the fleet ------------------------------------------------------------------


def fleet_yaml(clusters: list[str], gpu_nodes: dict[str, int]) -> dict[str, str]:
    """File name -> YAML of a fleet with one region and ``clusters``, all on the rapid channel."""
    fleet = f"""\
apiVersion: fleetc.dev/v1alpha1
kind: Fleet
metadata: {{name: bench}}
spec:
  labelPrefix: {PREFIX}
  channels:
    rapid: {{kubernetes: "1.31.2", etcd: "3.5.16", nodeImage: "{NEW}"}}
  instanceTypes:
    h100x8: {{gpus: 8, gpuModel: H100-SXM5-80GB, cpus: 224, memoryGiB: 2048}}
    cpu32: {{gpus: 0, cpus: 32, memoryGiB: 128}}
---
apiVersion: fleetc.dev/v1alpha1
kind: Tenant
metadata: {{name: lab}}
spec: {{approvers: [ops@lab.example]}}
"""
    region = [
        "apiVersion: fleetc.dev/v1alpha1",
        "kind: Region",
        f"metadata: {{name: {REGION}}}",
        "spec:",
        f"  failureDomains: [{', '.join(ZONES)}]",
        "  clusters:",
    ]
    approvals = []
    for name in clusters:
        region += [
            f"    - name: {name}",
            "      tenant: lab",
            "      channel: rapid",
            "      controlPlane: {replicas: 3, etcd: {replicas: 5, storageGiB: 128}}",
            "      upgrade: {approval: required, nodeTimeoutMinutes: 120}",
            "      nodePools:",
            f"        - {{name: h100, instanceType: h100x8, count: {gpu_nodes[name]}, maxUnavailable: '2%'}}",
            f"        - {{name: system, instanceType: cpu32, count: {SYSTEM_NODES}, maxUnavailable: 1}}",
        ]
        approvals.append(
            f"""\
apiVersion: fleetc.dev/v1alpha1
kind: Approval
metadata: {{name: {name}-1-31-2}}
spec:
  cluster: {REGION}/{name}
  kubernetes: "1.31.2"
  approvedBy: ops@lab.example
  expires: "2027-01-01T00:00:00Z"
"""
        )
    return {"fleet.yaml": fleet, "region.yaml": "\n".join(region) + "\n", "approvals.yaml": "---\n".join(approvals)}


# --- the snapshot ---------------------------------------------------------------


def managed(manager: str) -> list[Obj]:
    return [
        {
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}, "f:status": {"f:conditions": {}}},
            "manager": manager,
            "operation": "Update",
            "time": "2026-11-25T14:00:00Z",
        }
    ]


def control_plane(cluster: str) -> list[Obj]:
    namespace = f"cp-{cluster}"
    objects: list[Obj] = []
    for name, replicas in (("kube-apiserver", 3), ("kube-controller-manager", 2), ("kube-scheduler", 2)):
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": namespace, "generation": 4, "managedFields": managed("pulumi")},
                "spec": {
                    "replicas": replicas,
                    "template": {"spec": {"containers": [{"name": name, "image": f"registry.k8s.io/{name}:v1.31.2"}]}},
                },
                "status": {
                    "observedGeneration": 4,
                    "replicas": replicas,
                    "updatedReplicas": replicas,
                    "readyReplicas": replicas,
                    "availableReplicas": replicas,
                },
            }
        )
    objects.append(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "etcd", "namespace": namespace, "generation": 2},
            "spec": {
                "replicas": 5,
                "template": {"spec": {"containers": [{"name": "etcd", "image": "registry.k8s.io/etcd:3.5.16-0"}]}},
            },
            "status": {
                "observedGeneration": 2,
                "replicas": 5,
                "updatedReplicas": 5,
                "readyReplicas": 5,
                "currentRevision": "etcd-7d9c",
                "updateRevision": "etcd-7d9c",
            },
        }
    )
    return objects


def node_state(i: int, count: int) -> dict[str, Any]:
    """A pool mid-wave: first third done, then reimaging, cordoned idle, busy (most), protected, idle."""
    done = count // 3
    if i < done:
        return {"image": NEW, "busy": i % 2 == 0}
    rest = i - done
    if rest < 10:
        return {"image": OLD, "cordoned": True, "target": NEW, "ready": "False"}
    if rest < 15:
        return {"image": OLD, "cordoned": True}
    if i % 50 == 0:
        return {"image": OLD, "protected": True}
    return {"image": OLD, "busy": i % 10 != 0, "pending": i % 3 == 0}


def make_node(cluster: str, pool: str, i: int, state: dict[str, Any]) -> Obj:
    name = f"{cluster}-{pool}-{i:04d}"
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": "h100x8" if pool == "h100" else "cpu32",
        "topology.kubernetes.io/zone": ZONES[i % len(ZONES)],
        f"{PREFIX}/pool": pool,
        f"{PREFIX}/node-image": state["image"],
        "nvidia.com/gpu.present": "true",
    }
    annotations = {"node.alpha.kubernetes.io/ttl": "0"}
    if state.get("target"):
        labels[f"{PREFIX}/target-image"] = state["target"]
        annotations[f"{PREFIX}/reimage-requested-at"] = "2026-11-25T14:30:00Z"
    if state.get("pending"):
        labels[f"{PREFIX}/upgrade-pending"] = "true"
    if state.get("protected"):
        annotations[f"{PREFIX}/do-not-disrupt"] = "true"
    kubelet = "v1.31.2" if state["image"] == NEW else "v1.30.6"
    conditions = [
        {
            "type": kind,
            "status": "False",
            "reason": f"KubeletHas{kind}",
            "message": "ok",
            "lastHeartbeatTime": "2026-11-25T14:59:00Z",
            "lastTransitionTime": "2026-01-01T00:00:00Z",
        }
        for kind in ("MemoryPressure", "DiskPressure", "PIDPressure")
    ]
    conditions.append(
        {
            "type": "Ready",
            "status": state.get("ready", "True"),
            "reason": "KubeletReady",
            "message": "kubelet is posting ready status",
            "lastHeartbeatTime": "2026-11-25T14:59:00Z",
            "lastTransitionTime": "2026-01-01T00:00:00Z",
        }
    )
    spec: Obj = {"providerID": f"metal://{name}", "taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]}
    if state.get("cordoned"):
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"00000000-0000-0000-0000-{i:012d}",
            "resourceVersion": str(100_000 + i),
            "labels": labels,
            "annotations": annotations,
            "managedFields": managed("kubelet"),
        },
        "spec": spec,
        "status": {
            "capacity": {"cpu": "224", "memory": "2113925120Ki", "nvidia.com/gpu": "8", "pods": "110"},
            "allocatable": {"cpu": "222", "memory": "2103925120Ki", "nvidia.com/gpu": "8", "pods": "110"},
            "conditions": conditions,
            "addresses": [{"type": "InternalIP", "address": f"10.{i // 250}.{i % 250}.1"}],
            "nodeInfo": {
                "kubeletVersion": kubelet,
                "containerRuntimeVersion": "containerd://1.7.23",
                "kernelVersion": "6.8.0-48-generic",
                "osImage": f"Ubuntu 22.04.5 LTS ({state['image']})",
                "architecture": "amd64",
                "operatingSystem": "linux",
                "bootID": f"{i:032x}",
            },
            "images": [
                {"names": [f"nvcr.io/nvidia/pytorch:24.{m:02d}-py3"], "sizeBytes": 9_000_000_000} for m in (8, 9, 10)
            ],
        },
    }


def make_pod(name: str, namespace: str, node: str, owner: str, phase: str = "Running", gpus: int = 0) -> Obj:
    api = {"DaemonSet": "apps/v1", "Job": "batch/v1", "PyTorchJob": "kubeflow.org/v1"}[owner]
    container: Obj = {
        "name": "main",
        "image": "nvcr.io/nvidia/pytorch:24.10-py3" if owner != "DaemonSet" else "quay.io/cilium/cilium:v1.16.3",
        "env": [{"name": "NCCL_DEBUG", "value": "WARN"}],
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    if gpus:
        container["resources"] = {"limits": {"nvidia.com/gpu": str(gpus)}, "requests": {"nvidia.com/gpu": str(gpus)}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"pod-{name}",
            "resourceVersion": "123456",
            "labels": {"app.kubernetes.io/name": name.rsplit("-", 1)[0]},
            "ownerReferences": [{"apiVersion": api, "kind": owner, "name": name.rsplit("-", 1)[0], "controller": True}],
            "managedFields": managed("kube-controller-manager"),
        },
        "spec": {
            "nodeName": node,
            "containers": [container],
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "datasets"}}],
        },
        "status": {
            "phase": phase,
            "hostIP": "10.0.0.1",
            "podIP": "10.244.0.1",
            "conditions": [{"type": "Ready", "status": "True" if phase == "Running" else "False"}],
        },
    }


def cluster_items(cluster: str, gpu_nodes: int, finished: int) -> tuple[list[Obj], int, int]:
    """(Nodes then Pods, node count, pod count) of one customer cluster."""
    nodes: list[Obj] = []
    pods: list[Obj] = []
    names: list[str] = []
    for pool, count in (("h100", gpu_nodes), ("system", SYSTEM_NODES)):
        for i in range(count):
            state = node_state(i, count) if pool == "h100" else {"image": NEW}
            node = make_node(cluster, pool, i, state)
            nodes.append(node)
            name = node["metadata"]["name"]
            names.append(name)
            for namespace, ds in DAEMONSETS:
                pods.append(make_pod(f"{ds}-{name}", namespace, name, "DaemonSet"))
            if state.get("busy"):
                if i % 4 == 0:  # eight 1-GPU jobs
                    pods += [make_pod(f"sweep-{name}-{k}", "research", name, "Job", gpus=1) for k in range(8)]
                else:
                    pods.append(make_pod(f"pretrain-worker-{name}", "pretrain", name, "PyTorchJob", gpus=8))
    for k in range(finished):
        node = names[k % len(names)]
        phase = "Succeeded" if k % 7 else "Failed"
        pods.append(make_pod(f"eval-{k:06d}", "evals", node, "Job", phase=phase, gpus=1))
    return nodes + pods, len(nodes), len(pods)


def kube_list(items: list[Obj]) -> bytes:
    document = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}
    return json.dumps(document, separators=(",", ":")).encode()


def write_bench(root: Path, clusters: int, nodes: int, pods: int) -> dict[str, Any]:
    names = [f"gpu-{k:02d}" for k in range(clusters)]
    share = {name: nodes // clusters + (1 if k < nodes % clusters else 0) for k, name in enumerate(names)}
    fleet = root / "fleet"
    fleet.mkdir()
    for file, text in fleet_yaml(names, share).items():
        (fleet / file).write_text(text)
    live = root / "live" / REGION
    live.mkdir(parents=True)
    management: list[Obj] = []
    # Running pods first, then finished ones to reach the total exactly.
    base = sum(cluster_items_count(share[name]) for name in names)
    finished = max(0, pods - base)
    totals = {"nodes": 0, "pods": 0, "bytes": 0}
    for k, name in enumerate(names):
        management += control_plane(name)
        extra = finished // clusters + (1 if k < finished % clusters else 0)
        items, node_count, pod_count = cluster_items(name, share[name], extra)
        data = kube_list(items)
        (live / f"{name}.json").write_bytes(data)
        totals["nodes"] += node_count
        totals["pods"] += pod_count
        totals["bytes"] += len(data)
    data = kube_list(management)
    (live / "management.json").write_bytes(data)
    totals["bytes"] += len(data)
    return {"fleet": fleet, "live": root / "live", **totals}


def cluster_items_count(gpu_nodes: int) -> int:
    """Pods of a cluster before finished ones (same rules as cluster_items, without building them)."""
    count = 0
    for i in range(gpu_nodes):
        state = node_state(i, gpu_nodes)
        count += len(DAEMONSETS) + ((8 if i % 4 == 0 else 1) if state.get("busy") else 0)
    return count + SYSTEM_NODES * len(DAEMONSETS)


# --- timing ---------------------------------------------------------------------


def timed(func: Callable[[], Any], repeat: int) -> tuple[Any, list[float]]:
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return result, times


def describe(times: list[float]) -> str:
    return f"first {times[0]:6.3f} s   best {min(times):6.3f} s   median {statistics.median(times):6.3f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=4)
    parser.add_argument("--nodes", type=int, default=4000, help="GPU nodes in the region (system pools extra)")
    parser.add_argument("--pods", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--plan-calls", type=int, default=50, help="plan() calls for the CPU-time mean")
    args = parser.parse_args(argv)

    from fleetc.live.read import read_live
    from fleetc.plan.planner import plan
    from fleetc.report.plan_json import to_json
    from fleetc.report.plan_text import to_text
    from fleetc.spec.loader import load_fleet

    with tempfile.TemporaryDirectory(prefix="fleetc-plan-bench-") as tmp:
        start = time.perf_counter()
        made = write_bench(Path(tmp), args.clusters, args.nodes, args.pods)
        generated = time.perf_counter() - start
        print(
            f"generated {made['nodes']:,} nodes ({args.nodes:,} GPU), {made['pods']:,} pods in {args.clusters} "
            f"clusters: {made['bytes'] / 1e6:.1f} MB of JSON ({generated:.1f} s)"
        )
        spec, load_times = timed(lambda: load_fleet(made["fleet"]), args.repeat)
        regions = spec.region_clusters()
        live_dir = str(made["live"])
        live, read_times = timed(lambda: read_live(live_dir, regions, spec.label_prefix), args.repeat)
        result, plan_times = timed(lambda: plan(spec, live, spec.approvals, NOW), args.repeat)
        cpu_start = time.process_time()
        for _ in range(args.plan_calls):
            plan(spec, live, spec.approvals, NOW)
        plan_cpu = (time.process_time() - cpu_start) / args.plan_calls
        _, json_times = timed(lambda: to_json(result), args.repeat)
        _, text_times = timed(lambda: to_text(result, NOW), args.repeat)
        command = [sys.executable, "-m", "fleetc.cli.main", "plan", "--fleet", str(made["fleet"])]
        command += ["--live", live_dir, "--now", NOW.isoformat(), "--format", "json"]
        _, cli_times = timed(lambda: subprocess.run(command, check=True, capture_output=True), 1)

    if not result.steps:
        print("error: the plan has no steps; the bench would measure nothing", file=sys.stderr)
        return 1
    total = [r + p for r, p in zip(read_times, plan_times, strict=True)]
    print(f"plan: {len(result.steps):,} steps, {len(result.blocked):,} blocked entries")
    print(f"load fleet    {describe(load_times)}")
    print(f"read          {describe(read_times)}")
    print(f"plan          {describe(plan_times)}")
    print(f"plan CPU      mean {plan_cpu * 1000:.2f} ms per call over {args.plan_calls} calls (process time)")
    print(f"read + plan   {describe(total)}   (target: first < 2 s)")
    print(f"render json   {describe(json_times)}")
    print(f"render text   {describe(text_times)}")
    print(f"fleetc plan --format json, whole process (imports, load, read, plan, print): {cli_times[0]:.3f} s")
    return 0 if total[0] < 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
