"""Golden plan outputs of a GPU-operator bump in waves (text, markdown, json), from plain-data facts.

The canary has run the bump for 10 of its 24 soak hours; the east wave waits for it, one cluster needs the
tenant's approval, another is in an exclusion; the rest waits for east. Regenerate after an intended change::

    FLEETC_UPDATE_GOLDEN=1 pytest tests/plan/test_wave_golden.py
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from fleetc.plan.model import Plan, Reason
from fleetc.plan.planner import plan
from fleetc.report.plan_markdown import to_markdown
from fleetc.report.plan_text import to_text
from plan.builders import NOW
from plan.rollouts import GPU_OPERATOR, OLD_GPU, addon_approval, fleet, member, record, settled, state

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("FLEETC_UPDATE_GOLDEN") == "1"
WAVES = [
    {"name": "canary", "clusters": ["east/canary"], "soak": "24h"},
    {"name": "east", "clusters": ["east/*"], "soak": "12h"},
    {"name": "rest", "clusters": ["*"]},
]
EXCLUSION = {"from": "2024-12-01T00:00:00Z", "to": "2024-12-20T00:00:00Z", "reason": "team-b paper deadline"}


def scenario() -> Plan:
    spec = fleet(
        {
            "east": [member("canary"), member("train", approval="required"), member("serve", exclusions=[EXCLUSION])],
            "west": [member("batch")],
        },
        waves=WAVES,
    )
    facts = [settled("east/canary", record(spec, "east/canary", rolled_at=NOW - timedelta(hours=10)))]
    facts += [
        settled(cid, record(spec, cid, {GPU_OPERATOR: OLD_GPU})) for cid in ("east/train", "east/serve", "west/batch")
    ]
    return plan(spec, state(*facts), [addon_approval("west/batch")], NOW)


def outputs(result: Plan) -> dict[str, str]:
    return {
        "waves.txt": to_text(result, NOW, width=120),
        "waves.md": to_markdown(result, NOW),
        "waves.json": json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n",
    }


@pytest.mark.parametrize("name", ["waves.txt", "waves.md", "waves.json"])
def test_wave_plan_matches_golden(name: str) -> None:
    result = scenario()
    check_meaning(result)
    text = outputs(result)[name]
    golden = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        pytest.skip(f"updated {golden.name}")
    assert text == golden.read_text(encoding="utf-8")


def check_meaning(result: Plan) -> None:
    """What the goldens must show, asserted on the plan itself (a golden of a wrong plan would pass)."""
    assert result.steps == ()  # the canary is done; everybody else waits
    by_cluster = {cid: {b.reason for b in result.blocked if b.cluster == cid} for cid in result.clusters}
    assert by_cluster["east/canary"] == set()
    assert by_cluster["east/train"] == {Reason.WAITING_FOR_WAVE, Reason.APPROVAL_REQUIRED}
    assert by_cluster["east/serve"] == {Reason.WAITING_FOR_WAVE, Reason.EXCLUDED}
    assert by_cluster["west/batch"] == {Reason.WAITING_FOR_WAVE}
    clusters = result.to_json()["clusters"]
    assert clusters["west/batch"]["wave"] == "rest" and clusters["east/train"]["wave"] == "east"
