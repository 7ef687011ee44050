"""Fleet-wide rollout rules: a fleet with waves starts with a small one (first-wave-small)."""

from __future__ import annotations

from plan.builders import NOW
from plan.rollouts import fleet, member

from fleetc.compile import compile_region
from fleetc.live.facts import LiveState
from fleetc.plan.planner import plan
from fleetc.policy import RULES_BY_ID, run_rules
from fleetc.spec.fleet import FleetSpec


def findings(spec: FleetSpec) -> list[str]:
    result = plan(spec, LiveState(), [], NOW)
    graphs = [compile_region(spec, result, region, NOW) for region in spec.regions]
    return [v.message for v in run_rules(graphs, spec, rules=[RULES_BY_ID["first-wave-small"]])]


def regions(count: int) -> dict[str, list[dict[str, object]]]:
    return {f"r{r}": [member(f"c{c}") for c in range(count)] for r in range(4)}


def test_a_canary_of_few_clusters_passes_and_a_wide_first_wave_is_reported_once() -> None:
    small = [{"name": "canary", "clusters": ["r0/c0"], "soak": "24h"}, {"name": "rest", "clusters": ["*"]}]
    assert findings(fleet(regions(5), waves=small)) == []
    wide = [{"name": "canary", "clusters": ["r0/*", "r1/*"], "soak": "24h"}, {"name": "rest", "clusters": ["*"]}]
    [message] = findings(fleet(regions(5), waves=wide))  # 10 of 20, limit 3: once, not per region
    assert "holds 10 of the fleet's 20 clusters" in message and "at most 3" in message
    assert findings(fleet(regions(5))) == []  # no waves: nothing to judge


def test_the_rule_needs_the_fleet_and_is_left_to_fleetc_check_in_the_pack() -> None:
    rule = RULES_BY_ID["first-wave-small"]
    assert rule.needs_spec
    spec = fleet(regions(5), waves=[{"name": "all", "clusters": ["*"]}])
    result = plan(spec, LiveState(), [], NOW)
    graphs = [compile_region(spec, result, region, NOW) for region in spec.regions]
    assert run_rules(graphs, None, rules=[rule]) == []  # without the fleet it is not evaluated, not failed
