"""Node waves: which nodes of one pool move in this step.

A node is *done* when its image label is the pool's image I for this stage.
Per pool (a pool of the spec, by name), *unavailable* means cordoned (by
anyone), not Ready, or reimaging (``target-image`` == I while its image is
not I yet); nodes the spec counts but the live list lacks (``count`` minus
the live nodes) are unavailable too: a node being reprovisioned may vanish
from the API, and a missing node serves nothing (a Deployment counts missing
replicas the same way). The budget B is ``maxUnavailable`` in nodes; a
percentage is taken of the smaller of ``count`` and the live node count (at
least 1), so a pool far below its count does not lose all its nodes at once.

**The budget rule.** After the step, the pool's unavailable nodes are at
most B whenever fleetc takes anything (a ``cordon``, or a ``reimage`` of a
node cordoned by someone else); if the pool is over B for reasons fleetc
cannot undo (NotReady nodes, nodes cordoned by others, reimages in flight,
missing nodes), fleetc takes nothing and *releases* its own cordons of
Ready nodes that have not started reimaging (``uncordon``), busy ones
first, until the pool is within B or nothing of fleetc's is left to
release. fleetc's own cordons are the nodes labelled
``<labelPrefix>/cordoned-by: fleetc``; a cordon by anyone else is theirs:
fleetc never lifts it, and may reimage such a node only while the pool is
within B (the reimage keeps their cordon, the node stays theirs).

Each node, in name order:

- done and Ready: ``uncordon`` when fleetc still holds it (its cordon, the
  pending label or taint, a target-image label), which clears fleetc's marks.
  A node cordoned by someone else is left as it is. Never gated: restoring
  capacity is never a new disruption;
- reimage requested (``target-image`` == I) and not back Ready at I more
  than ``nodeTimeoutMinutes`` after ``reimage-requested-at``: the pool is
  *halted* until a person looks (docs/spec.md section 3). A requested reimage
  without that annotation cannot time out, so fleetc cannot watch it: the
  pool is *unknown* until someone sets the annotation or removes the label;
- readiness, busy or image unknown, or any problem reading the node: the
  pool is *unknown*: nothing new starts in it (fail closed);
- reimaging within its time: it counts against B and waits for the
  provisioner;
- busy: ``mark-pending`` unless already pending or cordoned (label plus
  PreferNoSchedule taint so new jobs go elsewhere), reported ``busy``;
- idle and NotReady: waits, reported ``node-not-ready``, never cordoned or
  reimaged while down: a node broken before its reimage would trip
  ``nodeTimeoutMinutes`` and halt the pool for a repair that has nothing to
  do with the image, so a halt always means "a node reimaged to I did not
  come back";
- idle, Ready, cordoned by fleetc: ``reimage``. The cordon and the reimage
  are separate steps on purpose: the run after a cordon re-checks that the
  node is still idle, since a pod may have landed between the read and the
  cordon;
- idle, Ready, cordoned by someone else: ``reimage`` while the pool is
  within B, else it waits (``max-unavailable``);
- idle, Ready, not cordoned: a cordon candidate.

Cordon candidates go into the room left, ``B`` minus what stays unavailable,
spread across failure domains: each pick goes to the zone with the fewest
unavailable nodes so far (nodes already down count); among zones as
unavailable, to the one with the fewest nodes still to do (a failure domain's
stragglers are finished before another's are started), then by zone name (no
zone sorts first). Inside a zone pending nodes first, longest pending first
(``pending-since``: a freed gang's nodes, marked in one run, are taken
together), then by name. Candidates left over are reported
``max-unavailable``.

Halted, unknown, and "not allowed" (a closed gate, a control plane not at
the stage's version) all stop the same things: ``cordon``, ``reimage`` and
``mark-pending``. Releases and uncordons of done nodes still go.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from fleetc.conventions import utc_stamp
from fleetc.live.facts import NodeFacts
from fleetc.plan.model import Action, Blocked, PoolStatus, Reason, Step
from fleetc.plan.windows import as_aware
from fleetc.plan.wording import plural, shorten_lazy, waiting
from fleetc.spec.models import BusyNodes, NodePool

BUSY_REASONS_SHOWN = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_BUSY = BusyNodes()  # upgrade.busyNodes when a cluster says nothing


@dataclass
class PoolWave:
    """This step's decisions for one pool."""

    status: PoolStatus
    steps: list[Step] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    needs_work: bool = False  # some node is not (verifiably) at the image, or the pool cannot be read


@dataclass(frozen=True)
class PoolContext:
    """What a pool's wave depends on besides its nodes."""

    cluster_id: str
    image: str  # I, the node image of this stage
    now: datetime
    timeout: timedelta  # nodeTimeoutMinutes
    may_start: bool  # gates open and control plane at the stage's version and ready
    busy: BusyNodes = DEFAULT_BUSY  # the cluster's upgrade.busyNodes: when the pending taint escalates
    checkpoint: bool = False  # the cluster's upgrade.checkpointRequest.enabled


def unknown_fields(node: NodeFacts) -> list[str]:
    """What is not known about a node that the wave needs to know."""
    missing = [name for name in ("ready", "busy", "image") if getattr(node, name) is None]
    return [f"{name} unknown" for name in missing] + list(node.problems)


def is_reimaging(node: NodeFacts, image: str) -> bool:
    return node.target_image == image and node.image != image


def is_unavailable(node: NodeFacts, image: str) -> bool:
    return node.cordoned or node.ready is not True or is_reimaging(node, image)


def pool_budget(pool: NodePool, live_nodes: int) -> int:
    """``maxUnavailable`` in nodes; a percentage of the smaller of the spec count and the live nodes, at least 1."""
    if isinstance(pool.max_unavailable, int):
        return pool.max_unavailable
    base = min(pool.count, live_nodes)
    return max(1, base * int(pool.max_unavailable[:-1]) // 100)


def overdue(node: NodeFacts, ctx: PoolContext) -> timedelta | None:
    """How long a requested reimage has been running, when past the timeout."""
    if node.target_image != ctx.image or node.reimage_requested_at is None:
        return None
    if node.image == ctx.image and node.ready is True:
        return None
    elapsed = ctx.now - as_aware(node.reimage_requested_at)
    return elapsed if elapsed > ctx.timeout else None


def _cordon_order(node: NodeFacts) -> tuple[bool, float, str]:
    """Inside a zone: pending nodes first, longest pending first, then by name.

    A pending node is idle here because its job ended (only busy nodes are
    marked), and a gang's nodes are marked in the same run, so they share
    ``pending-since``: ordered by it, a freed gang's nodes are taken one
    after the other rather than interleaved with another's.
    """
    since = node.pending_since
    return (not node.pending, as_aware(since).timestamp() if since is not None else _NEVER, node.name)


_NEVER = float("inf")  # a pending node without pending-since sorts after the timed ones


def spread(
    candidates: Sequence[NodeFacts],
    down_by_zone: dict[str, int],
    count: int,
    left_by_zone: dict[str, int] | None = None,
) -> list[NodeFacts]:
    """Up to ``count`` candidates, each from the zone with the fewest unavailable nodes so far.

    ``down_by_zone`` counts the pool's nodes that stay unavailable after this
    step, by zone (``""`` for no zone); ``left_by_zone`` the nodes not yet at
    the image, by zone. Neither is modified. Ties between zones go to the one
    with the fewest nodes left (each pick counts as one fewer): the simulator
    measured it (docs/performance.md, "Gang-aware waves"). Inside a zone:
    :func:`_cordon_order`.
    """
    if count <= 0:
        return []
    queues: dict[str, list[NodeFacts]] = {}
    for node in candidates:
        queues.setdefault(node.zone or "", []).append(node)
    for queue in queues.values():
        queue.sort(key=_cordon_order, reverse=True)  # pop() takes the first
    left = left_by_zone or {}
    heap = [(down_by_zone.get(zone, 0), left.get(zone, 0), zone) for zone in queues]
    heapq.heapify(heap)
    taken: list[NodeFacts] = []
    while heap and len(taken) < count:
        down, rest, zone = heapq.heappop(heap)
        queue = queues[zone]
        taken.append(queue.pop())
        if queue:
            heapq.heappush(heap, (down + 1, rest - 1, zone))
    return taken


def _spelled(pool: NodePool, budget: int, live_nodes: int) -> str:
    if isinstance(pool.max_unavailable, int):
        return f"maxUnavailable {pool.max_unavailable}"
    base = min(pool.count, live_nodes)
    of = f"{base} live nodes" if base < pool.count else str(pool.count)
    return f"maxUnavailable {pool.max_unavailable} of {of} = {budget}"


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


def _late_entry(late: tuple[NodeFacts, timedelta]) -> str:
    return f"{late[0].name} ({_duration(late[1])} since reimage-requested-at)"


def _unknown_entry(unknown: tuple[NodeFacts, list[str]]) -> str:
    return f"{unknown[0].name} ({', '.join(unknown[1])})"


def _name(node: NodeFacts) -> str:
    return node.name


_BY_NAME = attrgetter("name")  # C-level key: sorting a 4,000-node pool by name is on every call


def _busy_entry(node: NodeFacts) -> str:
    why = list(node.busy_reasons[:BUSY_REASONS_SHOWN])
    if len(node.busy_reasons) > BUSY_REASONS_SHOWN:
        why.append(f"+{len(node.busy_reasons) - BUSY_REASONS_SHOWN} more")
    state = ", cordoned" if node.cordoned else ""
    return f"{node.name}{state} ({', '.join(why) or 'busy'})"


@dataclass
class _Sorted:
    """A pool's nodes sorted into what the wave does with them (one pass)."""

    done_uncordon: list[NodeFacts] = field(default_factory=list)  # done, Ready, still marked by fleetc
    done_waiting: list[NodeFacts] = field(default_factory=list)  # done, NotReady, still held by fleetc
    halted: list[tuple[NodeFacts, timedelta]] = field(default_factory=list)
    unknown: list[tuple[NodeFacts, list[str]]] = field(default_factory=list)
    untimed: list[NodeFacts] = field(default_factory=list)  # target-image == I without reimage-requested-at
    reimaging: int = 0
    busy: list[NodeFacts] = field(default_factory=list)
    to_mark: list[NodeFacts] = field(default_factory=list)
    held_busy: list[NodeFacts] = field(default_factory=list)  # fleetc-cordoned, Ready, busy
    held_idle: list[NodeFacts] = field(default_factory=list)  # fleetc-cordoned, Ready, idle
    others_idle: list[NodeFacts] = field(default_factory=list)  # cordoned by others, Ready, idle
    not_ready: list[NodeFacts] = field(default_factory=list)  # idle, NotReady, not done
    candidates: list[NodeFacts] = field(default_factory=list)  # idle, Ready, not cordoned
    at_target: int = 0
    busy_count: int = 0
    unavailable: int = 0
    needs_work: bool = False
    down_by_zone: dict[str, int] = field(default_factory=dict)  # unavailable nodes by zone ("" for none), now
    soft_pending: list[NodeFacts] = field(default_factory=list)  # busy, pending PreferNoSchedule, not cordoned
    pending_since: datetime | None = None  # the earliest pending-since of a node still to do


def _sort(nodes: Sequence[NodeFacts], ctx: PoolContext) -> _Sorted:
    """One pass over the pool's nodes (in name order) into :class:`_Sorted`.

    The planner runs every few minutes on every cluster and the simulator
    calls it hundreds of thousands of times on 4,000-node pools, so the
    common node (at the image, carrying none of fleetc's marks) costs a few
    attribute reads and nothing else, and the loop keeps its counters and
    the lists it appends to in locals.
    """
    image = ctx.image
    out = _Sorted()
    down = out.down_by_zone
    busy_list, to_mark, soft_pending, held_busy = out.busy, out.to_mark, out.soft_pending, out.held_busy
    candidates = out.candidates
    busy_count = at_target = unavailable_count = reimaging_count = 0
    needs_work = False
    earliest: datetime | None = None
    for node in nodes:
        ready = node.ready
        unavailable = node.cordoned or ready is not True
        busy = node.busy
        if busy is True:
            busy_count += 1
        target = node.target_image
        if node.image == image:
            at_target += 1
            if unavailable:
                unavailable_count += 1
                zone = node.zone or ""
                down[zone] = down.get(zone, 0) + 1
            if target is None and not node.pending and not node.fleetc_cordon:
                continue  # done and clean: nothing to decide
            late = overdue(node, ctx) if target is not None else None
            if late is not None:
                out.halted.append((node, late))
            if node.cordoned_by_others:
                continue  # theirs: neither their cordon nor our marks are touched
            if ready is True:
                out.done_uncordon.append(node)
            elif node.fleetc_cordon and late is None:
                out.done_waiting.append(node)
            continue
        needs_work = True
        reimaging = target == image  # and the image is not I yet
        if unavailable or reimaging:
            unavailable_count += 1
            zone = node.zone or ""
            down[zone] = down.get(zone, 0) + 1
        if reimaging:
            late = overdue(node, ctx)
            if late is not None:
                out.halted.append((node, late))
                continue
        if ready is None or busy is None or node.image is None or node.problems:
            out.unknown.append((node, unknown_fields(node)))
            continue
        if reimaging:
            reimaging_count += 1
            if node.reimage_requested_at is None:
                out.untimed.append(node)
            continue
        pending = node.pending
        if pending:
            since = node.pending_since
            if since is not None and (earliest is None or since < earliest):
                earliest = since
        if busy:
            busy_list.append(node)
            if not node.cordoned:
                if not pending:
                    to_mark.append(node)
                elif not node.pending_hard:
                    soft_pending.append(node)
            if node.fleetc_cordon and ready is True:
                held_busy.append(node)
        elif ready is not True:
            out.not_ready.append(node)
        elif node.fleetc_cordon:
            out.held_idle.append(node)
        elif node.cordoned:
            out.others_idle.append(node)
        else:
            candidates.append(node)
    out.busy_count = busy_count
    out.at_target = at_target
    out.unavailable = unavailable_count
    out.reimaging = reimaging_count
    out.needs_work = needs_work
    out.pending_since = earliest
    return out


def _left_by_zone(nodes: Sequence[NodeFacts], image: str) -> dict[str, int]:
    """Nodes not yet at the image, by zone (``""`` for none): the spread's tie-break.

    Counted only when the room cannot take every candidate (otherwise every
    candidate is taken and the order does not matter).
    """
    left: dict[str, int] = {}
    for node in nodes:
        if node.image != image:
            zone = node.zone or ""
            left[zone] = left.get(zone, 0) + 1
    return left


def plan_pool(pool: NodePool, nodes: Sequence[NodeFacts], ctx: PoolContext) -> PoolWave:
    """Decide one pool. ``nodes`` are the live nodes labelled with this pool."""
    ordered = sorted(nodes, key=_BY_NAME)
    found = _sort(ordered, ctx)
    budget = pool_budget(pool, len(ordered))
    missing = max(0, pool.count - len(ordered))
    no_nodes = pool.count > 0 and not ordered
    unavailable = found.unavailable + missing
    wave = PoolWave(
        PoolStatus(
            name=pool.name,
            total=len(ordered),
            at_target=found.at_target,
            unavailable=unavailable,
            max_unavailable=budget,
            busy=found.busy_count,
            reimaging=found.reimaging,
            missing=missing,
            unavailable_after=unavailable,
            pending_since=found.pending_since,
        ),
        needs_work=found.needs_work or no_nodes or missing > 0,
    )
    wave.steps.extend(_steps(ctx, Action.UNCORDON, found.done_uncordon, pool.name, "at the image: back into service"))
    freed = sum(1 for n in found.done_uncordon if n.cordoned)
    _report_stops(wave, pool, found, ctx, no_nodes)

    # Releases: fleetc's own cordons of Ready nodes not yet reimaging, while the pool is over budget.
    releasable = [*found.held_busy, *reversed(found.held_idle)]  # busy ones first: they would only wait
    released = releasable[: max(0, unavailable - freed - budget)]
    gone = {n.name for n in released}
    kept_idle = [n for n in found.held_idle if n.name not in gone]
    wave.steps.extend(
        _steps(ctx, Action.UNCORDON, released, pool.name, f"released: the pool is over its budget of {budget}")
    )
    after = unavailable - freed - len(released)
    stopped = bool(found.halted or found.unknown or found.untimed or no_nodes) or not ctx.may_start
    if not stopped:
        # Room for new cordons counts what is unavailable *now*: this step's uncordons and releases
        # may land after its cordons (Pulumi applies patches in parallel), and at no moment may the
        # pool be past its budget.
        room = budget - unavailable
        wave.steps.extend(
            _steps(ctx, Action.REIMAGE, kept_idle, pool.name, f"cordoned and idle: reimage to {ctx.image}")
        )
        taken_others = found.others_idle if after <= budget else []
        for node in taken_others:
            wave.steps.append(
                _step(
                    ctx,
                    Action.REIMAGE,
                    node,
                    pool.name,
                    "idle, cordoned by someone else: reimage, keeping their cordon",
                )
            )
        down = _down_by_zone(released, found)
        left = _left_by_zone(ordered, ctx.image) if len(found.candidates) > room > 0 else {}
        taken = spread(found.candidates, down, room, left)
        asked, hard = _checkpoint_steps(ctx, pool, found, room - len(taken)) if ctx.checkpoint else ([], set())
        wave.steps.extend(_pending_steps(ctx, pool, found, len(ordered), taken, hard))
        wave.steps.extend(asked)
        for node in taken:
            wave.steps.append(_step(ctx, Action.CORDON, node, pool.name, f"idle, zone {node.zone or 'none'}"))
        after += len(taken)
        _report_waits(wave, pool, found, ctx, budget, unavailable, after, taken, taken_others, freed + len(released))
    wave.status = replace(wave.status, unavailable_after=after)
    return wave


def _pending_steps(
    ctx: PoolContext,
    pool: NodePool,
    found: _Sorted,
    live_nodes: int,
    taken: Sequence[NodeFacts],
    hard: Collection[str] = (),
) -> list[Step]:
    """``mark-pending`` and ``escalate-pending`` of the pool's busy nodes (and of its idle pending ones left waiting).

    The cluster's ``upgrade.busyNodes`` escalates the PreferNoSchedule
    taint to NoSchedule for a node pending at least ``escalateAfter`` (from
    its ``pending-since`` annotation; a node marked without one escalates by
    the other rule only), and for every pending node of a pool with at most
    ``escalateWhenRemaining`` nodes left to upgrade. A node that qualifies
    when first marked is marked NoSchedule at once. NoSchedule keeps new
    pods off and evicts nothing, so it never interrupts a job. A node asked
    to checkpoint in this step (``hard``) gets NoSchedule too, whatever the
    policy: its job exits to be started elsewhere, not on it again.
    """
    policy = ctx.busy
    threshold = policy.remaining_nodes(pool.count)
    remaining = live_nodes - found.at_target
    by_count = threshold > 0 and remaining <= threshold
    after = policy.after_seconds()
    at_once = by_count or after == 0
    cid = ctx.cluster_id
    steps: list[Step] = []
    # (each filter by ``hard`` only when a node was asked: a pool's thousands of busy nodes are walked for nothing
    # otherwise)
    asked = [n for n in [*found.to_mark, *found.soft_pending] if n.name in hard] if hard else []
    steps.extend(
        Step(cid, Action.ESCALATE_PENDING, n.name, pool.name, None, None, _HARD_ASKED, False, _stamp(n.pending_since))
        for n in asked
    )
    to_mark = [n for n in found.to_mark if n.name not in hard] if hard else found.to_mark
    if to_mark:
        if at_once:
            why = _escalation(policy, by_count, remaining, threshold)
            steps.extend(Step(cid, Action.ESCALATE_PENDING, n.name, pool.name, None, None, why) for n in to_mark)
        else:
            steps.extend(_steps(ctx, Action.MARK_PENDING, to_mark, pool.name, "busy: steer new jobs elsewhere"))
    if not at_once and after is None:
        return steps
    chosen = {n.name for n in taken}
    waiting_idle = [n for n in found.candidates if n.pending and not n.pending_hard and n.name not in chosen]
    due = [*found.soft_pending, *waiting_idle]
    if hard:
        due = [n for n in due if n.name not in hard]
    if not at_once:
        assert after is not None
        limit = timedelta(seconds=after)
        earliest = found.pending_since  # of every pending node still to do: none is due if it is not
        if earliest is None or ctx.now - as_aware(earliest) < limit:
            due = []
        else:
            due = [n for n in due if n.pending_since is not None and ctx.now - as_aware(n.pending_since) >= limit]
    why = _escalation(policy, by_count, remaining, threshold)
    for node in due:
        steps.append(
            Step(cid, Action.ESCALATE_PENDING, node.name, pool.name, None, None, why, False, _stamp(node.pending_since))
        )
    return steps


def _stamp(since: datetime | None) -> str | None:
    return utc_stamp(since) if since is not None else None


_ASKED = "busy, room in the budget: asked to checkpoint and exit (pods annotated, none evicted)"
_HARD_ASKED = "asked to checkpoint: NoSchedule, so its job starts again elsewhere (running pods stay)"


def _checkpoint_steps(ctx: PoolContext, pool: NodePool, found: _Sorted, spare: int) -> tuple[list[Step], set[str]]:
    """``request-checkpoint`` for busy nodes still to do, as many as the budget has room for once they are idle.

    Asking every busy node at once would empty the pool while the budget
    takes ``maxUnavailable`` nodes at a time, and the jobs would restart on
    nodes still to do; so requests go out only for room this step leaves
    unused (``spare``: the budget minus what is unavailable now and this
    step's cordons), minus the nodes already asked whose jobs are still
    running (checkpointing). Oldest pending first, then by name. A node
    already asked whose new pods lack the annotation gets them annotated too
    (it is already counted). Only pods are annotated; nothing is evicted.
    Returns the steps and the nodes newly asked (their taint goes NoSchedule).
    """
    asked = [n for n in found.busy if n.checkpoint_requested]
    steps = [_checkpoint_step(ctx, pool, n, "new pods of a node already asked") for n in asked if n.unrequested_pods]
    room = spare - len(asked)
    if room <= 0:
        return steps, set()
    fresh = [n for n in found.busy if n.unrequested_pods and not n.checkpoint_requested]
    fresh.sort(key=_pending_order)
    chosen = fresh[:room]
    steps.extend(_checkpoint_step(ctx, pool, n, _ASKED) for n in chosen)
    return steps, {n.name for n in chosen}


def _pending_order(node: NodeFacts) -> tuple[bool, datetime, str]:
    since = node.pending_since
    return (since is None, as_aware(since) if since is not None else _EPOCH, node.name)


def _checkpoint_step(ctx: PoolContext, pool: NodePool, node: NodeFacts, detail: str) -> Step:
    pods = node.unrequested_pods
    return Step(ctx.cluster_id, Action.REQUEST_CHECKPOINT, node.name, pool.name, detail=detail, pods=pods)


def _escalation(policy: BusyNodes, by_count: bool, remaining: int, threshold: int) -> str:
    if by_count:
        return (
            f"{plural(remaining, 'node')} left to upgrade, at most escalateWhenRemaining "
            f"{policy.escalate_when_remaining} ({threshold}): NoSchedule, running pods stay"
        )
    return f"pending at least escalateAfter {policy.escalate_after}: NoSchedule, running pods stay"


def _down_by_zone(released: Sequence[NodeFacts], found: _Sorted) -> dict[str, int]:
    """Nodes of each zone that stay unavailable after this step's uncordons and releases.

    ``found.down_by_zone`` counted every unavailable node in the sorting pass;
    only the few nodes this step brings back are taken off again.
    """
    down = dict(found.down_by_zone)
    for node in [*released, *(n for n in found.done_uncordon if n.ready is True)]:
        if node.cordoned:  # Ready (both lists hold Ready nodes only): unavailable only by its cordon
            zone = node.zone or ""
            down[zone] -= 1
    return down


def _report_stops(wave: PoolWave, pool: NodePool, found: _Sorted, ctx: PoolContext, no_nodes: bool) -> None:
    """What stops the pool for a person: halted, unknown. Reported whatever the gates say."""
    cid = ctx.cluster_id
    if found.halted:
        wave.blocked.append(
            Blocked(
                cid,
                Reason.HALTED,
                f"pool {pool.name}: {plural(len(found.halted), 'node')} not back Ready at {ctx.image} within "
                f"nodeTimeoutMinutes {int(ctx.timeout.total_seconds() // 60)}: "
                f"{shorten_lazy(found.halted, _late_entry)}"
                "; no new node is taken in this pool until a person fixes them "
                "(or removes their target-image label to retry)",
                pool=pool.name,
                nodes=tuple(n.name for n, _ in found.halted),
            )
        )
    if found.unknown:
        wave.blocked.append(
            Blocked(
                cid,
                Reason.UNKNOWN_STATE,
                f"pool {pool.name}: state of {plural(len(found.unknown), 'node')} unknown: "
                f"{shorten_lazy(found.unknown, _unknown_entry)}"
                "; no new node is taken in this pool until it can be read",
                pool=pool.name,
                nodes=tuple(n.name for n, _ in found.unknown),
            )
        )
    if found.untimed:
        wave.blocked.append(
            Blocked(
                cid,
                Reason.UNKNOWN_STATE,
                f"pool {pool.name}: {plural(len(found.untimed), 'node')} labelled target-image {ctx.image} without "
                f"the reimage-requested-at annotation, so fleetc cannot tell whether the reimage is overdue: "
                f"{shorten_lazy(found.untimed, _name)}; no new node is taken in this pool until the "
                "annotation is set (ISO 8601, when the reimage started) or the label removed",
                pool=pool.name,
                nodes=tuple(n.name for n in found.untimed),
            )
        )
    if no_nodes:
        wave.blocked.append(
            Blocked(
                cid,
                Reason.UNKNOWN_STATE,
                f"pool {pool.name}: no live node carries its pool label although the spec counts {pool.count}; "
                "nothing is known of its nodes (their kubelets included) until they are listed",
                pool=pool.name,
            )
        )


def _report_waits(
    wave: PoolWave,
    pool: NodePool,
    found: _Sorted,
    ctx: PoolContext,
    budget: int,
    now: int,
    after: int,
    taken: Sequence[NodeFacts],
    taken_others: Sequence[NodeFacts],
    freed: int,
) -> None:
    """Every node that waits for time, work or room, and why (only asked while the pool may move)."""
    cid = ctx.cluster_id
    if found.busy:
        wave.blocked.append(
            Blocked(
                cid,
                Reason.BUSY,
                f"pool {pool.name}: {waiting(len(found.busy), 'busy node')} for their work to finish "
                f"(never cordoned while busy): {shorten_lazy(found.busy, _busy_entry)}",
                pool=pool.name,
                nodes=tuple(map(_BY_NAME, found.busy)),
            )
        )
    not_ready = [*found.not_ready, *found.done_waiting]
    if not_ready or wave.status.missing:
        what = []
        if not_ready:
            what.append(
                f"{waiting(len(not_ready), 'NotReady node')} to be Ready again (never reimaged while down): "
                f"{shorten_lazy(not_ready, _name)}"
            )
        if wave.status.missing:
            what.append(
                f"{plural(wave.status.missing, 'node')} of its count {pool.count} missing from the live list "
                f"{'waits' if wave.status.missing == 1 else 'wait'} to be listed again"
            )
        wave.blocked.append(
            Blocked(
                cid,
                Reason.NODE_NOT_READY,
                f"pool {pool.name}: {'; '.join(what)}; each counts against maxUnavailable meanwhile",
                pool=pool.name,
                nodes=tuple(n.name for n in not_ready),
            )
        )
    chosen = {n.name for n in taken} | {n.name for n in taken_others}
    waiting_nodes = [n for n in found.candidates if n.name not in chosen]
    others = [n for n in found.others_idle if n.name not in chosen]
    if waiting_nodes or others:
        what = []
        if waiting_nodes:
            what.append(waiting(len(waiting_nodes), "idle node"))
        if others:
            what.append(f"{plural(len(others), 'idle node')} cordoned by someone else wait too")
        wave.blocked.append(
            Blocked(
                cid,
                Reason.MAX_UNAVAILABLE,
                f"pool {pool.name}: {now} of {budget} unavailable now, {after} of {budget} after this step "
                f"({_spelled(pool, budget, wave.status.total)}{_why_unavailable(wave.status, freed)}); "
                f"{'; '.join(what)}",
                pool=pool.name,
                nodes=tuple(n.name for n in [*waiting_nodes, *others]),
            )
        )


def _why_unavailable(status: PoolStatus, freed: int) -> str:
    parts = []
    if freed:
        # Patches apply in parallel: a cordon may land before an uncordon of the same step.
        parts.append(f"{plural(freed, 'node')} uncordoned in this step counted until the next run")
    if status.reimaging:
        parts.append(f"{status.reimaging} reimaging")
    if status.missing:
        parts.append(f"{plural(status.missing, 'node')} of the count missing from the live list")
    return f"; {', '.join(parts)}" if parts else ""


def _steps(ctx: PoolContext, action: Action, nodes: Sequence[NodeFacts], pool: str, detail: str) -> list[Step]:
    """One step per node with the same detail (a pool's 1,600 mark-pending steps: built positionally, the
    detail worded once). ``reimage`` goes through :func:`_step` (its image and whose cordon it keeps)."""
    if action is Action.REIMAGE:
        return [_step(ctx, action, node, pool, detail) for node in nodes]
    cid = ctx.cluster_id
    return [Step(cid, action, node.name, pool, None, None, detail) for node in nodes]


def _step(ctx: PoolContext, action: Action, node: NodeFacts, pool: str, detail: str) -> Step:
    image = ctx.image if action is Action.REIMAGE else None
    others = action is Action.REIMAGE and node.cordoned_by_others
    return Step(ctx.cluster_id, action, node.name, pool=pool, image=image, detail=detail, cordoned_by_others=others)
