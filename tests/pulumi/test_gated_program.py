"""The Pulumi program under mocks: gated add-ons stay at their applied versions, approved ones move, and an earlier
wave in another region is read through a StackReference (docs/spec.md 6.2, 6.3; docs/rollouts.md)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.pulumi_mocks import FAKE_KUBECONFIG, FleetMocks, MockRun, run_program  # noqa: E402
from live.objects import PREFIX, apiserver, etcd, kube_list, node, pod  # noqa: E402

from fleetc.plan.revision import fingerprint  # noqa: E402

NOW = "2026-11-25T15:00:00Z"
OLD, NEW = "v24.9.0", "v24.9.2"
APPROVER = "ops@t.example"


def doc(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "fleetc.dev/v1alpha1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def cluster(name: str) -> dict[str, Any]:
    pools = [{"name": "h100", "instanceType": "gpu8", "count": 2, "maxUnavailable": 1}]
    return {"name": name, "tenant": "t", "channel": "c", "bundle": "base", "upgrade": {"approval": "required"},
            "nodePools": pools}  # fmt: skip


def project(tmp: Path, regions: dict[str, list[str]], *, approved: bool = False, waves: bool = False) -> Path:
    """A fleet repository: gpu-operator bumped to NEW in the fleet, applied at OLD in every cluster."""
    shutil.copy(ROOT / "__main__.py", tmp / "__main__.py")
    addons = [
        {"name": "gpu-operator", "namespace": "gpu-operator", "disruptive": True,
         "chart": {"repository": "https://helm.ngc.nvidia.com/nvidia", "name": "gpu-operator", "version": NEW}},
        {"name": "metrics-server", "namespace": "kube-system",
         "chart": {"repository": "https://charts.example", "name": "metrics-server", "version": "3.12.2"}},
    ]  # fmt: skip
    fleet = {
        "labelPrefix": PREFIX,
        "channels": {"c": {"kubernetes": "1.30.6", "etcd": "3.5.16", "nodeImage": "gpu-node-2024.11.1"}},
        "instanceTypes": {"gpu8": {"gpus": 8, "cpus": 64, "memoryGiB": 512}},
        "bundles": {"base": {"addons": addons}},
    }
    if waves:
        fleet["rollout"] = {"waves": [{"name": "canary", "clusters": ["r1/*"], "soak": "24h"},
                                      {"name": "rest", "clusters": ["*"]}]}  # fmt: skip
    docs = [doc("Fleet", "f", fleet), doc("Tenant", "t", {"approvers": [APPROVER]})]
    for region, names in regions.items():
        docs.append(doc("Region", region, {"failureDomains": ["rack-a", "rack-b", "rack-c"],
                                           "clusters": [cluster(n) for n in names]}))  # fmt: skip
    if approved:
        docs.append(doc("Approval", "gpu", {"cluster": "r1/c1", "addons": {"gpu-operator": NEW},
                                            "approvedBy": APPROVER, "expires": "2030-01-01T00:00:00Z"}))  # fmt: skip
    (tmp / "fleet").mkdir()
    (tmp / "fleet" / "fleet.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    for region, names in regions.items():
        live = tmp / "live" / region
        live.mkdir(parents=True)
        items: list[Any] = []
        for name in names:
            items += [apiserver(name), etcd(name), record(name)]
            nodes = [node(f"{name}-{i}") for i in range(2)]
            pods = [pod("kube-system", f"cilium-{n['metadata']['name']}", n["metadata"]["name"], owner="DaemonSet")
                    for n in nodes]  # fmt: skip
            (live / f"{name}.json").write_text(json.dumps(kube_list([*nodes, *pods])))
        (live / "management.json").write_text(json.dumps(kube_list(items)))
    return tmp


def record(name: str) -> dict[str, Any]:
    values = fingerprint({})
    data = {
        "addons": json.dumps({"gpu-operator": OLD, "metrics-server": "3.12.2"}),
        "addonValues": json.dumps({"gpu-operator": values, "metrics-server": values}),
    }
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fleetc-cluster", "namespace": f"cp-{name}"},
            "data": data}  # fmt: skip


def run(tmp: Path, region: str, mocks: FleetMocks | None = None, **config: str) -> MockRun:
    settings = {"fleetc:region": region, "fleetc:live": "live", "fleetc:kubeconfig": FAKE_KUBECONFIG, "fleetc:now": NOW}
    return run_program(tmp, region, {**settings, **config}, mocks=mocks)


def release(run: MockRun, cid: str, name: str) -> Any:
    return run.named(f"{cid}/addons/{name}")


def test_a_gated_addon_keeps_its_applied_version_and_an_approved_one_moves(tmp_path: Path) -> None:
    (tmp_path / "held").mkdir()
    (tmp_path / "moved").mkdir()
    held = run(project(tmp_path / "held", {"r1": ["c1"]}), "r1")
    gpu = release(held, "r1/c1", "gpu-operator")
    assert gpu.inputs["version"] == OLD and set(gpu.ignore_changes) == {"version", "values"}
    assert release(held, "r1/c1", "metrics-server").ignore_changes == ()
    moved = run(project(tmp_path / "moved", {"r1": ["c1"]}, approved=True), "r1")
    gpu = release(moved, "r1/c1", "gpu-operator")
    assert gpu.inputs["version"] == NEW and gpu.ignore_changes == ()


def test_an_earlier_wave_in_another_region_is_read_through_a_stack_reference(tmp_path: Path) -> None:
    """Stack r2's snapshot holds only r2; r1's canary facts come from stack r1's rollout output."""
    repo = project(tmp_path, {"r1": ["c1"], "r2": ["c2"]}, waves=True)
    shutil.rmtree(repo / "live" / "r1")
    (repo / "fleet" / "approvals.yaml").write_text(yaml.safe_dump(doc("Approval", "gpu2", {
        "cluster": "r2/c2", "addons": {"gpu-operator": NEW}, "approvedBy": APPROVER,
        "expires": "2030-01-01T00:00:00Z"})))  # fmt: skip
    canary = {"kubernetes": "1.30.6", "etcd": "3.5.16", "nodeImage": "gpu-node-2024.11.1",
              "addons": {"gpu-operator": NEW, "metrics-server": "3.12.2"},
              "addonValues": {"gpu-operator": fingerprint({}), "metrics-server": fingerprint({})}}  # fmt: skip
    stacks = {"waves": json.dumps({"r1": "org/fleet/r1"})}

    def outputs(at: str, observed: str = NOW) -> FleetMocks:
        rollout = {"r1/c1": {"rolledOut": {**canary, "at": at}, "healthy": True, "observed": observed}}
        return FleetMocks(stack_outputs={"org/fleet/r1": {"rollout": rollout}})

    soaked = run(repo, "r2", outputs("2026-11-24T01:00:00Z"), **{"fleetc:waveStacks": stacks["waves"]})
    assert [r.name for r in soaked.registrations if r.type == "pulumi:pulumi:StackReference"] == ["waves/r1"]
    assert release(soaked, "r2/c2", "gpu-operator").inputs["version"] == NEW
    soaking = run(repo, "r2", outputs("2026-11-25T10:00:00Z"), **{"fleetc:waveStacks": stacks["waves"]})
    held = release(soaking, "r2/c2", "gpu-operator")
    assert held.inputs["version"] == OLD and set(held.ignore_changes) == {"version", "values"}
    stale = run(repo, "r2", outputs("2026-11-20T01:00:00Z", observed="2026-11-22T00:00:00Z"),
                **{"fleetc:waveStacks": stacks["waves"]})  # fmt: skip
    assert release(stale, "r2/c2", "gpu-operator").inputs["version"] == OLD  # facts too old: unknown, waits
