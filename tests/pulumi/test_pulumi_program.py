"""The real ``__main__.py`` under Pulumi mocks, for every example stack.

What the engine would be asked to create: types, names, parents, dependsOn,
providers and inputs, recorded by a MockMonitor (tests/harness/pulumi_mocks.py) and
compared with the desired graph the compiler produced from the same inputs.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.pulumi_mocks import FAKE_KUBECONFIG, MockRun, run_program, run_stack, stack_config  # noqa: E402

from fleetc.compile import compile_region  # noqa: E402
from fleetc.compile.graph import GROUP_KINDS, DesiredGraph, Kind  # noqa: E402
from fleetc.compile.objects import keep_live_paths, kube_object  # noqa: E402
from fleetc.live.read import read_live  # noqa: E402
from fleetc.plan.planner import plan  # noqa: E402
from fleetc.repo.approvals import counted_approvals  # noqa: E402
from fleetc.spec.loader import load_fleet  # noqa: E402

NOW = "2026-11-25T15:00:00Z"
STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # how the engine marks a secret value
COMPONENT_TYPES = {
    Kind.REGION: "fleetc:index:Region",
    Kind.CONTROL_PLANE: "fleetc:index:HostedControlPlane",
    Kind.ADDON_BUNDLE: "fleetc:index:AddonBundle",
    Kind.NODE_POOL: "fleetc:index:NodePool",
}
PROVIDER_TYPE = "pulumi:providers:kubernetes"


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[MockRun, DesiredGraph]]:
    """Each stack run once under mocks, with the graph compiled from the same inputs outside Pulumi."""
    results = {}
    for stack in STACKS:
        run = run_stack(ROOT, stack, {"fleetc:now": NOW})
        results[stack] = (run, expected_graph(stack))
    return results


def expected_graph(stack: str) -> DesiredGraph:
    config = stack_config(ROOT / "stacks" / f"Pulumi.{stack}.yaml")
    region = config["fleetc:region"]
    spec = load_fleet(Path(os.path.relpath(ROOT / "fleet")))  # as __main__.py loads it
    live = read_live(str(ROOT / config["fleetc:live"]), {region: spec.region_clusters()[region]}, spec.label_prefix)
    approvals, _ = counted_approvals(spec)
    now = datetime.fromisoformat(NOW)
    return compile_region(spec, plan(spec, live, approvals, now, region=region), region, now)


def engine_form(value: Any) -> Any:
    """What a value looks like after the engine round trip: numbers as floats."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {k: engine_form(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [engine_form(v) for v in value]
    return value


def test_every_example_stack_is_covered() -> None:
    assert {"us-east-04", "eu-west-02"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_resources_match_the_graph(runs: dict[str, tuple[MockRun, DesiredGraph]], stack: str) -> None:
    run, graph = runs[stack]
    names = [r.name for r in run.registrations]
    assert len(names) == len(set(names)), "two resources share a name (the engine would refuse the stack)"
    expected = {node.id for node in graph}
    reads = {r.name for r in run.registrations if r.read}
    assert set(names) - reads == expected
    assert reads == {f"{n.id}/kubeconfig" for n in graph.of_kind(Kind.PROVIDER) if n.props.get("kubeconfigSecret")}
    by_name = {r.name: r for r in run.registrations}
    for node in graph:
        registration = by_name[node.id]
        if node.kind in COMPONENT_TYPES:
            assert registration.type == COMPONENT_TYPES[node.kind] and not registration.custom
        elif node.kind is Kind.PROVIDER:
            assert registration.type == PROVIDER_TYPE
        elif node.kind is Kind.HELM_RELEASE:
            assert registration.type == "kubernetes:helm.sh/v3:Release"
        elif node.kind is Kind.NODE_PATCH:
            assert registration.type == "kubernetes:core/v1:NodePatch"
        else:
            obj = node.props
            group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else "core"
            version = obj["apiVersion"].split("/")[-1]
            assert registration.type == f"kubernetes:{group}/{version}:{obj['kind']}"


@pytest.mark.parametrize("stack", STACKS)
def test_components_nest_and_every_resource_has_a_parent(
    runs: dict[str, tuple[MockRun, DesiredGraph]], stack: str
) -> None:
    run, graph = runs[stack]
    by_urn = run.by_urn()
    for registration in run.registrations:
        if registration.type == "fleetc:index:Region":
            assert registration.parent.endswith(f"pulumi:pulumi:Stack::fleet-{stack}")
            continue
        parent = by_urn.get(registration.parent)
        assert parent is not None, f"{registration.name} has no registered parent"
        node = graph.get(registration.name.removesuffix("/kubeconfig"))
        assert node is not None
        assert parent.name == node.parent, registration.name
    parent_types: dict[str, set[str]] = {r.type: set() for r in run.registrations}
    for registration in run.registrations:
        if registration.parent in by_urn:
            parent_types[registration.type].add(by_urn[registration.parent].type)
    assert parent_types["fleetc:index:HostedControlPlane"] == {"fleetc:index:Region"}
    assert parent_types["fleetc:index:AddonBundle"] == {"fleetc:index:Region"}
    assert parent_types["fleetc:index:NodePool"] == {"fleetc:index:Region"}
    # add-ons in their bundle; the management cluster's batteries (cert-manager, Kamaji) in the Region
    assert parent_types["kubernetes:helm.sh/v3:Release"] == {"fleetc:index:AddonBundle", "fleetc:index:Region"}
    assert parent_types["kubernetes:monitoring.coreos.com/v1:PrometheusRule"] == {"fleetc:index:HostedControlPlane"}
    assert parent_types["kubernetes:monitoring.coreos.com/v1:ServiceMonitor"] == {
        "fleetc:index:HostedControlPlane",  # etcd and the apiserver of each cluster
        "fleetc:index:Region",  # Kamaji's controller
    }
    assert parent_types["kubernetes:kamaji.clastix.io/v1alpha1:TenantControlPlane"] == {
        "fleetc:index:HostedControlPlane"
    }
    assert parent_types["kubernetes:apps/v1:StatefulSet"] == {"fleetc:index:HostedControlPlane"}
    assert parent_types["kubernetes:core/v1:ConfigMap"] == {"fleetc:index:HostedControlPlane", "fleetc:index:NodePool"}
    assert parent_types[PROVIDER_TYPE] == {"fleetc:index:Region", "fleetc:index:HostedControlPlane"}


@pytest.mark.parametrize("stack", STACKS)
def test_manifest_inputs_are_the_compiled_objects(runs: dict[str, tuple[MockRun, DesiredGraph]], stack: str) -> None:
    """The components translate, they decide nothing: inputs equal the compiler's objects."""
    run, graph = runs[stack]
    by_name = {r.name: r for r in run.registrations}
    for node in graph.manifests():
        assert by_name[node.id].inputs == engine_form(kube_object(node)), node.id
        assert by_name[node.id].ignore_changes == keep_live_paths(node)


@pytest.mark.parametrize("stack", STACKS)
def test_key_inputs(runs: dict[str, tuple[MockRun, DesiredGraph]], stack: str) -> None:
    run, graph = runs[stack]
    by_name = {r.name: r for r in run.registrations}
    spec = load_fleet(ROOT / "fleet")
    for group in graph.of_kind(Kind.CONTROL_PLANE):
        cluster = group.cluster
        assert cluster is not None
        cp = f"{cluster}/control-plane"
        name = cluster.split("/")[1]
        if f"{cp}/tenantcontrolplane-{name}" not in by_name:  # the earlier form (tests/compile/test_earlier_form.py)
            assert f"{cp}/deployment-kube-apiserver" in by_name
            continue
        tcp = by_name[f"{cp}/tenantcontrolplane-{name}"].inputs
        if group.props["version"] is not None:
            assert tcp["spec"]["kubernetes"]["version"] == f"v{group.props['version']}"
        assert tcp["spec"]["dataStore"] == f"cp-{name}-etcd"
        etcd = by_name[f"{cp}/statefulset-etcd"].inputs["spec"]
        assert etcd["replicas"] == float(group.props["etcdReplicas"])
        assert (
            etcd["template"]["spec"]["containers"][0]["image"] == f"registry.k8s.io/etcd:{group.props['etcdVersion']}-0"
        )
        assert "podAntiAffinity" in etcd["template"]["spec"]["affinity"]
        assert tcp["spec"]["controlPlane"]["deployment"]["replicas"] == float(group.props["replicas"])
        model = spec.cluster(cluster)
        assert model is not None
        for addon in spec.addons(model):
            release = by_name.get(f"{cluster}/addons/{addon.name}")
            assert release is not None, f"{cluster}/addons/{addon.name}"
            inputs = release.inputs
            assert (inputs["name"], inputs["chart"], inputs["version"]) == (
                addon.name,
                addon.chart.name,
                addon.chart.version,
            )
            assert inputs["repositoryOpts"] == {"repo": addon.chart.repository}
            assert inputs["namespace"] == addon.namespace and inputs["createNamespace"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_depends_on_orders_the_rollout(runs: dict[str, tuple[MockRun, DesiredGraph]], stack: str) -> None:
    run, graph = runs[stack]
    by_name = {r.name: r for r in run.registrations}
    urn = {r.name: r.urn for r in run.registrations}
    for group in graph.of_kind(Kind.CONTROL_PLANE):
        cp = group.id
        name = (group.cluster or "").split("/")[1]
        if f"{cp}/tenantcontrolplane-{name}" not in urn:  # the earlier form: etcd before the apiserver, as before
            assert urn[f"{cp}/statefulset-etcd"] in by_name[f"{cp}/deployment-kube-apiserver"].dependencies
            continue
        apiserver, etcd = urn[f"{cp}/tenantcontrolplane-{name}"], urn[f"{cp}/statefulset-etcd"]
        datastore = urn[f"{cp}/datastore-cp-{name}-etcd"]
        assert datastore in by_name[f"{cp}/tenantcontrolplane-{name}"].dependencies
        assert etcd in by_name[f"{cp}/datastore-cp-{name}-etcd"].dependencies
        # add-ons, node patches and pool ConfigMaps wait for the whole control plane
        later = [n for n in graph if n.cluster == group.cluster and n.kind in (Kind.HELM_RELEASE, Kind.NODE_PATCH)]
        later += [n for n in graph.manifests("ConfigMap") if n.cluster == group.cluster and "/pools/" in n.id]
        for node in later:
            assert {apiserver, etcd} <= set(by_name[node.id].dependencies), node.id


@pytest.mark.parametrize("stack", STACKS)
def test_providers_and_node_patches(runs: dict[str, tuple[MockRun, DesiredGraph]], stack: str) -> None:
    run, graph = runs[stack]
    by_name = {r.name: r for r in run.registrations}
    management = by_name[f"{graph.region}/management"]
    assert management.inputs["kubeconfig"][SECRET_SIG]  # passed explicitly, as a secret
    assert management.inputs["kubeconfig"]["value"] == FAKE_KUBECONFIG
    for node in graph:
        registration = by_name[node.id]
        if node.kind in GROUP_KINDS or node.kind is Kind.PROVIDER:
            assert registration.provider == ""
            continue
        provider = by_name[node.provider or ""]
        assert registration.provider == f"{provider.urn}::{provider.name}-id", node.id
        assert registration.retain_on_delete is (node.kind is Kind.NODE_PATCH)
        if node.kind is Kind.NODE_PATCH:
            assert node.provider == f"{node.cluster}/provider"
            meta = registration.inputs["metadata"]
            assert meta["name"] == node.props["name"]
            assert meta["annotations"]["pulumi.com/patchForce"] == "true"
    for secret in (r for r in run.registrations if r.read):
        assert secret.type == "kubernetes:core/v1:Secret"
        assert secret.provider.startswith(management.urn)
        customer = by_name[secret.name.removesuffix("/kubeconfig")]
        assert customer.inputs["kubeconfig"]["value"] == FAKE_KUBECONFIG  # decoded from the Secret's data.value


def test_node_patches_exist_in_the_example(runs: dict[str, tuple[MockRun, DesiredGraph]]) -> None:
    """The example snapshot is mid-rollout: the checks above saw real NodePatches, not an empty set."""
    assert any(graph.of_kind(Kind.NODE_PATCH) for _, graph in runs.values())


# ------------------------------------------------------------------ errors


def test_unknown_region_stops_cleanly() -> None:
    config = {**stack_config(ROOT / "stacks" / f"Pulumi.{STACKS[0]}.yaml"), "fleetc:region": "mars-01"}
    with pytest.raises(pulumi.RunError, match="mars-01"):
        run_program(ROOT, "mars-01", config)


def test_fleet_errors_are_logged_each_and_stop_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "__main__.py", project / "__main__.py")
    shutil.copytree(ROOT / "fleet", project / "fleet")
    (project / "examples").mkdir()
    (project / "examples" / "live").symlink_to(ROOT / "examples" / "live")
    tenants = project / "fleet" / "tenants.yaml"
    text = tenants.read_text()
    tenants.write_text(text.replace("approvers:", "aprovers:", 1).replace("- sre-leads@infer-co.example", "- nobody"))
    config = stack_config(ROOT / "stacks" / f"Pulumi.{STACKS[0]}.yaml")
    record = MockRun(STACKS[0])
    monkeypatch.chdir(project)  # Pulumi runs a program in its project directory
    with pytest.raises(pulumi.RunError, match="2 problem"):
        run_program(project, STACKS[0], config, record=record)
    errors = [message for level, message in record.logs if level >= logging.ERROR]
    assert len(errors) == 2
    assert all(message.startswith("fleet/tenants.yaml:") for message in errors), errors
    assert not record.registrations  # nothing was changed


# ------------------------------------------------------------------ stack outputs


@pytest.mark.parametrize("stack", STACKS)
def test_stack_outputs_carry_the_rollout_state(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the program exports: phases and step count as before, plus per-pool counts and blocked reasons."""
    exported: dict[str, Any] = {}
    real_export = pulumi.export

    def record(name: str, value: Any) -> None:
        exported[name] = value
        real_export(name, value)

    monkeypatch.setattr(pulumi, "export", record)
    run_stack(ROOT, stack, {"fleetc:now": NOW})
    assert set(exported) == {"clusters", "steps", "pools", "blocked", "rollout"}
    graph = expected_graph(stack)
    assert set(exported["clusters"]) == set(exported["pools"]) == set(exported["blocked"]) == set(exported["rollout"])
    for facts in exported["rollout"].values():  # what other regions' waves read (fleetc.plan.peers)
        assert set(facts) == {"rolledOut", "healthy", "observed"} and facts["observed"] == NOW
    assert all(cid.startswith(f"{graph.region}/") for cid in exported["clusters"])
    for pools in exported["pools"].values():
        for counts in pools.values():
            assert set(counts) == {"total", "at_target", "unavailable", "busy", "waiting", "max_unavailable"}
            assert 0 <= counts["at_target"] <= counts["total"] and counts["waiting"] <= counts["busy"]
    if stack == "us-east-04":  # the example snapshot's story (tests/cli/test_plan_golden.py)
        gb200 = exported["pools"]["us-east-04/beta-train"]["gb200"]
        assert (gb200["total"], gb200["at_target"], gb200["unavailable"], gb200["waiting"]) == (256, 97, 8, 142)
        assert exported["blocked"]["us-east-04/beta-train"] == {"max-unavailable": 1, "busy": 1}
        assert exported["blocked"]["us-east-04/infer-east"] == {"outside-window": 1}
        assert exported["steps"] == 13


def test_stack_files_hold_no_placeholder_secret() -> None:
    """A `secure:` placeholder is ciphertext Pulumi cannot decrypt: every preview would fail on it."""
    for path in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        assert not [key for key, value in config.items() if isinstance(value, dict) and "secure" in value], path


def test_a_cluster_kubeconfig_with_an_exec_plugin_never_runs_under_pulumi_up(tmp_path: Path) -> None:
    """Hardening 14 on the Pulumi path: the customer provider gets inline credentials only, never code."""
    from harness.pulumi_mocks import FleetMocks

    marker = tmp_path / "ran"
    hostile = (
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
        "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: touch, "
        f"args: ['{marker}']}}}}}}]\n"
    )
    config = stack_config(ROOT / "stacks" / "Pulumi.us-east-04.yaml")
    config["fleetc:now"] = NOW
    record = MockRun("us-east-04")
    with pytest.raises(Exception, match="exec"):
        run_program(ROOT, "us-east-04", config, record=record, mocks=FleetMocks(hostile))
    assert not marker.exists()
