"""The real program with Kamaji control planes: a status-named kubeconfig, no status at all, a brand-new cluster.

Three mock worlds: TenantControlPlanes that report Ready and name their
admin Secret (with a suffix only the status knows), mocks that echo inputs
(no status: what a controller that has not reconciled looks like), and a
fleet with a cluster the live state has never seen. In each, every read
(``.get``) must be of a Secret that a TenantControlPlane registered in the
same run produces, and nothing may fail.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.pulumi_mocks import TENANT_CONTROL_PLANE_TYPE, FleetMocks, MockRun, run_stack  # noqa: E402

NOW = "2026-11-25T15:00:00Z"
WAIT_READY = "jsonpath={.status.kubernetesResources.version.status}=Ready"


def tenant_control_planes(run: MockRun) -> dict[str, dict[str, object]]:
    return {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type(TENANT_CONTROL_PLANE_TYPE)}


# examples/live keeps this cluster in the earlier form: its provider reads the Cluster API Secret that exists live.
EARLIER_FORM_READS = {"cp-beta-cpu/beta-cpu-kubeconfig"}


def reads_are_of_secrets_the_run_creates(run: MockRun, mocks: FleetMocks, suffix: str) -> None:
    tcps = tenant_control_planes(run)
    expected = {f"cp-{name}/{name}{suffix}" for name in tcps}
    assert set(mocks.reads) - EARLIER_FORM_READS == expected
    assert len(set(mocks.reads) - EARLIER_FORM_READS) == len(tcps) == len(expected)


@pytest.mark.parametrize("stack", ["us-east-04", "eu-west-02"])
def test_the_provider_reads_the_secret_the_status_names(stack: str) -> None:
    mocks = FleetMocks(admin_secret_suffix="-admin-kubeconfig-from-status")
    run = run_stack(ROOT, stack, {"fleetc:now": NOW}, mocks=mocks)
    reads_are_of_secrets_the_run_creates(run, mocks, "-admin-kubeconfig-from-status")
    for inputs in tenant_control_planes(run).values():
        assert inputs["metadata"]["annotations"]["pulumi.com/waitFor"] == WAIT_READY  # type: ignore[index]


@pytest.mark.parametrize("stack", ["us-east-04", "eu-west-02"])
def test_no_status_at_all_does_not_fail(stack: str) -> None:
    mocks = FleetMocks()  # echo inputs: no status
    run = run_stack(ROOT, stack, {"fleetc:now": NOW}, mocks=mocks)
    reads_are_of_secrets_the_run_creates(run, mocks, "-admin-kubeconfig")  # Kamaji's own naming


def test_the_datastore_and_etcd_come_before_the_control_plane() -> None:
    run = run_stack(ROOT, "us-east-04", {"fleetc:now": NOW}, mocks=FleetMocks(admin_secret_suffix="-x"))
    by_name = {r.name: r for r in run.registrations}
    cp = "us-east-04/alpha-train/control-plane"
    tcp = by_name[f"{cp}/tenantcontrolplane-alpha-train"]
    datastore = by_name[f"{cp}/datastore-cp-alpha-train-etcd"]
    etcd = by_name[f"{cp}/statefulset-etcd"]
    assert datastore.urn in tcp.dependencies and etcd.urn in datastore.dependencies
    assert by_name[f"{cp}/certificate-etcd-server"].urn in etcd.dependencies
    cilium = by_name["us-east-04/alpha-train/addons/cilium"]
    assert tcp.urn in cilium.dependencies  # the whole control-plane group, the TenantControlPlane included


def new_cluster_project(tmp_path: Path) -> Path:
    """The repository with one more cluster in us-east-04 that no live snapshot knows."""
    project = tmp_path / "repo"
    for name in ("fleet", "stacks", "examples"):
        shutil.copytree(ROOT / name, project / name)
    for name in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(ROOT / name, project / name)
    region_file = project / "fleet" / "regions" / "us-east-04.yaml"
    region = yaml.safe_load(region_file.read_text())
    region["spec"]["clusters"].append(
        {
            "name": "gamma-new",
            "tenant": region["spec"]["clusters"][0]["tenant"],
            "channel": "stable",
            "controlPlane": {"endpoint": {"address": "10.20.0.99", "dnsName": "api.gamma-new.us-east-04.example"}},
            "bundle": "batteries-included",
            "upgrade": {"approval": "automatic"},
            "nodePools": [{"name": "cpu", "instanceType": "cpu32", "count": 3, "maxUnavailable": 1}],
        }
    )
    region_file.write_text(yaml.safe_dump(region, sort_keys=False))
    return project


@pytest.mark.parametrize("suffix", [None, "-admin-kubeconfig"])
def test_a_brand_new_cluster_comes_up_in_one_run(tmp_path: Path, suffix: str | None) -> None:
    project = new_cluster_project(tmp_path)
    mocks = FleetMocks(admin_secret_suffix=suffix)
    run = run_stack(project, "us-east-04", {"fleetc:now": NOW}, mocks=mocks)
    names = {r.name for r in run.registrations}
    cid = "us-east-04/gamma-new"
    assert f"{cid}/control-plane/tenantcontrolplane-gamma-new" in names
    assert f"{cid}/control-plane/datastore-cp-gamma-new-etcd" in names
    assert {f"{cid}/control-plane/certificate-etcd-{leaf}" for leaf in ("ca", "server", "peer", "root-client")} <= names
    releases = [r for r in run.registrations if r.name.startswith(f"{cid}/addons/") and r.custom]
    assert {r.name.rsplit("/", 1)[1] for r in releases} >= {"cilium", "coredns", "cert-manager"}
    provider = next(r for r in run.registrations if r.name == f"{cid}/provider")
    assert all(r.provider.startswith(provider.urn) for r in releases)
    reads_are_of_secrets_the_run_creates(run, mocks, suffix or "-admin-kubeconfig")
    assert not [level for level, _ in run.logs if level >= 40]  # no error logged for the region


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, "d"),
        ({}, "d"),
        ({"kubeconfig": "not an object"}, "d"),
        ({"kubeconfig": {"admin": []}}, "d"),
        ({"kubeconfig": {"admin": {"secretName": ""}}}, "d"),
        ({"kubeconfig": {"admin": {"secretName": "a-admin"}}}, "a-admin"),
    ],
)
def test_a_status_of_any_shape_names_a_secret_or_falls_back(status: object, expected: str) -> None:
    from components.wiring import admin_secret_name

    assert admin_secret_name(status, "d") == expected
