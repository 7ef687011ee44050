"""compile_region: ids, versions from the plan, dependencies, anti-affinity, flags, keep-live, node patches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fleetc.compile import compile_region
from fleetc.compile.graph import DesiredGraph, Kind, Node
from fleetc.compile.objects import KEEP_LIVE
from fleetc.plan.model import Action, Plan, Step
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import CheckpointRequest

from .plans import behind, example_spec, make_plan, node_step, not_ready, with_cluster

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
ALPHA = "us-east-04/alpha-train"
BETA = "us-east-04/beta-train"


@pytest.fixture(scope="module")
def spec() -> FleetSpec:
    return example_spec()


def container(graph: DesiredGraph, node_id: str) -> dict[str, Any]:
    node = graph.nodes[node_id]
    containers = node.props["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result


def cp_id(cid: str, leaf: str) -> str:
    return f"{cid}/control-plane/{leaf}"


# ------------------------------------------------------------------ ids and determinism


def test_ids_follow_conventions(spec: FleetSpec) -> None:
    graph = compile_region(spec, make_plan(spec, "us-east-04"), "us-east-04", NOW)
    ids = set(graph.nodes)
    assert {"us-east-04", "us-east-04/management", f"{ALPHA}/provider", f"{ALPHA}/control-plane"} <= ids
    for leaf in (
        "namespace-cp-alpha-train",
        "configmap-fleetc-cluster",
        "statefulset-etcd",
        "service-etcd",
        "poddisruptionbudget-etcd",
        "datastore-cp-alpha-train-etcd",
        "tenantcontrolplane-alpha-train",
        "poddisruptionbudget-alpha-train-control-plane",
    ):
        assert cp_id(ALPHA, leaf) in ids
    assert f"{ALPHA}/addons/cilium" in ids
    assert f"{ALPHA}/addons/network-operator" in ids  # an extra add-on, when: gpu
    assert f"{ALPHA}/pools/h100/configmap-nodepool-h100" in ids


def test_ids_do_not_depend_on_versions_or_phase(spec: FleetSpec) -> None:
    """A Pulumi name is derived from the id: a version bump must update resources, never rename them."""
    steady = compile_region(spec, make_plan(spec, "us-east-04"), "us-east-04", NOW)
    older = make_plan(spec, "us-east-04", overrides={ALPHA: behind(spec, ALPHA), BETA: {"phase": "control-plane"}})
    moving = compile_region(spec, older, "us-east-04", NOW)
    assert list(steady.nodes) == list(moving.nodes)


def test_compile_is_deterministic(spec: FleetSpec) -> None:
    plan = make_plan(spec, "us-east-04", steps=(node_step(BETA, Action.REIMAGE, "n1", "gb200", "img"),))
    first = compile_region(spec, plan, "us-east-04", NOW)
    second = compile_region(spec, plan, "us-east-04", NOW)
    assert [(n.id, n.props, n.deps, n.parent, n.provider) for n in first] == [
        (n.id, n.props, n.deps, n.parent, n.provider) for n in second
    ]


def test_every_manifest_has_source_and_managed_by_label(spec: FleetSpec) -> None:
    graph = compile_region(spec, make_plan(spec, "eu-west-02"), "eu-west-02", NOW)
    for node in graph:
        assert node.source is not None and node.source.file.endswith(".yaml"), node.id
        if node.kind is Kind.MANIFEST:
            meta = node.props["metadata"]
            assert meta["labels"]["app.kubernetes.io/managed-by"] == "fleetc"
            # file and YAML path, no line numbers (a line moving elsewhere must not change applied objects)
            assert meta["annotations"]["fleetc.dev/source"] == node.source.stable
            assert "#" in node.source.stable and f":{node.source.line}:" not in node.source.stable


def test_unknown_region_is_an_error(spec: FleetSpec) -> None:
    with pytest.raises(ValueError, match="not in the fleet"):
        compile_region(spec, Plan(), "mars-01", NOW)


# ------------------------------------------------------------------ versions


# ------------------------------------------------------------------ dependencies


def test_addons_and_node_patches_come_after_the_control_plane(spec: FleetSpec) -> None:
    plan = make_plan(spec, "us-east-04", steps=(node_step(BETA, Action.CORDON, "n1", "gb200"),))
    graph = compile_region(spec, plan, "us-east-04", NOW)
    releases = [n for n in graph.of_kind(Kind.HELM_RELEASE) if n.cluster is not None]  # not the batteries
    patches = graph.of_kind(Kind.NODE_PATCH)
    assert releases and patches
    for node in [*releases, *patches]:
        assert node.deps[0] == f"{node.cluster}/control-plane"  # then the add-ons it installs after (addon_order)
        assert node.provider == f"{node.cluster}/provider"
    for node in graph.manifests():
        assert node.provider == "us-east-04/management"


def test_dependencies_come_before_dependents(spec: FleetSpec) -> None:
    graph = compile_region(spec, make_plan(spec, "us-east-04"), "us-east-04", NOW)
    order = {node_id: i for i, node_id in enumerate(graph.nodes)}
    for node in graph:
        for other in (*node.deps, node.parent, node.provider):
            if other is not None:
                assert order[other] < order[node.id], (node.id, other)


# ------------------------------------------------------------------ etcd placement


def anti_affinity(graph: DesiredGraph, cid: str) -> dict[str, Any]:
    spec = graph.nodes[cp_id(cid, "statefulset-etcd")].props["spec"]["template"]["spec"]
    result: dict[str, Any] = spec["affinity"]["podAntiAffinity"]
    return result


def test_etcd_zone_spread_is_required_when_the_region_has_enough_failure_domains(spec: FleetSpec) -> None:
    graph = compile_region(spec, make_plan(spec, "us-east-04"), "us-east-04", NOW)
    infer = anti_affinity(graph, "us-east-04/infer-east")  # 3 members, 3 racks
    required = {term["topologyKey"] for term in infer["requiredDuringSchedulingIgnoredDuringExecution"]}
    assert required == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    assert "preferredDuringSchedulingIgnoredDuringExecution" not in infer
    pod = graph.nodes[cp_id("us-east-04/infer-east", "statefulset-etcd")].props["spec"]["template"]["spec"]
    assert "topologySpreadConstraints" not in pod


def test_etcd_zone_spread_is_preferred_when_members_outnumber_failure_domains(spec: FleetSpec) -> None:
    graph = compile_region(spec, make_plan(spec, "us-east-04"), "us-east-04", NOW)
    alpha = anti_affinity(graph, ALPHA)  # 5 members, 3 racks: a required rule could never be met
    required = {term["topologyKey"] for term in alpha["requiredDuringSchedulingIgnoredDuringExecution"]}
    preferred = {t["podAffinityTerm"]["topologyKey"] for t in alpha["preferredDuringSchedulingIgnoredDuringExecution"]}
    assert required == {"kubernetes.io/hostname"}
    assert preferred == {"topology.kubernetes.io/zone"}
    # ... plus a hard spread that can be met: no rack ever holds a majority (2/2/1)
    pod = graph.nodes[cp_id(ALPHA, "statefulset-etcd")].props["spec"]["template"]["spec"]
    (spread,) = pod["topologySpreadConstraints"]
    assert (spread["topologyKey"], spread["maxSkew"], spread["whenUnsatisfiable"]) == (
        "topology.kubernetes.io/zone",
        1,
        "DoNotSchedule",
    )
    assert spread["labelSelector"] == {"matchLabels": {"app.kubernetes.io/component": "etcd"}}


# ------------------------------------------------------------------ keep-live


# ------------------------------------------------------------------ node pools


def pool_data(graph: DesiredGraph, cid: str, pool: str) -> dict[str, str]:
    data: dict[str, str] = graph.nodes[f"{cid}/pools/{pool}/configmap-nodepool-{pool}"].props["data"]
    return data


def test_pool_image_is_the_target_once_the_control_plane_is_there(spec: FleetSpec) -> None:
    graph = compile_region(spec, make_plan(spec, "us-east-04"), "us-east-04", NOW)
    data = pool_data(graph, BETA, "gb200")
    assert (data["image"], data["kubernetes"]) == ("gpu-node-2024.12.0", "1.31.2")
    assert (data["count"], data["gpus"], data["maxUnavailable"], data["maxUnavailableNodes"]) == (
        "256",
        "4",
        "5%",
        "12",
    )
    assert data["failureDomains"] == '["rack-a","rack-b","rack-c"]'
    assert KEEP_LIVE not in graph.nodes[f"{BETA}/pools/gb200/configmap-nodepool-gb200"].props


@pytest.mark.parametrize(
    "why",
    ["control plane behind", "control plane upgraded in this step", "control plane rolling"],
)
def test_pool_image_is_held_until_the_control_plane_is_at_target_and_ready(spec: FleetSpec, why: str) -> None:
    if why == "control plane behind":
        plan = make_plan(spec, "us-east-04", overrides={BETA: behind(spec, BETA)})
    elif why == "control plane upgraded in this step":
        step = node_step(BETA, Action.UPGRADE_CONTROL_PLANE, "1.31.2", pool=None)  # type: ignore[arg-type]
        plan = make_plan(spec, "us-east-04", steps=(step,))
    else:
        plan = make_plan(spec, "us-east-04", blocked=(not_ready(BETA),))
    graph = compile_region(spec, plan, "us-east-04", NOW)
    node = graph.nodes[f"{BETA}/pools/gb200/configmap-nodepool-gb200"]
    assert node.props[KEEP_LIVE] == ["data.image", "data.kubernetes"]
    assert node.props["data"]["image"] == "" and node.props["data"]["count"] == "256"


def patch(graph: DesiredGraph, node: str, pool: str = "gb200") -> Node:
    return graph.nodes[f"{BETA}/pools/{pool}/node-{node}"]


def test_node_patches_only_for_nodes_the_step_touches(spec: FleetSpec) -> None:
    steps = (
        node_step(BETA, Action.CORDON, "c1", "gb200"),
        node_step(BETA, Action.REIMAGE, "r1", "gb200", "gpu-node-2024.12.0"),
        node_step(BETA, Action.UNCORDON, "u1", "system"),
        node_step(BETA, Action.MARK_PENDING, "p1", "gb200"),
    )
    graph = compile_region(spec, make_plan(spec, "us-east-04", steps=steps), "us-east-04", NOW)
    assert sorted(n.id for n in graph.of_kind(Kind.NODE_PATCH)) == sorted(
        [
            f"{BETA}/pools/gb200/node-c1",
            f"{BETA}/pools/gb200/node-r1",
            f"{BETA}/pools/system/node-u1",
            f"{BETA}/pools/gb200/node-p1",
        ]
    )
    prefix = spec.label_prefix
    gpu_taint = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
    force = {"pulumi.com/patchForce": "true", "pulumi.com/patchFieldManager": "fleetc"}

    mine = {f"{prefix}/cordoned-by": "fleetc"}  # hardening 6: fleetc marks its cordons, and lifts only those
    cordon = patch(graph, "c1").props
    assert (cordon["unschedulable"], cordon["labels"], cordon["annotations"]) == (True, mine, force)
    assert cordon["taints"] == [gpu_taint]  # taints are an atomic list: the pool's own are always restated

    reimage = patch(graph, "r1").props
    assert reimage["unschedulable"] is True
    assert reimage["labels"] == {**mine, f"{prefix}/target-image": "gpu-node-2024.12.0"}
    assert reimage["annotations"] == {**force, f"{prefix}/reimage-requested-at": "2026-11-25T15:00:00Z"}

    uncordon = patch(graph, "u1", "system").props
    assert (uncordon["unschedulable"], uncordon["labels"], uncordon["taints"]) == (False, {}, [])
    assert uncordon["annotations"] == force  # fleetc's label/annotation left out: cleared by server-side apply

    pending = patch(graph, "p1").props
    assert pending["unschedulable"] is None  # never touched: someone else may have cordoned it
    assert pending["labels"] == {f"{prefix}/upgrade-pending": "true"}
    assert pending["annotations"] == {**force, f"{prefix}/pending-since": "2026-11-25T15:00:00Z"}
    assert pending["taints"] == [
        gpu_taint,
        {"key": f"{prefix}/upgrade-pending", "value": "true", "effect": "PreferNoSchedule"},
    ]
    assert all(n.parent == f"{BETA}/pools/{n.id.split('/')[3]}" for n in graph.of_kind(Kind.NODE_PATCH))


def test_escalate_pending_hardens_the_taint_and_keeps_pending_since(spec: FleetSpec) -> None:
    kept = Step(BETA, Action.ESCALATE_PENDING, "e1", pool="gb200", pending_since="2026-11-20T08:00:00Z")
    fresh = Step(BETA, Action.ESCALATE_PENDING, "e2", pool="gb200")  # marked NoSchedule at once: stamped now
    graph = compile_region(spec, make_plan(spec, "us-east-04", steps=(kept, fresh)), "us-east-04", NOW)
    prefix = spec.label_prefix
    hard = {"key": f"{prefix}/upgrade-pending", "value": "true", "effect": "NoSchedule"}
    for name, since in (("e1", "2026-11-20T08:00:00Z"), ("e2", "2026-11-25T15:00:00Z")):
        props = patch(graph, name).props
        assert props["unschedulable"] is None and props["labels"] == {f"{prefix}/upgrade-pending": "true"}
        assert props["annotations"][f"{prefix}/pending-since"] == since
        assert props["taints"][-1] == hard and len(props["taints"]) == 2  # the pool's own taint is kept


def test_checkpoint_request_is_one_annotation_patch_per_pod(spec: FleetSpec) -> None:
    spec = with_cluster(spec, "us-east-04", "beta-train", upgrade=_checkpointing(spec, deadline="6h"))
    step = Step(BETA, Action.REQUEST_CHECKPOINT, "n7", pool="gb200", pods=("ml/w-0", "ml/w.1"))
    pending = Step(BETA, Action.ESCALATE_PENDING, "n7", pool="gb200")  # the same node may also get its node patch
    graph = compile_region(spec, make_plan(spec, "us-east-04", steps=(pending, step)), "us-east-04", NOW)
    pods = {n.id: n for n in graph.of_kind(Kind.POD_PATCH)}
    assert sorted(pods) == [f"{BETA}/pools/gb200/pod-ml.w-0", f"{BETA}/pools/gb200/pod-ml.w.1"]
    props = pods[f"{BETA}/pools/gb200/pod-ml.w.1"].props
    prefix = spec.label_prefix
    assert (props["name"], props["namespace"], props["node"]) == ("w.1", "ml", "n7")
    assert props["annotations"] == {
        "pulumi.com/patchForce": "true",
        "pulumi.com/patchFieldManager": "fleetc",
        f"{prefix}/upgrade-requested": "2026-11-25T15:00:00Z",
        f"{prefix}/upgrade-deadline": "2026-11-25T21:00:00Z",
    }
    assert set(props) == {"name", "namespace", "node", "annotations"}  # nothing of the pod's spec, ever
    assert len(graph.of_kind(Kind.NODE_PATCH)) == 1


def _checkpointing(spec: FleetSpec, **request: object) -> object:
    cluster = next(c for _, c in spec.clusters() if c.name == "beta-train")
    return cluster.upgrade.model_copy(
        update={"checkpoint_request": CheckpointRequest.model_validate({"enabled": True, **request})}
    )


def test_cordon_and_reimage_of_one_node_is_one_reimage_patch(spec: FleetSpec) -> None:
    steps = (node_step(BETA, Action.CORDON, "n1", "gb200"), node_step(BETA, Action.REIMAGE, "n1", "gb200", "img"))
    graph = compile_region(spec, make_plan(spec, "us-east-04", steps=steps), "us-east-04", NOW)
    assert [n.props["action"] for n in graph.of_kind(Kind.NODE_PATCH)] == ["reimage"]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ((("uncordon", "n1", "gb200"), ("cordon", "n1", "gb200")), "conflicting steps"),
        ((("cordon", "n1", "no-such-pool"),), "pools the spec does not have"),
    ],
)
def test_inconsistent_node_steps_are_refused(
    spec: FleetSpec, steps: tuple[tuple[str, str, str], ...], message: str
) -> None:
    plan = make_plan(spec, "us-east-04", steps=tuple(node_step(BETA, Action(a), n, p) for a, n, p in steps))
    with pytest.raises(ValueError, match=message):
        compile_region(spec, plan, "us-east-04", NOW)


def test_reimage_needs_the_plans_clock(spec: FleetSpec) -> None:
    plan = make_plan(spec, "us-east-04", steps=(node_step(BETA, Action.REIMAGE, "n1", "gb200", "img"),))
    with pytest.raises(ValueError, match="now="):
        compile_region(spec, plan, "us-east-04")


# ------------------------------------------------------------------ new and missing clusters


def test_effective_addons_with_merged_values(spec: FleetSpec) -> None:
    graph = compile_region(spec, make_plan(spec, "eu-west-02"), "eu-west-02", NOW)
    names = {n.props["name"] for n in graph.of_kind(Kind.HELM_RELEASE) if n.cluster == "eu-west-02/beta-cpu"}
    assert "metallb" not in names and "gpu-operator" not in names  # disabled; when: gpu on a CPU cluster
    dns = graph.nodes["eu-west-02/beta-cpu/addons/external-dns"].props
    assert dns["version"] == "1.15.0" and dns["chart"] == "external-dns"
    assert dns["values"]["domainFilters"] == ["beta-cpu.eu-west-02.lab-beta.gpu-cloud.io"]
    assert dns["values"]["policy"] == "upsert-only"  # the bundle's value survives the merge


def test_reimage_of_a_node_cordoned_by_someone_else_keeps_their_cordon(spec: FleetSpec) -> None:
    """Hardening 6: fleetc neither sets nor takes over a cordon that is not its own (server-side apply ownership)."""
    step = Step(BETA, Action.REIMAGE, "h1", pool="gb200", image="gpu-node-2024.12.0", cordoned_by_others=True)
    graph = compile_region(spec, make_plan(spec, "us-east-04", steps=(step,)), "us-east-04", NOW)
    props = patch(graph, "h1").props
    prefix = spec.label_prefix
    assert props["unschedulable"] is None
    assert props["labels"] == {f"{prefix}/target-image": "gpu-node-2024.12.0"}
