"""Gates: freeze, paused, approval and window withhold new steps, never uncordon."""

from __future__ import annotations

from fleetc.live.facts import LiveState
from fleetc.plan.model import Action, Plan, Reason
from fleetc.plan.planner import plan

from .builders import (
    NEW_IMAGE,
    NOW,
    OLD_K,
    approval,
    cluster,
    cluster_live,
    control_plane,
    fleet,
    live,
    node,
    nodes_of,
    pool,
)

REQUIRED = cluster(approval="required")


def upgrade_pending_live() -> LiveState:
    """Control plane one patch behind, one idle node to take, one done node to uncordon."""
    return live(cluster_live([node("idle"), node("done", image=NEW_IMAGE, cordoned=True)], control_plane(OLD_K)))


def reasons(p: Plan) -> list[str]:
    return [str(b.reason) for b in p.blocked]


def test_required_without_approval_blocks_every_new_step_and_says_what_to_run() -> None:
    p = plan(fleet(REQUIRED), upgrade_pending_live(), [], NOW)
    assert [s.action for s in p.steps] == [Action.UNCORDON]
    [blocked] = [b for b in p.blocked if b.reason is Reason.APPROVAL_REQUIRED]
    assert "`fleetc approve r1/c1 --kubernetes 1.31.2 --node-image img-new --by EMAIL`" in blocked.detail
    assert "ops@t.example" in blocked.detail
    assert "not counted" not in blocked.detail
    assert p.clusters["r1/c1"].phase == "blocked"
    assert str(p.clusters["r1/c1"].control_plane_version) == OLD_K


def test_valid_approval_lets_the_control_plane_move() -> None:
    p = plan(fleet(REQUIRED), upgrade_pending_live(), [approval()], NOW)
    assert [(s.action, s.target) for s in p.steps] == [
        (Action.UPGRADE_CONTROL_PLANE, "1.31.2"),
        (Action.UNCORDON, "done"),
    ]
    assert Reason.APPROVAL_REQUIRED not in reasons(p)


def test_approval_without_node_image_covers_any_image() -> None:
    p = plan(fleet(REQUIRED), upgrade_pending_live(), [approval(node_image=None)], NOW)
    assert p.steps[0].action is Action.UPGRADE_CONTROL_PLANE


def test_each_flaw_of_an_approval_is_named() -> None:
    flawed = [
        approval(name="old-target", kubernetes="1.31.1"),
        approval(name="other-image", node_image="img-x"),
        approval(name="stranger", by="eve@t.example"),
        approval(name="expired", expires="2024-12-01T00:00:00Z"),
        approval(name="elsewhere", cluster_id="r1/other"),
    ]
    p = plan(fleet(REQUIRED), upgrade_pending_live(), flawed, NOW)
    [blocked] = [b for b in p.blocked if b.reason is Reason.APPROVAL_REQUIRED]
    assert "approval old-target names kubernetes 1.31.1, not 1.31.2" in blocked.detail
    assert "approval other-image names node image img-x, not img-new" in blocked.detail
    assert "approval stranger approver eve@t.example is not one of the tenant's approvers" in blocked.detail
    assert "approval expired expired at 2024-12-01T00:00:00Z" in blocked.detail
    assert "elsewhere" not in blocked.detail
    assert [s.action for s in p.steps] == [Action.UNCORDON]


def test_approval_expiring_exactly_now_does_not_count() -> None:
    p = plan(fleet(REQUIRED), upgrade_pending_live(), [approval(expires=NOW.isoformat())], NOW)
    assert Reason.APPROVAL_REQUIRED in reasons(p)


def test_tenant_without_approvers_is_told_to_add_one() -> None:
    p = plan(fleet(REQUIRED, approvers=[]), upgrade_pending_live(), [], NOW)
    [blocked] = [b for b in p.blocked if b.reason is Reason.APPROVAL_REQUIRED]
    assert "lists no approvers" in blocked.detail


def test_automatic_needs_no_approval() -> None:
    p = plan(fleet(cluster()), upgrade_pending_live(), [], NOW)
    assert p.steps[0].action is Action.UPGRADE_CONTROL_PLANE


def test_freeze_and_paused_make_one_paused_entry_naming_both() -> None:
    spec = fleet(cluster(paused=True), freeze=True)
    p = plan(spec, upgrade_pending_live(), [], NOW)
    [blocked] = p.blocked
    assert blocked.reason is Reason.PAUSED
    assert "fleet freeze" in blocked.detail and "cluster paused" in blocked.detail
    assert [s.action for s in p.steps] == [Action.UNCORDON]


def test_gates_are_not_asked_of_an_up_to_date_cluster() -> None:
    spec = fleet(cluster(approval="required", paused=True, pools=[pool(count=1, max_unavailable=1)]), freeze=True)
    state = live(cluster_live([node("a", image=NEW_IMAGE, kubelet="1.31.2")]))
    p = plan(spec, state, [], NOW)
    assert p.blocked == ()
    assert p.clusters["r1/c1"].phase == "up-to-date"


def test_outside_window_names_the_next_opening_in_both_zones() -> None:
    spec = fleet(cluster(window={"days": ["sat"], "start": "02:00", "hours": 4, "timezone": "Europe/Berlin"}))
    p = plan(spec, upgrade_pending_live(), [], NOW)
    [blocked] = p.blocked
    assert blocked.reason is Reason.OUTSIDE_WINDOW
    assert "2024-12-14T02:00:00+01:00 (2024-12-14T01:00:00Z)" in blocked.detail
    assert [s.action for s in p.steps] == [Action.UNCORDON]


def test_inside_window_nothing_is_blocked() -> None:
    spec = fleet(cluster(window={"days": ["wed"], "start": "14:00", "hours": 2}))
    p = plan(spec, upgrade_pending_live(), [], NOW)
    assert Reason.OUTSIDE_WINDOW not in reasons(p)
    assert p.steps[0].action is Action.UPGRADE_CONTROL_PLANE


def test_every_closed_gate_is_reported_at_once() -> None:
    spec = fleet(cluster(approval="required", paused=True, window={"days": ["sat"], "start": "02:00", "hours": 4}))
    p = plan(spec, upgrade_pending_live(), [], NOW)
    assert sorted(reasons(p)) == ["approval-required", "outside-window", "paused"]


def test_gated_node_rollout_takes_no_node() -> None:
    spec = fleet(cluster(approval="required"))
    state = live(cluster_live([*nodes_of(5), node("busy", busy=True)]))
    p = plan(spec, state, [], NOW)
    assert p.steps == ()
    assert reasons(p) == ["approval-required"]
