"""The control-plane monitors and the management batteries against the vendored CRDs, for any cluster name.

``test_current_outputs`` already checks the example fleet's objects; these draw cluster names, cover
every option combination of the batteries (the Flux objects of ``fleetc render`` included), and show
the check can fail on these very objects.
"""

from __future__ import annotations

import copy
import itertools

import pytest
from compile.plans import FakeCluster, FakeContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetc.compile import ids
from fleetc.compile.graph import DesiredGraph, Kind, Node
from fleetc.compile.management import ManagementOptions, compile_management
from fleetc.compile.monitoring import control_plane_monitors
from fleetc.compile.objects import kube_object
from fleetc.compile.props import MANAGEMENT_CLUSTER, ProviderProps, RegionProps
from fleetc.render.layout import render_graph
from schemas.validate import SchemaStore

REGION = "r1"


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.from_regex(r"\A[a-z]([-a-z0-9]{0,30}[a-z0-9])?\Z"))
def test_monitors_validate_for_any_cluster_name(store: SchemaStore, name: str) -> None:
    for obj in control_plane_monitors(FakeContext(REGION, FakeCluster(name))):  # type: ignore[arg-type]
        assert store.validate(obj, require_namespace=True) == [], obj["kind"]


def test_a_broken_monitor_is_caught(store: SchemaStore) -> None:
    service_monitor, _, pod_monitor, rule = control_plane_monitors(FakeContext(REGION, FakeCluster("a")))  # type: ignore[arg-type]
    broken = copy.deepcopy(service_monitor)
    broken["spec"]["endpoints"][0]["scheme"] = "grpc"
    assert store.validate(broken) == [
        "ServiceMonitor/etcd: $.spec.endpoints[0].scheme: 'grpc' is not one of ['http', 'https']"
    ]
    broken = copy.deepcopy(pod_monitor)
    broken["spec"]["podMetricsEndpoints"] = {"port": "adminport"}
    (error,) = store.validate(broken)
    assert "$.spec.podMetricsEndpoints: " in error and "is not of type 'array'" in error
    broken = copy.deepcopy(rule)
    broken["spec"]["groups"][0]["rules"][0].pop("expr")
    assert store.validate(broken) == [
        "PrometheusRule/control-plane: $.spec.groups[0].rules[0].expr: required field is missing"
    ]


def _region_graph(options: ManagementOptions) -> DesiredGraph:
    graph = DesiredGraph(REGION)
    graph.add(Node(id=REGION, kind=Kind.REGION, props=RegionProps(REGION, [], [])))
    graph.add(
        Node(
            id=ids.management_provider(REGION),
            kind=Kind.PROVIDER,
            props=ProviderProps(MANAGEMENT_CLUSTER, REGION),
            parent=REGION,
        )
    )
    for node in compile_management(REGION, options):
        graph.add(node)
    return graph


@pytest.mark.parametrize(
    "options", [ManagementOptions(*flags) for flags in itertools.product((True, False), repeat=3)], ids=repr
)
def test_batteries_and_their_flux_objects_validate(store: SchemaStore, options: ManagementOptions) -> None:
    graph = _region_graph(options)
    for node in graph.manifests():
        assert store.validate(kube_object(node), require_namespace=True) == [], node.id
    files = render_graph(graph)
    assert [str(f.path) for f in files] == sorted(
        f"{REGION}/_management/{leaf}"
        for leaf, present in (
            ("helmrelease-cert-manager.yaml", options.cert_manager),
            ("helmrelease-kamaji.yaml", options.kamaji),
            ("servicemonitor-kamaji.yaml", options.kamaji and options.monitoring),
        )
        if present
    )
    for item in files:
        for document in item.documents:
            assert store.validate(document, require_namespace=True) == [], item.path
    releases = {d["metadata"]["name"]: d for f in files for d in f.documents if d["kind"] == "HelmRelease"}
    if options.kamaji:
        depends = releases["kamaji"]["spec"].get("dependsOn")
        assert depends == ([{"name": "cert-manager", "namespace": "flux-system"}] if options.cert_manager else None)
    for release in releases.values():
        assert "kubeConfig" not in release["spec"]  # the cluster Flux itself runs in
