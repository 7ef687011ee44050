"""DESIGN.md invariants 1-6 over random fleets, live states and clocks.

Each check re-derives what it needs from the inputs (busy, unavailable,
gates) instead of asking the planner's helpers, so a bug in a helper cannot
hide behind itself. Only ``windows.is_open`` is shared: it has its own tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetc.live.facts import ClusterLive, ControlPlaneFacts, LiveState, NodeFacts, RegionLive
from fleetc.plan.model import Action, Plan, Step
from fleetc.plan.planner import plan
from fleetc.plan.windows import is_open
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import ApprovalDoc
from fleetc.versions import Version

from .builders import REGION, approval, fleet

NODE_STEPS = {Action.CORDON, Action.REIMAGE, Action.MARK_PENDING}
NEW = {Action.UPGRADE_CONTROL_PLANE, *NODE_STEPS}
APPROVERS = ["ops@t.example", "eve@t.example"]


@dataclass(frozen=True)
class Case:
    spec: FleetSpec
    live: LiveState
    approvals: list[ApprovalDoc]
    now: datetime


def version(minor: int, patch: int) -> str:
    return f"1.{minor}.{patch}"


@st.composite
def pools(draw: st.DrawFn, cluster_index: int) -> list[dict[str, Any]]:
    found = []
    for index in range(draw(st.integers(1, 3))):
        count = draw(st.integers(1, 40))
        if draw(st.booleans()):
            max_unavailable: int | str = draw(st.integers(1, count))
        else:
            max_unavailable = f"{draw(st.integers(-(-100 // count), 100))}%"  # rounds down to >= 1
        found.append({"name": f"p{index}", "instanceType": "gpu8", "count": count, "maxUnavailable": max_unavailable})
    return found


def one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in ``n`` draws (never when ``n`` is 0)."""
    return n > 0 and draw(st.integers(1, n)) == 1


@st.composite
def clusters(draw: st.DrawFn, index: int) -> tuple[dict[str, Any], dict[str, str]]:
    """A cluster spec and its channel (each cluster gets its own channel)."""
    minor = draw(st.integers(28, 32))
    channel = {
        "kubernetes": version(minor, draw(st.integers(0, 3))),
        "etcd": f"3.5.{draw(st.integers(15, 17))}",
        "nodeImage": f"img-{draw(st.sampled_from(['a', 'b']))}",
    }
    upgrade: dict[str, Any] = {
        "approval": draw(st.sampled_from(["required", "automatic"])),
        "paused": one_in(draw, 8),
        "nodeTimeoutMinutes": draw(st.sampled_from([30, 120])),
    }
    if one_in(draw, 3):
        upgrade["window"] = {
            "days": draw(st.lists(st.sampled_from(["mon", "wed", "sat", "sun"]), min_size=1, unique=True)),
            "start": f"{draw(st.integers(0, 23)):02d}:00",
            "hours": draw(st.integers(1, 72)),
            "timezone": draw(st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"])),
        }
    spec: dict[str, Any] = {"name": f"c{index}", "tenant": "t", "channel": f"ch{index}", "upgrade": upgrade}
    spec["nodePools"] = draw(pools(index))
    return spec, channel


@st.composite
def nodes(draw: st.DrawFn, pool_names: list[str], minor: int, image: str, now: datetime, noise: int) -> list[NodeFacts]:
    """Up to 60 nodes; about one in ``noise`` has something unknown (0: none).
    Kubelets run ``minor`` or up to two minors older; a noisy node anything
    from 4 older to 1 newer (out of skew policy)."""
    found = []
    for i in range(draw(st.one_of(st.integers(0, 4), st.integers(0, 60)))):
        unknown = one_in(draw, noise)
        pool = draw(st.sampled_from([*pool_names, "stranger", None] if unknown else pool_names))
        busy = draw(st.sampled_from([True, False, None] if unknown else [True, False, False]))
        ready = draw(st.sampled_from([True, False, None] if unknown else [True, True, True, False]))
        node_image = draw(st.sampled_from([image, "img-old", None] if unknown else [image, "img-old", "img-old"]))
        target = draw(st.sampled_from([image, "img-older"])) if one_in(draw, 6) else None
        requested = now - timedelta(minutes=draw(st.integers(0, 150))) if target and draw(st.booleans()) else None
        found.append(
            NodeFacts(
                name=f"n{i:03d}",
                pool=pool,
                zone=draw(st.sampled_from(["a", "b", "c", None])),
                kubelet=Version(
                    1, draw(st.integers(minor - 4, minor + 1) if unknown else st.integers(minor - 2, minor)), 0
                ),
                image=node_image,
                ready=ready,
                cordoned=one_in(draw, 3),
                busy=busy,
                busy_reasons=("ns/pod",) if busy else (),
                pending=one_in(draw, 3),
                target_image=target,
                reimage_requested_at=requested,
                problems=("annotation unreadable",) if unknown and draw(st.booleans()) else (),
            )
        )
    return found


@st.composite
def control_planes(draw: st.DrawFn, k: Version, etcd: str) -> ControlPlaneFacts | None:
    """Mostly exactly at the target and ready (so nodes move), else anything."""
    e = Version.parse(etcd)
    if draw(st.integers(0, 2)) > 0:
        return ControlPlaneFacts(k, True, 3, e, True)
    if one_in(draw, 10):
        return None
    behind = [k.minor - 2, k.minor - 2, k.minor - 1, k.minor - 1, k.minor, k.minor + 1]
    return ControlPlaneFacts(
        apiserver_version=None if one_in(draw, 20) else Version(1, draw(st.sampled_from(behind)), 1),
        apiserver_ready=draw(st.sampled_from([True, True, True, False, None])),
        apiserver_replicas=3,
        etcd_version=Version(3, 5, e.patch - draw(st.integers(0, 1))),
        etcd_ready=draw(st.sampled_from([True, True, True, False])),
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    now = draw(st.datetimes(datetime(2024, 1, 1), datetime(2026, 1, 1), timezones=st.just(UTC)))
    built = [draw(clusters(i)) for i in range(draw(st.integers(1, 3)))]
    channels = {f"ch{i}": channel for i, (_, channel) in enumerate(built)}
    spec = fleet(*(c for c, _ in built), freeze=one_in(draw, 12), channels=channels, approvers=APPROVERS)
    region: dict[str, ClusterLive] = {}
    approvals: list[ApprovalDoc] = []
    for cluster, channel in built:
        k = Version.parse(channel["kubernetes"])
        cid = f"{REGION}/{cluster['name']}"
        shape = draw(st.sampled_from(["known"] * 12 + ["new", "problems", "no-nodes"]))
        noise = draw(st.sampled_from([0, 0, 40, 8]))
        cp = draw(control_planes(k, channel["etcd"]))
        minor = cp.apiserver_version.minor if cp is not None and cp.apiserver_version is not None else k.minor
        node_list = draw(nodes([p["name"] for p in cluster["nodePools"]], minor, channel["nodeImage"], now, noise))
        region[cluster["name"]] = ClusterLive(
            cid,
            exists=shape != "new",
            control_plane=None if shape == "new" else cp,
            nodes=None if shape in ("new", "no-nodes") else tuple(node_list),
            problems=("pods unreadable",) if shape == "problems" else (),
        )
        if draw(st.booleans()) or cluster["upgrade"]["approval"] == "required":
            good = not one_in(draw, 4)
            approvals.append(
                approval(
                    cid,
                    kubernetes=channel["kubernetes"] if good or draw(st.booleans()) else "1.20.0",
                    node_image=draw(st.sampled_from([None, channel["nodeImage"]] if good else [None, "img-x"])),
                    by=APPROVERS[0] if good or draw(st.booleans()) else "mallory@x.example",
                    expires="2030-01-01T00:00:00Z" if good or draw(st.booleans()) else "2024-01-01T00:00:00Z",
                    name=f"a-{cluster['name']}",
                )
            )
    return Case(spec, LiveState({REGION: RegionLive(REGION, region)}), approvals, now)


# ---------------------------------------------------------------- independent re-derivations


def approved(case: Case, cluster_id: str) -> bool:
    cluster = case.spec.cluster(cluster_id)
    assert cluster is not None
    targets = case.spec.targets(cluster)
    return any(
        a.spec.cluster == cluster_id
        and Version.parse(a.spec.kubernetes) == targets.kubernetes
        and a.spec.node_image in (None, targets.node_image)
        and a.spec.approved_by in APPROVERS
        and a.spec.expires_at > case.now
        for a in case.approvals
    )


def unavailable(node: NodeFacts, image: str, cordoned: bool) -> bool:
    reimaging = node.target_image == image and node.image != image
    return cordoned or node.ready is not True or reimaging


def known_cluster(live: ClusterLive, spec_nodes: int) -> bool:
    cp = live.control_plane
    if live.nodes is not None and not live.nodes and spec_nodes:
        return False  # an empty List says nothing
    return (
        live.exists
        and not live.problems
        and cp is not None
        and not cp.problems
        and cp.apiserver_version is not None
        and cp.etcd_version is not None
        and live.nodes is not None
    )


def check_invariants(case: Case, result: Plan) -> None:
    region = case.live.regions[REGION]
    for cluster_id, cluster_plan in result.clusters.items():
        name = cluster_id.split("/", 1)[1]
        cluster = case.spec.cluster(cluster_id)
        assert cluster is not None
        targets = case.spec.targets(cluster)
        live = region.clusters[name]
        steps = [s for s in result.steps if s.cluster == cluster_id]
        by_node = {n.name: n for n in live.nodes or ()}
        new_steps = [s for s in steps if s.action in NEW]
        node_steps = [s for s in steps if s.action in NODE_STEPS]

        # 6: unknown cluster -> no step at all, control plane left alone
        if not known_cluster(live, sum(p.count for p in cluster.node_pools)):
            if live.exists or live.problems:
                assert steps == [] and cluster_plan.control_plane_version is None, f"invariant 6 (fail closed): {steps}"
                assert cluster_plan.phase == "unknown", "invariant 6 (fail closed): phase of an unknown cluster"
            continue
        cp = live.control_plane
        assert cp is not None and cp.apiserver_version is not None

        # 5: gates
        gated = (
            case.spec.fleet.spec.freeze
            or cluster.upgrade.paused
            or (cluster.upgrade.approval == "required" and not approved(case, cluster_id))
            or (cluster.upgrade.window is not None and not is_open(cluster.upgrade.window, case.now))
        )
        if gated:
            assert new_steps == [], f"invariant 5 (gates): {cluster_id} {new_steps}"

        # 3: no node step unless the control plane is fully at its target
        at_target = cp.apiserver_version == targets.kubernetes and cp.etcd_version == targets.etcd and cp.ready is True
        if not at_target:
            assert node_steps == [], f"invariant 3 (control plane first): {node_steps}"

        # 4: one minor per step, kubelet skew respected, never from a rolling control plane
        for step in (s for s in steps if s.action is Action.UPGRADE_CONTROL_PLANE):
            moved = Version.parse(step.target)
            live_v = cp.apiserver_version
            assert cp.ready is True, "invariant 4 (one minor): a step from a rolling control plane"
            assert live_v <= moved <= targets.kubernetes and moved.major == live_v.major, (
                f"invariant 4: {live_v}->{moved}"
            )
            assert moved.minor - live_v.minor in (0, 1), f"invariant 4 (one minor): {live_v} -> {moved}"
            assert cluster_plan.control_plane_version == moved, "invariant 4: the compiler is told another version"
            if moved.minor != live_v.minor:
                for n in live.nodes or ():
                    assert n.kubelet is not None and 0 <= n.kubelet.minors_to(moved) <= 3, (
                        f"invariant 4 (skew): {n.name}"
                    )
        if not any(s.action is Action.UPGRADE_CONTROL_PLANE for s in steps):
            assert cluster_plan.control_plane_version == cp.apiserver_version, "invariant 4: moved without a step"

        # 1 and 6 (node level): never a busy or unknown node cordoned or reimaged
        for step in node_steps:
            n = by_node[step.target]
            assert n.pool == step.pool and step.pool in {p.name for p in cluster.node_pools}
            assert n.image != targets.node_image
            if step.action in (Action.CORDON, Action.REIMAGE):
                assert n.busy is False, f"invariant 1 (busy): {step}"
            if step.action is Action.MARK_PENDING:
                assert n.busy is True and not n.cordoned and not n.pending, f"mark-pending of {n.name}"
        for step in (s for s in steps if s.action is Action.UNCORDON):
            n = by_node[step.target]
            assert n.image == targets.node_image and n.ready is True
        unlabelled = any(n.pool is None for n in live.nodes or ())
        if unlabelled:
            assert node_steps == [], "invariant 6 (fail closed): a node without a pool label"
        for pool in cluster.node_pools:
            members = [n for n in live.nodes or () if n.pool == pool.name]
            pool_steps = [s for s in node_steps if s.pool == pool.name]
            unsure = any(
                n.image != targets.node_image and (n.ready is None or n.busy is None or n.image is None or n.problems)
                for n in members
            )
            if unsure:
                assert pool_steps == [], f"invariant 6 (fail closed): {pool.name} {pool_steps}"
            # SPEC 3: a reimage not back Ready at the target in time halts the pool
            timeout = timedelta(minutes=cluster.upgrade.node_timeout_minutes)
            late = any(
                n.target_image == targets.node_image
                and n.reimage_requested_at is not None
                and case.now - n.reimage_requested_at > timeout
                and not (n.image == targets.node_image and n.ready is True)
                for n in members
            )
            if late:
                assert pool_steps == [], f"SPEC 3 (halted pool): {pool.name} {pool_steps}"
            # 2: within maxUnavailable after this step's cordons
            cordons = {s.target for s in pool_steps if s.action is Action.CORDON}
            budget = pool.max_unavailable_nodes()
            before = sum(unavailable(n, targets.node_image, n.cordoned) for n in members)
            after = sum(unavailable(n, targets.node_image, n.cordoned or n.name in cordons) for n in members)
            assert after <= max(budget, before), f"invariant 2 (maxUnavailable): {pool.name} {before}->{after}/{budget}"
            if before >= budget:
                assert all(by_node[name].ready is not True for name in cordons), f"invariant 2: {pool.name} over"


def shuffled(case: Case, seed: int) -> Case:
    rng = random.Random(seed)
    region = case.live.regions[REGION]
    clusters = {}
    for name, live in region.clusters.items():
        order = list(live.nodes) if live.nodes is not None else None
        if order is not None:
            rng.shuffle(order)
        clusters[name] = ClusterLive(
            live.cluster, live.exists, live.control_plane, tuple(order) if order is not None else None, live.problems
        )
    approvals = list(case.approvals)
    rng.shuffle(approvals)
    return Case(case.spec, LiveState({REGION: RegionLive(REGION, clusters)}), approvals, case.now)


def run(case: Case) -> Plan:
    return plan(case.spec, case.live, case.approvals, case.now)


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(cases())
def test_invariants_hold_on_random_fleets(case: Case) -> None:
    check_invariants(case, run(case))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.integers(0, 1000))
def test_same_inputs_and_shuffled_nodes_give_the_same_plan(case: Case, seed: int) -> None:
    first = run(case)
    assert run(case) == first
    assert run(shuffled(case, seed)) == first
    assert list(first.steps) == sorted(first.steps, key=_step_order)


def _step_order(step: Step) -> tuple[str, int, str, str]:
    order = [
        Action.UPGRADE_CONTROL_PLANE,
        Action.MARK_PENDING,
        Action.ESCALATE_PENDING,
        Action.REQUEST_CHECKPOINT,
        Action.CORDON,
        Action.REIMAGE,
        Action.UNCORDON,
    ]
    return (step.cluster, order.index(step.action), step.pool or "", step.target)
