"""kubectl List items -> facts: versions, readiness, the busy rules of SPEC section 3, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fleetc.live.facts import NodeFacts
from fleetc.live.parse import control_plane_facts, node_facts, scan_cluster
from fleetc.live.wire import decode_list
from fleetc.versions import Version, image_version

from .objects import PREFIX, apiserver, etcd, kube_list, node, pod


def one_node(*items: object) -> NodeFacts:
    (facts,) = node_facts(list(items), PREFIX)
    return facts


# --- control plane ------------------------------------------------------------


def test_control_plane_versions_from_image_tags_and_ready() -> None:
    facts = control_plane_facts([apiserver("a"), etcd("a")], "a")
    assert facts is not None
    assert facts.apiserver_version == Version(1, 30, 6)
    assert facts.etcd_version == Version(3, 5, 16)
    assert facts.apiserver_replicas == 3
    assert (facts.apiserver_ready, facts.etcd_ready, facts.ready) == (True, True, True)
    assert facts.problems == ()


def test_no_control_plane_namespace_means_cluster_does_not_exist() -> None:
    assert control_plane_facts([apiserver("other"), etcd("other")], "a") is None
    assert control_plane_facts([], "a") is None


def test_apiserver_container_is_found_by_name_not_position() -> None:
    containers = [
        {"name": "konnectivity", "image": "registry.k8s.io/kas-network-proxy/proxy-server:v0.31.0"},
        {"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.31.2"},
    ]
    facts = control_plane_facts([apiserver("a", containers=containers), etcd("a")], "a")
    assert facts is not None and facts.apiserver_version == Version(1, 31, 2)


def test_rollout_in_progress_is_not_ready() -> None:
    cases = [
        apiserver("a", updated=2),
        apiserver("a", ready=2),
        apiserver("a", available=2),
        apiserver("a", observed=1),  # controller has not seen generation 2
        apiserver("a", replicas=0, updated=0, ready=0, available=0),  # scaled to zero serves nothing
    ]
    for deployment in cases:
        facts = control_plane_facts([deployment, etcd("a")], "a")
        assert facts is not None and facts.apiserver_ready is False and facts.ready is False, deployment["status"]


def test_surge_pods_left_over_are_not_ready() -> None:
    deployment = apiserver("a")
    deployment["status"]["replicas"] = 4  # an old pod still terminating
    facts = control_plane_facts([deployment, etcd("a")], "a")
    assert facts is not None and facts.apiserver_ready is False


def test_etcd_revision_mismatch_is_not_ready() -> None:
    facts = control_plane_facts([apiserver("a"), etcd("a", current="etcd-old", update="etcd-new")], "a")
    assert facts is not None and facts.etcd_ready is False and facts.ready is False


def test_absent_status_counts_are_zero_as_the_api_omits_them() -> None:
    deployment = apiserver("a")
    del deployment["status"]["readyReplicas"]
    facts = control_plane_facts([deployment, etcd("a")], "a")
    assert facts is not None and facts.apiserver_ready is False and facts.problems == ()


def test_image_without_a_version_tag_is_unknown_with_a_problem() -> None:
    for image in (
        "registry.k8s.io/kube-apiserver:latest",
        "registry.k8s.io/kube-apiserver",
        "localhost:5000/kube-apiserver",  # a registry port is not a tag
        "registry.k8s.io/kube-apiserver@sha256:" + "a" * 64,
        "registry.k8s.io/kube-apiserver:v1.30",
    ):
        facts = control_plane_facts([apiserver("a", image=image), etcd("a")], "a")
        assert facts is not None
        assert facts.apiserver_version is None, image
        assert any("version" in p and "kube-apiserver" in p for p in facts.problems), facts.problems


def test_tag_with_digest_and_suffix_is_read() -> None:
    assert image_version("r.io/kube-apiserver:v1.30.6@sha256:" + "b" * 64) == Version(1, 30, 6)
    assert image_version("localhost:5000/etcd:3.5.16-0", revision=True) == Version(3, 5, 16)
    assert image_version("localhost:5000/etcd:3.5.16-0") == Version(3, 5, 16, (0,))  # without: a pre-release
    assert image_version("r.io/kube-apiserver:v1.31.2-rc.1") < Version(1, 31, 2)  # hardening 12
    assert image_version(None) is None


def test_missing_half_of_the_control_plane_is_a_problem_not_absence() -> None:
    facts = control_plane_facts([apiserver("a")], "a")
    assert facts is not None
    assert facts.etcd_version is None and facts.etcd_ready is None and facts.ready is None
    assert any("StatefulSet etcd not found" in p for p in facts.problems)


def test_non_integer_replicas_make_readiness_unknown() -> None:
    facts = control_plane_facts([apiserver("a", replicas="three"), etcd("a")], "a")
    assert facts is not None
    assert facts.apiserver_ready is None and facts.apiserver_replicas is None
    assert any("spec.replicas" in p for p in facts.problems)


def test_malformed_management_items_never_read_as_absent() -> None:
    facts = control_plane_facts(["oops", {"kind": "Deployment", "metadata": {}}], "a")
    assert facts is not None, "a malformed List cannot prove the cluster is new"
    assert facts.ready is None
    assert any("item 0 is not an object" in p for p in facts.problems)
    assert any("item 1 (Deployment) has no metadata.name" in p for p in facts.problems)


# --- nodes ------------------------------------------------------------------


def test_node_labels_versions_and_flags() -> None:
    facts = one_node(
        node(
            "n1",
            unschedulable=True,
            labels={f"{PREFIX}/upgrade-pending": "true", f"{PREFIX}/target-image": "gpu-node-2024.12.0"},
            annotations={f"{PREFIX}/reimage-requested-at": "2024-11-02T03:04:05Z"},
        )
    )
    assert facts.name == "n1"
    assert (facts.pool, facts.zone, facts.image) == ("h100", "rack-a", "gpu-node-2024.11.1")
    assert facts.kubelet == Version(1, 30, 6)
    assert facts.ready is True and facts.cordoned is True and facts.pending is True
    assert facts.target_image == "gpu-node-2024.12.0"
    assert facts.reimage_requested_at == datetime(2024, 11, 2, 3, 4, 5, tzinfo=UTC)
    assert facts.busy is False and facts.busy_reasons == () and facts.problems == ()


def test_pending_taint_effect_and_pending_since_are_read() -> None:
    pending = {f"{PREFIX}/upgrade-pending": "true"}
    since = {f"{PREFIX}/pending-since": "2026-11-20T08:00:00Z"}
    soft = node("soft", labels=pending, annotations=since)
    soft["spec"]["taints"] = [{"key": f"{PREFIX}/upgrade-pending", "value": "true", "effect": "PreferNoSchedule"}]
    hard = node("hard", labels=pending, annotations=since)
    hard["spec"]["taints"] = [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},
        {"key": f"{PREFIX}/upgrade-pending", "value": "true", "effect": "NoSchedule"},
    ]
    other = node("other", labels=pending)  # another owner's NoSchedule taint is not fleetc's escalation
    other["spec"]["taints"] = [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]
    odd = node("odd", labels=pending)
    odd["spec"]["taints"] = "not a list"  # reads as soft: fleetc escalates again if due, which is safe
    projected = decode_list(json.dumps(kube_list([soft, hard, other, odd])).encode(), what="nodes")["items"]
    facts = {n.name: n for n in node_facts(projected, PREFIX)}  # through the projection the readers decode with
    assert [facts[n].pending_hard for n in ("soft", "hard", "other", "odd")] == [False, True, False, False]
    assert facts["hard"].pending_since == datetime(2026, 11, 20, 8, 0, tzinfo=UTC) and facts["hard"].problems == ()
    assert facts["other"].pending_since is None
    bad = one_node(node("n", annotations={f"{PREFIX}/pending-since": "last week"}))
    assert bad.pending_since is None and any("pending-since" in p for p in bad.problems)  # unknown: fail closed


def test_unlabelled_node_has_no_pool_and_is_not_pending() -> None:
    facts = one_node(node("n1", pool=None, zone=None, image=None))
    assert (facts.pool, facts.zone, facts.image, facts.pending, facts.target_image) == (None, None, None, False, None)


def test_ready_condition_true_false_unknown_missing() -> None:
    assert one_node(node("n", ready="True")).ready is True
    assert one_node(node("n", ready="False")).ready is False
    unknown = one_node(node("n", ready="Unknown"))
    assert unknown.ready is None and unknown.problems == ()  # a node that lost contact: a fact, not bad data
    missing = one_node(node("n", ready=None))
    assert missing.ready is None and any("Ready" in p for p in missing.problems)


def test_bad_kubelet_version_is_unknown_with_a_problem() -> None:
    for kubelet in ("1.30", "banana", None, 130):
        facts = one_node(node("n", kubelet=kubelet))
        assert facts.kubelet is None and any("kubelet" in p for p in facts.problems), kubelet
    assert one_node(node("n", kubelet="v1.30.6+k3s1")).kubelet == Version(1, 30, 6)


def test_unparseable_or_naive_reimage_time_is_unknown_with_a_problem() -> None:
    for text in ("yesterday", "2024-11-02T03:04:05"):  # the second has no timezone: ambiguous
        facts = one_node(node("n", annotations={f"{PREFIX}/reimage-requested-at": text}))
        assert facts.reimage_requested_at is None
        assert any("reimage-requested-at" in p for p in facts.problems), text


def test_running_job_pod_makes_node_busy_with_its_name() -> None:
    facts = one_node(node("n1"), pod("team", "train-0", "n1"), pod("team", "eval-3", "n1", owner=None))
    assert facts.busy is True
    assert facts.busy_reasons == ("team/eval-3", "team/train-0")  # sorted


def test_daemonset_pod_does_not_make_node_busy() -> None:
    facts = one_node(node("n1"), pod("kube-system", "cilium-x", "n1", owner="DaemonSet"))
    assert facts.busy is False and facts.busy_reasons == ()


def test_finished_pods_do_not_make_node_busy() -> None:
    facts = one_node(node("n1"), pod("t", "done", "n1", phase="Succeeded"), pod("t", "crashed", "n1", phase="Failed"))
    assert facts.busy is False


def test_pending_and_unknown_phase_pods_bound_to_the_node_keep_it_busy() -> None:
    facts = one_node(node("n1"), pod("t", "starting", "n1", phase="Pending"), pod("t", "lost", "n1", phase="Unknown"))
    assert facts.busy is True and facts.busy_reasons == ("t/lost", "t/starting")


def test_static_mirror_pods_are_node_infrastructure() -> None:
    mirror = pod("kube-system", "kube-proxy-n1", "n1", owner=None, annotations={"kubernetes.io/config.mirror": "abc"})
    node_owned = pod("kube-system", "etcd-n1", "n1", owner="Node")
    facts = one_node(node("n1"), mirror, node_owned)
    assert facts.busy is False


def test_unscheduled_pod_and_pod_on_another_node_do_not_count() -> None:
    facts = one_node(node("n1"), pod("t", "queued", None), pod("t", "elsewhere", "n2"))
    assert facts.busy is False


def test_do_not_disrupt_on_node_makes_it_busy_without_pods() -> None:
    facts = one_node(node("n1", annotations={f"{PREFIX}/do-not-disrupt": "true"}))
    assert facts.busy is True
    assert facts.busy_reasons == (f"annotation {PREFIX}/do-not-disrupt",)


def test_do_not_disrupt_false_on_node_does_nothing() -> None:
    assert one_node(node("n1", annotations={f"{PREFIX}/do-not-disrupt": "false"})).busy is False


def test_do_not_disrupt_on_a_workload_pod_is_a_reason() -> None:
    guarded = pod("t", "ckpt", "n1", annotations={f"{PREFIX}/do-not-disrupt": "true"})
    facts = one_node(node("n1"), guarded)
    assert facts.busy is True
    assert facts.busy_reasons == ("t/ckpt", f"annotation {PREFIX}/do-not-disrupt")


def test_do_not_disrupt_on_a_daemonset_or_finished_pod_does_not_count() -> None:
    dnd = {f"{PREFIX}/do-not-disrupt": "true"}
    facts = one_node(
        node("n1"),
        pod("kube-system", "agent", "n1", owner="DaemonSet", annotations=dnd),
        pod("t", "old", "n1", phase="Succeeded", annotations=dnd),
    )
    assert facts.busy is False


def test_nodes_sorted_and_other_kinds_ignored() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x", "namespace": "default"}}
    facts = node_facts([node("b"), service, node("a")], PREFIX)
    assert [n.name for n in facts] == ["a", "b"]


def test_malformed_items_are_list_problems_not_exceptions() -> None:
    items: list[object] = [
        node("n1"),
        42,
        {"kind": "Node"},
        {"kind": "Pod", "metadata": {"name": "p", "namespace": "t"}, "spec": {"nodeName": 7}},
        {"kind": "Pod", "metadata": {"name": "q", "namespace": "t"}, "spec": "broken"},
        {"metadata": {"name": "kindless"}},
        node("n1"),
    ]
    scan = scan_cluster(items, PREFIX)
    assert [n.name for n in scan.nodes] == ["n1"]
    text = "\n".join(scan.problems)
    for expected in (
        "item 1 is not an object",
        "item 2 (Node) has no metadata",
        "t/p: spec.nodeName",
        "t/q: spec or status",
        "item 5 has no kind",
        "node n1 appears twice",
    ):
        assert expected in text, expected


def test_malformed_labels_or_annotations_are_node_problems() -> None:
    bad = node("n1")
    bad["metadata"]["labels"] = ["not", "a", "map"]
    bad["metadata"]["annotations"] = "nope"
    facts = one_node(bad)
    assert facts.pool is None and facts.busy is None  # do-not-disrupt unreadable: busy unknown
    assert len(facts.problems) == 2


def test_projected_decode_gives_the_same_facts_as_full_objects() -> None:
    """wire.py keeps only the fields parse.py reads: prove nothing it needs is dropped."""
    dnd = {f"{PREFIX}/do-not-disrupt": "true"}
    items = [
        node(
            "n1",
            unschedulable=True,
            labels={f"{PREFIX}/upgrade-pending": "true", f"{PREFIX}/target-image": "img-2"},
            annotations={f"{PREFIX}/reimage-requested-at": "2024-11-02T03:04:05+00:00"},
        ),
        node("n2", annotations=dnd, ready="Unknown"),
        node("n3", ready="False", kubelet="v1.29.1"),
        pod("t", "a", "n1"),
        pod("t", "b", "n3", annotations=dnd),
        pod("kube-system", "ds", "n3", owner="DaemonSet"),
        pod("kube-system", "m", "n3", owner=None, annotations={"kubernetes.io/config.mirror": "x"}),
        pod("t", "done", "n2", phase="Succeeded"),
        apiserver("c1", observed=1),
        etcd("c1", current="r1", update="r2"),
    ]
    full = kube_list(items)
    projected = decode_list(json.dumps(full).encode(), what="test")
    assert "managedFields" not in projected["items"][0]["metadata"]
    assert scan_cluster(projected["items"], PREFIX) == scan_cluster(full["items"], PREFIX)
    assert control_plane_facts(projected["items"], "c1") == control_plane_facts(full["items"], "c1")


def test_falsy_but_malformed_pod_fields_are_problems_not_defaults() -> None:
    """An empty list where an object belongs is as broken as a string: never read as 'absent'."""
    bad_spec = {"kind": "Pod", "metadata": {"name": "a", "namespace": "t"}, "spec": []}
    bad_owners = pod("t", "b", "n1")
    bad_owners["metadata"]["ownerReferences"] = ""
    scan = scan_cluster([node("n1"), bad_spec, bad_owners], PREFIX)
    assert len(scan.problems) == 2, scan.problems
