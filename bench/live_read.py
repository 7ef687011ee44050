"""Benchmark: reading the live state of one big cluster (4,000 GPU nodes, 100,000 pods).

    python bench/live_read.py [--nodes 4000] [--pods 100000] [--skip-official]

Generates a region with one cluster in a temp dir, as a snapshot (SPEC
section 4) and as pre-encoded API pages (limit 500). Then each reader runs
in its own fresh process, so the peak memory reported is its own:

- ``snapshot``: fleetc ``read_snapshot`` (msgspec projected decode + facts);
- ``snapshot-json``: the same file through ``json.loads`` + the same parser,
  the baseline that justifies msgspec;
- ``kube``: fleetc ``read_kube`` end to end over loopback HTTP (management
  GETs, kubeconfig Secret, paginated nodes and pods, facts);
- ``official``: the ``kubernetes`` client, ``CoreV1Api.list_node`` and
  ``list_pod_for_all_namespaces`` with the same limit, continue tokens and
  field selector, default deserialization into models (lists only, no facts).

The API server runs in a separate process serving pre-encoded pages, so its
cost is tiny and is not on the readers' GIL.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REGION = "bench-1"
CLUSTER = "gpu-bench"
PREFIX = "fleet.gpu-cloud.io"
LIMIT = 500
TOKEN = "bench-token"
RUNNING = "status.phase!=Succeeded,status.phase!=Failed"

Obj = dict[str, Any]


# --- data -------------------------------------------------------------------


def _managed(manager: str) -> list[Obj]:
    return [
        {
            "manager": manager,
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2024-11-01T00:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}, "f:status": {}},
        }
    ]


def make_node(i: int, rng: random.Random) -> Obj:
    name = f"gpu-{i:05d}"
    gpu = i % 10 != 0
    annotations = {
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }
    if rng.random() < 0.01:
        annotations[f"{PREFIX}/do-not-disrupt"] = "true"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"00000000-0000-0000-0000-{i:012d}",
            "resourceVersion": str(1000 + i),
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": "h100x8" if gpu else "cpu32",
                "topology.kubernetes.io/zone": f"rack-{'abc'[i % 3]}",
                f"{PREFIX}/pool": "h100" if gpu else "cpu",
                f"{PREFIX}/node-image": "gpu-node-2024.11.1",
                "nvidia.com/gpu.present": "true",
            },
            "annotations": annotations,
            "managedFields": _managed("kubelet"),
        },
        "spec": {"podCIDR": f"10.{i // 256}.{i % 256}.0/24", "providerID": f"metal://{name}"},
        "status": {
            "capacity": {"cpu": "128", "memory": "2113925120Ki", "nvidia.com/gpu": "8", "pods": "110"},
            "allocatable": {"cpu": "127", "memory": "2103925120Ki", "nvidia.com/gpu": "8", "pods": "110"},
            "conditions": [
                {
                    "type": t,
                    "status": "False",
                    "reason": f"KubeletHas{t}",
                    "message": "ok",
                    "lastHeartbeatTime": "2024-11-02T00:00:00Z",
                    "lastTransitionTime": "2024-10-01T00:00:00Z",
                }
                for t in ("MemoryPressure", "DiskPressure", "PIDPressure")
            ]
            + [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready",
                    "lastHeartbeatTime": "2024-11-02T00:00:00Z",
                    "lastTransitionTime": "2024-10-01T00:00:00Z",
                }
            ],
            "addresses": [
                {"type": "InternalIP", "address": f"10.1.{i // 256}.{i % 256}"},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.30.6",
                "kubeProxyVersion": "v1.30.6",
                "osImage": "Ubuntu 22.04.5 LTS",
                "containerRuntimeVersion": "containerd://1.7.22",
                "kernelVersion": "6.8.0-48-generic",
                "architecture": "amd64",
                "operatingSystem": "linux",
                "machineID": f"{i:032x}",
                "systemUUID": f"{i:032x}",
                "bootID": f"{i:032x}",
            },
            "images": [
                {"names": [f"nvcr.io/nvidia/pytorch:24.{m:02d}-py3"], "sizeBytes": 9_000_000_000 + m}
                for m in range(1, 11)
            ],
        },
    }


def make_pod(j: int, nodes: int, rng: random.Random) -> Obj:
    """~88% running job pods, 8% DaemonSet pods, 4% finished; every 8th node runs no job (idle)."""
    roll = rng.random()
    index = rng.randrange(nodes)
    if roll >= 0.08 and index % 8 == 0:
        index = (index + 1) % nodes
    node = f"gpu-{index:05d}"
    if roll < 0.08:
        owner, namespace, phase, name = "DaemonSet", "kube-system", "Running", f"nvidia-dcgm-exporter-{j}"
    elif roll < 0.12:
        owner, namespace, phase, name = "Job", f"team-{j % 40}", rng.choice(["Succeeded", "Failed"]), f"eval-{j}"
    else:
        owner, namespace, phase, name = "Job", f"team-{j % 40}", "Running", f"train-{j}-worker"
    annotations = {"kubectl.kubernetes.io/default-container": "main"}
    if rng.random() < 0.005:
        annotations[f"{PREFIX}/do-not-disrupt"] = "true"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"11111111-0000-0000-0000-{j:012d}",
            "resourceVersion": str(50000 + j),
            "labels": {"job-name": name[:40], "batch.kubernetes.io/controller-uid": f"{j:032x}"},
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1" if owner == "Job" else "apps/v1",
                    "kind": owner,
                    "name": name[:30],
                    "uid": f"{j:032x}",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": _managed("kube-controller-manager"),
        },
        "spec": {
            "nodeName": node,
            "restartPolicy": "Never",
            "schedulerName": "default-scheduler",
            "containers": [
                {
                    "name": "main",
                    "image": "nvcr.io/nvidia/pytorch:24.10-py3",
                    "command": ["torchrun", "--nproc-per-node=8", "train.py"],
                    "env": [{"name": "NCCL_DEBUG", "value": "WARN"}, {"name": "RANK", "value": str(j % 512)}],
                    "resources": {"limits": {"nvidia.com/gpu": "8"}, "requests": {"cpu": "96", "memory": "1800Gi"}},
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "shm", "mountPath": "/dev/shm"}],
                }
            ],
            "volumes": [
                {"name": "data", "persistentVolumeClaim": {"claimName": "datasets"}},
                {"name": "shm", "emptyDir": {"medium": "Memory"}},
            ],
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        },
        "status": {
            "phase": phase,
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": "2024-11-01T00:00:00Z"}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "hostIP": "10.1.0.1",
            "podIP": f"10.2.{j // 65536}.{j % 256}",
            "startTime": "2024-11-01T00:00:00Z",
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": True,
                    "restartCount": 0,
                    "started": True,
                    "image": "nvcr.io/nvidia/pytorch:24.10-py3",
                    "imageID": "sha256:" + "c" * 64,
                    "containerID": "containerd://" + "d" * 64,
                    "state": {"running": {"startedAt": "2024-11-01T00:00:01Z"}},
                }
            ],
            "qosClass": "Burstable",
        },
    }


def control_plane() -> list[Obj]:
    namespace = f"cp-{CLUSTER}"
    status = {
        "observedGeneration": 1,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "currentRevision": "etcd-1",
        "updateRevision": "etcd-1",
    }
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "kube-apiserver", "namespace": namespace, "generation": 1},
            "spec": {
                "replicas": 3,
                "template": {
                    "spec": {
                        "containers": [{"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.30.6"}]
                    }
                },
            },
            "status": status,
        },
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "etcd", "namespace": namespace, "generation": 1},
            "spec": {
                "replicas": 3,
                "template": {"spec": {"containers": [{"name": "etcd", "image": "registry.k8s.io/etcd:3.5.16-0"}]}},
            },
            "status": status,
        },
    ]


def generate(root: Path, nodes: int, pods: int) -> dict[str, int]:
    """Write the snapshot and the API pages; stream, so the generator itself stays small."""
    rng = random.Random(42)
    region = root / "snapshot" / REGION
    pages = root / "pages"
    region.mkdir(parents=True)
    pages.mkdir()
    (region / "management.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": control_plane()}))
    counts = {"nodes": nodes, "pods": pods, "running_pods": 0, "node_pages": 0, "pod_pages": 0}
    with (region / f"{CLUSTER}.json").open("w") as snapshot:
        snapshot.write('{"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [\n')
        node_items = [make_node(i, rng) for i in range(nodes)]
        counts["node_pages"] = _write_pages(pages, "nodes", "NodeList", node_items)
        snapshot.write(",\n".join(json.dumps(item) for item in node_items))
        del node_items
        batch: list[Obj] = []
        page_no = 0
        for j in range(pods):
            item = make_pod(j, nodes, rng)
            snapshot.write(",\n" + json.dumps(item))
            if item["status"]["phase"] not in ("Succeeded", "Failed"):
                batch.append(item)
                counts["running_pods"] += 1
            if len(batch) == LIMIT:
                _write_page(pages, "pods", "PodList", batch, page_no, more=True)
                page_no, batch = page_no + 1, []
        _write_page(pages, "pods", "PodList", batch, page_no, more=False)
        counts["pod_pages"] = page_no + 1
        snapshot.write("\n]}\n")
    return counts


def _write_pages(pages: Path, collection: str, kind: str, items: list[Obj]) -> int:
    chunks = [items[i : i + LIMIT] for i in range(0, len(items), LIMIT)] or [[]]
    for number, chunk in enumerate(chunks):
        _write_page(pages, collection, kind, chunk, number, more=number + 1 < len(chunks))
    return len(chunks)


def _write_page(pages: Path, collection: str, kind: str, items: list[Obj], number: int, *, more: bool) -> None:
    metadata: Obj = {"resourceVersion": "99999"}
    if more:
        metadata["continue"] = base64.b64encode(f"{collection}:{number + 1}".encode()).decode()
    stripped = [{k: v for k, v in item.items() if k not in ("kind", "apiVersion")} for item in items]
    body = {"kind": kind, "apiVersion": "v1", "metadata": metadata, "items": stripped}
    (pages / f"{collection}-{number}.json").write_text(json.dumps(body))


# --- the API server (its own process) -----------------------------------------


def serve(pages_dir: str, ready: Any) -> None:
    """Serve pre-encoded pages with kube-apiserver's paging rules; the port goes back through ``ready``."""
    import asyncio

    from aiohttp import web

    pages = {p.stem: p.read_bytes() for p in Path(pages_dir).glob("*.json")}
    secret: dict[str, str] = {"value": ""}  # the kubeconfig of the customer cluster, once the port is known
    cp = {
        f"/mgmt/apis/apps/v1/namespaces/cp-{CLUSTER}/{'deployments' if o['kind'] == 'Deployment' else 'statefulsets'}"
        f"/{o['metadata']['name']}": json.dumps(o).encode()
        for o in control_plane()
    }

    async def handle(request: web.Request) -> web.Response:
        path, query = request.path, request.query
        if path in cp:
            return web.Response(body=cp[path], content_type="application/json")
        if path == f"/mgmt/api/v1/namespaces/cp-{CLUSTER}/secrets/{CLUSTER}-kubeconfig":
            return web.json_response({"kind": "Secret", "apiVersion": "v1", "data": secret})
        for collection in ("nodes", "pods"):
            if path == f"/cluster/api/v1/{collection}":
                if query.get("limit") != str(LIMIT) or (collection == "pods" and query.get("fieldSelector") != RUNNING):
                    return web.json_response({"kind": "Status", "message": "bench serves limit=500 only"}, status=400)
                number = int(base64.b64decode(query["continue"]).decode().split(":")[1]) if "continue" in query else 0
                return web.Response(body=pages[f"{collection}-{number}"], content_type="application/json")
        return web.json_response({"kind": "Status", "code": 404, "message": "not found"}, status=404)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        secret["value"] = base64.b64encode(kubeconfig(f"http://127.0.0.1:{port}/cluster").encode()).decode()
        ready.send(port)
        await asyncio.Event().wait()

    asyncio.run(main())


def kubeconfig(server: str) -> str:
    return (
        json.dumps(
            {
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": TOKEN}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
        + "\n"
    )


# --- the readers (each in a fresh process) ---------------------------------------


def measure(what: str, root: Path, url: str) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any]
    if what == "snapshot":
        from fleetc.live.snapshot import read_snapshot

        region = read_snapshot(root / "snapshot", REGION, [CLUSTER], PREFIX)
        result = _summary(region)
    elif what == "snapshot-json":
        from fleetc.live.assemble import assemble_region

        region_dir = root / "snapshot" / REGION
        management = json.loads((region_dir / "management.json").read_bytes())
        cluster = json.loads((region_dir / f"{CLUSTER}.json").read_bytes())
        region = assemble_region(REGION, [CLUSTER], management, {CLUSTER: cluster}, PREFIX)
        result = _summary(region)
    elif what == "kube":
        from fleetc.live.kubeapi import read_kube

        region = read_kube(kubeconfig(f"{url}/mgmt"), REGION, [CLUSTER], PREFIX, limit=LIMIT)
        result = _summary(region)
    elif what == "official":
        result = _official(f"{url}/cluster")
    else:
        raise SystemExit(f"unknown measurement {what}")
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _summary(region: Any) -> dict[str, Any]:
    cluster = region.cluster(CLUSTER)
    assert cluster.known, cluster.problems
    nodes = cluster.nodes
    return {"nodes": len(nodes), "busy_nodes": sum(1 for n in nodes if n.busy)}


def _official(host: str) -> dict[str, Any]:
    from kubernetes import client

    configuration = client.Configuration()
    configuration.host = host
    configuration.api_key = {"BearerToken": TOKEN}
    configuration.api_key_prefix = {"BearerToken": "Bearer"}
    api = client.CoreV1Api(client.ApiClient(configuration))
    nodes: list[Any] = []
    pods: list[Any] = []
    token: str | None = None
    while True:  # the client leaves out query parameters that are None
        node_page = api.list_node(limit=LIMIT, _continue=token)
        nodes.extend(node_page.items)
        token = node_page.metadata._continue if node_page.metadata else None
        if not token:
            break
    while True:
        pod_page = api.list_pod_for_all_namespaces(limit=LIMIT, field_selector=RUNNING, _continue=token)
        pods.extend(pod_page.items)
        token = pod_page.metadata._continue if pod_page.metadata else None
        if not token:
            break
    return {"nodes": len(nodes), "pods": len(pods)}


def run_measurement(what: str, root: Path, url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--root", str(root), "--url", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=4000)
    parser.add_argument("--pods", type=int, default=100_000)
    parser.add_argument("--skip-official", action="store_true", help="skip the slow official-client baseline")
    parser.add_argument("--repeat", type=int, default=1, help="fresh-process runs per reader; the fastest is shown")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, Path(args.root), args.url)))
        return

    with tempfile.TemporaryDirectory(prefix="fleetc-bench-") as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        counts = generate(root, args.nodes, args.pods)
        snapshot_bytes = sum(p.stat().st_size for p in (root / "snapshot" / REGION).iterdir())
        page_bytes = sum(p.stat().st_size for p in (root / "pages").iterdir())
        print(
            f"generated in {time.perf_counter() - started:.1f} s: {counts['nodes']:,} nodes, {counts['pods']:,} pods "
            f"({counts['running_pods']:,} not finished), snapshot {snapshot_bytes / 1e6:,.1f} MB; "
            f"API pages (limit {LIMIT}): {counts['node_pages']} node + {counts['pod_pages']} pod pages, "
            f"{page_bytes / 1e6:,.1f} MB"
        )

        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        server = context.Process(target=serve, args=(str(root / "pages"), child), daemon=True)
        server.start()
        try:
            url = f"http://127.0.0.1:{parent.recv()}"
            plan = ["snapshot", "snapshot-json", "kube"] + ([] if args.skip_official else ["official"])
            results = {
                what: min((run_measurement(what, root, url) for _ in range(args.repeat)), key=lambda r: r["seconds"])
                for what in plan
            }
        finally:
            server.terminate()
            server.join()

    labels = {
        "snapshot": "fleetc read_snapshot (msgspec projection + facts)",
        "snapshot-json": "same snapshot via json.loads + facts (baseline)",
        "kube": "fleetc read_kube over HTTP (end to end, facts)",
        "official": "kubernetes client list_node + list_pod (models)",
    }
    print(f"{'reader':<52} {'seconds':>8} {'peak RSS MB':>12}  result")
    for what, result in results.items():
        extra = {k: v for k, v in result.items() if k not in ("seconds", "peak_rss_mb")}
        print(f"{labels[what]:<52} {result['seconds']:>8.2f} {result['peak_rss_mb']:>12,.0f}  {extra}")
    print(f"json.loads / msgspec snapshot: {results['snapshot-json']['seconds'] / results['snapshot']['seconds']:.1f}x")
    if "official" in results:
        print(f"official / fleetc over HTTP: {results['official']['seconds'] / results['kube']['seconds']:.1f}x")


if __name__ == "__main__":
    main()
