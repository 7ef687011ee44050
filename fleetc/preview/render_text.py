"""``fleetc preview`` (text): the same parts as the PR comment, for a terminal or a log."""

from __future__ import annotations

from fleetc.preview import summary
from fleetc.preview.model import Preview
from fleetc.preview.summary import rollout_lines

SIGN = {"create": "+", "update": "~", "delete": "-"}


def to_text(preview: Preview, width: int = 120) -> str:
    lines = [f"fleetc preview: {summary.title(preview)}", ""]
    lines += [f"note: {note}" for note in preview.notes]
    if preview.base.diagnostics:
        lines += [f"base: {d}" for d in preview.base.diagnostics]
    if not preview.head.valid:
        lines += [str(d) for d in preview.head.diagnostics]
        return "\n".join(lines) + "\n"
    lines += [
        f"  fleet:     {summary.fleet_line(preview.fleet)}",
        f"  resources: {summary.resources_line(preview.resources)}",
        f"  plan:      {summary.plan_line(preview)}",
        f"  policy:    {summary.policy_line(preview)}",
    ]
    if preview.fleet:
        lines += ["", "Fleet changes:"]
        lines += [f"  {change}" for change in preview.fleet]
    if preview.rollout:
        lines += ["", "Rollout (changes of revision per cluster):"]
        lines += [f"  {line}" for line in rollout_lines(preview)]
    if preview.resources is not None and preview.resources.meaningful:
        lines += ["", "Resource changes:"]
        for change in preview.resources.meaningful:
            fields = f": {', '.join(change.fields)}" if change.fields else ""
            lines.append(f"  {SIGN[change.op]} {change.id} ({change.type}{fields})")
    if preview.plan is not None:
        from fleetc.report.plan_text import to_text as plan_text

        lines += ["", plan_text(preview.plan, preview.now, width=width).rstrip("\n")]
    if preview.policy is not None and preview.policy.violations:
        lines += ["", "Policy violations (head):"]
        marked = preview.base.valid
        for violation in preview.policy.violations:
            mark = ("new: " if preview.is_new(violation) else "already on base: ") if marked else ""
            lines.append(f"{mark}{violation}")
    return "\n".join(lines) + "\n"
