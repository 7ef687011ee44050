"""The two strategies fleetc is compared with, on the same trace and budget.

Both are in-cluster controllers: they react to every event at once (no
``pulumi up`` interval), upgrade the control plane first one minor at a
time exactly like fleetc, and then roll each pool with the same
``maxUnavailable``, counting unavailable nodes the same way (cordoned,
reimaging or NotReady).

- ``drain``: drain-regardless rolling update, what Cluster API
  MachineDeployments and managed node groups do: take the next outdated
  node (name order; job placement is random, so this is as good as the
  ``Random`` deletion policy), cordon it, evict what runs there, reimage,
  uncordon as soon as it is back. Evicting kills the job: all its gang's
  nodes are released, and the job is counted interrupted and resubmitted at
  the head of the queue, redoing the work since its last checkpoint.
- ``wait-idle``: wait until a pool has no busy node at all, then roll it as
  ``drain`` does (a job that lands meanwhile on a node still to do is
  evicted and counted). Under steady load a pool of thousands of GPU nodes
  is practically never idle, so this usually does not finish within the
  horizon: its makespan is then reported as "at least the horizon".
"""

from __future__ import annotations

from collections import deque

from fleetc.simulate.cluster import SimNode, SimPool
from fleetc.simulate.engine import Simulation
from fleetc.simulate.metrics import RunResult


class DrainStrategy:
    """Rolling update that evicts whatever runs on the node it takes."""

    name = "drain"

    def __init__(self) -> None:
        self._todo: dict[int, deque[SimNode]] = {}
        self._active: set[int] = set()

    def begin(self, sim: Simulation) -> None:
        for cluster in sim.clusters:
            for pool in cluster.pools:
                self._todo[id(pool)] = deque(n for n in pool.nodes if n.image != pool.target_image)
        self.after_event(sim)

    def may_roll(self, pool: SimPool) -> bool:
        return True

    def after_event(self, sim: Simulation) -> None:
        for cluster in sim.clusters:
            if not cluster.cp_done:
                if cluster.cp_ready:
                    sim.roll_control_plane(cluster, cluster.next_minor(), cluster.target_etcd)
                continue
            for pool in cluster.pools:
                todo = self._todo[id(pool)]
                if todo and pool.unavailable < pool.budget and (id(pool) in self._active or self.may_roll(pool)):
                    self._active.add(id(pool))
                    self._fill(sim, pool, todo)

    def _fill(self, sim: Simulation, pool: SimPool, todo: deque[SimNode]) -> None:
        tries = len(todo)
        while todo and tries > 0 and pool.unavailable < pool.budget:
            tries -= 1
            node = todo.popleft()
            if node.image == pool.target_image:
                continue
            if node.failed or node.reimaging or node.cordoned:
                todo.append(node)  # down for repair: taken once it is back
                continue
            sim.drain(node, pool.target_image)

    def on_reimaged(self, sim: Simulation, node: SimNode) -> None:
        if node.image == node.pool.target_image:
            sim.uncordon(node)

    def report(self, result: RunResult) -> None:
        return None


class WaitIdleStrategy(DrainStrategy):
    """Roll a pool only once it has been seen entirely idle."""

    name = "wait-idle"

    def may_roll(self, pool: SimPool) -> bool:
        return pool.busy == 0
