"""A Plan regrouped the way people read it: per cluster, counts first.

The planner emits flat, sorted lists of steps and blocked entries (the
docs/spec.md section 5 contract); a person asks "what happens to my cluster, and
what waits for what". The text and markdown reports are both built from
these views, so they always tell the same story.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from fleetc.plan.model import Action, Blocked, ClusterPlan, Phase, Plan, PoolStatus, Reason, Step
from fleetc.versions import Version

# The planner's order of steps (and of the JSON), so text and JSON read alike.
ACTION_ORDER: tuple[Action, ...] = tuple(sorted(Action, key=lambda action: action.rank))
# Steps that name what they change (add-ons, settings) rather than a version or a node.
CHANGE_ACTIONS = frozenset({Action.UPDATE_ADDONS, Action.UPDATE_CONTROL_PLANE_CONFIG})
# Most fundamental first: an approval or a window gates everything below it.
REASON_ORDER: tuple[Reason, ...] = tuple(sorted(Reason, key=lambda reason: reason.rank))
PHASE_ORDER: tuple[str, ...] = tuple(Phase)
UNKNOWN_PHASE = Phase.UNKNOWN

K = TypeVar("K", bound=str)
NODES_CHARS = 160  # a hostlist longer than this is cut in reports; the JSON has every name


@dataclass(frozen=True)
class StepGroup:
    """Steps of one action in one cluster (a pool's 40 cordons are one line, not 40)."""

    action: Action
    steps: tuple[Step, ...]

    @property
    def targets(self) -> list[str]:
        return [step.target for step in self.steps]


@dataclass(frozen=True)
class ClusterView:
    """Everything the plan says about one cluster."""

    cluster: str
    phase: str
    target: Version | None
    node_image: str | None
    live_version: Version | None
    control_plane_version: Version | None
    pools: tuple[PoolStatus, ...]
    steps: tuple[Step, ...]
    blocked: tuple[Blocked, ...]
    wave: str | None = None  # the fleet wave the cluster is in (docs/spec.md 6.3); None: the fleet has none
    waiting_for: tuple[str, ...] = ()  # changes an earlier wave holds back

    @property
    def wave_text(self) -> str:
        """``wave canary`` or ``wave rest, waits for gpu-operator v24.9.2``; empty without waves."""
        if self.wave is None:
            return ""
        return f"wave {self.wave}" + (f", waits for {', '.join(self.waiting_for)}" if self.waiting_for else "")

    @property
    def kubernetes(self) -> str:
        """``1.30.6 → 1.31.2`` while moving, ``1.31.2`` when there; ``?`` for unknown."""
        live = str(self.live_version) if self.live_version else "?"
        if self.target is None:
            return live
        if self.live_version == self.target:
            return live
        return f"{live} → {self.target}"

    @property
    def nodes_at_target(self) -> tuple[int, int] | None:
        """(at target, total) over every pool; None when no pool was seen."""
        if not self.pools:
            return None
        return sum(p.at_target for p in self.pools), sum(p.total for p in self.pools)

    @property
    def step_groups(self) -> list[StepGroup]:
        by_action: dict[Action, list[Step]] = {}
        for step in self.steps:
            by_action.setdefault(step.action, []).append(step)
        return [StepGroup(action, tuple(by_action[action])) for action in _ordered(by_action, ACTION_ORDER)]

    @property
    def blocked_in_order(self) -> list[Blocked]:
        rank = {reason: i for i, reason in enumerate(REASON_ORDER)}
        return sorted(self.blocked, key=lambda b: (rank.get(b.reason, len(rank)), b.pool or "", b.detail))

    def busy_waiting(self, pool: str) -> int:
        """Busy nodes of ``pool`` that hold up its rollout (PoolStatus.busy also counts upgraded ones)."""
        return sum(len(b.nodes) for b in self.blocked if b.reason is Reason.BUSY and b.pool == pool)

    def unavailable_text(self, pool: PoolStatus) -> str:
        """``now 8 of 12 unavailable, 11 after this step``: the budget's before and after, never a bare count.

        "After" is the planner's own count (``PoolStatus.unavailable_after``):
        this step's cordons in, its uncordons and releases out.
        """
        text = f"now {pool.unavailable} of {pool.max_unavailable} unavailable"
        after = pool.after
        return text + (f", {after} after this step" if after != pool.unavailable else "")

    def pool_line(self, pool: PoolStatus) -> str:
        """``97/256 at target, now 8 of 12 unavailable, 12 after this step, 206 busy (142 waiting)``."""
        waiting = self.busy_waiting(pool.name)
        busy = f"{pool.busy} busy" + (f" ({waiting} waiting)" if waiting else "")
        return f"{pool.at_target}/{pool.total} at target, {self.unavailable_text(pool)}, {busy}"

    @property
    def idle(self) -> bool:
        """Nothing moves and nothing waits: nothing to say beyond the summary row."""
        return not self.steps and not self.blocked


@dataclass(frozen=True)
class PlanSummary:
    """Counts for the first lines of a report: how big is this plan."""

    clusters: int
    phases: list[tuple[str, int]]
    steps: list[tuple[Action, int]]
    blocked: list[tuple[Reason, int]]

    @property
    def total_steps(self) -> int:
        return sum(n for _, n in self.steps)

    @property
    def total_blocked(self) -> int:
        return sum(n for _, n in self.blocked)


def cluster_views(plan: Plan) -> list[ClusterView]:
    """One view per cluster, sorted by id; clusters only named by a step or a block are included."""
    steps: dict[str, list[Step]] = {}
    blocked: dict[str, list[Blocked]] = {}
    for step in plan.steps:
        steps.setdefault(step.cluster, []).append(step)
    for entry in plan.blocked:
        blocked.setdefault(entry.cluster, []).append(entry)
    ids = sorted({*plan.clusters, *steps, *blocked})
    return [_view(cid, plan.clusters.get(cid), steps.get(cid, []), blocked.get(cid, [])) for cid in ids]


def _view(cluster: str, summary: ClusterPlan | None, steps: list[Step], blocked: list[Blocked]) -> ClusterView:
    if summary is None:
        return ClusterView(cluster, UNKNOWN_PHASE, None, None, None, None, (), tuple(steps), tuple(blocked))
    revision = summary.revision
    return ClusterView(
        cluster=cluster,
        phase=summary.phase,
        target=summary.target,
        node_image=summary.node_image,
        live_version=summary.live_version,
        control_plane_version=summary.control_plane_version,
        pools=summary.pools,
        steps=tuple(steps),
        blocked=tuple(blocked),
        wave=revision.wave if revision is not None else None,
        waiting_for=revision.waiting_for if revision is not None else (),
    )


def summarize(plan: Plan, views: Sequence[ClusterView] | None = None) -> PlanSummary:
    views = cluster_views(plan) if views is None else views
    phases = Counter(view.phase for view in views)
    actions = Counter(step.action for step in plan.steps)
    reasons = Counter(entry.reason for entry in plan.blocked)
    return PlanSummary(
        clusters=len(views),
        phases=[(phase, phases[phase]) for phase in _ordered(phases, PHASE_ORDER)],
        steps=[(action, actions[action]) for action in _ordered(actions, ACTION_ORDER)],
        blocked=[(reason, reasons[reason]) for reason in _ordered(reasons, REASON_ORDER)],
    )


def _ordered(present: Iterable[K], order: Sequence[K]) -> list[K]:
    """The keys present, in ``order`` first, then any others (a newer planner's) alphabetically."""
    keys = set(present)
    return [k for k in order if k in keys] + sorted(k for k in keys if k not in order)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def counts(pairs: Iterable[tuple[str, int]]) -> str:
    """``cordon 4, reimage 2``: name first, so ``nodes 2`` (a phase) is not read as two nodes."""
    return ", ".join(f"{key} {n}" for key, n in pairs)


def clip(text: str, limit: int) -> str:
    """``text`` cut at a word boundary before ``limit`` characters, marked with `` …``."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit].rstrip(",;: ") + " …"


FIX_SEPARATOR = "; "
MIN_HEAD = 40  # shorter than this, a cut head says too little: the detail is shown whole


def clip_detail(text: str, limit: int) -> str:
    """A planner detail cut to about ``limit`` characters, never losing its last clause.

    Details read "what: the list of nodes; what to do about it": the last
    clause after ``; `` is the fix (how to un-halt a pool, what to commit),
    the one sentence an on-call engineer needs. So the middle is cut (the
    list, whose names are also on the node line and in the JSON), and a
    detail whose fix leaves too little room is not cut at all.
    """
    if len(text) <= limit:
        return text
    head, separator, fix = text.rpartition(FIX_SEPARATOR)
    if not separator:
        return clip(text, limit)
    room = limit - len(separator) - len(fix)
    if room < MIN_HEAD:
        return text
    return clip(head, room) + separator + fix


# --- node lists ---------------------------------------------------------------

_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def hostlist(names: Iterable[str]) -> str:
    """Node names in Slurm hostlist notation (see :func:`hostlist_parts`)."""
    return ",".join(hostlist_parts(names))


def hostlist_parts(names: Iterable[str]) -> list[str]:
    """Node names in Slurm hostlist notation, one part per name prefix: ``gb200-[096-100,102]``, ``cpu-7``.

    GPU operators read this notation daily, and it keeps a wave of 40 nodes
    on one line. Numbers are grouped by their digit count so zero padding
    round-trips (``n-9,n-[10-11]``); names without a trailing number are
    listed as they are.
    """
    groups: dict[tuple[str, int], list[int]] = {}
    plain: list[str] = []
    for name in sorted(set(names)):
        match = _NUMBERED.match(name)
        if match is None:
            plain.append(name)
            continue
        digits = match[2]
        groups.setdefault((match[1], len(digits)), []).append(int(digits))
    parts: list[str] = []
    for (prefix, width), numbers in sorted(groups.items()):
        ranges = _ranges(sorted(numbers))
        text = ",".join(_range_text(lo, hi, width) for lo, hi in ranges)
        single = len(ranges) == 1 and ranges[0][0] == ranges[0][1]
        parts.append(f"{prefix}{text}" if single else f"{prefix}[{text}]")
    return [*parts, *plain]


def _ranges(numbers: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for number in numbers:
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], number)
        else:
            ranges.append((number, number))
    return ranges


def _range_text(lo: int, hi: int, width: int) -> str:
    first = str(lo).zfill(width)
    return first if lo == hi else f"{first}-{str(hi).zfill(width)}"


def node_list(names: tuple[str, ...] | list[str], limit: int = NODES_CHARS) -> str:
    """A hostlist, cut after whole parts at about ``limit`` characters (the JSON has every name)."""
    parts = hostlist_parts(names)
    shown: list[str] = []
    used = 0
    for part in parts:
        if shown and used + len(part) > limit:
            break
        shown.append(_cut_part(part, limit))
        used += len(part) + 1
    text = ",".join(shown)
    if len(shown) < len(parts) or any(s != p for s, p in zip(shown, parts, strict=False)):
        text += " … (every name in --format json)"
    return text


def _cut_part(part: str, limit: int) -> str:
    """``n-[1,3,5,...]`` cut inside the brackets at a range boundary, still well-formed."""
    if len(part) <= limit or not part.endswith("]"):
        return part
    cut = part.rfind(",", 0, limit)
    return part if cut < 0 else part[:cut] + ",…]"
