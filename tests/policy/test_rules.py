"""Every rule has a failing case (one thing broken in a good graph) and passing cases.

The good graph passing *every* rule is the shared passing case; edge cases
that must pass (5 etcd members, digests, oci://, exactly 10%) are listed
per rule so a too-eager rule fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from fleetc.compile.graph import DesiredGraph
from fleetc.live.facts import ClusterLive, ControlPlaneFacts, LiveState, NodeFacts, RegionLive
from fleetc.policy import RULES, RULES_BY_ID, Severity, run_rules
from fleetc.versions import Version

from . import graphs as g


def ids(violations: list[Any]) -> list[str]:
    return sorted({v.rule for v in violations})


def only(rule: str, graph: DesiredGraph, **kwargs: Any) -> list[Any]:
    return run_rules(graph, rules=[RULES_BY_ID[rule]], **kwargs)


def test_good_graph_passes_every_rule() -> None:
    assert run_rules(g.good()) == []
    assert run_rules(g.good(gpu=False)) == []


def test_registry_has_at_least_14_rules_with_unique_ids_and_reasons() -> None:
    assert len(RULES) >= 14
    assert len({r.id for r in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.summary and rule.why, rule.id
        assert (rule.node_check is None) != (rule.graph_check is None), rule.id
    assert {r.severity for r in RULES} == {Severity.MANDATORY, Severity.ADVISORY}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A props edit: set a dotted path (list indices as integers)."""

    def change(props: dict[str, Any]) -> None:
        keys: list[str | int] = [int(k) if k.isdigit() else k for k in path.split(".")]
        target: Any = props
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def _del(path: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        keys: list[str | int] = [int(k) if k.isdigit() else k for k in path.split(".")]
        target: Any = props
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return change


TEMPLATE = "spec.template.spec"
RELEASE = f"{g.CID}/addons/cilium"

# (rule, node to break, how) -- each must produce exactly that rule's violation.
CLUSTER_CONFIG = f"{g.CID}/control-plane/configmap-fleetc-cluster"
FAILING: list[tuple[str, str, Callable[[dict[str, Any]], None]]] = [
    ("disruptive-addon-unmarked", CLUSTER_CONFIG, _set("data.disruptiveAddons", '["cilium"]')),
    ("disruptive-addon-unmarked", CLUSTER_CONFIG, _set("data.disruptiveAddons", "not json")),
    ("cp-ha-apiservers", g.APISERVER, _set("spec.replicas", 2)),
    ("cp-ha-apiservers", g.APISERVER, _del("spec.replicas")),
    ("etcd-quorum", g.ETCD, _set("spec.replicas", 1)),
    ("etcd-quorum", g.ETCD, _set("spec.replicas", 4)),
    ("etcd-quorum", g.ETCD, _set("spec.replicas", 7)),
    ("etcd-spread", g.ETCD, _del(f"{TEMPLATE}.topologySpreadConstraints")),
    ("etcd-spread", g.ETCD, _set(f"{TEMPLATE}.topologySpreadConstraints.0.whenUnsatisfiable", "ScheduleAnyway")),
    ("etcd-spread", g.ETCD, _set(f"{TEMPLATE}.topologySpreadConstraints.0.topologyKey", "kubernetes.io/hostname")),
    ("etcd-storage", g.ETCD, _set("spec.volumeClaimTemplates.0.spec.resources.requests.storage", "16Gi")),
    ("etcd-storage", g.ETCD, _set("spec.volumeClaimTemplates.0.spec.resources.requests.storage", "30G")),
    ("etcd-storage", g.ETCD, _del("spec.volumeClaimTemplates")),
    ("apiserver-rolling", g.APISERVER, _set("spec.strategy.rollingUpdate.maxUnavailable", 1)),
    ("apiserver-rolling", g.APISERVER, _set("spec.strategy", {"type": "Recreate"})),
    ("apiserver-rolling", g.APISERVER, _del("spec.strategy")),
    ("cp-resources", g.APISERVER, _del(f"{TEMPLATE}.containers.0.resources")),
    ("cp-resources", g.ETCD, _set(f"{TEMPLATE}.containers.0.resources.requests", {"cpu": "1"})),
    ("cp-pdb", g.ETCD_PDB, _set("spec.selector.matchLabels", {"app": "other"})),
    ("cp-pdb", g.ETCD_PDB, _set("spec", {"selector": {"matchLabels": {"app": "etcd"}}, "maxUnavailable": 2})),
    ("cp-pdb", g.ETCD_PDB, _set("spec", {"selector": {"matchLabels": {"app": "etcd"}}, "minAvailable": 1})),
    ("cp-pdb", g.ETCD_PDB, _set("spec.selector", {})),
    ("image-pinned", g.APISERVER, _set(f"{TEMPLATE}.containers.0.image", "registry.k8s.io/kube-apiserver:latest")),
    ("image-pinned", g.APISERVER, _set(f"{TEMPLATE}.containers.0.image", "registry.k8s.io/kube-apiserver")),
    ("image-pinned", g.ETCD, _set(f"{TEMPLATE}.initContainers", [{"name": "init", "image": "busybox"}])),
    ("image-pinned", RELEASE, _set("values", {"operator": {"image": {"repository": "x", "tag": "latest"}}})),
    ("image-pinned", RELEASE, _set("values", {"sidecars": [{"image": "reg:5000/x/y:latest"}]})),
    ("chart-pinned", RELEASE, _set("version", "^1.2.0")),
    ("chart-pinned", RELEASE, _set("version", "~1")),
    ("chart-pinned", RELEASE, _set("version", ">=1.2.0")),
    ("chart-pinned", RELEASE, _set("version", "*")),
    ("chart-pinned", RELEASE, _set("version", "1.2.x")),
    ("chart-pinned", RELEASE, _set("version", "1.2")),
    ("chart-pinned", RELEASE, _set("version", "latest")),
    ("chart-pinned", RELEASE, _set("version", "")),
    ("chart-pinned", RELEASE, _del("version")),
    ("helm-repo-https", RELEASE, _set("repository", "http://charts.example")),
    ("helm-repo-https", RELEASE, _set("repository", "")),
    ("addon-namespace", RELEASE, _set("namespace", "default")),
    ("addon-namespace", RELEASE, _set("namespace", "")),
    ("addon-namespace", g.CLUSTER_CM, _set("metadata.namespace", "default")),
    ("gpu-pool-max-unavailable", g.POOL_CM, _set("data.maxUnavailableNodes", "11")),
    ("gpu-pool-spread", g.POOL_CM, _set("data.failureDomains", json.dumps(["a"]))),
    ("upgrade-window-automatic", g.CLUSTER_CM, lambda p: p["data"].update(approval="automatic", window="")),
    ("upgrade-window-gpu", g.CLUSTER_CM, _set("data.window", "")),
    (
        "upgrade-approval-required",
        g.CLUSTER_CM,
        lambda p: p["data"].update(approval="automatic", window="", gpu="false"),
    ),
    ("region-failure-domains", g.REGION, _set("failureDomains", ["a", "b"])),
]


@pytest.mark.parametrize(
    ("rule", "node_id", "change"), FAILING, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(FAILING)]
)
def test_rule_fails(rule: str, node_id: str, change: Callable[[dict[str, Any]], None]) -> None:
    graph = g.edit(g.good(), node_id, change)
    found = run_rules(graph)
    assert rule in ids(found), found
    # the rule under test fires, with its message saying how to fix it
    mine = [v for v in found if v.rule == rule]
    assert all(v.severity is RULES_BY_ID[rule].severity for v in mine)
    assert all(":" in v.message and len(v.message) > 40 for v in mine)


PASSING: list[tuple[str, str, Callable[[dict[str, Any]], None]]] = [
    ("cp-ha-apiservers", g.APISERVER, _set("spec.replicas", 5.0)),  # engine form: floats
    ("etcd-quorum", g.ETCD, _set("spec.replicas", 5)),
    ("etcd-quorum", g.ETCD, _set("spec.replicas", 3.0)),
    (
        "etcd-spread",
        g.ETCD,
        lambda p: p["spec"]["template"]["spec"].update(
            topologySpreadConstraints=[],
            affinity={
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "topologyKey": "topology.kubernetes.io/zone",
                            "labelSelector": {"matchLabels": {"app": "etcd"}},
                        }
                    ]
                }
            },
        ),
    ),
    ("etcd-spread", g.ETCD, _set("spec.replicas", 5)),  # spread constraint: fine with 5 over 3 domains
    ("etcd-storage", g.ETCD, _set("spec.volumeClaimTemplates.0.spec.resources.requests.storage", "32Gi")),
    ("etcd-storage", g.ETCD, _set("spec.volumeClaimTemplates.0.spec.resources.requests.storage", "0.5Ti")),
    (
        "apiserver-rolling",
        g.APISERVER,
        _set("spec.strategy.rollingUpdate", {"maxUnavailable": "0%", "maxSurge": "34%"}),
    ),
    ("image-pinned", g.APISERVER, _set(f"{TEMPLATE}.containers.0.image", "reg:5000/apiserver@sha256:" + "a" * 64)),
    ("image-pinned", g.APISERVER, _set(f"{TEMPLATE}.containers.0.image", "reg:5000/kube-apiserver:v1.31.2")),
    ("image-pinned", RELEASE, _set("values", {"image": {"tag": ""}, "latestThing": "latest"})),
    ("chart-pinned", RELEASE, _set("version", "v24.9.0")),
    ("chart-pinned", RELEASE, _set("version", "1.0.0-rc.1+build.5")),
    ("helm-repo-https", RELEASE, _set("repository", "oci://registry.example/charts")),
    ("gpu-pool-max-unavailable", g.POOL_CM, _set("data.maxUnavailableNodes", "10")),  # exactly 10% of 100
    ("gpu-pool-max-unavailable", g.POOL_CM, lambda p: p["data"].update(count="4", maxUnavailableNodes="1")),
    ("gpu-pool-spread", g.POOL_CM, lambda p: p["data"].update(count="16", failureDomains='["a"]')),
    ("gpu-pool-spread", g.POOL_CM, _set("data.failureDomains", "[]")),  # empty: all of the region's
    ("upgrade-window-automatic", g.CLUSTER_CM, _set("data.approval", "automatic")),  # has a window
    (
        "upgrade-approval-required",
        g.CLUSTER_CM,
        lambda p: p["data"].update(approval="required", window="", gpu="false"),
    ),
]


@pytest.mark.parametrize(
    ("rule", "node_id", "change"), PASSING, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(PASSING)]
)
def test_rule_passes(rule: str, node_id: str, change: Callable[[dict[str, Any]], None]) -> None:
    graph = g.edit(g.good(), node_id, change)
    assert only(rule, graph) == []


def test_every_rule_has_a_failing_case() -> None:
    covered = {rule for rule, _, _ in FAILING} | {
        "cp-pdb",
        "gpu-addons",
        "kubelet-skew",
        "kubelet-skew-live",
        "cp-one-minor-step",
        "etcd-spread",
        "cp-encryption-at-rest",  # TenantControlPlanes: test_control_plane_rules_read_the_tenant_control_plane
        "cp-audit-log",
        "first-wave-small",  # a fleet rule: tests/policy/test_rollout_rules.py
    }
    assert covered >= set(RULES_BY_ID)


def test_etcd_preferred_anti_affinity_is_not_enough() -> None:
    """Best-effort zone spreading (what a scheduler may ignore) fails; hostname-only fails too."""
    zone = {"topologyKey": "topology.kubernetes.io/zone", "labelSelector": {"matchLabels": {"app": "etcd"}}}
    host = {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "etcd"}}}
    anti = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [host],
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": zone}],
        }
    }

    def change(props: dict[str, Any]) -> None:
        props["spec"]["replicas"] = 5
        props["spec"]["template"]["spec"].update(topologySpreadConstraints=[], affinity=anti)

    found = only("etcd-spread", g.edit(g.good(), g.ETCD, change))
    assert len(found) == 1 and "topologySpreadConstraint" in found[0].message


def test_cp_pdb_missing_budget() -> None:
    graph = g.drop(g.good(), f"{g.CID}/control-plane/poddisruptionbudget-kube-scheduler")
    found = only("cp-pdb", graph)
    assert [v.node_id for v in found] == [f"{g.CID}/control-plane/deployment-kube-scheduler"]


@pytest.mark.parametrize("missing", ["gpu-operator", "node-feature-discovery", "node-problem-detector"])
def test_gpu_addons(missing: str) -> None:
    graph = g.drop(g.good(), f"{g.CID}/addons/{missing}")
    found = only("gpu-addons", graph)
    assert len(found) == 1 and missing in found[0].message
    assert only("gpu-addons", g.drop(g.good(gpu=False), f"{g.CID}/addons/cilium")) == []


def test_gpu_addons_waits_for_a_cluster_created_in_this_step() -> None:
    """A new cluster has no API yet (no provider, no add-on group): its add-ons come next run."""
    releases = [n.id for n in g.good() if n.kind.value == "HelmRelease"]
    graph = g.drop(g.good(), *releases, f"{g.CID}/addons", f"{g.CID}/provider")
    assert only("gpu-addons", graph) == []
    with_group = g.drop(g.good(), *releases)  # the cluster's API exists and its bundle is empty: judged
    assert len(only("gpu-addons", with_group)) == 1


def test_kept_live_apiserver_version_is_not_judged() -> None:
    def keep(props: dict[str, Any]) -> None:
        props["metadata"]["annotations"]["fleetc.dev/keep-live"] = "spec"

    graph = g.edit(g.good(apiserver="1.28.0"), g.APISERVER, keep)
    assert only("cp-one-minor-step", graph, live=_live({}, apiserver="1.31.2")) == []
    assert len(only("cp-one-minor-step", g.good(apiserver="1.28.0"), live=_live({}, apiserver="1.31.2"))) == 1


def test_gpu_addons_matches_chart_not_release_name() -> None:
    def rename(props: dict[str, Any]) -> None:
        props["name"] = "nvidia"
        props["chart"] = "gpu-operator"

    assert only("gpu-addons", g.edit(g.good(), f"{g.CID}/addons/gpu-operator", rename)) == []


def test_kubelet_skew_reimage_newer_than_apiserver() -> None:
    graph = g.add_node_patch(g.good(apiserver="1.30.6"), "gpu-001")  # pool kubelet 1.31.2
    found = only("kubelet-skew", graph)
    assert len(found) == 1 and "newer than the apiserver 1.30.6" in found[0].message
    assert only("kubelet-skew", g.add_node_patch(g.good(), "gpu-001")) == []  # same version: fine
    # a pool four minors behind its apiserver
    behind = g.add_node_patch(g.good(pool={"kubernetes": "1.27.3"}), "gpu-001")
    assert "4 minors behind" in only("kubelet-skew", behind)[0].message


def test_kubelet_skew_reimage_while_the_pool_is_held() -> None:
    """The compiler holds a pool's target (keep-live) until the control plane is there: no reimage then."""

    def hold(props: dict[str, Any]) -> None:
        props["data"].update(image="", kubernetes="")
        props["metadata"]["annotations"]["fleetc.dev/keep-live"] = "data.image,data.kubernetes"

    held = g.edit(g.good(), g.POOL_CM, hold)
    assert only("kubelet-skew", held) == []
    found = only("kubelet-skew", g.add_node_patch(held, "gpu-001"))
    assert len(found) == 1 and "held back" in found[0].message


def _live(kubelets: dict[str, str], apiserver: str = g.K8S) -> LiveState:
    nodes = tuple(
        NodeFacts(name, "gpu", "a", Version.parse(v), "img", True, False, False) for name, v in kubelets.items()
    )
    cp = ControlPlaneFacts(Version.parse(apiserver), True, 3, Version.parse("3.5.16"), True)
    cluster = ClusterLive(g.CID, True, cp, nodes)
    return LiveState({g.REGION: RegionLive(g.REGION, {g.CLUSTER: cluster})})


def test_kubelet_skew_live_needs_live_and_judges_it() -> None:
    graph = g.good(apiserver="1.31.2")
    assert only("kubelet-skew-live", graph) == []  # not evaluated without live state
    ok = _live({"n1": "1.28.0", "n2": "1.31.2"}, apiserver="1.30.6")
    assert only("kubelet-skew-live", graph, live=ok) == []
    bad = _live({"n1": "1.27.9", "n2": "1.31.2"}, apiserver="1.30.6")
    found = only("kubelet-skew-live", graph, live=bad)
    assert len(found) == 1 and "n1" in found[0].message and "4 minors behind" in found[0].message
    newer = _live({"n1": "1.32.0"}, apiserver="1.31.2")
    assert "newer than the apiserver" in only("kubelet-skew-live", graph, live=newer)[0].message


def test_cp_one_minor_step() -> None:
    graph = g.good(apiserver="1.31.2")
    assert only("cp-one-minor-step", graph) == []  # needs live
    assert only("cp-one-minor-step", graph, live=_live({}, apiserver="1.30.6")) == []
    skip = only("cp-one-minor-step", graph, live=_live({}, apiserver="1.29.10"))
    assert len(skip) == 1 and "skips 1 minor" in skip[0].message
    down = only("cp-one-minor-step", g.good(apiserver="1.30.6"), live=_live({}, apiserver="1.31.2"))
    assert len(down) == 1 and "downgrades" in down[0].message


def test_violations_are_sorted_by_location_and_rendered() -> None:
    graph = g.edit(g.good(), g.APISERVER, _set("spec.replicas", 1))
    graph = g.edit(graph, RELEASE, _set("version", "^1"))
    found = run_rules(graph)
    assert found == sorted(found, key=lambda v: v.sort_key())
    line = str(next(v for v in found if v.rule == "cp-ha-apiservers"))
    assert line.startswith(f"{g.SRC}: [mandatory] cp-ha-apiservers: {g.CID}: kube-apiserver runs 1 replicas")


def test_control_plane_rules_read_the_tenant_control_plane() -> None:
    """The compiler's Kamaji form: the same rules judge the TenantControlPlane's replicas, resources, flags, PDB."""
    from datetime import UTC, datetime

    from fleetc.compile import compile_region
    from fleetc.policy.runner import run_rules
    from tests.compile.plans import example_spec, make_plan, with_cluster

    spec = example_spec()
    cluster = spec.cluster("us-east-04/alpha-train")
    assert cluster is not None
    api = cluster.control_plane.api_server.model_copy(update={"audit": False, "encryption_at_rest": False})
    weak = with_cluster(
        spec,
        "us-east-04",
        "alpha-train",
        control_plane=cluster.control_plane.model_copy(update={"replicas": 1, "api_server": api}),
    )
    graph = compile_region(weak, make_plan(weak, "us-east-04"), "us-east-04", datetime(2026, 11, 25, tzinfo=UTC))
    graph = g.drop(graph, "us-east-04/alpha-train/control-plane/poddisruptionbudget-alpha-train-control-plane")
    found = {(v.rule, v.subject) for v in run_rules(graph, spec=weak)}
    for rule in ("cp-ha-apiservers", "cp-encryption-at-rest", "cp-audit-log", "cp-pdb"):
        assert (rule, "us-east-04/alpha-train") in found, rule
    assert not {rule for rule, subject in found if subject == "us-east-04/beta-train" and rule.startswith("cp-")}
