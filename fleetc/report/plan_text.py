"""``fleetc plan`` for a terminal: counts, one row per cluster, then what moves and what waits.

Read top-down by an on-call engineer: the first lines say how big the plan
is, the table says which cluster is where, and a short section per cluster
that has anything to do names the nodes (as hostlists, so a wave of 40 nodes
is one line) and the reason for every wait. Clusters with nothing to do get
their table row only. Long planner details are clipped in the middle here
(the markdown and JSON keep them whole), never their last clause, which says
what to do; node lists are never clipped silently. Text wraps between words
at any width: a column whose longest word does not fit is dropped first
(the per-cluster sections repeat it), and a word longer than its column is
cut with ``…`` rather than broken in two.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from fleetc.plan.model import Action, Blocked, Plan
from fleetc.report.plan_view import (
    CHANGE_ACTIONS,
    ClusterView,
    StepGroup,
    clip_detail,
    cluster_views,
    node_list,
    plural,
    summarize,
)

PHASE_STYLE = {
    "up-to-date": "green",
    "new": "cyan",
    "control-plane": "cyan",
    "nodes": "cyan",
    "blocked": "yellow",
    "unknown": "red",
}
NONE = "—"
DETAIL_CHARS = 400  # enough for an approval's command line; a busy pool's pod list is cut, never the fix


def render(plan: Plan, now: datetime | None = None) -> RenderableType:
    """The whole report as one rich renderable (the CLI prints it with colour on a terminal)."""
    views = cluster_views(plan)
    parts: list[RenderableType] = [_header(plan, views, now), Text(""), _ClusterTable(views)]
    for view in views:
        if not view.idle:
            parts += [Text(""), _title(view), Padding(_details(view), (0, 0, 0, 2))]
    return Group(*parts)


def to_text(plan: Plan, now: datetime | None = None, width: int = 120) -> str:
    """Plain text at a fixed width, no colour: for files, tests and PR bots."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, no_color=True, color_system=None, highlight=False, emoji=False, markup=False
    )
    console.print(render(plan, now))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _header(plan: Plan, views: list[ClusterView], now: datetime | None) -> Group:
    """Three lines of counts; a line too long for the terminal continues under its value, not at column 0."""
    summary = summarize(plan, views)
    title = Text("fleetc plan", style="bold")
    if now is not None:
        title.append(f" at {now.isoformat().replace('+00:00', 'Z')}")
    title.append(":")
    first = Table.grid(padding=(0, 1))
    first.add_column(no_wrap=True)
    first.add_column()
    first.add_row(title, _Counted(plural(summary.clusters, "cluster"), summary.phases))
    totals = Table.grid(padding=(0, 1))
    totals.add_column(no_wrap=True, style="bold")
    totals.add_column()
    totals.add_row("steps now:", _Counted(str(summary.total_steps), summary.steps))
    totals.add_row("blocked:", _Counted(str(summary.total_blocked), summary.blocked))
    return Group(first, Padding(totals, (0, 0, 0, 2)))


class _Counted:
    """``13 (cordon 4, reimage 2)``, wrapped only between pairs: a count never leaves its name.

    (Rich wraps at every space, so ``control-plane-not-ready`` would end a
    line and its ``1`` start the next, where it reads as the next pair's.)
    """

    def __init__(self, total: str, pairs: Sequence[tuple[str, int]]) -> None:
        named = [f"{key} {n}" for key, n in pairs]
        if not named:
            self.pieces = [total]
            return
        named[0] = f"({named[0]}"
        named[-1] = f"{named[-1]})"
        self.pieces = [total, *(f"{piece}," for piece in named[:-1]), named[-1]]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(max(len(piece) for piece in self.pieces), len(" ".join(self.pieces)))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        line = ""
        for piece in self.pieces:
            joined = f"{line} {piece}" if line else piece
            if line and len(joined) > options.max_width:
                yield Text(line)
                line = piece
            else:
                line = joined
        yield Text(line)


class _ClusterTable:
    """One row per cluster; on a narrow terminal the least useful columns go first.

    Rich would otherwise shrink every column and cut names and reasons in
    the middle, which is worse than not showing the node image at all (the
    per-cluster sections below repeat it).
    """

    OPTIONAL = ("node image", "wave", "steps", "at target", "kubernetes")  # dropped in this order
    GAP = 2

    def __init__(self, views: list[ClusterView]) -> None:
        self.rows = [_row(view) for view in views]
        self.waves = any(view.wave is not None for view in views)  # the column only for a fleet with waves

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        columns = [name for name in COLUMNS if name != "wave" or self.waves]
        for name in self.OPTIONAL:
            if self._natural_width(columns) <= options.max_width:
                break
            if name in columns:
                columns.remove(name)
        yield self._table(columns)

    def _natural_width(self, columns: list[str]) -> int:
        widths = []
        for name in columns:
            index = COLUMNS.index(name)
            cells = [len(row[index]) for row in self.rows]
            if name not in columns:
                continue
            if name == "waiting":  # wraps between words; "control-plane-not-ready," keeps its comma
                cells = [max((len(word) for word in row[index].split(" ")), default=0) for row in self.rows]
            widths.append(max([len(name), *cells]))
        return sum(widths) + self.GAP * (len(columns) - 1)

    def _table(self, columns: list[str]) -> Table:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True, header_style="bold")
        for name in columns:
            right = name in ("at target", "steps")
            wraps = name == "waiting"
            # Wrap between reasons; a reason longer than the column is cut with …, never broken mid-word.
            table.add_column(
                name, justify="right" if right else "left", no_wrap=not wraps, overflow="ellipsis" if wraps else "fold"
            )
        for row in self.rows:
            cells = [Text(row[COLUMNS.index(name)], style=_style(name, row)) for name in columns]
            table.add_row(*cells)
        return table


COLUMNS = ("cluster", "phase", "kubernetes", "node image", "at target", "steps", "wave", "waiting")


def _row(view: ClusterView) -> tuple[str, ...]:
    at_target = view.nodes_at_target
    return (
        view.cluster,
        view.phase,
        view.kubernetes,
        view.node_image or NONE,
        f"{at_target[0]}/{at_target[1]}" if at_target else NONE,
        str(len(view.steps)) if view.steps else NONE,
        view.wave or NONE,
        ", ".join(_reasons(view.blocked_in_order)) or NONE,
    )


def _style(column: str, row: tuple[str, ...]) -> str:
    if column == "phase":
        return PHASE_STYLE.get(row[1], "")
    if column == "waiting" and row[-1] != NONE:
        return "yellow"
    return ""


def _reasons(blocked: list[Blocked]) -> list[str]:
    return list(dict.fromkeys(str(entry.reason) for entry in blocked))


def _title(view: ClusterView) -> Text:
    title = Text(view.cluster, style="bold")
    title.append(f": {view.phase}", style=PHASE_STYLE.get(view.phase, ""))
    title.append(f", kubernetes {view.kubernetes}")
    if view.node_image:
        title.append(f", node image {view.node_image}")
    if view.wave_text:
        title.append(f", {view.wave_text}")
    return title


def _details(view: ClusterView) -> Table:
    """Pools, then steps, then waits: one line each, the text column wraps."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for pool in view.pools:
        grid.add_row(f"pool {pool.name}", view.pool_line(pool))
    for group in view.step_groups:
        grid.add_row(Text(str(group.action), style="bold"), _step_text(group))
    for entry in view.blocked_in_order:
        reason = str(entry.reason) + (f" ({entry.pool})" if entry.pool else "")
        grid.add_row(Text(reason, style="yellow"), _blocked_text(entry))
    return grid


def _step_text(group: StepGroup) -> Text:
    if group.action is Action.UPGRADE_CONTROL_PLANE:
        step = group.steps[0]
        text = f"to {step.target}" + (f" with etcd {step.etcd}" if step.etcd else "")
        return Text(text + (f": {step.detail}" if step.detail else ""))
    if group.action in CHANGE_ACTIONS:
        return Text("; ".join(step.detail or step.target for step in group.steps))
    text = f"{len(group.steps)}: {node_list(group.targets)}"
    images = sorted({step.image for step in group.steps if step.image})
    if images:
        text += f" → {', '.join(images)}"
    return Text(text)


def _blocked_text(entry: Blocked) -> Text:
    detail = clip_detail(entry.detail, DETAIL_CHARS)
    text = Text(detail)
    if entry.nodes:
        text.append(f"\n{plural(len(entry.nodes), 'node')}: {node_list(entry.nodes)}")
    return text
