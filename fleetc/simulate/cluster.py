"""The simulated clusters: nodes, jobs, a whole-node scheduler, a hosted control plane.

State changes go through the pool's transition methods only (``assign``,
``release``, ``cordon``, ``reimage``...), which keep the counters every
metric needs (unavailable, at target, idle-but-held, per-state counts) in
step with the nodes. That keeps each event O(1) in the pool size, which is
what lets a 32,000-node fleet run in seconds, and keeps the bookkeeping in
one place instead of in every strategy.

The scheduler is what a gang scheduler such as Kueue in StrictFIFO mode does
with whole-node GPU jobs: the head of the queue starts when enough
schedulable (Ready, not cordoned) idle nodes exist, preferring nodes without
the ``upgrade-pending`` PreferNoSchedule taint and using tainted ones only for
what does not fit elsewhere; among equals it picks at random (seeded), as
kube-scheduler breaks score ties. Nothing here knows about upgrades.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime

from fleetc.conventions import cluster_id
from fleetc.live.facts import ClusterLive, ControlPlaneFacts, NodeFacts
from fleetc.versions import Version

# What a transition compares before and after (see SimPool._before).
Key = tuple[bool, bool, bool, bool, bool, str]
# What plan() decides on about one node (SimPool.plan_key).
PlanKey = tuple[object, ...]
QUIET: PlanKey = ("quiet",)

# Node states for plots: exactly one per node.
STATES = ("idle", "busy", "busy-pending", "idle-pending", "cordoned", "reimaging", "failed")


class Job:
    """A gang job occupying ``size`` whole nodes until it finishes or is killed."""

    __slots__ = (
        "checkpoint_every",
        "duration",
        "epoch",
        "exiting",
        "honours",
        "id",
        "nodes",
        "remaining",
        "size",
        "started",
        "submitted",
    )

    def __init__(
        self, job_id: int, size: int, duration: int, submitted: int, checkpoint_every: int = 0, honours: bool = False
    ) -> None:
        self.id = job_id
        self.size = size
        self.duration = duration
        self.checkpoint_every = checkpoint_every  # seconds of run time between its checkpoints (0: loses nothing)
        self.honours = honours  # checkpoints and exits when fleetc asks (docs/checkpoint-requests.md)
        self.exiting = False  # asked, and will exit at its reaction time
        self.remaining = duration  # work left when (re)started
        self.submitted = submitted
        self.started = -1
        self.epoch = 0  # bumped when killed: a pending finish event of an older epoch is stale
        self.nodes: list[SimNode] = []

    @property
    def finish(self) -> int:
        return self.started + self.remaining


class SimNode:
    """One node; mutate it only through its pool's transition methods."""

    __slots__ = (
        "asked",
        "cordoned",
        "facts",
        "failed",
        "image",
        "index",
        "job",
        "kubelet",
        "listed",
        "name",
        "pending",
        "pending_hard",
        "pending_since",
        "pool",
        "reimaging",
        "requested_at",
        "target_image",
        "token",
        "zone",
    )

    def __init__(self, pool: SimPool, index: int, name: str, zone: str, image: str, kubelet: Version) -> None:
        self.pool = pool
        self.index = index
        self.name = name
        self.zone = zone
        self.image = image
        self.kubelet = kubelet
        self.cordoned = False
        self.pending = False
        self.pending_hard = False  # the pending taint is NoSchedule (escalated)
        self.pending_since: datetime | None = None
        self.asked = False  # the pods of its job here carry upgrade-requested (cleared when the job leaves)
        self.failed = False
        self.reimaging = False
        self.target_image: str | None = None
        self.requested_at: datetime | None = None
        self.job: Job | None = None
        self.token = 0  # bumped when a reimage starts: stale completion events are ignored
        self.facts: NodeFacts | None = None
        self.listed: IndexedSet | None = None  # the pool's free list the node is on (IndexedSet keeps it)

    @property
    def ready(self) -> bool:
        return not self.failed and not self.reimaging

    @property
    def unavailable(self) -> bool:
        """docs/spec.md section 3: cordoned, reimaging or NotReady."""
        return self.cordoned or self.reimaging or self.failed

    @property
    def state(self) -> str:
        if self.failed:
            return "failed"
        if self.reimaging:
            return "reimaging"
        if self.cordoned:
            return "cordoned"
        if self.job is not None:
            return "busy-pending" if self.pending else "busy"
        return "idle-pending" if self.pending else "idle"

    def node_facts(self) -> NodeFacts:
        """What the live reader would report; cached until the node changes."""
        if self.facts is None:
            job = self.job
            self.facts = NodeFacts(
                name=self.name,
                pool=self.pool.name,
                zone=self.zone,
                kubelet=self.kubelet,
                image=self.image,
                ready=self.ready,
                cordoned=self.cordoned,
                busy=job is not None,
                busy_reasons=(f"jobs/job-{job.id}",) if job is not None else (),
                pending=self.pending,
                target_image=self.target_image,
                reimage_requested_at=self.requested_at,
                fleetc_cordon=self.cordoned,  # only fleetc cordons in the simulation (its patch labels them)
                pending_hard=self.pending_hard,
                pending_since=self.pending_since,
                unrequested_pods=(f"jobs/job-{job.id}",) if job is not None and not self.asked else (),
                checkpoint_requested=job is not None and self.asked,
            )
        return self.facts


class IndexedSet:
    """A set of nodes with O(1) add, remove and uniform random pick."""

    __slots__ = ("items", "where")

    def __init__(self) -> None:
        self.items: list[SimNode] = []
        self.where: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    def add(self, node: SimNode) -> None:
        if node.index not in self.where:
            self.where[node.index] = len(self.items)
            self.items.append(node)
            node.listed = self

    def discard(self, node: SimNode) -> None:
        at = self.where.pop(node.index, None)
        if at is None:
            return
        node.listed = None
        last = self.items.pop()
        if at < len(self.items):
            self.items[at] = last
            self.where[last.index] = at

    def pop_random(self, rng: random.Random) -> SimNode:
        node = self.items[rng.randrange(len(self.items))]
        self.discard(node)
        return node


@dataclass
class Exceedances:
    """How often a pool went above its budget, by cause."""

    by_action: int = 0  # a strategy's cordon/drain left the pool above maxUnavailable
    by_failure: int = 0  # a hardware failure took the pool from within to above its budget


class SimPool:
    """A node pool: its nodes, job queue, scheduler and running counters."""

    def __init__(
        self,
        cluster: SimCluster,
        name: str,
        budget: int,
        gpus: int,
        zones: list[str],
        size: int,
        start_image: str,
        start_kubelet: Version,
        target_image: str,
        rng: random.Random,
    ) -> None:
        self.cluster = cluster
        self.name = name
        self.budget = budget
        self.gpus = gpus
        self.target_image = target_image
        self.rng = rng
        width = max(4, len(str(size - 1)))
        self.nodes = [
            SimNode(self, i, f"{cluster.name}-{name}-{i:0{width}d}", zones[i % len(zones)], start_image, start_kubelet)
            for i in range(size)
        ]
        self.queue: deque[Job] = deque()
        # What-if (scenario ``scheduler.pendingTaintEffect: NoSchedule``): every
        # pending taint is a hard one and tainted nodes are never used.
        self.pending_is_hard = False
        self.free = IndexedSet()  # schedulable idle nodes without the pending taint
        self.free_pending = IndexedSet()  # schedulable idle nodes with it, PreferNoSchedule (NoSchedule: neither)
        self.now = 0
        self.unavailable = 0
        self.at_target = sum(1 for n in self.nodes if n.image == target_image)
        self.settled = 0  # at target with every rollout mark cleared (not cordoned, pending or reimaging)
        self.held = 0  # idle Ready nodes kept from jobs: cordoned (not yet reimaging) or pending
        self.busy = 0
        self.states: Counter[str] = Counter()
        self.max_unavailable_seen = 0
        self.exceeded = Exceedances()
        self.held_node_seconds = 0
        self.busy_node_seconds = 0
        # The nodes' facts as the planner gets them: rebuilt only where a node changed since the last call.
        self._view: list[NodeFacts] = []
        self._stale: set[SimNode] = set(self.nodes)
        self._view_tuple: tuple[NodeFacts, ...] | None = None
        self._last = 0
        for node in self.nodes:
            self.free.add(node)
            self.states[node.state] += 1
            self.settled += self._settled(node)

    # ------------------------------------------------------------ bookkeeping

    def advance(self, now: int) -> None:
        """Move the pool's clock, integrating the time-weighted counters."""
        if now > self._last:
            span = now - self._last
            self.held_node_seconds += self.held * span
            self.busy_node_seconds += self.busy * span
            self._last = now
        self.now = now

    def _settled(self, node: SimNode) -> bool:
        """Done with the rollout; a hardware failure does not undo that."""
        return node.image == self.target_image and not (node.cordoned or node.pending or node.reimaging)

    def _quiet(self, node: SimNode) -> bool:
        """Done and clean: at the target image, Ready, no rollout mark. By the
        planner's rules (waves.py) such a node takes no step and spends no
        budget whatever runs on it, so a job starting or ending on it cannot
        change the plan: its plan key stays ``QUIET``."""
        return (
            node.image == self.target_image
            and node.ready
            and not node.cordoned
            and not node.pending
            and node.target_image is None
        )

    def plan_key(self, node: SimNode) -> PlanKey:
        """The node's facts as far as ``plan()``'s steps and Blocked reasons depend on them.

        A quiet node (``_quiet``) is one key whatever runs on it; otherwise
        every fact the planner decides on, but not ``busy_reasons`` (job
        names, which only word a Blocked detail). Two calls whose nodes have
        equal keys (and equal control plane, window and clock-driven
        timeouts, which the driver checks apart) return the same steps and
        the same reasons: docs/simulation.md, "Running plan() thousands of
        times".
        """
        if self._quiet(node):
            return QUIET
        return (
            node.image,
            node.ready,
            node.cordoned,
            node.job is not None,
            node.pending,
            node.pending_hard,
            node.pending_since,
            node.target_image,
            node.requested_at,
            node.asked,
        )

    def _flags(self, node: SimNode) -> Key:
        """(unavailable, at target, held, busy, settled, state): what a transition compares.

        The properties ``unavailable``, ``state`` and ``_settled``, and whether the node is held
        spelled out on local reads: this runs twice per node per transition
        (four million times in the large scenario)."""
        failed = node.failed
        reimaging = node.reimaging
        cordoned = node.cordoned
        pending = node.pending
        idle = node.job is None
        at_target = node.image == self.target_image
        if failed:
            state = "failed"
        elif reimaging:
            state = "reimaging"
        elif cordoned:
            state = "cordoned"
        elif idle:
            state = "idle-pending" if pending else "idle"
        else:
            state = "busy-pending" if pending else "busy"
        marked = cordoned or pending
        return (
            cordoned or reimaging or failed,
            at_target,
            idle and not failed and not reimaging and marked,
            not idle,
            at_target and not (marked or reimaging),
            state,
        )

    def _before(self, node: SimNode) -> Key:
        touched = self.cluster.touched
        if node not in touched:
            touched[node] = self.plan_key(node)  # its key at the planner's last call
        return self._flags(node)

    def _after(self, node: SimNode, before: Key, action: bool) -> None:
        node.facts = None
        self._stale.add(node)
        self._view_tuple = None
        after = self._flags(node)
        if after != before:
            unavailable, at_target, held, busy, settled, state = before
            now_unavailable, now_at_target, now_held, now_busy, now_settled, now_state = after
            if now_unavailable != unavailable:
                if now_unavailable:
                    self.unavailable += 1
                    self.max_unavailable_seen = max(self.max_unavailable_seen, self.unavailable)
                    if self.unavailable > self.budget:
                        if action:
                            self.exceeded.by_action += 1
                        elif self.unavailable == self.budget + 1:
                            self.exceeded.by_failure += 1
                else:
                    self.unavailable -= 1
            if now_at_target != at_target:
                self.at_target += 1 if not at_target else -1
            if now_held != held:
                self.held += -1 if held else 1
            if now_busy != busy:
                self.busy += -1 if busy else 1
            if now_settled != settled:
                self.settled += -1 if settled else 1
            if now_state != state:
                self.states[state] -= 1
                self.states[now_state] += 1
        # which free list (if any) the node belongs on: taken off both, put back on one (the order of
        # each list is what the seeded random picks index, so it is kept exactly)
        # (``node.listed`` says which list it is on, so a node on neither costs no lookup; a node that stays
        # on its list is still taken off and put back, which moves it to the end exactly as before)
        listed = node.listed
        if listed is not None:
            listed.discard(node)
        if node.job is None and not node.failed and not node.reimaging and not node.cordoned:
            if not node.pending:
                self.free.add(node)
            elif not (node.pending_hard or self.pending_is_hard):
                self.free_pending.add(node)

    # ------------------------------------------------------------ jobs

    def facts_view(self) -> tuple[NodeFacts, ...]:
        """Every node's facts, as the live reader would list them.

        A 4,000-node pool changes a few nodes between two ``pulumi up`` runs:
        only those are rebuilt, the rest of the list is reused.
        """
        if self._view_tuple is None:
            if len(self._view) != len(self.nodes):
                self._view = [node.node_facts() for node in self.nodes]
            else:
                view = self._view
                for node in self._stale:
                    view[node.index] = node.node_facts()
            self._stale.clear()
            self._view_tuple = tuple(self._view)
        return self._view_tuple

    def submit(self, job: Job, front: bool = False) -> None:
        """Queue a job; a resubmitted (killed) job keeps its place at the head."""
        if front:
            self.queue.appendleft(job)
        else:
            self.queue.append(job)

    def schedule(self) -> list[Job]:
        """Start queued jobs in FIFO order while the head fits; returns the started ones."""
        started: list[Job] = []
        while self.queue and self.queue[0].size <= self._room():
            job = self.queue.popleft()
            job.started = self.now
            for _ in range(job.size):
                pool = self.free if self.free else self.free_pending
                node = pool.pop_random(self.rng)
                before = self._before(node)
                node.job = job
                job.nodes.append(node)
                self._after(node, before, action=False)
            started.append(job)
        return started

    def _room(self) -> int:
        """Nodes a job may start on now: untainted first, tainted only to complete a gang."""
        return len(self.free) + len(self.free_pending)

    def finish(self, job: Job) -> None:
        """A job ended (done or killed): free its nodes."""
        for node in job.nodes:
            before = self._before(node)
            node.job = None
            node.asked = False  # its pods are gone
            self._after(node, before, action=False)
        job.nodes = []
        job.epoch += 1
        job.exiting = False

    def ask(self, node: SimNode) -> None:
        """The pods of the node's job get the upgrade-requested annotation (a checkpoint request)."""
        before = self._before(node)
        node.asked = node.job is not None
        self._after(node, before, action=False)

    # ------------------------------------------------------------ node transitions

    def cordon(self, node: SimNode) -> None:
        """Cordoned; the cordon's patch leaves out the pending label, taint and annotation (CONVENTIONS.md)."""
        before = self._before(node)
        node.cordoned = True
        node.pending = False
        node.pending_hard = False
        node.pending_since = None
        self._after(node, before, action=True)

    def uncordon(self, node: SimNode) -> None:
        """Clears everything the rollout put on the node (CONVENTIONS.md)."""
        before = self._before(node)
        node.cordoned = False
        node.pending = False
        node.pending_hard = False
        node.pending_since = None
        node.target_image = None
        node.requested_at = None
        self._after(node, before, action=False)

    def mark_pending(self, node: SimNode, at: datetime, hard: bool = False) -> None:
        """The pending label and taint (NoSchedule when ``hard``); ``pending-since`` is kept once set."""
        before = self._before(node)
        node.pending = True
        node.pending_hard = node.pending_hard or hard
        if node.pending_since is None:
            node.pending_since = at
        self._after(node, before, action=False)

    def request_reimage(self, node: SimNode, image: str, at: datetime) -> bool:
        """Label the node for the provisioner; True when the reimage starts now
        (a NotReady node is reimaged only once repaired)."""
        before = self._before(node)
        node.target_image = image
        node.requested_at = at
        started = not node.failed
        if started:
            node.reimaging = True
            node.token += 1
        self._after(node, before, action=True)
        return started

    def start_pending_reimage(self, node: SimNode) -> bool:
        """After a repair: start a reimage that was requested while the node was down."""
        if node.target_image is None or node.image == node.target_image or node.reimaging or node.failed:
            return False
        before = self._before(node)
        node.reimaging = True
        node.token += 1
        self._after(node, before, action=False)
        return True

    def finish_reimage(self, node: SimNode, kubelet: Version) -> None:
        before = self._before(node)
        node.reimaging = False
        node.image = node.target_image or node.image
        node.kubelet = kubelet
        self._after(node, before, action=False)

    def fail(self, node: SimNode) -> None:
        before = self._before(node)
        node.failed = True
        self._after(node, before, action=False)

    def repair(self, node: SimNode) -> None:
        before = self._before(node)
        node.failed = False
        self._after(node, before, action=False)


class SimCluster:
    """A customer cluster: its hosted control plane and its pools."""

    def __init__(
        self,
        region: str,
        name: str,
        version: Version,
        etcd: Version,
        target: Version,
        target_etcd: Version,
        node_timeout_minutes: int,
    ) -> None:
        self.region = region
        self.name = name
        self.version = version
        self.etcd = etcd
        self.target = target
        self.target_etcd = target_etcd
        self.node_timeout_minutes = node_timeout_minutes
        self.cp_ready = True
        self.cp_token = 0
        self.pools: list[SimPool] = []
        self._index: dict[str, SimNode] = {}
        self.dirty = True  # the control plane changed since the planner last saw it
        # Nodes changed since the planner's last call, each with its plan key at that call (SimPool.plan_key).
        self.touched: dict[SimNode, PlanKey] = {}

    def changed_for_planner(self) -> bool:
        """Something plan() decides on differs from what its last call saw (control plane or a node's key)."""
        if self.dirty:
            return True
        return any(node.pool.plan_key(node) != key for node, key in self.touched.items())

    def planned(self) -> None:
        """The planner is called now: what it sees is the new reference."""
        self.dirty = False
        self.touched.clear()

    @property
    def id(self) -> str:
        return cluster_id(self.region, self.name)

    @property
    def cp_done(self) -> bool:
        return self.version == self.target and self.cp_ready

    def start_roll(self, version: Version, etcd: Version | None) -> None:
        self.version = version
        if etcd is not None:
            self.etcd = etcd
        self.cp_ready = False
        self.cp_token += 1
        self.dirty = True

    def finish_roll(self) -> None:
        self.cp_ready = True
        self.dirty = True

    def next_minor(self) -> Version:
        """The version a one-minor step moves to (the target on its last step)."""
        if self.version.same_minor(self.target):
            return self.target
        nxt = Version(self.version.major, self.version.minor + 1, 0)
        return self.target if nxt.same_minor(self.target) else nxt

    def live(self) -> ClusterLive:
        cp = ControlPlaneFacts(
            apiserver_version=self.version,
            apiserver_ready=self.cp_ready,
            apiserver_replicas=3,
            etcd_version=self.etcd,
            etcd_ready=self.cp_ready,
        )
        views = [pool.facts_view() for pool in self.pools]
        nodes = views[0] if len(views) == 1 else tuple(facts for view in views for facts in view)
        return ClusterLive(self.id, exists=True, control_plane=cp, nodes=nodes)

    def node(self, name: str) -> SimNode | None:
        if len(self._index) != sum(len(p.nodes) for p in self.pools):
            self._index = {node.name: node for pool in self.pools for node in pool.nodes}
        return self._index.get(name)

    @property
    def complete(self) -> bool:
        """Control plane at target and every node at target with its rollout marks cleared."""
        return self.cp_done and all(p.settled == len(p.nodes) for p in self.pools)
