"""Node waves: idle nodes only, within maxUnavailable, spread over zones, fail closed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fleetc.live.facts import NodeFacts
from fleetc.plan.model import Action, Plan, Reason
from fleetc.plan.planner import plan

from .builders import NEW_IMAGE, NOW, OLD_IMAGE, cluster, cluster_live, fleet, live, node, nodes_of, pool


def run(nodes: list[NodeFacts], **pool_args: Any) -> Plan:
    """One pool ``gpu`` whose count is the number of its nodes given (missing nodes count as unavailable)."""
    pool_args.setdefault("count", max(1, sum(1 for n in nodes if n.pool == "gpu")))
    pool_args.setdefault("max_unavailable", min(2, pool_args["count"]))
    return plan(fleet(cluster(pools=[pool(**pool_args)])), live(cluster_live(nodes)), [], NOW)


def actions(p: Plan) -> list[tuple[str, str]]:
    return [(str(s.action), s.target) for s in p.steps]


def blocked(p: Plan, reason: Reason) -> list[Any]:
    return [b for b in p.blocked if b.reason is reason]


def test_done_node_still_marked_is_uncordoned_once_ready() -> None:
    p = run(
        [
            node("cordoned", image=NEW_IMAGE, cordoned=True),
            node("pending", image=NEW_IMAGE, pending=True),
            node("labelled", image=NEW_IMAGE, target_image=NEW_IMAGE),
            node("not-ready", image=NEW_IMAGE, cordoned=True, ready=False),
            node("clean", image=NEW_IMAGE),
        ]
    )
    assert actions(p) == [("uncordon", "cordoned"), ("uncordon", "labelled"), ("uncordon", "pending")]
    assert p.clusters["r1/c1"].phase == "nodes"


def test_up_to_date_pool_has_nothing_to_say() -> None:
    p = run([node("a", image=NEW_IMAGE), node("b", image=NEW_IMAGE, busy=True)])
    assert p.steps == () and p.blocked == ()
    assert p.clusters["r1/c1"].phase == "up-to-date"


def test_busy_node_is_marked_pending_never_cordoned() -> None:
    p = run([node("busy", busy=True, busy_reasons=("train/worker-0", "train/worker-1"))])
    assert actions(p) == [("mark-pending", "busy")]
    [b] = blocked(p, Reason.BUSY)
    assert b.nodes == ("busy",) and "busy (train/worker-0, train/worker-1)" in b.detail


def test_pending_busy_node_is_not_marked_again() -> None:
    p = run([node("busy", busy=True, pending=True)])
    assert p.steps == ()
    assert [b.reason for b in p.blocked] == [Reason.BUSY]


def test_busy_list_is_shortened_for_people_but_complete_for_machines() -> None:
    busy = nodes_of(25, busy=True, pending=True)
    p = run(busy, count=25)
    [b] = blocked(p, Reason.BUSY)
    assert "and 5 more" in b.detail and len(b.nodes) == 25


def test_cordoned_idle_node_is_reimaged_without_spending_budget() -> None:
    p = run([node("c1", cordoned=True), node("idle")], max_unavailable=1)
    assert actions(p) == [("reimage", "c1")]
    assert all(s.image == NEW_IMAGE for s in p.steps)
    # one unavailable already, budget 1: the idle node waits
    [b] = blocked(p, Reason.MAX_UNAVAILABLE)
    assert "1 of 1 unavailable now, 1 of 1 after this step" in b.detail and "1 idle node waits" in b.detail


def test_fleetc_cordons_past_the_budget_are_released_not_reimaged() -> None:
    """Hardening 1: fleetc never reimages more of its own cordons than the budget; it gives the rest back."""
    p = run([node("c1", cordoned=True), node("c2", cordoned=True), node("c3", cordoned=True)], max_unavailable=1)
    assert actions(p) == [("reimage", "c1"), ("uncordon", "c2"), ("uncordon", "c3")]
    assert all("released" in s.detail for s in p.steps if s.action is Action.UNCORDON)
    assert p.clusters["r1/c1"].pools[0].unavailable_after == 1


def test_hand_cordoned_nodes_are_taken_only_within_the_budget() -> None:
    """Hardening 1: several idle nodes a person cordoned are not reimaged past the budget, nor uncordoned."""
    mine = [node(f"h{i}", cordoned=True, cordoned_by=None) for i in range(3)]
    over = run([*mine, node("idle")], max_unavailable=2)
    assert actions(over) == []
    [b] = blocked(over, Reason.MAX_UNAVAILABLE)
    assert "3 of 2 unavailable now" in b.detail and "cordoned by someone else" in b.detail
    within = run([*mine[:2], node("idle")], max_unavailable=2)
    assert actions(within) == [("reimage", "h0"), ("reimage", "h1")]
    assert all(s.cordoned_by_others for s in within.steps)


def test_cordoned_not_ready_node_waits_for_ready_before_its_reimage() -> None:
    """A node broken before its reimage must not trip nodeTimeoutMinutes and halt the pool."""
    broken = node("broken", cordoned=True, ready=False)
    waiting = run([broken, node("ok")], max_unavailable=2)
    assert ("reimage", "broken") not in actions(waiting)
    assert actions(waiting) == [("cordon", "ok")]  # the rest of the pool keeps moving
    repaired = run([node("broken", cordoned=True), node("ok")], max_unavailable=2)
    assert ("reimage", "broken") in actions(repaired)


def test_cordoned_busy_node_waits() -> None:
    p = run([node("c", cordoned=True, busy=True)])
    assert p.steps == ()
    [b] = blocked(p, Reason.BUSY)
    assert "c, cordoned" in b.detail


def test_cordons_stop_at_the_budget() -> None:
    p = run(nodes_of(10), max_unavailable=2)
    assert [a for a, _ in actions(p)] == ["cordon", "cordon"]
    [b] = blocked(p, Reason.MAX_UNAVAILABLE)
    assert b.detail == "pool gpu: 0 of 2 unavailable now, 2 of 2 after this step (maxUnavailable 2); 8 idle nodes wait"


def test_existing_unavailability_counts_against_the_budget() -> None:
    since = NOW - timedelta(minutes=5)
    nodes = [
        *nodes_of(5),
        node("down", ready=False, busy=True),
        node("rebuilding", target_image=NEW_IMAGE, reimage_requested_at=since),
    ]
    p = run(nodes, max_unavailable=3)
    assert [a for a, _ in actions(p)] == ["mark-pending", "cordon"]


def test_over_budget_cordons_nothing_more() -> None:
    """fleetc's cordons of busy nodes over the budget are released first (they wait anyway)."""
    nodes = [*nodes_of(3), *(node(f"x{i}", cordoned=True, busy=True) for i in range(3))]
    p = run(nodes, max_unavailable=2)
    assert actions(p) == [("uncordon", "x0")]
    [b] = blocked(p, Reason.MAX_UNAVAILABLE)
    assert "3 of 2 unavailable now, 2 of 2 after this step" in b.detail


def test_not_ready_idle_nodes_wait_and_are_explained() -> None:
    """Hardening 1 and 10: a NotReady node is not cordoned "for free" (it would hold budget once back), but named."""
    nodes = [node("down1", ready=False), node("down2", ready=False), *nodes_of(3)]
    p = run(nodes, max_unavailable=3)
    # 2 NotReady (already unavailable, zone a) + 1 Ready into the one place left, from another zone
    assert actions(p) == [("cordon", "n001")]
    [b] = blocked(p, Reason.NODE_NOT_READY)
    assert b.nodes == ("down1", "down2")


def test_cordons_spread_over_zones_pending_first() -> None:
    nodes = [
        node("a1", zone="a"),
        node("a2", zone="a", pending=True),
        node("b1", zone="b"),
        node("b2", zone="b"),
        node("c1", zone="c"),
        node("z1", zone=None),
    ]
    p = run(nodes, max_unavailable=4, count=6)
    # zones sorted: none, a, b, c -> one each
    assert sorted(t for _, t in actions(p)) == ["a2", "b1", "c1", "z1"]


def test_percentage_budget_rounds_down() -> None:
    p = run(nodes_of(40), count=40, max_unavailable="5%")
    assert len(p.steps) == 2
    assert "maxUnavailable 5% of 40 = 2" in blocked(p, Reason.MAX_UNAVAILABLE)[0].detail


def test_percentage_budget_of_a_pool_far_below_its_count_uses_the_live_count() -> None:
    """Hardening 7: "10%" of 100 must not let all 5 live nodes go at once (and missing nodes count as down)."""
    p = run(nodes_of(5), count=5, max_unavailable="10%")
    assert [a for a, _ in actions(p)] == ["cordon"]  # 10% of 5 rounds to 0: one at a time
    far = run(nodes_of(5), count=100, max_unavailable="10%")
    assert actions(far) == []  # 95 missing nodes hold the whole budget
    [b] = blocked(far, Reason.MAX_UNAVAILABLE)
    assert "95 of 1 unavailable now" in b.detail and "95 nodes of the count missing" in b.detail


def test_reimage_past_the_timeout_halts_the_pool() -> None:
    late = NOW - timedelta(minutes=121)
    nodes = [
        node("stuck", cordoned=True, target_image=NEW_IMAGE, reimage_requested_at=late),
        node("idle"),
        node("busy", busy=True),
        node("cordoned", cordoned=True),
        node("done", image=NEW_IMAGE, cordoned=True),
    ]
    p = run(nodes, max_unavailable=4)
    assert actions(p) == [("uncordon", "done")]
    [b] = blocked(p, Reason.HALTED)
    assert b.nodes == ("stuck",) and "2h01m" in b.detail and "nodeTimeoutMinutes 120" in b.detail
    assert p.clusters["r1/c1"].phase == "blocked"  # only uncordon left: a person must look


def test_back_at_the_image_but_not_ready_past_the_timeout_halts() -> None:
    late = NOW - timedelta(minutes=200)
    n = node("slow", image=NEW_IMAGE, ready=False, cordoned=True, target_image=NEW_IMAGE, reimage_requested_at=late)
    p = run([n, node("idle")])
    assert p.steps == ()
    assert [b.reason for b in p.blocked] == [Reason.HALTED]
    assert p.clusters["r1/c1"].phase == "blocked"


def test_reimage_within_the_timeout_waits_and_an_untimed_one_stops_the_pool() -> None:
    recent = NOW - timedelta(minutes=119)
    timed = node("r1", cordoned=True, target_image=NEW_IMAGE, reimage_requested_at=recent, ready=False)
    p = run([timed, node("r2", cordoned=True, target_image=NEW_IMAGE, reimage_requested_at=recent), *nodes_of(3)],
            max_unavailable=3)  # fmt: skip
    assert actions(p) == [("cordon", "n001")]
    assert [b.reason for b in p.blocked] == [Reason.MAX_UNAVAILABLE]
    # Hardening 10: a reimage without reimage-requested-at can never time out: fleetc cannot watch it
    untimed = run([timed, node("r2", cordoned=True, target_image=NEW_IMAGE), *nodes_of(3)], max_unavailable=3)
    assert actions(untimed) == []
    [b] = untimed.blocked
    assert b.reason is Reason.UNKNOWN_STATE and b.nodes == ("r2",) and "reimage-requested-at" in b.detail


def test_a_stale_target_image_is_reimaged_again() -> None:
    p = run([node("c", cordoned=True, target_image="img-older")])
    assert actions(p) == [("reimage", "c")]


def test_unknown_node_makes_its_pool_unknown_but_done_nodes_still_uncordon() -> None:
    nodes = [
        node("who", busy=None),
        node("ready?", ready=None),
        node("image?", image=None),
        node("odd", problems=("reimage-requested-at 'yesterday' is not a time",)),
        node("busy", busy=True),
        node("done", image=NEW_IMAGE, cordoned=True),
        *nodes_of(3),
    ]
    p = run(nodes, max_unavailable=5)
    assert actions(p) == [("uncordon", "done")]
    [b] = p.blocked
    assert b.reason is Reason.UNKNOWN_STATE
    assert set(b.nodes) == {"who", "ready?", "image?", "odd"}
    assert "busy unknown" in b.detail and "is not a time" in b.detail


def test_other_pools_keep_moving_when_one_is_unknown() -> None:
    spec = fleet(cluster(pools=[pool("gpu", count=1), pool("cpu", count=1)]))
    nodes = [node("g", busy=None), node("c", pool="cpu")]
    p = plan(spec, live(cluster_live(nodes)), [], NOW)
    assert actions(p) == [("cordon", "c")]
    assert [(b.reason, b.pool) for b in p.blocked] == [(Reason.UNKNOWN_STATE, "gpu")]


def test_nodes_of_pools_not_in_the_spec_are_ignored() -> None:
    p = run([node("stranger", pool="legacy"), node("stranger2", pool="legacy", busy=None)], count=0, max_unavailable=1)
    assert p.steps == () and p.blocked == ()
    assert p.clusters["r1/c1"].phase == "up-to-date"


def test_a_node_without_pool_label_stops_every_pool() -> None:
    spec = fleet(cluster(pools=[pool("gpu"), pool("cpu")]))
    nodes = [
        node("nolabel", pool=None),
        node("g"),
        node("c", pool="cpu"),
        node("d", pool="cpu", image=NEW_IMAGE, cordoned=True),
    ]
    p = plan(spec, live(cluster_live(nodes)), [], NOW)
    assert actions(p) == [("uncordon", "d")]
    [b] = p.blocked
    assert b.reason is Reason.UNKNOWN_STATE and b.nodes == ("nolabel",)


def test_pool_status_counts() -> None:
    nodes = [
        node("done", image=NEW_IMAGE),
        node("busy", busy=True),
        node("down", ready=False),
        node("c", cordoned=True),
        node("r", target_image=NEW_IMAGE),
    ]
    p = run(nodes, max_unavailable=9)
    [status] = p.clusters["r1/c1"].pools
    assert (status.name, status.total, status.at_target, status.unavailable, status.max_unavailable, status.busy) == (
        "gpu",
        5,
        1,
        3,
        9,
        1,
    )


def test_node_steps_carry_pool_and_sort_by_action() -> None:
    nodes = [node("b", busy=True), node("a"), node("c", cordoned=True), node("d", image=NEW_IMAGE, cordoned=True)]
    p = run(nodes, max_unavailable=5)
    assert actions(p) == [("mark-pending", "b"), ("cordon", "a"), ("reimage", "c"), ("uncordon", "d")]
    assert {s.pool for s in p.steps} == {"gpu"}
    assert OLD_IMAGE not in {s.image for s in p.steps}
