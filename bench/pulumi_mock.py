"""Benchmark: the Pulumi program (``__main__.py``) under mocks, per stack.

    python bench/pulumi_mock.py [--clusters 50] [--repeat 3]

Times what ``pulumi preview`` costs on the program side, without the CLI
(which cannot be installed here): the real ``__main__.py`` run through
``tests/harness/pulumi_mocks.py`` (a mock monitor that records every registration), for

- every example stack (``stacks/Pulumi.*.yaml`` against ``examples/live``);
- a generated region of ``--clusters`` clusters (the example clusters cloned,
  a snapshot with every control plane at its target and a few nodes per
  cluster still on the old image, so some NodePatches are in the graph).

Each run is a fresh process, so the peak RSS is its own; ``fleetc`` time
is the engine-free part (load, live read, plan, compile) measured in the
same process before the Pulumi run. KB/resource is the RSS growth of the
Pulumi run divided by the resources registered.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-25T15:00:00Z"
GENERATED = "bench-50"


def child(project: Path, stack: str) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))  # the mock harness lives beside the tests
    import os
    from datetime import datetime

    from harness.pulumi_mocks import run_stack, stack_config

    from fleetc.compile import compile_region
    from fleetc.live.read import read_live
    from fleetc.plan.planner import plan
    from fleetc.repo.approvals import counted_approvals
    from fleetc.spec.loader import load_fleet

    os.chdir(project)
    config = stack_config(project / "stacks" / f"Pulumi.{stack}.yaml")
    region = config["fleetc:region"]
    start = time.perf_counter()
    spec = load_fleet(Path("fleet"))
    live = read_live(config["fleetc:live"], {region: spec.region_clusters()[region]}, spec.label_prefix)
    approvals, _ = counted_approvals(spec)
    now = datetime.fromisoformat(NOW)
    graph = compile_region(spec, plan(spec, live, approvals, now, region=region), region, now)
    fleetc_seconds = time.perf_counter() - start

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu_start = time.perf_counter(), time.process_time()
    run = run_stack(project, stack, {"fleetc:now": NOW})
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    patches = sum(1 for r in run.registrations if r.type == "kubernetes:core/v1:NodePatch")
    return {
        "stack": stack,
        "clusters": sum(1 for _ in spec.clusters(region)),
        "graph_nodes": len(graph),
        "resources": len(run.registrations),
        "node_patches": patches,
        "fleetc_seconds": fleetc_seconds,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_mb": rss_after / 1024,
        "kb_per_resource": (rss_after - rss_before) / max(1, len(run.registrations)),
    }


def measure(project: Path, stack: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(project), stack], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"{stack}: child failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- a generated region -------------------------------------------------------------


def generate(base: Path, clusters: int) -> Path:
    """A project with one region of ``clusters`` clusters and a matching snapshot."""
    project = base / "project"
    (project / "fleet" / "regions").mkdir(parents=True)
    (project / "stacks").mkdir()
    shutil.copy(ROOT / "__main__.py", project / "__main__.py")
    for name in ("fleet.yaml", "tenants.yaml"):
        shutil.copy(ROOT / "fleet" / name, project / "fleet" / name)
    fleet = yaml.safe_load((ROOT / "fleet" / "fleet.yaml").read_text())
    prefix = fleet["spec"]["labelPrefix"]
    templates = yaml.safe_load((ROOT / "fleet" / "regions" / "us-east-04.yaml").read_text())["spec"]["clusters"]
    generated = []
    for i in range(clusters):
        cluster = json.loads(json.dumps(templates[i % len(templates)]))
        cluster["name"] = f"{cluster['name']}-{i:03d}"
        cluster["upgrade"] = {"approval": "automatic", "paused": False, "nodeTimeoutMinutes": 120}
        # the spec counts exactly the nodes the snapshot lists (nodes it lacks count as unavailable)
        cluster["nodePools"] = [{**cluster["nodePools"][0], "count": 4, "maxUnavailable": 1}]
        endpoint = cluster.get("controlPlane", {}).get("endpoint")
        if endpoint:  # one control plane per address in a region
            address = f"10.30.{i // 250}.{i % 250 + 1}"
            endpoint.update(address=address, dnsName=f"api.{cluster['name']}.{GENERATED}.example")
        generated.append(cluster)
    region = {
        "apiVersion": "fleetc.dev/v1alpha1",
        "kind": "Region",
        "metadata": {"name": GENERATED},
        "spec": {"failureDomains": ["rack-a", "rack-b", "rack-c"], "clusters": generated},
    }
    (project / "fleet" / "regions" / f"{GENERATED}.yaml").write_text(yaml.safe_dump(region, sort_keys=False))
    (project / "stacks" / f"Pulumi.{GENERATED}.yaml").write_text(
        yaml.safe_dump(
            {"config": {"fleetc:region": GENERATED, "fleetc:live": "live", "fleetc:kubeconfig": {"secure": "x"}}}
        )
    )
    live = project / "live" / GENERATED
    live.mkdir(parents=True)
    channels = fleet["spec"]["channels"]
    management = []
    for cluster in generated:
        channel = channels[cluster["channel"]]
        version = cluster.get("versions", {}).get("kubernetes", channel["kubernetes"])
        namespace = f"cp-{cluster['name']}"
        replicas, etcd = cluster["controlPlane"]["replicas"], cluster["controlPlane"]["etcd"]["replicas"]
        management.append(_tenant_control_plane(cluster["name"], namespace, version))
        management.append(
            _workload("Deployment", cluster["name"], namespace, replicas, f"registry.k8s.io/kube-apiserver:v{version}")
        )
        management.append(
            _workload("StatefulSet", "etcd", namespace, etcd, f"registry.k8s.io/etcd:{channel['etcd']}-0")
        )
        pool = cluster["nodePools"][0]
        nodes = [
            _node(f"{cluster['name']}-{pool['name']}-{n}", pool["name"], prefix, "gpu-node-2024.11.1", version)
            for n in range(4)
        ]
        pods = [_daemonset_pod(node["metadata"]["name"]) for node in nodes]  # every real node runs some
        (live / f"{cluster['name']}.json").write_text(
            json.dumps({"apiVersion": "v1", "kind": "List", "items": [*nodes, *pods]})
        )
    (live / "management.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": management}))
    return project


def _tenant_control_plane(name: str, namespace: str, version: str) -> dict[str, Any]:
    """A Ready Kamaji TenantControlPlane (docs/spec.md 6.1); its Deployment is named after it."""
    state = {"version": {"version": f"v{version}", "status": "Ready"}, "deployment": {"name": name}}
    return {
        "apiVersion": "kamaji.clastix.io/v1alpha1",
        "kind": "TenantControlPlane",
        "metadata": {"name": name, "namespace": namespace},
        "status": {"kubernetesResources": state, "kubeconfig": {"admin": {"secretName": f"{name}-admin-kubeconfig"}}},
    }


def _daemonset_pod(node: str) -> dict[str, Any]:
    owner = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "cilium", "controller": True}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"cilium-{node}", "namespace": "kube-system", "ownerReferences": [owner]},
        "spec": {"nodeName": node},
        "status": {"phase": "Running"},
    }


def _workload(kind: str, name: str, namespace: str, replicas: int, image: str) -> dict[str, Any]:
    status: dict[str, Any] = {
        "observedGeneration": 1,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
    }
    if kind == "StatefulSet":
        status.update({"currentRevision": "etcd-1", "updateRevision": "etcd-1"})
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "generation": 1},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": name, "image": image}]}}},
        "status": status,
    }


def _node(name: str, pool: str, prefix: str, image: str, version: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {f"{prefix}/pool": pool, f"{prefix}/node-image": image, "topology.kubernetes.io/zone": "rack-a"},
        },
        "spec": {},
        "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": f"v{version}"}},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("PROJECT", "STACK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), args.child[1])))
        return
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        generated = generate(Path(tmp), args.clusters)
        cases = [(ROOT, stack) for stack in stacks] + [(generated, GENERATED)]
        print(f"median of {args.repeat} runs, each in a fresh process")
        print(
            f"{'stack':<12} {'clusters':>8} {'resources':>9} {'patches':>7} {'fleetc s':>9} "
            f"{'pulumi wall s':>13} {'pulumi cpu s':>12} {'cpu ms/res':>10} {'peak MB':>8} {'KB/res':>7}"
        )
        for project, stack in cases:
            results = [measure(project, stack) for _ in range(args.repeat)]
            first = results[0]
            seconds = statistics.median(r["seconds"] for r in results)
            cpu = statistics.median(r["cpu_seconds"] for r in results)
            fleetc_seconds = statistics.median(r["fleetc_seconds"] for r in results)
            kb = statistics.median(r["kb_per_resource"] for r in results)
            rss = max(r["peak_rss_mb"] for r in results)
            print(
                f"{stack:<12} {first['clusters']:>8} {first['resources']:>9} {first['node_patches']:>7} "
                f"{fleetc_seconds:>9.2f} {seconds:>13.2f} {cpu:>12.2f} {1000 * cpu / first['resources']:>10.1f} "
                f"{rss:>8.0f} {kb:>7.0f}"
            )


if __name__ == "__main__":
    main()
