"""``fleetc preview --format json``: one object, for bots and scripts."""

from __future__ import annotations

import json
from typing import Any

from fleetc.policy.report import to_json as policy_json
from fleetc.preview import summary
from fleetc.preview.model import Preview
from fleetc.preview.plan_delta import plan_delta
from fleetc.preview.sources import Side


def _side(side: Side) -> dict[str, Any]:
    return {
        "rev": side.rev,
        "commit": side.commit,
        "valid": side.valid,
        "absent": side.absent,
        "diagnostics": [str(d) for d in side.diagnostics],
    }


def to_dict(preview: Preview) -> dict[str, Any]:
    fleet = None
    if preview.fleet is not None:
        fleet = {"summary": summary.fleet_line(preview.fleet), "changes": [c.to_json() for c in preview.fleet]}
    return {
        "base": _side(preview.base),
        "head": _side(preview.head),
        "basis": preview.basis,
        "fleet": fleet,
        "resources": preview.resources.to_json() if preview.resources is not None else None,
        "plan": preview.plan.to_json() if preview.plan is not None else None,
        "planNote": summary.plan_line(preview),
        "policy": _policy(preview),
        "planDelta": (
            [d.to_json() for d in plan_delta(preview.base_plan, preview.plan)]
            if preview.plan is not None and preview.base_plan is not None
            else None
        ),
        "rollout": {
            "clusters": [change.to_json() for change in preview.rollout],
            "firstWaves": dict(preview.first_waves),
        },
        "notes": list(preview.notes),
        "exitCode": preview.exit_code,
    }


def _policy(preview: Preview) -> dict[str, Any] | None:
    if preview.policy is None:
        return None
    report = policy_json(preview.policy)
    if preview.base.valid:  # which findings the change introduces, which were there before
        for entry, violation in zip(report["violations"], preview.policy.violations, strict=True):
            entry["new"] = preview.is_new(violation)
    return report


def to_json(preview: Preview) -> str:
    return json.dumps(to_dict(preview), indent=2, ensure_ascii=False) + "\n"
