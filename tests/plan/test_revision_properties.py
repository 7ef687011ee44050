"""Properties over generated fleets, live states and times (docs/spec.md 6.2, 6.3; DESIGN.md invariant 5).

- no add-on changes outside the gates: freeze, paused, exclusions, windows, and for a disruptive add-on on an
  ``approval: required`` cluster an approval of that exact version; what is held stays at what is applied;
- wave order and soak are never violated: a change goes only when every earlier-wave cluster meant to run it
  has it recorded, is healthy and has soaked;
- the same inputs give the same plan, whatever order they come in.

The checks here are written from the spec, not from the planner's code, so a planner bug cannot hide in both.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetc.live.facts import LiveState, RegionLive
from fleetc.plan.model import Action
from fleetc.plan.planner import plan
from fleetc.plan.windows import is_open
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import ApprovalDoc, wave_matches
from plan.builders import NOW
from plan.rollouts import GPU_OPERATOR, METRICS, NEW_GPU, OLD_GPU, addon_approval, fleet, member, record, settled

WINDOW = {"days": ["wed"], "start": "14:00", "hours": 2}  # open at NOW (a Wednesday 15:00 UTC)
CLOSED = {"days": ["sat"], "start": "02:00", "hours": 2}


@st.composite
def worlds(draw: st.DrawFn) -> tuple[FleetSpec, LiveState, list[ApprovalDoc], Any]:
    regions: dict[str, list[dict[str, Any]]] = {}
    names: list[str] = []
    for r in range(draw(st.integers(1, 2))):
        region = f"r{r + 1}"
        regions[region] = []
        for c in range(draw(st.integers(1, 3))):
            name = draw(st.sampled_from(["canary", "x"])) + f"-{r}{c}"
            upgrade: dict[str, Any] = {"approval": draw(st.sampled_from(["automatic", "required"]))}
            if draw(st.booleans()):
                upgrade["paused"] = True
            window = draw(st.sampled_from([None, WINDOW, CLOSED, [CLOSED, WINDOW]]))
            if window is not None:
                upgrade["window"] = window
            if draw(st.integers(0, 3)) == 0:
                start = NOW - timedelta(hours=draw(st.integers(-5, 5)))
                upgrade["exclusions"] = [
                    {"from": start.isoformat(), "to": (start + timedelta(hours=3)).isoformat(), "reason": "x"}
                ]
            item = member(name, **upgrade)
            if draw(st.integers(0, 4)) == 0:
                item["addons"] = {"disable": [GPU_OPERATOR]}
            regions[region].append(item)
            names.append(f"{region}/{name}")
    waves = None
    if draw(st.booleans()):
        waves = [
            {"name": "canary", "clusters": ["*/canary-*"], "soak": f"{draw(st.integers(0, 48))}h"},
            {"name": "rest", "clusters": ["*"], "soak": f"{draw(st.integers(0, 12))}h"},
        ]
    spec = fleet(regions, waves=waves, freeze=draw(st.integers(0, 5)) == 0)
    clusters = []
    for cid in names:
        applied = {
            GPU_OPERATOR: draw(st.sampled_from([OLD_GPU, NEW_GPU])),
            METRICS: draw(st.sampled_from(["3.12.1", "3.12.2"])),
        }
        rolled = NOW - timedelta(hours=draw(st.integers(0, 72))) if draw(st.booleans()) else None
        rec = record(spec, cid, applied, rolled)
        clusters.append(settled(cid, rec, halted=draw(st.integers(0, 6)) == 0))
    regions_live: dict[str, dict[str, Any]] = {}
    for found in clusters:
        region, _, name = found.cluster.partition("/")
        regions_live.setdefault(region, {})[name] = found
    live = LiveState({r: RegionLive(r, c) for r, c in regions_live.items()})
    approvals = [
        addon_approval(cid, draw(st.sampled_from([NEW_GPU, "v24.9.1"])), name=f"a{i}")
        for i, cid in enumerate(names)
        if draw(st.booleans())
    ]
    now = NOW + timedelta(minutes=draw(st.integers(-120, 120)))
    return spec, live, approvals, now


def gates_open(spec: FleetSpec, cid: str, now: Any) -> bool:
    cluster = spec.cluster(cid)
    assert cluster is not None
    upgrade = cluster.upgrade
    if spec.fleet.spec.freeze or upgrade.paused:
        return False
    if any(e.start <= now < e.end for e in upgrade.exclusions):
        return False
    return not upgrade.windows or any(is_open(w, now) for w in upgrade.windows)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(worlds())
def test_no_addon_change_outside_the_gates_and_held_ones_stay_as_applied(world: Any) -> None:
    spec, live, approvals, now = world
    result = plan(spec, live, approvals, now)
    for step in result.steps:
        if step.action is not Action.UPDATE_ADDONS:
            continue
        assert gates_open(spec, step.cluster, now), step
        cluster = spec.cluster(step.cluster)
        assert cluster is not None
        for name, version in step.addons:
            disruptive = next(a.disruptive for a in spec.addons(cluster) if a.name == name)
            if disruptive and cluster.upgrade.approval == "required":
                assert any(
                    a.spec.cluster == step.cluster and a.spec.addons.get(name) == version and a.spec.expires_at > now
                    for a in approvals
                ), step
    for cid, cluster_plan in result.clusters.items():
        revision = cluster_plan.revision
        assert revision is not None and revision.addons is not None
        moved = {n for s in result.steps if s.cluster == cid and s.action is Action.UPDATE_ADDONS for n, _ in s.addons}
        rec = live.region(cid.split("/")[0]).cluster(cid.split("/")[1]).record
        assert rec is not None and rec.addons is not None
        for addon in revision.addons:
            if addon.name not in moved and addon.held:
                assert addon.version == rec.addons[addon.name]  # exactly what is applied


@SETTINGS
@given(worlds())
def test_wave_order_and_soak_are_never_violated(world: Any) -> None:
    spec, live, approvals, now = world
    waves = spec.fleet.spec.rollout.waves
    result = plan(spec, live, approvals, now)
    if not waves:
        return

    def position(cid: str) -> int:
        return next((i for i, w in enumerate(waves) if any(wave_matches(p, cid) for p in w.clusters)), len(waves))

    for step in result.steps:
        if step.action is not Action.UPDATE_ADDONS:
            continue
        for name, version in step.addons:
            for earlier, wave in enumerate(waves[: position(step.cluster)]):
                for region, other in spec.clusters():
                    oid = f"{region}/{other.name}"
                    if position(oid) != earlier:
                        continue
                    theirs = {a.name: a.chart.version for a in spec.addons(other)}
                    if theirs.get(name) != version:
                        continue  # not meant to run it
                    facts = live.region(region).cluster(other.name)
                    halted = any(n.target_image and n.ready is False for n in facts.nodes or ())
                    assert not halted, (step, oid)
                    rec = facts.record
                    assert rec is not None
                    # it ran the change: recorded as reached before this plan, or reached now (soak 0)
                    rolled = rec.rolled_out
                    reached_now = rec.addons is not None and rec.addons.get(name) == version
                    if rolled is not None and rolled.addons.get(name) == version:
                        assert now >= rolled.at + wave.soak_time, (step, oid)
                    else:
                        assert reached_now and wave.soak_time == timedelta(0), (step, oid)


@SETTINGS
@given(worlds(), st.randoms(use_true_random=False))
def test_the_same_inputs_give_the_same_plan_in_any_order(world: Any, rng: Any) -> None:
    spec, live, approvals, now = world
    first = plan(spec, live, approvals, now).to_json()
    shuffled = list(approvals)
    rng.shuffle(shuffled)
    regions = list(live.regions.items())
    rng.shuffle(regions)
    again = plan(spec, replace(live, regions=dict(regions)), shuffled, now).to_json()
    assert first == again
