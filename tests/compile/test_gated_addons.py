"""The compiler keeps what a gate holds exactly as applied, records the revision, installs add-ons in order."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from plan.builders import NOW
from plan.rollouts import (
    GPU_OPERATOR,
    METRICS,
    NEW_GPU,
    OLD_GPU,
    addon,
    addon_approval,
    fleet,
    member,
    record,
    settled,
    state,
)

from fleetc.compile import compile_region
from fleetc.compile.addon_order import addon_dependencies, install_order
from fleetc.compile.context import ClusterContext
from fleetc.compile.graph import DesiredGraph, Kind
from fleetc.compile.objects import keep_live_paths
from fleetc.compile.props import HelmReleaseProps
from fleetc.live.facts import AppliedRecord
from fleetc.plan.planner import plan
from fleetc.render import render_graph
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import Addon

CID = "r1/c1"


def compiled(spec: FleetSpec, rec: AppliedRecord, approvals: list[Any] | None = None) -> DesiredGraph:
    return compile_region(spec, plan(spec, state(settled(CID, rec)), approvals or [], NOW), "r1", NOW)


def releases(graph: DesiredGraph) -> dict[str, HelmReleaseProps]:
    """The customer clusters' releases (not the management cluster's batteries)."""
    return {n.name: n.typed(HelmReleaseProps) for n in graph.of_kind(Kind.HELM_RELEASE) if n.cluster is not None}


def config(graph: DesiredGraph) -> dict[str, Any]:
    [node] = [n for n in graph.manifests("ConfigMap") if n.props["metadata"]["name"] == "fleetc-cluster"]
    return {"data": node.props["data"], "keep": keep_live_paths(node)}


def test_a_held_disruptive_addon_keeps_its_applied_version_and_values_and_the_record_says_so() -> None:
    spec = fleet({"r1": [member("c1", approval="required")]})
    graph = compiled(spec, record(spec, CID, {GPU_OPERATOR: OLD_GPU}))
    held = releases(graph)[GPU_OPERATOR]
    assert held.version == OLD_GPU and held.keep_live == ("version", "values")
    assert releases(graph)[METRICS].keep_live == ()
    data = config(graph)["data"]
    assert json.loads(data["addons"])[GPU_OPERATOR] == OLD_GPU
    assert json.loads(data["disruptiveAddons"]) == [GPU_OPERATOR]


def test_an_approved_addon_moves_and_is_recorded_at_its_new_version() -> None:
    spec = fleet({"r1": [member("c1", approval="required")]})
    graph = compiled(spec, record(spec, CID, {GPU_OPERATOR: OLD_GPU}), [addon_approval(CID)])
    moved = releases(graph)[GPU_OPERATOR]
    assert moved.version == NEW_GPU and moved.keep_live == ()
    assert json.loads(config(graph)["data"]["addons"])[GPU_OPERATOR] == NEW_GPU


def test_a_held_addon_not_installed_yet_is_left_out_and_an_unknown_record_keeps_everything_live() -> None:
    spec = fleet({"r1": [member("c1", paused=True)]})
    rec = record(spec, CID)
    assert rec.addons is not None and rec.addon_values is not None
    without_metrics = replace(
        rec,
        addons={GPU_OPERATOR: rec.addons[GPU_OPERATOR]},
        addon_values={GPU_OPERATOR: rec.addon_values[GPU_OPERATOR]},
    )
    graph = compiled(spec, without_metrics)
    assert set(releases(graph)) == {GPU_OPERATOR}  # installing metrics-server is the change the pause holds
    unknown = compiled(spec, replace(rec, unknown={"addons": "data.addons is not JSON"}))
    assert all(r.keep_live == ("version", "values") for r in releases(unknown).values())
    kept = config(unknown)
    assert "addons" not in kept["data"] and "data.addons" in kept["keep"] and "data.addonValues" in kept["keep"]


def test_the_record_keeps_rolled_out_unchanged_once_written() -> None:
    spec = fleet({"r1": [member("c1")]})
    first = config(compiled(spec, record(spec, CID)))["data"]["rolledOut"]
    at = json.loads(first)["at"]
    rec = record(spec, CID, rolled_at=NOW.replace(hour=1))
    again = json.loads(config(compiled(spec, rec))["data"]["rolledOut"])
    assert at == "2024-12-11T15:00:00Z" and again["at"] == "2024-12-11T01:00:00Z"  # kept, never churned


def test_config_may_change_only_when_the_plan_lets_the_settings_go() -> None:
    spec = fleet({"r1": [member("c1", paused=True)]})
    rec = record(spec, CID)
    graph_plan = plan(spec, state(settled(CID, replace(rec, control_plane="0ld"))), [], NOW)
    cluster = spec.cluster(CID)
    assert cluster is not None
    held = ClusterContext(spec, spec.regions["r1"], cluster, graph_plan.clusters[CID], (), False, NOW)
    assert held.config_may_change is False
    free = plan(spec, state(settled(CID, rec)), [], NOW)
    assert ClusterContext(spec, spec.regions["r1"], cluster, free.clusters[CID], (), False, NOW).config_may_change


def order_addons() -> list[Addon]:
    raw = [
        addon("metallb", "0.14.8", prometheus={"serviceMonitor": {"enabled": True}}),
        addon("cert-manager", "v1.16.2", prometheus={"servicemonitor": {"enabled": True}}),
        addon("kube-prometheus-stack", "66.2.1"),
        addon("cilium", "1.16.3", prometheus={"serviceMonitor": {"enabled": True}}),
        addon("issuer-user", "1.0.0", certManager={"enabled": True}),
        addon("plain", "1.0.0"),
    ]
    return [Addon.model_validate(a) for a in raw]


def test_the_cni_goes_first_and_crd_providers_before_the_addons_that_use_them() -> None:
    addons = order_addons()
    deps = addon_dependencies(addons)
    assert deps["cilium"] == ()  # first, whatever its values say
    assert deps["metallb"] == ("kube-prometheus-stack", "cilium")
    assert deps["cert-manager"] == ("kube-prometheus-stack", "cilium")
    assert deps["issuer-user"] == ("cert-manager", "cilium")
    assert deps["plain"] == ("cilium",)
    order = [a.name for a in install_order(addons, deps)]
    assert order.index("cilium") == 0
    assert order.index("kube-prometheus-stack") < order.index("metallb")
    assert order.index("cert-manager") < order.index("issuer-user")


def test_providers_that_would_need_each_other_are_left_unordered() -> None:
    raw = [
        addon("kube-prometheus-stack", "66.2.1", admissionWebhooks={"certManager": {"enabled": True}}),
        addon("cert-manager", "v1.16.2", prometheus={"servicemonitor": {"enabled": True}}),
    ]
    deps = addon_dependencies([Addon.model_validate(a) for a in raw])
    assert deps == {"kube-prometheus-stack": (), "cert-manager": ()}


def test_the_example_fleet_installs_cilium_first_with_the_endpoint_and_flux_follows_the_same_order(
    tmp_path: Path,
) -> None:
    from fleetc.live.read import read_live
    from fleetc.repo.approvals import counted_approvals
    from fleetc.spec.loader import load_fleet

    root = Path(__file__).resolve().parents[2]
    spec = load_fleet(root / "fleet")
    live = read_live(str(root / "examples/live"), spec.region_clusters(), spec.label_prefix)
    approvals, _ = counted_approvals(spec)
    graph = compile_region(spec, plan(spec, live, approvals, NOW), "us-east-04", NOW)
    cilium = graph.nodes["us-east-04/alpha-train/addons/cilium"]
    values = cilium.typed(HelmReleaseProps).helm_values
    assert (values["k8sServiceHost"], values["k8sServicePort"]) == ("10.20.0.15", 6443)
    metallb = graph.nodes["us-east-04/alpha-train/addons/metallb"]
    assert "us-east-04/alpha-train/addons/kube-prometheus-stack" in metallb.deps
    assert all("us-east-04/alpha-train/addons/cilium" in n.deps for n in graph.of_kind(Kind.HELM_RELEASE)
               if n.cluster == "us-east-04/alpha-train" and n.name != "cilium")  # fmt: skip
    order = [n.id for n in graph]
    assert order.index(cilium.id) < order.index(metallb.id)
    files = {f.path.name: f for f in render_graph(graph) if f.path.parts[1] == "alpha-train"}
    release = files["helmrelease-metallb.yaml"].documents[1]
    assert {"name": "kube-prometheus-stack", "namespace": "cp-alpha-train"} in release["spec"]["dependsOn"]
    assert {"name": "cilium", "namespace": "cp-alpha-train"} in release["spec"]["dependsOn"]
    assert "dependsOn" not in files["helmrelease-cilium.yaml"].documents[1]["spec"]
    mlb_values = release["spec"]["values"]["prometheus"]  # MetalLB 0.14.8 renders a ServiceMonitor only so
    assert mlb_values["serviceAccount"] and mlb_values["namespace"] == "monitoring"
