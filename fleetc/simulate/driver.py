"""The fleetc strategy: every ``pulumi up`` interval, facts -> the real ``plan()`` -> its steps applied.

Each cluster is planned with its own one-cluster FleetSpec (``PlanUnit``);
the planner decides clusters independently, so this is what one ``plan()``
over the whole slice would decide, cluster by cluster. The steps are applied
as the executor would at the moment of the run: ``cordon`` sets
unschedulable; ``reimage`` writes the target-image label and the
reimage-requested-at annotation (the simulated provisioner then reimages
the node: it is back Ready at the image after ``reimageMinutes``, or after
its repair plus that if it is down); ``uncordon`` clears all of that;
``mark-pending`` adds the label and the PreferNoSchedule taint;
``upgrade-control-plane`` starts a roll (not ready for
``controlPlaneRollMinutes``).

A cluster's ``plan()`` call is skipped when what it decides on is what its
previous call saw, so it would return the same steps (already applied) and
the same Blocked reasons: the control plane did not change, every node's
plan key (``SimPool.plan_key``: the facts the planner's steps and reasons
depend on; a done and clean node is one key whatever runs on it) equals its
key at that call -- a job ending on a pending node and a queued job taking
it before the next run leaves it as it was; a ``reimage`` or ``mark-pending``
the last call applied counts as seen (``_acknowledge``) -- the maintenance window did not
open or close, no requested reimage crossed ``nodeTimeoutMinutes`` and no
pending node reached ``escalateAfter``.
``--every-interval`` turns skipping off; the tests check both give the same
steps at the same instants and the same blocked hours. A cluster is not
planned any more once its rollout is complete and a call on that state
returned no step.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from fleetc.conventions import cluster_id
from fleetc.live.facts import LiveState, RegionLive
from fleetc.plan.model import Action, Plan, Step
from fleetc.plan.windows import is_open
from fleetc.simulate.cluster import SimCluster, SimNode
from fleetc.simulate.engine import Simulation
from fleetc.simulate.metrics import RunResult
from fleetc.simulate.world import PlanUnit, World
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import ApprovalDoc, Window
from fleetc.versions import Version

Planner = Callable[[FleetSpec, LiveState, Sequence[ApprovalDoc], datetime, str | None], Plan]


@dataclass
class UnitState:
    """What the strategy remembers of a cluster's previous plan() call."""

    last_call: int = -1
    window_open: bool | None = None
    # heap (seconds): reimage requested-at + nodeTimeout, pending-since + escalateAfter - 1
    deadlines: list[int] = field(default_factory=list)
    reasons: frozenset[str] = frozenset()  # Blocked reasons of the last plan
    finished: bool = False  # complete, and a plan() on the complete state returned no step


class FleetcStrategy:
    """Drives the rollout with the real planner, one ``pulumi up`` per interval."""

    name = "fleetc"

    def __init__(self, world: World, planner: Planner, window: Window | None, skip_unchanged: bool = True) -> None:
        self.world = world
        self.planner = planner
        self.window = window
        self.skip_unchanged = skip_unchanged
        self.calls = 0
        self.skipped = 0
        self.plan_seconds = 0.0
        self.blocked_seconds: Counter[str] = Counter()  # cluster-seconds each Blocked reason was reported
        self.steps: Counter[str] = Counter()
        self.applied: list[tuple[int, Step]] = []  # every step with the time it was applied (for tests)
        self._units: list[tuple[PlanUnit, SimCluster, UnitState]] = []

    def begin(self, sim: Simulation) -> None:
        by_id = {c.id: c for c in sim.clusters}
        self._units = [(u, by_id[cluster_id(u.region, u.cluster.name)], UnitState()) for u in self.world.units]
        sim.at(0, self._tick, sim)

    def after_event(self, sim: Simulation) -> None:
        return None

    def on_reimaged(self, sim: Simulation, node: SimNode) -> None:
        return None  # the next plan() sees it Ready at the target and uncordons it

    def report(self, result: RunResult) -> None:
        result.plan_calls = self.calls
        result.plan_calls_skipped = self.skipped
        result.plan_seconds = self.plan_seconds
        result.blocked_hours = {reason: seconds / 3600 for reason, seconds in self.blocked_seconds.items()}
        result.steps = dict(self.steps)

    def _tick(self, sim: Simulation) -> None:
        now = sim.clock()
        interval = sim.timings.interval
        for unit, cluster, state in self._units:
            if state.finished:
                continue
            if self._must_call(sim, cluster, state, now):
                self._plan(sim, unit, cluster, state, now)
            else:
                self.skipped += 1
            for reason in state.reasons:
                self.blocked_seconds[reason] += interval
        if not all(state.finished for _, _, state in self._units):
            sim.at(sim.now + interval, self._tick, sim)

    def _plan(self, sim: Simulation, unit: PlanUnit, cluster: SimCluster, state: UnitState, now: datetime) -> None:
        cluster.planned()
        state.last_call = sim.now
        live = LiveState({unit.region: RegionLive(unit.region, {cluster.name: cluster.live()})})
        began = time.perf_counter()
        result = self.planner(unit.spec, live, (), now, None)
        self.plan_seconds += time.perf_counter() - began
        self.calls += 1
        state.reasons = frozenset(str(b.reason) for b in result.blocked)
        if not result.steps and cluster.complete:
            state.finished = True
        for step in result.steps:
            self._apply(sim, unit, cluster, state, step)

    def _must_call(self, sim: Simulation, cluster: SimCluster, state: UnitState, now: datetime) -> bool:
        """False only when plan() would get the same inputs as at its last call."""
        window_open = is_open(self.window, now) if self.window is not None else None
        crossed = False
        while state.deadlines and state.deadlines[0] < sim.now:
            if heapq.heappop(state.deadlines) >= state.last_call:
                crossed = True
        changed = window_open != state.window_open
        state.window_open = window_open
        return not self.skip_unchanged or state.last_call < 0 or changed or crossed or cluster.changed_for_planner()

    def _apply(self, sim: Simulation, unit: PlanUnit, cluster: SimCluster, state: UnitState, step: Step) -> None:
        self.steps[str(step.action)] += 1
        self.applied.append((sim.now, step))
        if step.action is Action.UPGRADE_CONTROL_PLANE:
            etcd = Version.parse(step.etcd) if step.etcd else None
            sim.roll_control_plane(cluster, Version.parse(step.target), etcd)
            return
        node = cluster.node(step.target)
        if node is None or (step.pool is not None and node.pool.name != step.pool):
            sim.violations.unknown_target += 1
            return
        if step.action is Action.CORDON:
            sim.cordon(node)
        elif step.action is Action.REIMAGE:
            sim.reimage(node, step.image or node.pool.target_image)
            heapq.heappush(state.deadlines, sim.now + cluster.node_timeout_minutes * 60)
            self._acknowledge(cluster, node)
        elif step.action is Action.UNCORDON:
            sim.uncordon(node)
        elif step.action is Action.REQUEST_CHECKPOINT:
            sim.request_checkpoint(node)
        elif step.action in (Action.MARK_PENDING, Action.ESCALATE_PENDING):
            sim.mark_pending(node, hard=step.action is Action.ESCALATE_PENDING)
            self._acknowledge(cluster, node)
            after = unit.cluster.upgrade.busy_nodes.after_seconds()
            if step.action is Action.MARK_PENDING and after:
                # escalateAfter is due at pending-since + after (the planner compares with >=; the check with >)
                heapq.heappush(state.deadlines, sim.now + after - 1)

    def _acknowledge(self, cluster: SimCluster, node: SimNode) -> None:
        """A ``reimage`` or ``mark-pending`` just applied leaves nothing new for the next call to decide.

        The node leaves the planner's held-idle (or busy-unmarked) list for
        reimaging (or busy-pending): it stays unavailable (or available) as
        it was, so the pool's room, its other nodes' decisions and every
        Blocked reason are unchanged, and the step is not issued again. The
        next call on that state alone would return no step, so the node's
        new key counts as seen. A cordon or uncordon is not acknowledged:
        the next call reimages the cordoned node, or spends the budget an
        uncordon freed.
        """
        if self.skip_unchanged:
            cluster.touched[node] = node.pool.plan_key(node)
