"""Regression tests for the adversarial review's findings (hardening issue items 2-12), one class each.

The closed loop (tests/loop) checks the invariants on random sites; these pin
the exact behaviour of each finding, from the raw List where the finding was
about reading, from facts where it was about deciding.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleetc.live.assemble import assemble_region
from fleetc.live.facts import ControlPlaneFacts
from fleetc.live.parse import control_plane_facts, scan_cluster
from fleetc.live.wire import ListError, decode_list
from fleetc.plan.model import Action, Reason
from fleetc.plan.planner import plan
from fleetc.versions import Version

from .builders import (
    ETCD,
    NEW_IMAGE,
    NOW,
    REGION,
    cluster,
    cluster_live,
    control_plane,
    fleet,
    live,
    node,
    nodes_of,
    pool,
)

PREFIX = "fleet.test"


def actions(p):  # type: ignore[no-untyped-def]
    return [(str(s.action), s.target) for s in p.steps]


def raw_deployment(containers: list[dict[str, str]]) -> dict[str, object]:
    status = {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3}
    return {
        "kind": "Deployment",
        "metadata": {"name": "kube-apiserver", "namespace": "cp-a"},
        "spec": {"replicas": 3, "template": {"spec": {"containers": containers}}},
        "status": status,
    }


def raw_etcd(containers: list[dict[str, str]]) -> dict[str, object]:
    status = {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3}
    return {
        "kind": "StatefulSet",
        "metadata": {"name": "etcd", "namespace": "cp-a"},
        "spec": {"replicas": 3, "template": {"spec": {"containers": containers}}},
        "status": status,
    }


API = {"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.31.2"}
ETCD_C = {"name": "etcd", "image": "registry.k8s.io/etcd:3.5.16-0"}


# ---------------------------------------------------------------- 2: versions from the named container


@pytest.mark.parametrize(
    "sidecar", [{"name": "proxy", "image": "r.io/proxy:v1.29.0"}, {"name": "x", "image": "y:9.9.9"}]
)
def test_a_sidecar_listed_first_never_gives_the_version(sidecar: dict[str, str]) -> None:
    facts = control_plane_facts([raw_deployment([sidecar, API]), raw_etcd([sidecar, ETCD_C])], "a")
    assert facts is not None
    assert (facts.apiserver_version, facts.etcd_version) == (Version(1, 31, 2), Version(3, 5, 16))


def test_no_container_named_for_the_component_makes_the_control_plane_unknown() -> None:
    facts = control_plane_facts(
        [raw_deployment([{"name": "apiserver", "image": "x:v1.31.2"}]), raw_etcd([ETCD_C])], "a"
    )
    assert facts is not None and facts.apiserver_version is None
    assert any("no container named kube-apiserver" in p for p in facts.problems)
    twice = control_plane_facts([raw_deployment([API, API]), raw_etcd([ETCD_C])], "a")
    assert twice is not None and twice.apiserver_version is None


# ---------------------------------------------------------------- 3: do-not-disrupt on static and Node-owned pods


def raw_node(name: str) -> dict[str, object]:
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": {f"{PREFIX}/pool": "gpu", f"{PREFIX}/node-image": "img-old"}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.30.6"}},
    }


def raw_pod(name: str, node_name: str, owner: str | None, annotations: dict[str, str]) -> dict[str, object]:
    meta: dict[str, object] = {"name": name, "namespace": "kube-system", "annotations": annotations}
    if owner:
        meta["ownerReferences"] = [{"kind": owner, "name": "o"}]
    return {"kind": "Pod", "metadata": meta, "spec": {"nodeName": node_name}, "status": {"phase": "Running"}}


DND = {f"{PREFIX}/do-not-disrupt": "true"}
MIRROR = {"kubernetes.io/config.mirror": "abc"}


@pytest.mark.parametrize(
    ("owner", "annotations", "busy"),
    [
        ("Node", {**MIRROR, **DND}, True),  # a static pod asking not to be disrupted
        ("Node", DND, True),  # owned by the Node
        (None, {**MIRROR, **DND}, True),  # a mirror without owner
        ("Node", MIRROR, False),  # plain static pod: node infrastructure
        ("DaemonSet", DND, False),  # SPEC exempts DaemonSet pods whatever they carry
    ],
)
def test_do_not_disrupt_on_static_pods_keeps_the_node_busy(
    owner: str | None, annotations: dict[str, str], busy: bool
) -> None:
    scan = scan_cluster([raw_node("n"), raw_pod("p", "n", owner, annotations)], PREFIX)
    assert scan.problems == () and scan.nodes[0].busy is busy


# ---------------------------------------------------------------- 4: Lists that say nothing


def test_a_node_only_list_is_unknown_never_idle() -> None:
    scan = scan_cluster([raw_node("a"), raw_node("b")], PREFIX)
    assert scan.problems and "no pod is listed" in scan.problems[0]


@pytest.mark.parametrize("body", [b'{"kind": "List"}', b'{"kind": "List", "items": null}', b'{"kind": "NodeList"}'])
def test_a_list_without_items_is_not_an_empty_list(body: bytes) -> None:
    with pytest.raises(ListError, match="no items array"):
        decode_list(body, what="c.json")


def test_a_list_of_the_wrong_kind_is_unknown() -> None:
    management = {"kind": "List", "items": [raw_node("n")]}  # a customer file saved as management.json
    region = assemble_region(REGION, ["a"], management, {}, PREFIX)
    assert region.cluster("a").problems and "management cluster's List does not hold" in region.cluster("a").problems[0]
    deployments = scan_cluster([raw_deployment([API]), raw_node("n"), raw_pod("p", "n", "DaemonSet", {})], PREFIX)
    assert deployments.problems and "customer cluster's List does not hold" in deployments.problems[0]


def test_an_empty_list_for_a_pool_of_hundreds_is_unknown_and_the_control_plane_does_not_move() -> None:
    spec = fleet(cluster(pools=[pool(count=512, max_unavailable=8)]))
    p = plan(spec, live(cluster_live([], control_plane("1.30.6"))), [], NOW)
    assert p.steps == () and p.clusters[f"{REGION}/c1"].phase == "unknown"
    # a second pool listed, the big one empty: the skew check cannot run, no minor step
    two = fleet(cluster(pools=[pool("gpu", count=512), pool("cpu", count=2)]))
    state = live(cluster_live(nodes_of(2, pool="cpu"), control_plane("1.30.6")))
    q = plan(two, state, [], NOW)
    assert not [s for s in q.steps if s.action is Action.UPGRADE_CONTROL_PLANE]
    assert any(b.reason is Reason.UNKNOWN_STATE and b.pool == "gpu" for b in q.blocked)


def test_a_pod_field_of_the_wrong_type_is_a_problem_not_a_crash() -> None:
    for bad in (
        {"status": {"phase": ["Running"]}},
        {"metadata": {"name": "p", "namespace": "x", "ownerReferences": [{"kind": ["Job"]}]}},
    ):
        pod = raw_pod("p", "n", "Job", {})
        for key, value in bad.items():
            pod[key] = {**pod[key], **value}  # type: ignore[dict-item]
        scan = scan_cluster([raw_node("n"), pod], PREFIX)
        assert scan.problems, bad


# ---------------------------------------------------------------- 5 and 7: the budget counts what the list lacks


def test_reimaging_nodes_absent_from_the_list_count_against_the_budget() -> None:
    """5 reimaging nodes vanished from the API: budget 9 leaves room for 4, not 9."""
    spec = fleet(cluster(pools=[pool(count=20, max_unavailable=9)]))
    p = plan(spec, live(cluster_live(nodes_of(15))), [], NOW)
    assert [a for a, _ in actions(p)] == ["cordon"] * 4


# ---------------------------------------------------------------- 6: only fleetc's own cordons are lifted


@pytest.mark.parametrize("freeze", [False, True])
def test_a_hand_cordoned_node_at_the_target_stays_cordoned(freeze: bool) -> None:
    spec = fleet(cluster(pools=[pool(count=2)]), freeze=freeze)
    hand = node("hand", image=NEW_IMAGE, cordoned=True, cordoned_by=None, kubelet="1.31.2")
    mine = node("mine", image=NEW_IMAGE, cordoned=True, kubelet="1.31.2")
    p = plan(spec, live(cluster_live([hand, mine])), [], NOW)
    assert actions(p) == [("uncordon", "mine")]


def test_a_hand_cordoned_node_with_do_not_disrupt_is_never_touched() -> None:
    spec = fleet(cluster(pools=[pool(count=1, max_unavailable=1)]))
    hand = node("hand", cordoned=True, cordoned_by=None, busy=True, busy_reasons=("annotation do-not-disrupt",))
    assert plan(spec, live(cluster_live([hand])), [], NOW).steps == ()


# ---------------------------------------------------------------- 8: spread counts nodes already down


def test_a_wave_takes_from_the_zone_with_nothing_out_first() -> None:
    spec = fleet(cluster(pools=[pool(count=6, max_unavailable=2)]))
    nodes = [
        node("a-down", zone="a", ready=False),
        node("a1", zone="a"),
        node("a2", zone="a"),
        node("b1", zone="b"),
        node("c-down", zone="c", ready=False),
        node("c1", zone="c"),
    ]
    p = plan(spec, live(cluster_live(nodes)), [], NOW)
    # 2 down (a, c), budget 2: nothing; with budget 3 the one place goes to zone b
    assert actions(p) == []
    roomy = fleet(cluster(pools=[pool(count=6, max_unavailable=3)]))
    assert actions(plan(roomy, live(cluster_live(nodes)), [], NOW)) == [("cordon", "b1")]


# ---------------------------------------------------------------- 9: a far target is planned whole


def far_fleet(node_images: dict[str, str]) -> object:
    channels = {"new": {"kubernetes": "1.32.1", "etcd": ETCD, "nodeImage": "img-132", "nodeImages": node_images}}
    return fleet(cluster(pools=[pool(count=3, max_unavailable=1)]), channels=channels)


def test_a_climb_that_cannot_finish_is_refused_before_it_starts() -> None:
    state = live(cluster_live(nodes_of(3, kubelet="1.28.3", image="img-128"), control_plane("1.28.3")))
    p = plan(far_fleet({}), state, [], NOW)  # type: ignore[arg-type]
    assert p.steps == ()
    [halt] = [b for b in p.blocked if b.reason is Reason.HALTED]
    assert "nodeImages" in halt.detail and "1.29, 1.30, 1.31" in halt.detail


def test_a_far_target_climbs_through_an_intermediate_node_image() -> None:
    spec = far_fleet({"1.30": "img-130"})
    at_31 = live(cluster_live(nodes_of(3, kubelet="1.28.3", image="img-128"), control_plane("1.31.0")))
    p = plan(spec, at_31, [], NOW)  # type: ignore[arg-type]
    # the apiserver may not pass 1.31 with 1.28 kubelets: nodes go to the 1.30 image first
    assert [s.action for s in p.steps] == [Action.CORDON]
    stage = p.clusters[f"{REGION}/c1"]
    assert (stage.nodes_kubernetes, stage.nodes_image) == (Version(1, 31, 0), "img-130")
    moved = live(cluster_live(nodes_of(3, kubelet="1.30.0", image="img-130"), control_plane("1.31.0")))
    q = plan(spec, moved, [], NOW)  # type: ignore[arg-type]
    assert [(str(s.action), s.target) for s in q.steps] == [("upgrade-control-plane", "1.32.1")]


# ---------------------------------------------------------------- 11 and 12: etcd minor by minor, pre-releases


def test_etcd_moves_one_minor_per_step() -> None:
    spec = fleet(cluster(pools=[pool(count=1, max_unavailable=1)]))
    state = live(cluster_live([node("n", kubelet="1.31.2", image=NEW_IMAGE)], control_plane("1.31.2", "3.3.27")))
    [step] = plan(spec, state, [], NOW).steps
    assert (step.target, step.etcd) == ("1.31.2", "3.4.0")


def test_a_pre_release_is_not_the_release() -> None:
    spec = fleet(cluster(pools=[pool(count=1, max_unavailable=1)]))
    rc = ControlPlaneFacts(Version(1, 31, 2, ("rc", 1)), True, 3, Version.parse(ETCD), True)
    state = live(cluster_live([node("n", kubelet="1.31.2", image=NEW_IMAGE)], rc))
    [step] = plan(spec, state, [], NOW).steps
    assert (step.action, step.target) == (Action.UPGRADE_CONTROL_PLANE, "1.31.2")


# ---------------------------------------------------------------- 10: every waiting node is explained


def test_every_node_that_waits_is_named_in_a_blocked_entry() -> None:
    spec = fleet(cluster(pools=[pool(count=8, max_unavailable=2)]))
    since = NOW - timedelta(minutes=10)
    nodes = [
        node("down", ready=False),
        node("mine-down", cordoned=True, ready=False),
        node("busy", busy=True, pending=True),
        node("reimaging", cordoned=True, target_image=NEW_IMAGE, reimage_requested_at=since, ready=False),
        *nodes_of(4, prefix="idle"),
    ]
    p = plan(spec, live(cluster_live(nodes)), [], NOW)
    moving = {s.target for s in p.steps}
    explained = {n for b in p.blocked for n in b.nodes}
    waiting = {n.name for n in nodes} - moving - {"reimaging"}  # in flight: the pool status counts it
    assert waiting <= explained, waiting - explained
    assert p.clusters[f"{REGION}/c1"].pools[0].reimaging == 1
