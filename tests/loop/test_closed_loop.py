"""Closed loop: read the raw world, plan, compile, apply, let time pass, re-plan -- every invariant at every step.

Hypothesis draws the site (clusters, pools, budgets, how far behind the
control plane is, which intermediate node images the channel names, the
control plane's form (Kamaji TenantControlPlane or the earlier one), sidecars
in the control plane's pod templates) and how much the world interferes
(hand cordons, flapping and Unknown readiness, static pods with
do-not-disrupt, nodes vanishing while reprovisioned, fleet freezes). Phase 1
runs with interference; phase 2 stops it, and the rollout must then finish:
every node at the target image, in service, without fleetc's marks, the
control plane at its target -- or, when the fleet names no node image the
climb needs, the climb is refused at the first plan and nothing ever moves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan.builders import fleet

from fleetc.plan.model import Phase, Reason
from fleetc.plan.planner import plan
from fleetc.spec.fleet import FleetSpec
from fleetc.versions import Version

from .invariants import Before, Violation, check_all, kubelets_in_skew
from .world import KEYS, PREFIX, REGION, TICK, SimCluster, SimNode, World

TARGET = Version(1, 31, 2)
ETCD = Version(3, 5, 16)
FINAL_IMAGE = "img-1.31.2"
START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PHASE_1, PHASE_2 = 30, 160


def image_for(minor: int) -> str:
    return FINAL_IMAGE if minor == TARGET.minor else f"img-1.{minor}"


@dataclass
class Site:
    spec: FleetSpec
    frozen: FleetSpec
    world: World
    climbs: bool  # the fleet names the images the climb needs


@st.composite
def sites(draw: st.DrawFn) -> Site:
    start = draw(st.sampled_from([31, 30, 29, 28, 28, 27]))
    offered = draw(st.sets(st.integers(start + 1, 30), max_size=3)) if start + 1 <= 30 else set()
    node_images = {f"1.{m}": image_for(m) for m in sorted(offered)}
    etcd_start = draw(st.sampled_from([ETCD, Version(3, 5, 10), Version(3, 4, 30), Version(3, 3, 27)]))
    channels = {
        "c": {"kubernetes": str(TARGET), "etcd": str(ETCD), "nodeImage": FINAL_IMAGE, "nodeImages": node_images}
    }
    cluster_specs: list[dict[str, Any]] = []
    sims: list[SimCluster] = []
    for index in range(draw(st.integers(1, 2))):
        pools = []
        sim = SimCluster(
            f"k{index}", Version(1, start, 0), etcd_start, sidecars=draw(st.booleans()), kamaji=draw(st.booleans())
        )
        for p in range(draw(st.integers(1, 2))):
            count = draw(st.integers(2, 10))
            budget: int | str = (
                draw(st.integers(1, min(3, count))) if draw(st.booleans()) else f"{draw(st.integers(10, 60))}%"
            )
            pools.append({"name": f"p{p}", "instanceType": "gpu8", "count": count, "maxUnavailable": budget})
            for n in range(count):
                name = f"k{index}-p{p}-{n:02d}"
                sim.nodes[name] = SimNode(name, f"p{p}", "abc"[n % 3], image_for(start), Version(1, start, 0))
        cluster_specs.append({"name": sim.name, "tenant": "t", "channel": "c", "upgrade": {"approval": "automatic"},
                              "nodePools": pools})  # fmt: skip
        sims.append(sim)
    spec = fleet(*cluster_specs, channels=channels)
    frozen = fleet(*cluster_specs, channels=channels, freeze=True)
    spec.fleet = spec.fleet.model_copy(update={"spec": spec.fleet.spec.model_copy(update={"label_prefix": PREFIX})})
    frozen.fleet = frozen.fleet.model_copy(
        update={"spec": frozen.fleet.spec.model_copy(update={"label_prefix": PREFIX})}
    )
    images = {image_for(m): Version(1, m, 0) for m in range(27, 31)} | {FINAL_IMAGE: TARGET}
    world = World(spec, sims, images, seed=draw(st.integers(0, 2**32 - 1)))
    world.interference = draw(st.sampled_from([0.0, 0.1, 0.3]))
    # the climb can finish when, from the kubelets' minor, each leg of at most 3 minors has an image
    kubelet, climbs = start, True
    while kubelet + 3 < TARGET.minor:
        options = [m for m in offered if kubelet < m <= kubelet + 3]
        if not options:
            climbs = False
            break
        kubelet = max(options)
    return Site(spec, frozen, world, climbs)


def run(site: Site, freeze_rate: float) -> list[str]:
    world = site.world
    phases: list[str] = []
    first_cp = {name: c.apiserver for name, c in world.clusters.items()}
    now = START
    for tick in range(PHASE_1 + PHASE_2):
        if tick == PHASE_1:
            world.settle()
        frozen = tick < PHASE_1 and world.rng.random() < freeze_rate
        spec = site.frozen if frozen else site.spec
        before = Before.of(world)
        result = plan(spec, world.live(), [], now)
        try:
            check_all(spec, before, result, world, set(world.clusters) if frozen else set())
        except Violation as violation:
            raise Violation(violation.invariant, f"{violation} at tick {tick}: {describe(before, result)}") from None
        if not site.climbs:
            refused = [
                b
                for b in result.blocked
                if b.reason is Reason.HALTED and ("nodeImages" in b.detail or "earlier form" in b.detail)
            ]
            assert refused or all(c.phase is Phase.UNKNOWN for c in result.clusters.values()), result.to_json()
        world.apply(spec, result, now)
        kubelets_in_skew(world)
        for name in earlier_form(world):  # never upgraded or replaced: a TenantControlPlane would bring a new CA
            assert world.clusters[name].apiserver == first_cp[name], name
        phases = [str(c.phase) for c in result.clusters.values()]
        if tick >= PHASE_1 and all(done_or_held(c.cluster, c.phase, result) for c in result.clusters.values()):
            return phases
        now += TICK
        world.advance()
    if not site.climbs:
        assert {n: c.apiserver for n, c in world.clusters.items()} == first_cp  # never started
        return phases
    raise AssertionError(f"no convergence after {PHASE_1 + PHASE_2} ticks: {phases}; {result.to_json()}")


def earlier_form(world: Any) -> set[str]:
    return {name for name, cluster in world.clusters.items() if not cluster.kamaji}


def done_or_held(cluster_id: str, phase: Phase, result: Any) -> bool:
    """Up to date, or an earlier-form control plane held for a migration by hand (docs/control-plane.md)."""
    if phase == Phase.UP_TO_DATE:
        return True
    return any(
        b.cluster == cluster_id and b.reason is Reason.HALTED and "earlier form" in b.detail for b in result.blocked
    )


def describe(before: Before, result: Any) -> str:
    """The world and the plan at a failing step, compactly, for the failure message."""
    rows = []
    for cluster in before.clusters.values():
        rows.append(
            f"{cluster.name} cp {cluster.apiserver}/{cluster.etcd} rolled={before.tick >= cluster.rolling_until}"
        )
        for n in sorted(cluster.nodes.values(), key=lambda n: n.name):
            marks = {k.split("/")[-1]: v for k, v in n.labels.items()}
            busy = any(n.name in j.nodes for j in cluster.jobs) or n.static_dnd
            rows.append(
                f"  {n.name} {n.image} ready={n.ready} cordoned={n.unschedulable} busy={busy} hidden={n.hidden} {marks}"
            )
    steps = [(str(s.action), s.target, s.detail) for s in result.steps]
    blocked = [(str(b.reason), b.detail) for b in result.blocked]
    return "\n".join([*rows, f"steps {steps}", f"blocked {blocked}"])


def assert_done(site: Site) -> None:
    held = {name for name in earlier_form(site.world) if site.world.clusters[name].apiserver != TARGET}
    for cluster, node in site.world.all_nodes():
        if cluster.name in held:
            continue  # its control plane stays where it is, so may its nodes
        assert (cluster.apiserver, cluster.etcd) == (TARGET, ETCD), cluster.name
        assert node.image == FINAL_IMAGE and not node.unschedulable, node
        marks = {k for k in node.labels if k in (KEYS.target_image, KEYS.cordoned_by, KEYS.upgrade_pending)}
        assert not marks and not node.taints, (node.name, node.labels, node.taints)


@settings(
    max_examples=int(os.environ.get("FLEETC_LOOP_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sites(), st.sampled_from([0.0, 0.2]))
def test_every_invariant_holds_at_every_step_and_the_rollout_finishes(site: Site, freeze_rate: float) -> None:
    try:
        run(site, freeze_rate)
    except Violation:
        raise
    if site.climbs:
        assert_done(site)


def test_the_loop_catches_a_planner_that_breaks_the_budget() -> None:
    """The harness itself can fail: a plan cordoning past the budget is reported as invariant 2."""
    from fleetc.plan.model import Action, Plan, Step

    nodes = {f"n{i}": SimNode(f"n{i}", "p0", "a", FINAL_IMAGE, TARGET) for i in range(4)}
    nodes["n0"].image = "img-1.30"
    nodes["n1"].image = "img-1.30"
    sim = SimCluster("k0", TARGET, ETCD, nodes=nodes)
    spec = fleet(
        {"name": "k0", "tenant": "t", "channel": "c", "upgrade": {"approval": "automatic"},
         "nodePools": [{"name": "p0", "instanceType": "gpu8", "count": 4, "maxUnavailable": 1}]},
        channels={"c": {"kubernetes": str(TARGET), "etcd": str(ETCD), "nodeImage": FINAL_IMAGE}},
    )  # fmt: skip
    world = World(spec, [sim], {FINAL_IMAGE: TARGET, "img-1.30": Version(1, 30, 3)}, seed=1)
    honest = plan(spec, world.live(), [], START)
    cid = f"{REGION}/k0"
    greedy = Plan(
        steps=(Step(cid, Action.CORDON, "n0", pool="p0"), Step(cid, Action.CORDON, "n1", pool="p0")),
        clusters=honest.clusters,
    )
    check_all(spec, Before.of(world), honest, world, set())
    try:
        check_all(spec, Before.of(world), greedy, world, set())
    except Violation as violation:
        assert violation.invariant.startswith("2")
    else:
        raise AssertionError("a plan cordoning 2 of a budget of 1 passed the checks")
