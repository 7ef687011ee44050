"""``fleetc preview --format markdown``: a pull-request comment, Atlantis-style.

A one-screen summary table first (fleet, resources, plan, policy), then one
folded ``<details>`` block per part. GitHub caps a comment at 65,536
characters: long lists are cut with a note, and if the whole comment is
still too long the resource list, then the plan details, are dropped.
"""

from __future__ import annotations

import html

from fleetc.policy.report import md_escape
from fleetc.policy.report import to_markdown as policy_markdown
from fleetc.preview import summary
from fleetc.preview.model import Preview
from fleetc.preview.plan_delta import plan_delta
from fleetc.preview.resource_diff import ResourceDiff

COMMENT_LIMIT = 60_000
MAX_LIST = 200
MAX_DIAGNOSTICS = 100


def to_markdown(preview: Preview) -> str:
    head = _header(preview)
    if not preview.head.valid:
        return "\n".join([*head, *_diagnostics(preview)]) + "\n"
    blocks = [
        _fleet(preview),
        _rollout(preview),
        _resources(preview, full=True),
        _plan(preview, full=True),
        _policy(preview),
    ]
    text = _join(head, blocks)
    if len(text) > COMMENT_LIMIT:
        blocks[2] = _resources(preview, full=False)
        text = _join(head, blocks)
    if len(text) > COMMENT_LIMIT:
        blocks[3] = _plan(preview, full=False)
        text = _join(head, blocks)
    return text


def _join(head: list[str], blocks: list[list[str]]) -> str:
    return "\n".join([*head, *(line for block in blocks for line in block)]) + "\n"


def _header(preview: Preview) -> list[str]:
    mark = "❌" if preview.exit_code else "✅"
    lines = [f"### {mark} fleetc preview: {md_escape(summary.title(preview))}", ""]
    if preview.head.valid:
        lines += [
            "| | |",
            "|---|---|",
            f"| **Fleet** | {md_escape(summary.fleet_line(preview.fleet))} |",
            f"| **Resources** | {md_escape(summary.resources_line(preview.resources))} |",
            f"| **Plan** | {md_escape(summary.plan_line(preview))} |",
            f"| **Policy** | {md_escape(summary.policy_line(preview))} |",
            "",
        ]
    lines += [f"> {md_escape(note)}" for note in preview.notes]
    if preview.notes:
        lines.append("")
    if preview.base.diagnostics:
        lines += _details(
            f"Base is not a valid fleet ({len(preview.base.diagnostics)} errors)",
            ["```", *(str(d) for d in preview.base.diagnostics[:MAX_DIAGNOSTICS]), "```"],
        )
    return lines


def _details(title: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{html.escape(title)}</summary>", "", *body, "", "</details>", ""]


def _diagnostics(preview: Preview) -> list[str]:
    found = preview.head.diagnostics
    shown = [str(d) for d in found[:MAX_DIAGNOSTICS]]
    more = [f"... and {len(found) - MAX_DIAGNOSTICS} more"] if len(found) > MAX_DIAGNOSTICS else []
    return [f"{len(found)} errors; fix them and push again:", "", "```", *shown, *more, "```"]


def _cut(lines: list[str], limit: int = MAX_LIST) -> list[str]:
    return lines if len(lines) <= limit else [*lines[:limit], f"... and {len(lines) - limit} more"]


def _fleet(preview: Preview) -> list[str]:
    changes = preview.fleet
    if changes is None:
        return []
    if not changes:
        return _details("Fleet changes (none)", ["No fleet-level change."])
    rows = ["| change | subject | detail |", "|---|---|---|"]
    rows += _cut([f"| {c.category} {md_escape(c.action)} | `{c.subject}` | {md_escape(c.detail)} |" for c in changes])
    return _details(f"Fleet changes ({len(changes)})", rows)


def _resources(preview: Preview, *, full: bool) -> list[str]:
    diff = preview.resources
    if diff is None:
        return []
    rows = ["| type | create | update | delete |", "|---|--:|--:|--:|"]
    rows += [f"| {t} | {c['create']} | {c['update']} | {c['delete']} |" for t, c in diff.by_type().items()]
    if not diff.meaningful:
        rows = ["No resource changes."]
    body = [*rows, ""]
    if full and diff.meaningful:
        body += ["```diff", *_cut(_change_lines(diff)), "```"]
    elif diff.meaningful:
        body.append(
            "(resource list left out: the comment would exceed GitHub's size limit; run `fleetc preview` locally)"
        )
    return _details(f"Resource changes: {summary.resources_line(diff)}", body)


def _change_lines(diff: ResourceDiff) -> list[str]:
    sign = {"create": "+", "update": "~", "delete": "-"}
    lines = []
    for change in diff.meaningful:
        fields = (
            f": {', '.join(change.fields[:6])}" + (" ..." if len(change.fields) > 6 else "") if change.fields else ""
        )
        lines.append(f"{sign[change.op]} {change.id} ({change.type}{fields})")
    return lines


def _plan(preview: Preview, *, full: bool) -> list[str]:
    if preview.plan is None:
        return _details("Plan for head: needs --live", [md_escape(summary.plan_line(preview))])
    from fleetc.report.plan_markdown import to_markdown as plan_markdown

    body = [plan_markdown(preview.plan, preview.now)] if full else ["(left out: the comment would be too long)"]
    return [*_delta(preview), *_details(f"Plan for head: {summary.plan_line(preview)}", body)]


def _delta(preview: Preview) -> list[str]:
    """Per cluster, what merging changes in the next step (base's plan vs head's, same live state)."""
    if preview.plan is None or preview.base_plan is None:
        return []
    deltas = plan_delta(preview.base_plan, preview.plan)
    if not deltas:
        return ["**Plan delta:** merging changes nothing in the next step.", ""]
    rows = [
        "| cluster | phase (base → head) | steps added | steps removed | blocked added / removed |",
        "|---|---|---|---|---|",
    ]
    for d in deltas:
        phase = f"{d.phase_before or 'absent'} → {d.phase_after or 'absent'}"
        blocked = f"{', '.join(d.reasons_added) or '—'} / {', '.join(d.reasons_removed) or '—'}"
        rows.append(
            f"| {md_escape(d.cluster)} | {phase} | {_few(d.steps_added)} | {_few(d.steps_removed)} | {blocked} |"
        )
    return _details(f"Plan delta: {len(deltas)} cluster{'' if len(deltas) == 1 else 's'} change their next step", rows)


def _few(items: tuple[str, ...], limit: int = 5) -> str:
    if not items:
        return "—"
    shown = ", ".join(md_escape(i) for i in items[:limit])
    return shown + (f" (+{len(items) - limit})" if len(items) > limit else "")


def _rollout(preview: Preview) -> list[str]:
    if not preview.rollout:
        return []
    rows = [f"- {md_escape(line)}" for line in summary.rollout_lines(preview)]
    n = len(preview.rollout)
    return _details(f"Rollout: {n} cluster{'' if n == 1 else 's'} change revision", _cut(rows))


def _policy(preview: Preview) -> list[str]:
    if preview.policy is None:
        return []
    lines = policy_markdown(preview.policy, preview.is_new if preview.base.valid else None)
    return _details(f"Policy report for head: {preview.policy.summary()}", lines)
