"""Node waves: which nodes of one pool move in this step.

A node is *done* when its image label is the target image I. Per pool (a
pool of the spec, by name) a node is *unavailable* when it is cordoned, not
Ready, or reimaging (``target-image`` == I while its image is not I yet); the
budget is the pool's ``maxUnavailable`` in nodes. Each node, in name order:

- done, Ready, and still cordoned, pending or labelled with a target image:
  ``uncordon`` (which also clears fleetc's labels and taint). Never gated:
  restoring capacity is never a new disruption, and it is also emitted in
  pools whose other nodes are unknown, because this node is verifiably done;
- reimage requested (``target-image`` == I) and not back Ready at I more
  than ``nodeTimeoutMinutes`` after ``reimage-requested-at``: the pool is
  *halted*: nothing new starts in it until a person looks (SPEC.md
  section 3). Without that annotation the node just waits;
- readiness, busy or image unknown, or any problem reading the node: the
  pool is *unknown*: nothing new starts in it (fail closed);
- cordoned, not done, not reimaging: busy -> waits (reported ``busy``);
  idle and Ready -> ``reimage``. It is unavailable already, so no budget is
  spent. Idle but NotReady -> waits, cordoned, until it is Ready again: a
  node that was broken before its reimage would trip ``nodeTimeoutMinutes``
  and halt the whole pool for a repair that has nothing to do with the new
  image, so a halt always means "a node reimaged to I did not come back";
  The reimage is a later step than the cordon on purpose: the next run
  re-checks that the cordoned node is still idle, since a pod may have
  landed between the read and the cordon;
- not cordoned, not done: busy -> ``mark-pending`` unless already pending
  (label plus PreferNoSchedule taint so new jobs go elsewhere) and reported
  ``busy`` with the pods that keep it busy; idle -> a cordon candidate.

Cordon candidates: NotReady nodes first (already unavailable, they cost no
budget), then Ready nodes spread across failure domains -- round-robin over
zones sorted by name (no zone sorts first), inside a zone pending nodes
first (they have waited longest), then by name -- up to the room left,
``budget - unavailable`` (never negative). Candidates left over are
reported ``max-unavailable``.

Halted, unknown, and "not allowed" (a closed gate, a control plane not at
its target) all stop the same things: ``cordon``, ``reimage`` and
``mark-pending``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fleetc.live.facts import NodeFacts
from fleetc.plan.model import Action, Blocked, PoolStatus, Reason, Step
from fleetc.plan.windows import as_aware
from fleetc.plan.wording import plural, shorten, waiting
from fleetc.spec.models import NodePool

BUSY_REASONS_SHOWN = 3


@dataclass
class PoolWave:
    """This step's decisions for one pool."""

    status: PoolStatus
    steps: list[Step] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    needs_work: bool = False  # some node is not (verifiably) at the target image


@dataclass(frozen=True)
class PoolContext:
    """What a pool's wave depends on besides its nodes."""

    cluster_id: str
    image: str  # I, the target node image
    now: datetime
    timeout: timedelta  # nodeTimeoutMinutes
    may_start: bool  # gates open and control plane at its target and ready


def unknown_fields(node: NodeFacts) -> list[str]:
    """What is not known about a node that the wave needs to know."""
    missing = [name for name in ("ready", "busy", "image") if getattr(node, name) is None]
    return [f"{name} unknown" for name in missing] + list(node.problems)


def is_reimaging(node: NodeFacts, image: str) -> bool:
    return node.target_image == image and node.image != image


def is_unavailable(node: NodeFacts, image: str) -> bool:
    return node.cordoned or node.ready is not True or is_reimaging(node, image)


def overdue(node: NodeFacts, ctx: PoolContext) -> timedelta | None:
    """How long a requested reimage has been running, when past the timeout."""
    if node.target_image != ctx.image or node.reimage_requested_at is None:
        return None
    if node.image == ctx.image and node.ready is True:
        return None
    elapsed = ctx.now - as_aware(node.reimage_requested_at)
    return elapsed if elapsed > ctx.timeout else None


def spread(nodes: Sequence[NodeFacts]) -> list[NodeFacts]:
    """Round-robin over zones sorted by name; pending first, then by name."""
    zones: dict[str, list[NodeFacts]] = {}
    for node in nodes:
        zones.setdefault(node.zone or "", []).append(node)
    queues = [sorted(zones[zone], key=lambda n: (not n.pending, n.name)) for zone in sorted(zones)]
    ordered: list[NodeFacts] = []
    depth = max((len(q) for q in queues), default=0)
    for index in range(depth):
        ordered.extend(queue[index] for queue in queues if index < len(queue))
    return ordered


def _spelled(pool: NodePool) -> str:
    if isinstance(pool.max_unavailable, int):
        return f"maxUnavailable {pool.max_unavailable}"
    return f"maxUnavailable {pool.max_unavailable} of {pool.count} = {pool.max_unavailable_nodes()}"


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


def _busy_entry(node: NodeFacts) -> str:
    why = list(node.busy_reasons[:BUSY_REASONS_SHOWN])
    if len(node.busy_reasons) > BUSY_REASONS_SHOWN:
        why.append(f"+{len(node.busy_reasons) - BUSY_REASONS_SHOWN} more")
    state = ", cordoned" if node.cordoned else ""
    return f"{node.name}{state} ({', '.join(why) or 'busy'})"


def plan_pool(pool: NodePool, nodes: Sequence[NodeFacts], ctx: PoolContext) -> PoolWave:
    """Decide one pool. ``nodes`` are the live nodes labelled with this pool."""
    image = ctx.image
    ordered = sorted(nodes, key=lambda n: n.name)
    budget = pool.max_unavailable_nodes()
    unavailable = sum(1 for n in ordered if is_unavailable(n, image))
    status = PoolStatus(
        name=pool.name,
        total=len(ordered),
        at_target=sum(1 for n in ordered if n.image == image),
        unavailable=unavailable,
        max_unavailable=budget,
        busy=sum(1 for n in ordered if n.busy is True),
    )
    wave = PoolWave(status)
    halted: list[tuple[NodeFacts, timedelta]] = []
    unknown: list[tuple[NodeFacts, list[str]]] = []
    busy: list[NodeFacts] = []
    to_reimage: list[NodeFacts] = []
    to_mark: list[NodeFacts] = []
    candidates: list[NodeFacts] = []
    for node in ordered:
        late = overdue(node, ctx)
        if late is not None:
            halted.append((node, late))
        if node.image == image:
            if node.ready is True and (node.cordoned or node.pending or node.target_image is not None):
                wave.steps.append(_step(ctx, Action.UNCORDON, node, pool.name, "at target image: back into service"))
            continue
        wave.needs_work = True
        missing = unknown_fields(node)
        if missing:
            unknown.append((node, missing))
            continue
        if is_reimaging(node, image) or late is not None:
            continue  # waits for the provisioner, or halted above
        if node.busy:
            busy.append(node)
            if not node.cordoned and not node.pending:
                to_mark.append(node)
        elif node.cordoned:
            if node.ready is True:
                to_reimage.append(node)
        else:
            candidates.append(node)
    if not wave.needs_work and not halted:
        return wave
    cid = ctx.cluster_id
    if halted:
        late_nodes = [f"{n.name} ({_duration(d)} since reimage-requested-at)" for n, d in halted]
        wave.blocked.append(
            Blocked(
                cid,
                Reason.HALTED,
                f"pool {pool.name}: {plural(len(halted), 'node')} not back Ready at {image} within "
                f"nodeTimeoutMinutes {int(ctx.timeout.total_seconds() // 60)}: {shorten(late_nodes)}; "
                "no new node is taken in this pool until a person fixes them "
                "(or removes their target-image label to retry)",
                pool=pool.name,
                nodes=tuple(n.name for n, _ in halted),
            )
        )
    if unknown:
        named = [f"{n.name} ({', '.join(why)})" for n, why in unknown]
        wave.blocked.append(
            Blocked(
                cid,
                Reason.UNKNOWN_STATE,
                f"pool {pool.name}: state of {plural(len(unknown), 'node')} unknown: {shorten(named)}; "
                "no new node is taken in this pool until it can be read",
                pool=pool.name,
                nodes=tuple(n.name for n, _ in unknown),
            )
        )
    if halted or unknown or not ctx.may_start:
        return wave
    for node in to_reimage:
        wave.steps.append(_step(ctx, Action.REIMAGE, node, pool.name, f"cordoned and idle: reimage to {image}"))
    for node in to_mark:
        wave.steps.append(_step(ctx, Action.MARK_PENDING, node, pool.name, "busy: steer new jobs elsewhere"))
    if busy:
        wave.blocked.append(
            Blocked(
                cid,
                Reason.BUSY,
                f"pool {pool.name}: {waiting(len(busy), 'busy node')} "
                "for their work to finish "
                f"(never cordoned while busy): {shorten([_busy_entry(n) for n in busy])}",
                pool=pool.name,
                nodes=tuple(n.name for n in busy),
            )
        )
    _cordon(wave, pool, candidates, ctx, budget, unavailable)
    return wave


def _cordon(
    wave: PoolWave, pool: NodePool, candidates: list[NodeFacts], ctx: PoolContext, budget: int, unavailable: int
) -> None:
    """Cordon NotReady candidates, then Ready ones up to the room left."""
    not_ready = [n for n in candidates if n.ready is not True]
    ready = spread([n for n in candidates if n.ready is True])
    room = max(0, budget - unavailable)
    taken = ready[:room]
    for node in not_ready:
        wave.steps.append(_step(ctx, Action.CORDON, node, pool.name, "NotReady and idle: already unavailable"))
    for node in taken:
        wave.steps.append(_step(ctx, Action.CORDON, node, pool.name, f"idle, zone {node.zone or 'none'}"))
    idle = ready[room:]
    if idle:
        after = unavailable + len(taken)
        wave.blocked.append(
            Blocked(
                ctx.cluster_id,
                Reason.MAX_UNAVAILABLE,
                f"pool {pool.name}: {after} of {budget} unavailable ({_spelled(pool)}); "
                f"{waiting(len(idle), 'idle node')}",
                pool=pool.name,
            )
        )


def _step(ctx: PoolContext, action: Action, node: NodeFacts, pool: str, detail: str) -> Step:
    image = ctx.image if action is Action.REIMAGE else None
    return Step(ctx.cluster_id, action, node.name, pool=pool, image=image, detail=detail)
