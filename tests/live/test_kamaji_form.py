"""Control planes in the Kamaji form (docs/spec.md 6.1): version and readiness from the TenantControlPlane."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fleetc.live.parse import control_plane_facts
from fleetc.versions import Version

from .objects import etcd


def tenant_control_plane(cluster: str, status: dict[str, Any] | None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "kamaji.clastix.io/v1alpha1",
        "kind": "TenantControlPlane",
        "metadata": {"name": cluster, "namespace": f"cp-{cluster}"},
        "spec": {"kubernetes": {"version": "v1.31.2"}},
    }
    if status is not None:
        obj["status"] = status
    return obj


def kamaji_deployment(cluster: str, updated: int = 3) -> dict[str, Any]:
    containers = [{"name": n, "image": f"registry.k8s.io/{n}:v1.31.2"} for n in ("kube-apiserver", "kube-scheduler")]
    return {
        "kind": "Deployment",
        "metadata": {"name": cluster, "namespace": f"cp-{cluster}", "generation": 1},
        "spec": {"replicas": 3, "template": {"spec": {"containers": containers}}},
        "status": {"observedGeneration": 1, "replicas": 3, "updatedReplicas": updated, "readyReplicas": 3,
                   "availableReplicas": 3},
    }  # fmt: skip


def status(version: str, state: str) -> dict[str, Any]:
    deployment = {"name": "a", "namespace": "cp-a", "selector": "x"}
    return {"kubernetesResources": {"version": {"version": version, "status": state}, "deployment": deployment}}


def test_a_ready_tenant_control_plane_reads_its_version_from_status() -> None:
    facts = control_plane_facts([tenant_control_plane("a", status("v1.30.6", "Ready")), kamaji_deployment("a"),
                                 etcd("a")], "a")  # fmt: skip
    assert facts is not None and facts.problems == ()
    assert (facts.apiserver_version, facts.etcd_version, facts.ready) == (Version(1, 30, 6), Version(3, 5, 16), True)


@pytest.mark.parametrize("state", ["Provisioning", "Upgrading", "NotReady"])
def test_a_tenant_control_plane_on_its_way_is_not_ready(state: str) -> None:
    facts = control_plane_facts([tenant_control_plane("a", status("v1.30.6", state)), kamaji_deployment("a"),
                                 etcd("a")], "a")  # fmt: skip
    assert facts is not None and facts.ready is False


def test_ready_but_its_deployment_still_rolling_is_not_ready() -> None:
    items = [tenant_control_plane("a", status("v1.31.2", "Ready")), kamaji_deployment("a", updated=1), etcd("a")]
    facts = control_plane_facts(items, "a")
    assert facts is not None and facts.ready is False


@pytest.mark.parametrize("state", [None, {}, {"kubernetesResources": {"version": {"status": "Ready"}}}])
def test_a_tenant_control_plane_without_a_status_is_unknown_never_new(state: dict[str, Any] | None) -> None:
    facts = control_plane_facts([tenant_control_plane("a", state), etcd("a")], "a")
    assert facts is not None and facts.apiserver_version is None and facts.problems


def test_a_namespace_with_objects_but_no_control_plane_is_unknown_not_new() -> None:
    config = {"kind": "ConfigMap", "metadata": {"name": "fleetc-cluster", "namespace": "cp-a"}}
    facts = control_plane_facts([config], "a")
    assert facts is not None and facts.apiserver_version is None and "no control plane" in facts.problems[0]
    assert control_plane_facts([], "a") is None  # nothing at all: a cluster to create


@pytest.mark.parametrize("state", ["Ready", "Provisioning", "Upgrading", "NotReady", None])
def test_the_api_reader_reads_a_kamaji_cluster_and_its_admin_kubeconfig(state: str | None) -> None:
    """Over real HTTP: the TenantControlPlane, its Deployment, the dedicated etcd, and the kubeconfig Secret
    its status names (not the Cluster API one, which is absent here), in every status; without a status the
    control plane is unknown (fail closed), never new."""
    import base64

    from fleetc.live.assemble import assemble_region
    from fleetc.live.kubeapi import KubeOptions, fetch_region_lists

    from .fake_api import FakeApi, serve
    from .objects import PREFIX, kubeconfig_text, node, pod

    with serve(FakeApi()) as api:
        api.add_cluster("a", [node("n0")], [pod("kube-system", "cilium-n0", "n0", owner="DaemonSet")])
        api.management.pop("/mgmt/api/v1/namespaces/cp-a/secrets/a-kubeconfig")
        reported = {**status("v1.31.2", state), "kubeconfig": {"admin": {"secretName": "a-admin-kubeconfig"}}}
        tcp = tenant_control_plane("a", reported if state is not None else None)
        base = "/mgmt/apis"
        api.management[f"{base}/kamaji.clastix.io/v1alpha1/namespaces/cp-a/tenantcontrolplanes/a"] = tcp
        api.management[f"{base}/apps/v1/namespaces/cp-a/deployments/a"] = kamaji_deployment("a")
        api.management[f"{base}/apps/v1/namespaces/cp-a/statefulsets/etcd"] = etcd("a")
        text = kubeconfig_text(f"{api.url}/clusters/a", "s3cret-token")
        secret = {"kind": "Secret", "metadata": {"name": "a-admin-kubeconfig", "namespace": "cp-a"},
                  "data": {"admin.conf": base64.b64encode(text.encode()).decode()}}  # fmt: skip
        api.management["/mgmt/api/v1/namespaces/cp-a/secrets/a-admin-kubeconfig"] = secret
        options = KubeOptions(timeout=1.0, attempts=2, backoff=0.01, max_backoff=0.02)
        management, lists = fetch_region_lists(api.management_kubeconfig(), "r", ("a",), options=options)
        if state == "Ready":  # `fleetc live export` writes the TenantControlPlane, and it reads back the same
            import json
            import tempfile

            from fleetc.live.export import export_snapshot
            from fleetc.live.snapshot import read_snapshot

            with tempfile.TemporaryDirectory() as out:
                report = export_snapshot(api.management_kubeconfig(), {"r": ["a"]}, PREFIX, Path(out), options=options)
                assert report.ok, report.problems
                written = json.loads((Path(out) / "r" / "management.json").read_text())
                assert "TenantControlPlane" in {item["kind"] for item in written["items"]}
                exported = read_snapshot(Path(out), "r", ("a",), PREFIX).cluster("a")
    region = assemble_region("r", ("a",), management, lists, PREFIX)  # type: ignore[arg-type]
    cluster = region.cluster("a")
    if state == "Ready":
        assert exported == cluster
    if state is None:
        assert not cluster.known and cluster.problems
        return
    assert cluster.known, cluster.problems
    assert cluster.control_plane is not None and cluster.control_plane.apiserver_version == Version(1, 31, 2)
    assert cluster.control_plane.ready is (state == "Ready")
    assert cluster.nodes is not None and [n.name for n in cluster.nodes] == ["n0"]


def test_a_kamaji_snapshot_reads_through_the_projected_decoder(tmp_path: Path) -> None:
    """``kubectl get tenantcontrolplanes,deploy,sts -A -o json`` saved as management.json (docs/spec.md 6.1)."""
    import json

    from fleetc.live.snapshot import read_snapshot

    from .objects import PREFIX, kube_list, node, pod

    region = tmp_path / "r"
    region.mkdir()
    items = [tenant_control_plane("a", status("v1.31.2", "Ready")), kamaji_deployment("a"), etcd("a")]
    (region / "management.json").write_text(json.dumps(kube_list(items)))
    nodes = kube_list([node("n0"), pod("kube-system", "cilium-n0", "n0", owner="DaemonSet")])
    (region / "a.json").write_text(json.dumps(nodes))
    cluster = read_snapshot(tmp_path, "r", ("a",), PREFIX).cluster("a")
    assert cluster.known, cluster.problems
    assert cluster.control_plane is not None and cluster.control_plane.apiserver_version == Version(1, 31, 2)
