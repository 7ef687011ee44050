"""The management cluster's batteries (fleetc.compile.management) and the options that turn them off."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from fleetc import conventions
from fleetc.compile import compile_region, ids
from fleetc.compile.graph import Kind
from fleetc.compile.management import (
    ManagementOptions,
    battery,
    compile_management,
    control_plane_deps,
    management_options,
)
from fleetc.compile.monitoring import MONITORING_API
from fleetc.compile.props import HelmReleaseProps
from fleetc.spec.fleet import FleetSpec

from .plans import example_spec, make_plan

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
REGION = "us-east-04"
ALL_OPTIONS = [ManagementOptions(*flags) for flags in itertools.product((True, False), repeat=3)]


@pytest.fixture(scope="module")
def spec() -> FleetSpec:
    return example_spec()


def test_defaults_install_both_and_kamaji_waits_for_cert_manager() -> None:
    nodes = {n.id: n for n in compile_management(REGION, ManagementOptions())}
    cert_manager, kamaji = nodes[battery(REGION, "cert-manager")], nodes[battery(REGION, "kamaji")]
    for node in (cert_manager, kamaji):
        assert node.kind is Kind.HELM_RELEASE
        assert node.provider == ids.management_provider(REGION) and node.parent == REGION and node.cluster is None
    assert kamaji.deps == (cert_manager.id,) and cert_manager.deps == ()
    cm = cert_manager.typed(HelmReleaseProps)
    assert (cm.chart, cm.repository, cm.version, cm.namespace) == (
        "cert-manager",
        "https://charts.jetstack.io",
        "v1.16.2",  # the release of the CRDs the schema tests validate against
        "cert-manager",
    )
    assert cm.helm_values == {"crds": {"enabled": True}}
    k = kamaji.typed(HelmReleaseProps)
    assert (k.chart, k.repository, k.version, k.namespace) == (
        "kamaji",
        "https://clastix.github.io/charts",
        "0.0.0+latest",
        "kamaji-system",
    )
    assert k.helm_values["image"] == {"tag": "26.8.2-edge", "pullPolicy": "IfNotPresent"}
    assert k.helm_values["kamaji-etcd"] == {"deploy": False}  # each cluster has its own etcd DataStore
    assert k.helm_values["defaultDatastoreName"] == ""


@pytest.mark.parametrize("options", ALL_OPTIONS, ids=repr)
def test_each_option_adds_or_removes_exactly_its_battery(spec: FleetSpec, options: ManagementOptions) -> None:
    graph = compile_region(spec, make_plan(spec, REGION), REGION, NOW, options)  # graph.add checks every dep exists
    ids_ = set(graph.nodes)
    assert (battery(REGION, "cert-manager") in ids_) is options.cert_manager
    assert (battery(REGION, "kamaji") in ids_) is options.kamaji
    kamaji_monitor = ids.manifest(ids.batteries(REGION), "ServiceMonitor", "kamaji")
    assert (kamaji_monitor in ids_) is (options.kamaji and options.monitoring)
    monitors = [n for n in graph.manifests() if n.props["apiVersion"] == MONITORING_API and n.cluster is not None]
    assert bool(monitors) is options.monitoring
    if options.kamaji:
        expected = (battery(REGION, "cert-manager"),) if options.cert_manager else ()
        assert graph.nodes[battery(REGION, "kamaji")].deps == expected
    assert set(control_plane_deps(REGION, options)) <= ids_


def test_batteries_come_right_after_the_management_provider(spec: FleetSpec) -> None:
    order = list(compile_region(spec, make_plan(spec, REGION), REGION, NOW).nodes)
    provider = order.index(ids.management_provider(REGION))
    assert order[provider + 1 : provider + 4] == [
        battery(REGION, "cert-manager"),
        battery(REGION, "kamaji"),
        ids.manifest(ids.batteries(REGION), "ServiceMonitor", "kamaji"),
    ]


def test_kamaji_controller_monitor_is_labelled_for_kube_prometheus_stack() -> None:
    nodes = {n.id: n for n in compile_management(REGION, ManagementOptions())}
    monitor = nodes[ids.manifest(ids.batteries(REGION), "ServiceMonitor", "kamaji")]
    assert monitor.deps == (battery(REGION, "kamaji"),)
    labels = monitor.props["metadata"]["labels"]
    assert conventions.PROMETHEUS_SELECTOR_LABELS.items() <= labels.items()
    assert monitor.props["metadata"]["namespace"] == "kamaji-system"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ManagementOptions()),
        ({}, ManagementOptions()),
        ({"kamaji": False}, ManagementOptions(kamaji=False)),
        ({"certManager": False, "monitoring": False}, ManagementOptions(cert_manager=False, monitoring=False)),
    ],
)
def test_options_from_config(value: object, expected: ManagementOptions) -> None:
    assert management_options(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (False, "fleetc:management must be an object {kamaji: true|false, certManager: true|false"),
        (["kamaji"], "fleetc:management must be an object"),
        ({"certmanager": False}, "fleetc:management: unknown key(s) certmanager; the keys are kamaji, certManager"),
        ({"kamaji": "false"}, "fleetc:management.kamaji must be true or false, not 'false'"),
        ({"monitoring": 0}, "fleetc:management.monitoring must be true or false"),
    ],
)
def test_wrong_config_says_what_and_how(value: object, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        management_options(value)
    assert str(raised.value).startswith(message)
