"""upgrade.busyNodes: the pending taint escalates from PreferNoSchedule to NoSchedule, and never evicts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fleetc.live.facts import NodeFacts
from fleetc.plan.model import Action, Plan
from fleetc.plan.planner import plan

from .builders import NEW_IMAGE, NOW, cluster, cluster_live, fleet, live, node, pool

SOFT_ONLY = {"escalateAfter": "never", "escalateWhenRemaining": 0}


def run(nodes: list[NodeFacts], busy: dict[str, Any] | None, max_unavailable: int = 2, **upgrade: Any) -> Plan:
    count = sum(1 for n in nodes if n.pool == "gpu")
    if busy is not None:
        upgrade["busyNodes"] = busy
    spec = fleet(cluster(pools=[pool(count=count, max_unavailable=max_unavailable)], **upgrade))
    return plan(spec, live(cluster_live(nodes)), [], NOW)


def actions(p: Plan) -> list[tuple[str, str]]:
    return [(str(s.action), s.target) for s in p.steps]


def test_prefer_no_schedule_only_never_escalates() -> None:
    nodes = [
        node("fresh", busy=True),
        node("old", busy=True, pending=True, pending_since=NOW - timedelta(days=30)),
    ]
    assert actions(run(nodes, SOFT_ONLY)) == [("mark-pending", "fresh")]


def test_escalate_after_counts_from_pending_since_and_keeps_it() -> None:
    nodes = [
        node("due", busy=True, pending=True, pending_since=NOW - timedelta(hours=6)),
        node("early", busy=True, pending=True, pending_since=NOW - timedelta(hours=5, minutes=59)),
        node("untimed", busy=True, pending=True),  # marked before the annotation existed: only the count rule
        node("hard", busy=True, pending=True, pending_hard=True, pending_since=NOW - timedelta(days=3)),
        node("fresh", busy=True),
    ]
    p = run(nodes, {"escalateAfter": "6h", "escalateWhenRemaining": 0})
    assert actions(p) == [("mark-pending", "fresh"), ("escalate-pending", "due")]
    [escalated] = [s for s in p.steps if s.action is Action.ESCALATE_PENDING]
    assert escalated.pending_since == "2024-12-11T09:00:00Z"  # the live value, never re-stamped
    assert "escalateAfter 6h" in escalated.detail
    assert escalated.to_json()["pendingSince"] == "2024-12-11T09:00:00Z"


def test_escalate_after_zero_marks_no_schedule_at_once() -> None:
    p = run([node("fresh", busy=True), node("idle")], {"escalateAfter": "0m"}, max_unavailable=1)
    assert actions(p) == [("escalate-pending", "fresh"), ("cordon", "idle")]
    assert p.steps[0].pending_since is None  # the compiler stamps the plan's time


def test_escalate_when_remaining_hardens_every_pending_node_of_the_pool() -> None:
    done = [node(f"done-{i}", image=NEW_IMAGE) for i in range(7)]
    left = [
        node("soft", busy=True, pending=True, pending_since=NOW - timedelta(minutes=15)),
        node("fresh", busy=True),
        node("idle-soft", pending=True),  # idle, waiting for room: a job could take it
    ]
    policy = {"escalateAfter": "never", "escalateWhenRemaining": 3}
    p = run([*done, *left], policy, max_unavailable=1, approval="automatic")
    cordoned = [t for a, t in actions(p) if a == "cordon"]
    assert cordoned == ["idle-soft"]  # the room goes to it: it is cordoned, not escalated
    assert ("escalate-pending", "fresh") in actions(p) and ("escalate-pending", "soft") in actions(p)
    assert "3 nodes left to upgrade" in p.steps[0].detail
    # one more node left to do: 4 > 3, the soft taint stays
    p = run([*done, *left, node("held", busy=True, pending=True, pending_hard=True)], policy, max_unavailable=1)
    assert ("mark-pending", "fresh") in actions(p)
    assert all(a != "escalate-pending" for a, _ in actions(p))


def test_idle_pending_node_left_waiting_for_room_escalates_too() -> None:
    nodes = [
        node("down", cordoned=True),  # fleetc's cordon, idle: the budget of 1 is spent on it
        node("waits", pending=True, pending_since=NOW - timedelta(days=2)),
    ]
    p = run(nodes, {"escalateAfter": "24h", "escalateWhenRemaining": 0}, max_unavailable=1)
    assert actions(p) == [("escalate-pending", "waits"), ("reimage", "down")]


def test_closed_gates_escalate_nothing() -> None:
    nodes = [node("due", busy=True, pending=True, pending_since=NOW - timedelta(days=2)), node("fresh", busy=True)]
    assert run(nodes, {"escalateAfter": "1h"}, paused=True).steps == ()


def test_pool_status_carries_the_oldest_pending_since() -> None:
    nodes = [
        node("a", busy=True, pending=True, pending_since=NOW - timedelta(hours=3)),
        node("b", busy=True, pending=True, pending_since=NOW - timedelta(hours=9)),
        node("c", image=NEW_IMAGE, pending=True, pending_since=NOW - timedelta(days=9)),  # done: uncordoned now
    ]
    [status] = run(nodes, SOFT_ONLY).clusters["r1/c1"].pools
    assert status.pending_since == NOW - timedelta(hours=9)


POLICIES = st.fixed_dictionaries(
    {
        "escalateAfter": st.sampled_from(["never", "0m", "30m", "6h", "2d"]),
        "escalateWhenRemaining": st.one_of(st.integers(0, 12), st.sampled_from(["0%", "10%", "50%", "100%"])),
    }
)


@st.composite
def pools(draw: st.DrawFn) -> list[NodeFacts]:
    out = []
    for i in range(draw(st.integers(1, 12))):
        pending = draw(st.booleans())
        out.append(
            node(
                f"n{i:02d}",
                image=draw(st.sampled_from([NEW_IMAGE, "img-old"])),
                busy=draw(st.booleans()),
                cordoned=draw(st.booleans()),
                pending=pending,
                pending_hard=pending and draw(st.booleans()),
                pending_since=NOW - timedelta(minutes=draw(st.integers(0, 5000))) if pending else None,
            )
        )
    return out


@settings(max_examples=200, deadline=None)
@given(nodes=pools(), policy=POLICIES)
def test_escalation_only_where_the_policy_says_and_never_disrupts(
    nodes: list[NodeFacts], policy: dict[str, Any]
) -> None:
    p = run(nodes, policy, max_unavailable=3)
    by_name = {n.name: n for n in nodes}
    remaining = sum(1 for n in nodes if n.image != NEW_IMAGE)
    threshold = policy["escalateWhenRemaining"]
    if isinstance(threshold, str):
        threshold = len(nodes) * int(threshold[:-1]) // 100
    by_count = threshold > 0 and remaining <= threshold
    after = {"never": None, "0m": 0, "30m": 30, "6h": 360, "2d": 2880}[policy["escalateAfter"]]
    targets = [s.target for s in p.steps]
    assert len(targets) == len(set(targets))  # one step per node
    for step in p.steps:
        n = by_name[step.target]
        if step.action in (Action.MARK_PENDING, Action.ESCALATE_PENDING):
            assert n.image != NEW_IMAGE and not n.cordoned and not n.pending_hard
        if step.action is Action.MARK_PENDING:
            assert not n.pending and not by_count and after != 0 and n.busy
        if step.action is Action.ESCALATE_PENDING:
            pending_long = (
                after is not None and n.pending_since is not None and NOW - n.pending_since >= timedelta(minutes=after)
            )
            assert by_count or after == 0 or pending_long
            assert step.pending_since == (n.pending_since.strftime("%Y-%m-%dT%H:%M:%SZ") if n.pending_since else None)
        if step.action in (Action.CORDON, Action.REIMAGE):
            assert not n.busy  # never a busy node, whatever the policy
    # every busy, soft-pending node still to do that the policy says is due is escalated
    for n in nodes:
        due = n.pending_since is not None and after is not None and NOW - n.pending_since >= timedelta(minutes=after)
        if n.busy and n.pending and not n.pending_hard and not n.cordoned and n.image != NEW_IMAGE:
            assert (("escalate-pending", n.name) in actions(p)) == (by_count or after == 0 or due)


# --- upgrade.checkpointRequest -------------------------------------------------------------------------------


def with_pods(name: str, *pods: str, asked: bool = False, **facts: Any) -> NodeFacts:
    base = node(name, busy=True, busy_reasons=pods, **facts)
    return NodeFacts(**{**base.__dict__, "unrequested_pods": () if asked else pods, "checkpoint_requested": asked})


def test_checkpoint_requests_are_off_by_default() -> None:
    p = run([with_pods("a", "ml/w-0", pending=True)], SOFT_ONLY)
    assert p.steps == ()


def test_checkpoint_requests_fill_the_budget_room_oldest_pending_first() -> None:
    nodes = [
        with_pods("a", "ml/a-0", "ml/a-1", pending=True, pending_since=NOW - timedelta(hours=1)),
        with_pods("b", "ml/b-0", pending=True, pending_since=NOW - timedelta(hours=9)),
        with_pods("c", "ml/c-0", pending=True, pending_since=NOW - timedelta(hours=5)),
        with_pods("d", "ml/d-0"),  # marked in this step: no pending-since yet, asked last
        node("idle"),  # takes one unit of the budget (a cordon)
    ]
    p = run(nodes, SOFT_ONLY, max_unavailable=3, checkpointRequest={"enabled": True, "deadline": "6h"})
    requests = [s for s in p.steps if s.action is Action.REQUEST_CHECKPOINT]
    assert [(s.target, s.pods) for s in requests] == [("b", ("ml/b-0",)), ("c", ("ml/c-0",))]  # 3 - 1 cordon = 2
    assert requests[0].to_json()["pods"] == ["ml/b-0"]
    assert ("cordon", "idle") in actions(p) and ("mark-pending", "d") in actions(p)
    # asked nodes go NoSchedule whatever the policy: their jobs start again elsewhere, not there
    assert {t for a, t in actions(p) if a == "escalate-pending"} == {"b", "c"}


def test_nodes_already_asked_count_until_their_jobs_exit() -> None:
    asked = with_pods("a", "ml/a-0", asked=True, pending=True)
    topped = NodeFacts(**{**asked.__dict__, "name": "t", "unrequested_pods": ("ml/new-0",)})  # a new pod there
    waiting = with_pods("b", "ml/b-0", pending=True)
    p = run([asked, topped, waiting], SOFT_ONLY, max_unavailable=2, checkpointRequest={"enabled": True})
    requests = [(s.target, s.pods) for s in p.steps if s.action is Action.REQUEST_CHECKPOINT]
    assert requests == [("t", ("ml/new-0",))]  # room 2, both in flight: b waits; t's new pod is annotated


def test_checkpoint_requests_stop_with_the_gates() -> None:
    p = run([with_pods("a", "ml/a-0", pending=True)], SOFT_ONLY, paused=True, checkpointRequest={"enabled": True})
    assert p.steps == ()
