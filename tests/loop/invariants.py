"""DESIGN.md's invariants, each checked on its own from the raw world, not from the planner's helpers.

Every check takes the world as it was when the plan was made (``before``, a
deep copy) and the plan; it re-derives busy, unavailable, budgets and
versions from the simulated objects (jobs, labels, conditions, container
images), so a bug in the reader or the planner cannot hide behind itself.
A failure raises :class:`Violation` naming the invariant.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from fleetc.plan.model import Action, Plan
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import NodePool
from fleetc.versions import Version

from .world import KEYS, REGION, SimCluster, SimNode, World

NODE_ACTIONS = {Action.CORDON, Action.REIMAGE, Action.MARK_PENDING}
TAKES = {Action.CORDON, Action.REIMAGE}


class Violation(AssertionError):
    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"invariant {invariant}: {detail}")
        self.invariant = invariant


@dataclass
class Before:
    """The world at the moment of the plan."""

    tick: int
    clusters: dict[str, SimCluster]

    @classmethod
    def of(cls, world: World) -> Before:
        return cls(world.tick, copy.deepcopy(world.clusters))


def _busy(cluster: SimCluster, node: SimNode) -> bool:
    return node.static_dnd or any(node.name in job.nodes for job in cluster.jobs)


def _reimaging(node: SimNode) -> bool:
    target = node.labels.get(KEYS.target_image)
    return target is not None and target != node.image


def _unavailable(node: SimNode) -> bool:
    return node.unschedulable or node.ready != "True" or _reimaging(node)


def _budget(pool: NodePool, live: int) -> int:
    if isinstance(pool.max_unavailable, int):
        return pool.max_unavailable
    return max(1, min(pool.count, live) * int(pool.max_unavailable[:-1]) // 100)


def _rolled(before: Before, cluster: SimCluster) -> bool:
    return before.tick >= cluster.rolling_until


def check_all(spec: FleetSpec, before: Before, plan: Plan, world: World, gated: set[str]) -> None:
    busy_nodes_are_never_taken(before, plan, world)
    pools_stay_within_their_budget(spec, before, plan)
    nodes_move_only_behind_the_control_plane(spec, before, plan, world)
    control_plane_moves_one_minor_with_kubelets_in_skew(before, plan)
    closed_gates_start_nothing(before, plan, gated)
    unknown_state_moves_nothing(before, plan)


def _steps(plan: Plan, name: str) -> list:  # type: ignore[type-arg]
    return [s for s in plan.steps if s.cluster == f"{REGION}/{name}"]


def busy_nodes_are_never_taken(before: Before, plan: Plan, world: World) -> None:
    """Invariant 1: never a busy node cordoned or reimaged (and no job ever killed by a reimage)."""
    for name, cluster in before.clusters.items():
        for step in _steps(plan, name):
            if step.action in TAKES and _busy(cluster, cluster.nodes[step.target]):
                raise Violation("1 (busy)", f"{step.action} of busy node {name}/{step.target}")
    if world.events.killed:
        raise Violation("1 (busy)", "; ".join(world.events.killed))


def pools_stay_within_their_budget(spec: FleetSpec, before: Before, plan: Plan) -> None:
    """Invariant 2: fleetc takes a node only while the pool stays within maxUnavailable, at every moment of
    the step (its cordons may land before its uncordons), and gives its own cordons back when over."""
    for name, cluster in before.clusters.items():
        cluster_spec = spec.cluster(f"{REGION}/{name}")
        assert cluster_spec is not None
        stage_image = plan.clusters[f"{REGION}/{name}"].nodes_image
        steps = _steps(plan, name)
        for pool in cluster_spec.node_pools:
            members = [n for n in cluster.nodes.values() if n.pool == pool.name and not n.hidden]
            budget = _budget(pool, len(members))
            now = sum(_unavailable(n) for n in members) + max(0, pool.count - len(members))
            mine = [s for s in steps if s.pool == pool.name]
            cordons = [s for s in mine if s.action is Action.CORDON]
            theirs = [
                s
                for s in mine
                if s.action is Action.REIMAGE
                and cluster.nodes[s.target].unschedulable
                and cluster.nodes[s.target].labels.get(KEYS.cordoned_by) != "fleetc"
            ]
            if cordons and now + len(cordons) > budget:
                raise Violation(
                    "2 (maxUnavailable)",
                    f"{name}/{pool.name}: {now} unavailable + {len(cordons)} cordons, budget {budget}",
                )
            lifted = {s.target for s in mine if s.action is Action.UNCORDON}
            back = sum(1 for t in lifted if cluster.nodes[t].unschedulable)
            # Taking a node someone else cordoned adds no unavailability, but makes it fleetc's: only
            # while the pool is within its budget once this step's uncordons are in.
            if theirs and now - back > budget:
                raise Violation(
                    "2 (maxUnavailable)",
                    f"{name}/{pool.name}: took {len(theirs)} cordoned by others with {now - back} unavailable, "
                    f"budget {budget}",
                )
            freed = sum(1 for t in lifted if cluster.nodes[t].unschedulable and cluster.nodes[t].image == stage_image)
            releasable = [
                n
                for n in members
                if n.unschedulable
                and n.labels.get(KEYS.cordoned_by) == "fleetc"
                and n.ready == "True"
                and not _reimaging(n)
                and n.image != stage_image
            ]
            released = [n for n in releasable if n.name in lifted]
            excess = now - freed - budget
            if excess <= 0 and released:
                raise Violation("2 (maxUnavailable)", f"{name}/{pool.name}: released {len(released)} within budget")
            if excess > 0 and len(released) < min(excess, len(releasable)):
                raise Violation(
                    "2 (maxUnavailable)",
                    f"{name}/{pool.name}: {excess} over budget {budget}, released {len(released)} "
                    f"of {len(releasable)} own cordons",
                )


def nodes_move_only_behind_the_control_plane(spec: FleetSpec, before: Before, plan: Plan, world: World) -> None:
    """Invariant 3: no node step while the control plane is not fully at the version its image needs."""
    for name, cluster in before.clusters.items():
        cluster_spec = spec.cluster(f"{REGION}/{name}")
        assert cluster_spec is not None
        targets = spec.targets(cluster_spec)
        cluster_plan = plan.clusters[f"{REGION}/{name}"]
        for step in _steps(plan, name):
            if step.action not in NODE_ACTIONS:
                continue
            image = step.image or cluster_plan.nodes_image
            kubelet = world.images[image]
            if not _rolled(before, cluster):
                raise Violation("3 (control plane first)", f"{step.action} {name}/{step.target} while the CP rolls")
            if kubelet.major != cluster.apiserver.major or kubelet.minor > cluster.apiserver.minor:
                raise Violation(
                    "3 (control plane first)", f"{image} ({kubelet}) newer than apiserver {cluster.apiserver}"
                )
            if image == targets.node_image and (cluster.apiserver, cluster.etcd) != (targets.kubernetes, targets.etcd):
                raise Violation(
                    "3 (control plane first)",
                    f"{step.action} {name}/{step.target} to {image} with CP {cluster.apiserver}/{cluster.etcd}",
                )


def control_plane_moves_one_minor_with_kubelets_in_skew(before: Before, plan: Plan) -> None:
    """Invariant 4: one minor per step (etcd too), never down, never from a rolling control plane, kubelets in skew."""
    for name, cluster in before.clusters.items():
        for step in _steps(plan, name):
            if step.action is not Action.UPGRADE_CONTROL_PLANE:
                continue
            to, etcd = Version.parse(step.target), Version.parse(step.etcd or "")
            if not _rolled(before, cluster):
                raise Violation("4 (one minor)", f"{name}: upgrade from a rolling control plane")
            if to < cluster.apiserver or to.minor - cluster.apiserver.minor > 1 or to.major != cluster.apiserver.major:
                raise Violation("4 (one minor)", f"{name}: {cluster.apiserver} -> {to}")
            if etcd < cluster.etcd or etcd.minor - cluster.etcd.minor > 1:
                raise Violation("4 (one minor)", f"{name}: etcd {cluster.etcd} -> {etcd}")
            if to.minor != cluster.apiserver.minor:
                for node in cluster.nodes.values():
                    skew = to.minor - node.kubelet.minor
                    if not node.hidden and not 0 <= skew <= 3:
                        raise Violation(
                            "4 (skew)", f"{name}: apiserver {to} with kubelet {node.kubelet} on {node.name}"
                        )


def closed_gates_start_nothing(before: Before, plan: Plan, gated: set[str]) -> None:
    """Invariant 5: nothing new under a closed gate (here: freeze); the control plane stays where it is."""
    for name, cluster in before.clusters.items():
        if name not in gated:
            continue
        moving = [s for s in _steps(plan, name) if s.action.disrupts]
        if moving:
            raise Violation("5 (gates)", f"{name}: {[(str(s.action), s.target) for s in moving]} under a freeze")
        version = plan.clusters[f"{REGION}/{name}"].control_plane_version
        if version is not None and version != cluster.apiserver:
            raise Violation("5 (gates)", f"{name}: control plane {cluster.apiserver} -> {version} under a freeze")


def unknown_state_moves_nothing(before: Before, plan: Plan) -> None:
    """Invariant 6: a pool with a node of unknown readiness takes no node; an unreadable CP does not move."""
    for name, cluster in before.clusters.items():
        cluster_plan = plan.clusters[f"{REGION}/{name}"]
        for step in _steps(plan, name):
            if step.action not in NODE_ACTIONS:
                continue
            unknown = [
                n.name
                for n in cluster.nodes.values()
                if n.pool == step.pool and not n.hidden and n.ready == "Unknown" and n.image != cluster_plan.nodes_image
            ]
            if unknown:
                raise Violation("6 (fail closed)", f"{step.action} {name}/{step.target} beside unknown {unknown}")


def kubelets_in_skew(world: World) -> None:
    """Invariant 4, as the world stands after every tick: no kubelet newer than its apiserver or 4 minors older."""
    for cluster, node in world.all_nodes():
        skew = cluster.apiserver.minor - node.kubelet.minor
        if not node.hidden and not 0 <= skew <= 3:
            raise Violation(
                "4 (skew)", f"{cluster.name}/{node.name}: kubelet {node.kubelet}, apiserver {cluster.apiserver}"
            )
