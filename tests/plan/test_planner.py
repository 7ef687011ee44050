"""plan() assembly: new and unknown clusters, phases, ordering, regions, the example fleet."""

from __future__ import annotations

import random
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fleetc.live.facts import ClusterLive, LiveState, RegionLive
from fleetc.live.read import read_live
from fleetc.plan.model import Action, Reason
from fleetc.plan.planner import plan
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.loader import load_fleet

from .builders import ETCD, NEW_K, NOW, cluster, cluster_live, control_plane, fleet, live, node, nodes_of, pool

REPO = Path(__file__).resolve().parents[2]


def test_new_cluster_is_created_at_its_targets_without_steps() -> None:
    state = live(ClusterLive("r1/c1", exists=False, control_plane=None, nodes=None))
    p = plan(fleet(cluster(approval="required")), state, [], NOW)
    assert p.steps == () and p.blocked == ()
    cp = p.clusters["r1/c1"]
    assert (cp.phase, str(cp.control_plane_version), str(cp.etcd_version)) == ("new", NEW_K, ETCD)


def test_cluster_never_read_is_unknown_not_new() -> None:
    p = plan(fleet(), LiveState(), [], NOW)
    [b] = p.blocked
    assert b.reason is Reason.UNKNOWN_STATE and "no live state was read for region r1" in b.detail
    assert p.clusters["r1/c1"].phase == "unknown"


def test_region_problem_makes_its_clusters_unknown() -> None:
    state = LiveState({"r1": RegionLive("r1", problems=("management cluster: connection refused",))})
    p = plan(fleet(), state, [], NOW)
    assert "connection refused" in p.blocked[0].detail
    assert p.clusters["r1/c1"].control_plane_version is None


def test_unknown_cluster_keeps_pool_status_when_nodes_were_read() -> None:
    state = live(ClusterLive("r1/c1", True, None, tuple(nodes_of(4))))
    p = plan(fleet(), state, [], NOW)
    assert p.clusters["r1/c1"].pools[0].total == 4
    assert p.steps == ()


def test_region_argument_plans_one_region() -> None:
    one = [pool(count=1, max_unavailable=1)]
    spec = fleet(cluster("c1", pools=one))
    other = fleet(cluster("c9", pools=one), region="r2")
    spec.regions.update(other.regions)
    state = LiveState(
        {
            "r1": RegionLive("r1", {"c1": cluster_live(nodes_of(1))}),
            "r2": RegionLive("r2", {"c9": cluster_live(nodes_of(1), name="c9", region="r2")}),
        }
    )
    assert set(plan(spec, state, [], NOW).clusters) == {"r1/c1", "r2/c9"}
    only = plan(spec, state, [], NOW, region="r2")
    assert set(only.clusters) == {"r2/c9"} and {s.cluster for s in only.steps} == {"r2/c9"}


def test_steps_sort_by_cluster_then_action_order_then_pool_then_target() -> None:
    spec = fleet(cluster("b", pools=[pool(count=2)]), cluster("a", pools=[pool(count=1, max_unavailable=1)]))
    state = live(
        cluster_live([node("z"), node("y", busy=True)], name="b"),
        cluster_live([node("x", cordoned=True)], control_plane("1.31.1"), name="a"),
    )
    p = plan(spec, state, [], NOW)
    assert [(s.cluster, str(s.action), s.target) for s in p.steps] == [
        ("r1/a", "upgrade-control-plane", "1.31.2"),
        ("r1/b", "mark-pending", "y"),
        ("r1/b", "cordon", "z"),
    ]
    assert [(b.cluster, str(b.reason)) for b in p.blocked] == [
        ("r1/a", "control-plane-not-ready"),
        ("r1/b", "busy"),
    ]


def test_node_order_and_now_zone_do_not_change_the_plan() -> None:
    nodes = [
        *nodes_of(30),
        *nodes_of(10, prefix="busy", busy=True),
        *nodes_of(5, prefix="c", cordoned=True),
        node("d", ready=False),
    ]
    first = plan(fleet(), live(cluster_live(nodes)), [], NOW)
    shuffled = list(nodes)
    random.Random(7).shuffle(shuffled)
    second = plan(fleet(), live(cluster_live(shuffled)), [], NOW.astimezone(ZoneInfo("Asia/Tokyo")))
    assert first == second


@pytest.fixture(scope="module")
def example() -> tuple[FleetSpec, LiveState]:
    spec = load_fleet(REPO / "fleet")
    state = read_live(str(REPO / "examples" / "live"), spec.region_clusters(), spec.label_prefix)
    return spec, state


def test_example_fleet_plans_deterministically(example: tuple[FleetSpec, LiveState]) -> None:
    spec, state = example
    one = plan(spec, state, spec.approvals, NOW)
    two = plan(spec, state, list(reversed(spec.approvals)), NOW)
    assert one == two
    assert one.to_json() == two.to_json()
    assert len(one.clusters) == len(list(spec.clusters()))
    for step in one.steps:
        if step.action is not Action.UPGRADE_CONTROL_PLANE:
            assert step.pool is not None
