"""One-line summaries of each part of a preview, shared by the text and markdown renderers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from fleetc.preview.fleet_diff import CATEGORY_ORDER, FleetChange
from fleetc.preview.model import BASIS_LIVE, Preview
from fleetc.preview.resource_diff import ResourceDiff

PLURAL = {
    "fleet": "fleet",
    "channel": "channels",
    "region": "regions",
    "tenant": "tenants",
    "cluster": "clusters",
    "version": "versions",
    "control-plane": "control planes",
    "upgrade": "upgrade policies",
    "pool": "pools",
    "addon": "add-ons",
    "approval": "approvals",
}


def fleet_line(changes: Sequence[FleetChange] | None) -> str:
    """``clusters: +1 · versions: 2 kubernetes bumped · pools: 1 resized``."""
    if changes is None:
        return "not compared"
    if not changes:
        return "no changes"
    counts = Counter((c.category, c.action) for c in changes)
    parts = []
    for category in [*CATEGORY_ORDER, *sorted({c.category for c in changes} - set(CATEGORY_ORDER))]:
        actions = [(action, n) for (cat, action), n in sorted(counts.items()) if cat == category]
        if not actions:
            continue
        shown = []
        for action, n in actions:
            shown.append(f"+{n}" if action == "added" else f"-{n}" if action == "removed" else f"{n} {action}")
        parts.append(f"{PLURAL.get(category, category)}: {', '.join(shown)}")
    return " · ".join(parts)


def resources_line(diff: ResourceDiff | None) -> str:
    if diff is None:
        return "not compared"
    counts = diff.counts()
    line = f"{counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete"
    if diff.source_only:
        line += f" (+{len(diff.source_only)} updates of the source annotation only)"
    return line


def plan_line(preview: Preview) -> str:
    if preview.plan is None:
        if preview.basis == BASIS_LIVE:
            return "not computed (head is not valid)"
        return "needs live state: pass --live DIR|kube to see the next rollout step"
    at = f" at {preview.now.isoformat()}" if preview.now else ""
    return f"{len(preview.plan.steps)} steps now, {len(preview.plan.blocked)} blocked (live state{at})"


def policy_line(preview: Preview) -> str:
    return preview.policy.summary() if preview.policy is not None else "not run (head is not valid)"


def title(preview: Preview) -> str:
    """``base → head: verdict``."""
    span = f"{preview.base.label} → {preview.head.label}"
    if not preview.head.valid:
        return f"{span}: head is not a valid fleet"
    assert preview.policy is not None
    return f"{span}: policy {'passed' if preview.policy.passed else 'failed'}"


def rollout_lines(preview: Preview) -> list[str]:
    """``us-east-04/alpha-train (wave rest): gpu-operator v24.9.2; gated: approval ...``, then the first waves."""
    lines = []
    for change in preview.rollout:
        wave = f" (wave {change.wave})" if change.wave else ""
        gated = f"; gated: {', '.join(change.gated)}" if change.gated else "; no gate holds it"
        lines.append(f"{change.cluster}{wave}: {', '.join(change.changes)}{gated}")
    for text, wave in preview.first_waves:
        lines.append(f"{text} reaches wave {wave} first")
    return lines
