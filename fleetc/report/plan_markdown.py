"""``fleetc plan --format markdown``: a plan that fits a pull-request comment.

Atlantis-style: a reviewer sees on one screen how many steps the merge
starts and what is blocked, then one table row per cluster; the nodes and
reasons of each cluster are folded in ``<details>`` blocks. GitHub caps a
comment at 65,536 characters, so details that would not fit are left out
with a note (the summary table always stays).
"""

from __future__ import annotations

import re
from datetime import datetime

from fleetc.plan.model import Action, Blocked, Plan, PoolStatus
from fleetc.report.plan_view import (
    CHANGE_ACTIONS,
    ClusterView,
    StepGroup,
    cluster_views,
    counts,
    node_list,
    plural,
    summarize,
)

COMMENT_LIMIT = 60_000  # GitHub's cap is 65,536; keep room for a bot's own header
NONE = "—"
_SPECIAL = re.compile(r"([\\*_\[\]<>|])")
_CODE_SPAN = re.compile(r"(`[^`]*`)")


def to_markdown(plan: Plan, now: datetime | None = None) -> str:
    """Heading with totals, the per-cluster table, then folded details of clusters with steps or blocks."""
    views = cluster_views(plan)
    summary = summarize(plan, views)
    head = [
        f"### fleetc plan: {plural(summary.total_steps, 'step')} now, {summary.total_blocked} blocked",
        "",
        _overview(summary.clusters, counts(summary.phases), now),
    ]
    if summary.steps:
        head.append(f"**Steps:** {counts(summary.steps)}  ")
    if summary.blocked:
        head.append(f"**Blocked:** {counts(summary.blocked)}")
    head += ["", *_table(views), ""]
    text = "\n".join(head)
    eventful = [view for view in views if not view.idle]
    for index, view in enumerate(eventful):
        block = "\n".join(_details(view)) + "\n"
        if len(text) + len(block) > COMMENT_LIMIT:
            left = len(eventful) - index
            text += f"\n_Details of {plural(left, 'more cluster')} left out to fit a comment: run `fleetc plan`._\n"
            break
        text += "\n" + block
    return text


def _overview(clusters: int, phases: str, now: datetime | None) -> str:
    when = f" at `{now.isoformat().replace('+00:00', 'Z')}`" if now is not None else ""
    return f"{plural(clusters, 'cluster')}{when}" + (f": {phases}  " if phases else "  ")


def _table(views: list[ClusterView]) -> list[str]:
    waves = any(view.wave is not None for view in views)  # the column only for a fleet with waves
    rows = [
        "| cluster | phase | kubernetes | node image | nodes at target | now |"
        + (" wave |" if waves else "")
        + " waiting |",
        "|---|---|---|---|--:|---|" + ("---|" if waves else "") + "---|",
    ]
    for view in views:
        at_target = view.nodes_at_target
        now = counts((str(g.action), len(g.steps)) for g in view.step_groups) or NONE
        waiting = ", ".join(dict.fromkeys(str(b.reason) for b in view.blocked_in_order)) or NONE
        wave = f" {escape(view.wave or NONE)} |" if waves else ""
        rows.append(
            f"| `{view.cluster}` | {view.phase} | {view.kubernetes} | {escape(view.node_image or NONE)} "
            f"| {f'{at_target[0]}/{at_target[1]}' if at_target else NONE} | {now} |{wave} {waiting} |"
        )
    return rows


def _details(view: ClusterView) -> list[str]:
    moves = plural(len(view.steps), "step") if view.steps else "no step"
    waits = ", ".join(dict.fromkeys(str(b.reason) for b in view.blocked_in_order))
    summary = f"<code>{view.cluster}</code> ({view.phase}): {moves}" + (f"; waiting: {waits}" if waits else "")
    lines = [f"<details><summary>{summary}</summary>", ""]
    lines.append(
        f"Phase **{view.phase}**, kubernetes {view.kubernetes}"
        + (f", node image `{view.node_image}`" if view.node_image else "")
        + (f", {escape(view.wave_text)}" if view.wave_text else "")
    )
    if view.pools:
        lines += ["", "| pool | at target | unavailable now / max | after this step | busy |", "|---|--:|--:|--:|--:|"]
        for pool in view.pools:
            after = pool.after
            lines.append(
                f"| {escape(pool.name)} | {pool.at_target}/{pool.total} | {pool.unavailable}/{pool.max_unavailable} "
                f"| {NONE if after == pool.unavailable else f'{after}/{pool.max_unavailable}'} | {_busy(view, pool)} |"
            )
    if view.steps:
        lines += ["", "| now | targets |", "|---|---|"]
        lines += [f"| {group.action} | {_step_cell(group)} |" for group in view.step_groups]
    if view.blocked:
        lines.append("")
        lines += [f"- {_blocked_line(entry)}" for entry in view.blocked_in_order]
    lines += ["", "</details>"]
    return lines


def _busy(view: ClusterView, pool: PoolStatus) -> str:
    waiting = view.busy_waiting(pool.name)
    return f"{pool.busy} ({waiting} waiting)" if waiting else str(pool.busy)


def _step_cell(group: StepGroup) -> str:
    if group.action is Action.UPGRADE_CONTROL_PLANE:
        step = group.steps[0]
        return f"`{step.target}`" + (f" (etcd `{step.etcd}`)" if step.etcd else "")
    if group.action is Action.UPDATE_ADDONS:
        return ", ".join(f"`{name}` {escape(version)}" for step in group.steps for name, version in step.addons)
    if group.action in CHANGE_ACTIONS:
        return "the fleet's control-plane settings"
    images = sorted({step.image for step in group.steps if step.image})
    to_image = f" → `{', '.join(images)}`" if images else ""
    return f"{len(group.steps)}: `{node_list(group.targets, limit=400)}`{to_image}"


def _blocked_line(entry: Blocked) -> str:
    where = f" ({escape(entry.pool)})" if entry.pool else ""
    line = f"**{entry.reason}**{where}: {escape(entry.detail)}"
    if entry.nodes:
        line += f" — {plural(len(entry.nodes), 'node')}: `{node_list(entry.nodes, limit=400)}`"
    return line


def escape(text: str) -> str:
    """Markdown- and HTML-inert text: a detail or a name can never open a tag, a link or a table cell.

    Code spans the planner writes (a command to run) stay code: inside them
    nothing is special except ``|``, which only matters in tables, where
    these texts are not put.
    """
    parts = _CODE_SPAN.split(text)
    return "".join(
        part if part.startswith("`") and part.endswith("`") and len(part) > 1 else _SPECIAL.sub(r"\\\1", part)
        for part in parts
    )
