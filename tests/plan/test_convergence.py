"""A rollout finishes: apply each plan's steps to the facts, re-plan, repeat.

The world here is a small, honest model of the cluster: a control plane
rolls for one interval after a step, the provisioner reimages a labelled
cordoned node within one interval (it comes back NotReady first), and busy
jobs end after a few intervals. Every intermediate plan must also keep the
invariants.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from fleetc.live.facts import ClusterLive, ControlPlaneFacts, LiveState, NodeFacts, RegionLive
from fleetc.plan.model import Action, Plan
from fleetc.plan.planner import plan
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import ApprovalDoc
from fleetc.versions import Version

from .builders import NOW, REGION, approval, cluster, fleet, node, pool
from .test_invariants import Case, check_invariants

TARGET = {"kubernetes": "1.31.2", "etcd": "3.5.16", "nodeImage": "img-new"}
INTERVAL = timedelta(minutes=10)


class World:
    """Live facts of one cluster, changed by steps and by time."""

    def __init__(self, nodes: list[NodeFacts], busy_for: dict[str, int]) -> None:
        self.cp = ControlPlaneFacts(Version(1, 29, 10), True, 3, Version(3, 5, 15), True)
        self.nodes = {n.name: n for n in nodes}
        self.busy_for = dict(busy_for)  # node -> intervals until its job ends

    def live(self) -> LiveState:
        facts = ClusterLive(f"{REGION}/c1", True, self.cp, tuple(self.nodes.values()))
        return LiveState({REGION: RegionLive(REGION, {"c1": facts})})

    def apply(self, result: Plan, now: datetime) -> None:
        for step in result.steps:
            if step.action is Action.UPGRADE_CONTROL_PLANE:
                assert step.etcd is not None
                self.cp = ControlPlaneFacts(Version.parse(step.target), False, 3, Version.parse(step.etcd), False)
                continue
            n = self.nodes[step.target]
            if step.action is Action.CORDON:  # fleetc's cordon carries its cordoned-by label
                n = replace(n, cordoned=True, fleetc_cordon=True)
            elif step.action is Action.MARK_PENDING:
                n = replace(n, pending=True)
            elif step.action is Action.REIMAGE:
                n = replace(n, target_image=step.image, reimage_requested_at=now, ready=False)
            elif step.action is Action.UNCORDON:
                n = replace(
                    n, cordoned=False, fleetc_cordon=False, pending=False, target_image=None, reimage_requested_at=None
                )
            self.nodes[n.name] = n

    def tick(self) -> None:
        """One interval passes: rollouts finish, the provisioner works, jobs end."""
        self.cp = replace(self.cp, apiserver_ready=True, etcd_ready=True)
        for name, n in list(self.nodes.items()):
            if n.target_image is not None and n.image != n.target_image:
                n = replace(n, image=n.target_image, kubelet=self.cp.apiserver_version)
            elif n.target_image is not None and n.ready is False:
                n = replace(n, ready=True)
            left = self.busy_for.get(name, 0)
            if left:
                self.busy_for[name] = left - 1
                n = replace(n, busy=left > 1, busy_reasons=("ml/job",) if left > 1 else ())
            self.nodes[name] = n


def roll_out(spec: FleetSpec, world: World, approvals: list[ApprovalDoc], limit: int = 200) -> list[Plan]:
    now = NOW
    plans = []
    for _ in range(limit):
        result = plan(spec, world.live(), approvals, now)
        check_invariants(Case(spec, world.live(), approvals, now), result)
        plans.append(result)
        if all(c.phase == "up-to-date" for c in result.clusters.values()):
            return plans
        world.apply(result, now)
        now += INTERVAL
        world.tick()
    raise AssertionError(f"no convergence in {limit} intervals; last plan: {plans[-1].to_json()}")


def start_nodes() -> list[NodeFacts]:
    gpu = [node(f"g{i:02d}", "gpu", zone="abc"[i % 3], kubelet="1.29.10") for i in range(12)]
    cpu = [node(f"c{i}", "cpu", zone="abc"[i % 3], kubelet="1.29.10") for i in range(3)]
    return [*gpu, *cpu]


def spec_for(**upgrade: Any) -> FleetSpec:
    pools = [pool("gpu", count=12, max_unavailable=3), pool("cpu", count=3, max_unavailable=1)]
    return fleet(cluster(pools=pools, **upgrade), channels={"new": TARGET, "mid": {**TARGET, "kubernetes": "1.30.8"}})


def test_rollout_converges_control_plane_first_then_every_node() -> None:
    world = World(start_nodes(), busy_for={"g00": 6, "g05": 15, "c1": 3})
    plans = roll_out(spec_for(approval="required"), world, [approval()])
    cp_targets = [s.target for p in plans for s in p.steps if s.action is Action.UPGRADE_CONTROL_PLANE]
    assert cp_targets == ["1.30.8", "1.31.2"]  # one minor per step, via the fleet's 1.30 patch
    first_node_step = next(i for i, p in enumerate(plans) if any(s.pool for s in p.steps))
    last_cp_step = max(i for i, p in enumerate(plans) if any(s.pool is None for s in p.steps))
    assert first_node_step > last_cp_step
    # every node ends at the target, in service, without fleetc's marks
    for n in world.nodes.values():
        assert (n.image, n.cordoned, n.pending, n.target_image) == ("img-new", False, False, None)
    assert world.cp.apiserver_version == Version(1, 31, 2) and world.cp.etcd_version == Version(3, 5, 16)
    # busy nodes were never cordoned while busy: the long job's node was the last to go
    cordoned_at = {s.target: i for i, p in enumerate(plans) for s in p.steps if s.action is Action.CORDON}
    assert cordoned_at["g05"] >= 15 and cordoned_at["g05"] == max(cordoned_at.values())


def test_rollout_without_approval_never_starts() -> None:
    world = World(start_nodes(), busy_for={})
    result = plan(spec_for(approval="required"), world.live(), [], NOW)
    assert result.steps == ()
    assert result.clusters[f"{REGION}/c1"].phase == "blocked"
