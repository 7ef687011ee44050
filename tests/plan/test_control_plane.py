"""Control plane first: one minor per step, etcd with it, never from a rolling or skewed state."""

from __future__ import annotations

from fleetc.live.facts import ClusterLive, ControlPlaneFacts
from fleetc.plan.control_plane import next_version
from fleetc.plan.model import Action, Reason
from fleetc.plan.planner import plan
from fleetc.versions import Version

from .builders import ETCD, NEW_IMAGE, NOW, cluster, cluster_live, control_plane, fleet, live, node, nodes_of


def v(text: str) -> Version:
    return Version.parse(text)


CHANNELS = {
    "new": {"kubernetes": "1.32.1", "etcd": "3.5.17", "nodeImage": NEW_IMAGE},
    "mid": {"kubernetes": "1.31.4", "etcd": ETCD, "nodeImage": NEW_IMAGE},
}


def test_next_version_is_the_target_within_one_minor() -> None:
    assert next_version(v("1.31.0"), v("1.32.1"), []) == v("1.32.1")
    assert next_version(v("1.32.0"), v("1.32.1"), []) == v("1.32.1")


def test_next_version_takes_the_highest_known_patch_of_the_next_minor() -> None:
    known = [v("1.30.2"), v("1.30.6"), v("1.31.0"), v("2.30.9")]
    assert next_version(v("1.29.3"), v("1.31.2"), known) == v("1.30.6")
    assert next_version(v("1.29.3"), v("1.31.2"), []) == v("1.30.0")


def test_two_minors_behind_moves_one_minor_with_the_target_etcd() -> None:
    spec = fleet(cluster(), channels=CHANNELS)
    state = live(cluster_live(nodes_of(2, kubelet="1.30.6"), control_plane("1.30.6", "3.5.16")))
    p = plan(spec, state, [], NOW)
    [step] = p.steps
    assert (step.action, step.target, step.etcd) == (Action.UPGRADE_CONTROL_PLANE, "1.31.4", "3.5.17")
    cp = p.clusters["r1/c1"]
    assert (str(cp.control_plane_version), str(cp.etcd_version), str(cp.live_version)) == ("1.31.4", "3.5.17", "1.30.6")
    assert cp.phase == "control-plane"
    # the nodes wait, said once for the cluster, not per node
    [waiting] = p.blocked
    assert waiting.reason is Reason.CONTROL_PLANE_NOT_READY and "2 nodes wait" in waiting.detail


def test_rolling_control_plane_stays_where_it_is() -> None:
    spec = fleet(cluster(), channels=CHANNELS)
    state = live(cluster_live(nodes_of(3), control_plane("1.31.4", ETCD, ready=False)))
    p = plan(spec, state, [], NOW)
    assert p.steps == ()
    [blocked] = p.blocked
    assert blocked.reason is Reason.CONTROL_PLANE_NOT_READY
    assert "kube-apiserver" in blocked.detail and "3 nodes wait" in blocked.detail
    cp = p.clusters["r1/c1"]
    assert str(cp.control_plane_version) == "1.31.4" and str(cp.etcd_version) == ETCD
    assert cp.phase == "control-plane"


def test_rolling_etcd_at_the_target_version_still_holds_the_nodes() -> None:
    state = live(cluster_live(nodes_of(3), control_plane(etcd_ready=False)))
    p = plan(fleet(), state, [], NOW)
    assert p.steps == ()
    [blocked] = p.blocked
    assert blocked.reason is Reason.CONTROL_PLANE_NOT_READY and "etcd" in blocked.detail


def test_unknown_readiness_is_unknown_state() -> None:
    state = live(cluster_live(nodes_of(3), control_plane(ready=None)))
    p = plan(fleet(), state, [], NOW)
    assert p.steps == ()
    assert [b.reason for b in p.blocked] == [Reason.UNKNOWN_STATE]


def test_downgrade_is_halted() -> None:
    state = live(cluster_live(nodes_of(1), control_plane("1.32.0")))
    p = plan(fleet(), state, [], NOW)
    assert p.steps == ()
    [blocked] = p.blocked
    assert blocked.reason is Reason.HALTED and "does not downgrade" in blocked.detail
    assert str(p.clusters["r1/c1"].control_plane_version) == "1.32.0"
    assert p.clusters["r1/c1"].phase == "blocked"


def test_etcd_downgrade_is_halted() -> None:
    state = live(cluster_live(nodes_of(1), control_plane("1.31.2", "3.5.20")))
    p = plan(fleet(), state, [], NOW)
    assert [b.reason for b in p.blocked] == [Reason.HALTED]
    assert p.steps == ()


def test_etcd_alone_is_a_control_plane_step() -> None:
    state = live(cluster_live(nodes_of(1, image=NEW_IMAGE, kubelet="1.31.2"), control_plane("1.31.2", "3.5.15")))
    p = plan(fleet(), state, [], NOW)
    [step] = p.steps
    assert (step.action, step.target, step.etcd) == (Action.UPGRADE_CONTROL_PLANE, "1.31.2", ETCD)
    assert str(p.clusters["r1/c1"].etcd_version) == ETCD


def test_etcd_stays_live_while_the_step_is_gated() -> None:
    state = live(cluster_live(nodes_of(1, image=NEW_IMAGE), control_plane("1.31.2", "3.5.15")))
    p = plan(fleet(cluster(paused=True)), state, [], NOW)
    assert p.steps == ()
    assert str(p.clusters["r1/c1"].etcd_version) == "3.5.15"


def test_kubelet_too_old_for_the_next_minor_halts_naming_it() -> None:
    nodes = [node("ok", kubelet="1.28.0"), node("old", kubelet="1.27.9", pool="not-in-spec")]
    state = live(cluster_live(nodes, control_plane("1.30.6")))
    p = plan(fleet(), state, [], NOW)
    assert p.steps == ()
    [halted] = [b for b in p.blocked if b.reason is Reason.HALTED]
    assert "old (1.27.9)" in halted.detail and halted.nodes == ("old",)
    assert str(p.clusters["r1/c1"].control_plane_version) == "1.30.6"


def test_kubelet_newer_than_the_next_apiserver_halts() -> None:
    state = live(cluster_live([node("new", kubelet="1.32.0")], control_plane("1.30.6")))
    p = plan(fleet(), state, [], NOW)
    assert [b.reason for b in p.blocked if b.reason is Reason.HALTED] == [Reason.HALTED]
    assert p.steps == ()


def test_unknown_kubelet_blocks_a_minor_step() -> None:
    state = live(cluster_live([node("x", kubelet=None)], control_plane("1.30.6")))
    p = plan(fleet(), state, [], NOW)
    assert Reason.UNKNOWN_STATE in [b.reason for b in p.blocked]
    assert p.steps == ()


def test_patch_step_does_not_check_kubelet_skew() -> None:
    state = live(cluster_live([node("x", kubelet=None)], control_plane("1.31.0")))
    p = plan(fleet(), state, [], NOW)
    assert [s.target for s in p.steps] == ["1.31.2"]


def test_unknown_control_plane_leaves_the_live_one_alone() -> None:
    for facts in (
        ClusterLive("r1/c1", True, None, ()),
        ClusterLive("r1/c1", True, ControlPlaneFacts(None, True, 3, Version(3, 5, 16), True), ()),
        ClusterLive("r1/c1", True, control_plane(etcd=None), ()),
        ClusterLive("r1/c1", True, control_plane("1.30.6"), None),
        ClusterLive("r1/c1", True, control_plane("1.30.6"), (), problems=("management cluster unreachable",)),
    ):
        p = plan(fleet(), live(facts), [], NOW)
        assert p.steps == ()
        [blocked] = p.blocked
        assert blocked.reason is Reason.UNKNOWN_STATE
        cp = p.clusters["r1/c1"]
        assert (cp.phase, cp.control_plane_version, cp.etcd_version) == ("unknown", None, None)


def test_an_earlier_form_control_plane_is_held_with_a_reason() -> None:
    """docs/control-plane.md, "The earlier form": fleetc never swaps it for a TenantControlPlane by itself."""
    from fleetc.live.facts import ControlPlaneFacts
    from fleetc.plan.control_plane import migration_block
    from fleetc.versions import Version

    earlier = ControlPlaneFacts(Version(1, 30, 6), True, 3, Version(3, 5, 16), True, earlier_form=True)
    blocked = migration_block("r/a", earlier, cp_work=True)
    assert blocked is not None and blocked.reason == "halted" and "earlier form" in blocked.detail
    assert migration_block("r/a", earlier, cp_work=False) is None  # nodes may still roll at the same version
    kamaji = ControlPlaneFacts(Version(1, 30, 6), True, 3, Version(3, 5, 16), True)
    assert migration_block("r/a", kamaji, cp_work=True) is None
