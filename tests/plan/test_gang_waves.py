"""Gang-aware cordon order: a freed gang's nodes go together, a failure domain's stragglers go first.

What the planner can know from one live read: an idle node carrying the
pending label is idle because its job ended (only busy nodes are marked),
and the nodes of one gang were marked in the same run, so they share
``pending-since``. Zones tie on unavailable nodes far more often than not;
the tie goes to the zone with the fewest nodes still to do.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fleetc.live.facts import NodeFacts
from fleetc.plan.model import Action
from fleetc.plan.planner import plan
from fleetc.plan.waves import _cordon_order, spread

from .builders import NEW_IMAGE, NOW, cluster, cluster_live, fleet, live, node, pool


def cordoned(nodes: list[NodeFacts], budget: int) -> list[str]:
    count = len(nodes)
    p = plan(fleet(cluster(pools=[pool(count=count, max_unavailable=budget)])), live(cluster_live(nodes)), [], NOW)
    return [s.target for s in p.steps if s.action is Action.CORDON]


def test_a_tie_between_zones_goes_to_the_zone_with_the_fewest_nodes_left() -> None:
    nodes = [
        node("a1", zone="a"), node("a2", zone="a"), node("a3", zone="a"),
        node("b1", zone="b"), node("b2", zone="b", image=NEW_IMAGE), node("b3", zone="b", image=NEW_IMAGE),
    ]
    # both zones have nothing unavailable; b has one node left to do, a three: b's straggler first
    assert cordoned(nodes, budget=1) == ["b1"]
    # with room for two, one from each zone (the spread across failure domains comes first)
    assert sorted(cordoned(nodes, budget=2)) == ["a1", "b1"]


def test_busy_nodes_count_as_left_to_do() -> None:
    nodes = [
        node("a1", zone="a"), node("a2", zone="a", image=NEW_IMAGE),
        node("b1", zone="b"), node("b2", zone="b", busy=True, pending=True),
    ]
    assert cordoned(nodes, budget=1) == ["a1"]  # b still has its busy node to do after b1


def test_a_freed_gang_is_taken_together_longest_pending_first() -> None:
    early, late = NOW - timedelta(hours=30), NOW - timedelta(hours=2)
    nodes = [
        node("n1", pending=True, pending_since=late),  # one gang, marked in a later run
        node("n2", pending=True, pending_since=early),  # another, marked at the start
        node("n3", pending=True, pending_since=late),
        node("n4", pending=True, pending_since=early),
        node("n5"),  # idle, never marked
        node("n6", pending=True),  # pending without the annotation (marked by an older fleetc)
    ]
    # (the plan lists steps by name; the choice is what is asserted)
    assert cordoned(nodes, budget=2) == ["n2", "n4"]
    assert cordoned(nodes, budget=3) == ["n1", "n2", "n4"]
    assert cordoned(nodes, budget=5) == ["n1", "n2", "n3", "n4", "n6"]  # n5, never marked, last


ZONES = ["", "a", "b", "c"]


@st.composite
def pools(draw: st.DrawFn) -> tuple[list[NodeFacts], dict[str, int], dict[str, int], int]:
    count = draw(st.integers(0, 30))
    candidates = [
        node(
            f"n{i:02d}",
            zone=draw(st.sampled_from(ZONES)) or None,
            pending=(pending := draw(st.booleans())),
            pending_since=NOW - timedelta(hours=draw(st.integers(0, 3))) if pending and draw(st.booleans()) else None,
        )
        for i in range(count)
    ]
    down = {z: draw(st.integers(0, 4)) for z in ZONES if draw(st.booleans())}
    left = Counter((n.zone or "") for n in candidates)
    for zone in ZONES:
        left[zone] += draw(st.integers(0, 5))  # busy or reimaging nodes still to do
    return candidates, down, dict(left), draw(st.integers(0, 12))


@settings(max_examples=300, deadline=None)
@given(pools())
def test_spread_keeps_failure_domains_balanced_and_takes_each_zone_in_order(
    case: tuple[list[NodeFacts], dict[str, int], dict[str, int], int],
) -> None:
    candidates, down, left, count = case
    taken = spread(candidates, down, count, left)
    assert len(taken) == min(count, len(candidates))
    assert len({n.name for n in taken}) == len(taken)
    picks = Counter((n.zone or "") for n in taken)
    offered = Counter((n.zone or "") for n in candidates)
    # Failure domains stay balanced whatever the tie-break: a zone's last pick was made while no zone that
    # still has candidates had fewer unavailable nodes.
    for zone, got in picks.items():
        for other in offered:
            if offered[other] > picks[other]:
                assert down.get(zone, 0) + got - 1 <= down.get(other, 0) + picks[other]
    # Inside a zone the first candidates in the cordon order are taken (pending, longest pending, name).
    for zone, got in picks.items():
        ranked = sorted((n for n in candidates if (n.zone or "") == zone), key=_cordon_order)
        assert [n.name for n in taken if (n.zone or "") == zone] == [n.name for n in ranked[:got]]


def test_spread_does_not_modify_its_inputs() -> None:
    candidates = [node("a1", zone="a"), node("b1", zone="b")]
    down, left = {"a": 1}, {"a": 1, "b": 1}
    spread(candidates, down, 2, left)
    assert down == {"a": 1} and left == {"a": 1, "b": 1}
