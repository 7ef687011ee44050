"""The control plane as Kamaji objects: TenantControlPlane, DataStore, etcd, PKI requests (docs/spec.md 6.1)."""

from __future__ import annotations

import ipaddress
import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from fleetc.compile import compile_region
from fleetc.compile.etcd import quota_bytes
from fleetc.compile.graph import DesiredGraph, Kind
from fleetc.compile.objects import KEEP_LIVE
from fleetc.compile.props import ProviderProps
from fleetc.plan.model import ClusterPlan, Plan
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import ApiServer, Endpoint

from .plans import behind, example_spec, make_plan, with_cluster

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
ALPHA = "us-east-04/alpha-train"
BETA = "us-east-04/beta-train"
TCP = "tenantcontrolplane-alpha-train"


@pytest.fixture(scope="module")
def spec() -> FleetSpec:
    return example_spec()


def cp(graph: DesiredGraph, cid: str, leaf: str) -> dict[str, Any]:
    props: dict[str, Any] = graph.nodes[f"{cid}/control-plane/{leaf}"].props  # type: ignore[assignment]
    return props


def tcp_of(graph: DesiredGraph, cid: str = ALPHA) -> dict[str, Any]:
    name = cid.split("/")[1]
    return cp(graph, cid, f"tenantcontrolplane-{name}")


def region(spec: FleetSpec, **overrides: dict[str, object]) -> DesiredGraph:
    return compile_region(spec, make_plan(spec, "us-east-04", overrides=overrides), "us-east-04", NOW)


def test_the_version_is_the_plans_never_the_target(spec: FleetSpec) -> None:
    graph = region(spec, **{ALPHA: behind(spec, ALPHA, "1.30.6", "3.5.15")})
    assert str(spec.targets(spec.cluster(ALPHA)).kubernetes) == "1.31.2"  # type: ignore[arg-type]
    assert tcp_of(graph)["spec"]["kubernetes"]["version"] == "v1.30.6"
    etcd = cp(graph, ALPHA, "statefulset-etcd")["spec"]["template"]["spec"]["containers"][0]
    assert etcd["image"] == "registry.k8s.io/etcd:3.5.15-0"
    assert tcp_of(graph, BETA)["spec"]["kubernetes"]["version"] == "v1.31.2"
    assert tcp_of(graph)["apiVersion"] == "kamaji.clastix.io/v1alpha1"
    assert tcp_of(graph)["metadata"]["namespace"] == "cp-alpha-train"


def test_sizes_and_replicas_come_from_the_spec(spec: FleetSpec) -> None:
    graph = region(spec)
    deployment = tcp_of(graph)["spec"]["controlPlane"]["deployment"]
    assert deployment["replicas"] == 3
    assert deployment["resources"]["apiServer"]["requests"] == {"cpu": "4", "memory": "16Gi"}  # a large cluster
    sts = cp(graph, ALPHA, "statefulset-etcd")["spec"]
    assert sts["replicas"] == 5
    assert sts["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "128Gi"
    args = sts["template"]["spec"]["containers"][0]["args"]
    assert f"--quota-backend-bytes={8 * 2**30}" in args
    assert not any(a.startswith("--initial-cluster-state") for a in args)  # decided by member.sh at start


@pytest.mark.parametrize(("storage", "quota"), [(8, 2 * 2**30), (32, 8 * 2**30), (128, 8 * 2**30)])
def test_the_quota_is_a_quarter_of_the_volume_at_most_8_gib(storage: int, quota: int) -> None:
    assert quota_bytes(storage) == quota


def test_objects_are_created_in_dependency_order(spec: FleetSpec) -> None:
    graph = region(spec)
    deps = {n.id: set(n.deps) for n in graph}

    def node(leaf: str) -> str:
        return f"{ALPHA}/control-plane/{leaf}"

    chain = [
        "issuer-etcd-selfsigned",
        "certificate-etcd-ca",
        "issuer-etcd-ca",
        "certificate-etcd-server",
        "statefulset-etcd",
        "datastore-cp-alpha-train-etcd",
        TCP,
    ]
    for earlier, later in itertools.pairwise(chain):
        assert node(earlier) in deps[node(later)], (earlier, later)
    assert node("job-encryption-key") in deps[node(TCP)]
    assert node("configmap-audit-policy") in deps[node(TCP)]
    assert {node("certificate-etcd-peer"), node("certificate-etcd-root-client")} <= deps[node("statefulset-etcd")]
    assert node(TCP) in deps[f"{ALPHA}/provider"]
    for release in graph.of_kind(Kind.HELM_RELEASE):
        if release.cluster is None:  # the management cluster's batteries come before every control plane
            assert release.id in deps[node("namespace-cp-alpha-train")]
            continue
        assert f"{release.cluster}/control-plane" in release.deps  # the whole group, the TenantControlPlane included


def test_pulumi_waits_for_ready_certificates_and_a_ready_control_plane(spec: FleetSpec) -> None:
    graph = region(spec)
    annotations = tcp_of(graph)["metadata"]["annotations"]
    assert annotations["pulumi.com/waitFor"] == "jsonpath={.status.kubernetesResources.version.status}=Ready"
    for leaf in ("certificate-etcd-ca", "certificate-etcd-server", "certificate-etcd-peer"):
        assert cp(graph, ALPHA, leaf)["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"


def test_the_customer_provider_reads_the_secret_the_status_names(spec: FleetSpec) -> None:
    graph = region(spec)
    ref = graph.nodes[f"{ALPHA}/provider"].typed(ProviderProps).kubeconfig_secret
    assert ref is not None
    assert (ref.namespace, ref.name, ref.key) == ("cp-alpha-train", "alpha-train-admin-kubeconfig", "admin.conf")
    assert ref.status_of == f"{ALPHA}/control-plane/{TCP}"


def test_network_profile_from_the_endpoint_and_fleetc_cidrs(spec: FleetSpec) -> None:
    graph = region(spec)
    network = tcp_of(graph)["spec"]["networkProfile"]
    assert network["address"] == "10.20.0.15" and network["port"] == 6443
    assert network["certSANs"] == ["api.alpha-train.us-east-04.example"]
    services, pods = ipaddress.ip_network(network["serviceCidrs"][0]), ipaddress.ip_network(network["podCidrs"][0])
    assert not services.overlaps(pods)
    assert ipaddress.ip_address(network["dnsServiceIPs"][0]) in services
    assert pods.num_addresses // 256 >= 4096  # a /24 per node for a 4,000-node cluster
    args = tcp_of(graph)["spec"]["controlPlane"]["deployment"]["extraArgs"]["controllerManager"]
    assert "--allocate-node-cidrs=true" in args and f"--cluster-cidr={pods}" in args


def test_without_an_endpoint_the_load_balancer_picks_the_address(spec: FleetSpec) -> None:
    cluster = spec.cluster(ALPHA)
    assert cluster is not None
    changed = with_cluster(
        spec, "us-east-04", "alpha-train", control_plane=cluster.control_plane.model_copy(update={"endpoint": None})
    )
    tcp = tcp_of(region(changed))["spec"]
    assert "address" not in tcp["networkProfile"] and "certSANs" not in tcp["networkProfile"]
    assert tcp["controlPlane"]["service"] == {"serviceType": "LoadBalancer"}


def test_kamaji_addons_only_where_the_bundle_brings_none(spec: FleetSpec) -> None:
    graph = region(spec)
    addons = tcp_of(graph)["spec"]["addons"]
    assert set(addons) == {"konnectivity"}  # the bundle's Cilium replaces kube-proxy, its CoreDNS chart is there
    assert addons["konnectivity"]["agent"]["mode"] == "DaemonSet"  # DaemonSet pods never make a node busy
    bare = with_cluster(spec, "us-east-04", "alpha-train", bundle=None)
    assert set(tcp_of(region(bare))["spec"]["addons"]) == {"konnectivity", "coreDNS", "kubeProxy"}


def test_flags_feature_gates_and_overrides(spec: FleetSpec) -> None:
    cluster = spec.cluster(ALPHA)
    assert cluster is not None
    api = ApiServer(feature_gates={"ZGate": False, "AGate": True}, extra_args={"v": "2", "audit-log-format": "legacy"})
    changed = with_cluster(
        spec, "us-east-04", "alpha-train", control_plane=cluster.control_plane.model_copy(update={"api_server": api})
    )
    args = tcp_of(region(changed))["spec"]["controlPlane"]["deployment"]["extraArgs"]["apiServer"]
    assert "--feature-gates=AGate=true,ZGate=false" in args and "--v=2" in args
    assert [a for a in args if a.startswith("--audit-log-format=")] == ["--audit-log-format=legacy"]
    keys = [a.split("=", 1)[0] for a in args]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # one flag each, in a stable order
    assert "--encryption-provider-config=/etc/kubernetes/encryption/encryption.yaml" in args
    assert "NodeRestriction" in tcp_of(region(changed))["spec"]["kubernetes"]["admissionControllers"]


def test_audit_and_encryption_can_be_turned_off_and_overridden(spec: FleetSpec) -> None:
    cluster = spec.cluster(ALPHA)
    assert cluster is not None
    policy = {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "Metadata"}]}
    custom = with_cluster(
        spec,
        "us-east-04",
        "alpha-train",
        control_plane=cluster.control_plane.model_copy(update={"api_server": ApiServer(audit_policy=policy)}),
    )
    assert "level: Metadata" in cp(region(custom), ALPHA, "configmap-audit-policy")["data"]["policy.yaml"]
    off = with_cluster(
        spec,
        "us-east-04",
        "alpha-train",
        control_plane=cluster.control_plane.model_copy(
            update={"api_server": ApiServer(audit=False, encryption_at_rest=False)}
        ),
    )
    graph = region(off)
    deployment = tcp_of(graph)["spec"]["controlPlane"]["deployment"]
    assert not any("audit" in a or "encryption" in a for a in deployment["extraArgs"]["apiServer"])
    assert "additionalVolumes" not in deployment
    assert f"{ALPHA}/control-plane/job-encryption-key" not in graph.nodes
    assert f"{ALPHA}/control-plane/configmap-audit-policy" not in graph.nodes


def test_an_unknown_control_plane_is_kept_as_it_is_live(spec: FleetSpec) -> None:
    unknown = {"phase": "unknown", "control_plane_version": None, "etcd_version": None, "live_version": None}
    graph = region(spec, **{ALPHA: unknown})
    for leaf in (TCP, "statefulset-etcd", "cronjob-etcd-defrag", "cronjob-etcd-snapshot"):
        assert cp(graph, ALPHA, leaf)[KEEP_LIVE] == ["spec"], leaf
    assert KEEP_LIVE not in tcp_of(graph, BETA)
    missing = make_plan(spec, "us-east-04")
    clusters: dict[str, ClusterPlan] = {k: v for k, v in missing.clusters.items() if k != ALPHA}
    assert tcp_of(compile_region(spec, Plan(clusters=clusters), "us-east-04", NOW))[KEEP_LIVE] == ["spec"]


def test_a_new_cluster_comes_up_in_one_run(spec: FleetSpec) -> None:
    graph = region(spec, **{ALPHA: {"phase": "new"}})
    assert tcp_of(graph)["spec"]["kubernetes"]["version"].startswith("v1.")
    assert f"{ALPHA}/provider" in graph.nodes
    releases = [n for n in graph.of_kind(Kind.HELM_RELEASE) if n.cluster == ALPHA]
    assert releases and all(f"{ALPHA}/control-plane" in n.deps for n in releases)


def test_endpoints_are_validated() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        Endpoint.model_validate({"address": "api.example"})


def test_an_earlier_form_control_plane_is_compiled_as_it_was(spec: FleetSpec) -> None:
    """Replacing it with a TenantControlPlane would change the cluster's CA: it stays what is live."""
    graph = region(spec, **{ALPHA: {"earlier_form": True}})
    leaves = {n.id.rsplit("/", 1)[1] for n in graph if n.parent == f"{ALPHA}/control-plane"}
    assert {"deployment-kube-apiserver", "statefulset-etcd", "deployment-kube-scheduler"} <= leaves
    assert not any(leaf.startswith(("tenantcontrolplane", "datastore", "certificate")) for leaf in leaves)
    ref = graph.nodes[f"{ALPHA}/provider"].typed(ProviderProps).kubeconfig_secret
    assert ref is not None and (ref.name, ref.key, ref.status_of) == ("alpha-train-kubeconfig", "value", None)
    assert tcp_of(graph, BETA)["kind"] == "TenantControlPlane"  # the others are not affected


def test_held_control_plane_settings_stay_as_they_are_live_while_the_version_may_move(spec: FleetSpec) -> None:
    """docs/spec.md 6.2: a gate or a wave that holds the settings keeps them; the version is the plan's."""
    from fleetc.plan.model import RevisionPlan

    held = RevisionPlan(
        addons=(), addon_values_known=True, control_plane="f" * 16, config_may_change=False, rolled_out=None
    )
    graph = region(spec, **{ALPHA: {**behind(spec, ALPHA, "1.30.6", "3.5.15"), "revision": held}})
    tcp = tcp_of(graph)
    assert tcp[KEEP_LIVE] == ["spec.controlPlane", "spec.networkProfile", "spec.addons"]
    assert tcp["spec"]["kubernetes"]["version"] == "v1.30.6"
    assert cp(graph, ALPHA, "configmap-audit-policy")[KEEP_LIVE] == ["data"]
    free = RevisionPlan(
        addons=(), addon_values_known=True, control_plane="f" * 16, config_may_change=True, rolled_out=None
    )
    assert KEEP_LIVE not in tcp_of(region(spec, **{ALPHA: {"revision": free}}))
