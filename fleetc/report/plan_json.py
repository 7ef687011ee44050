"""``fleetc plan --format json``: the docs/spec.md section 5 object, byte-stable.

Scripts and CI diff this output between runs, so keys are sorted and the
indentation fixed; lists keep the planner's (deterministic, sorted) order.
"""

from __future__ import annotations

import json

from fleetc.plan.model import Plan


def to_json(plan: Plan) -> str:
    """``{"blocked": [...], "clusters": {...}, "steps": [...]}`` with a trailing newline."""
    return json.dumps(plan.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
