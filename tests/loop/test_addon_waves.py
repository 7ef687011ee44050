"""Closed loop of an add-on bump across fleet waves: plan, compile, apply, record, re-plan (docs/spec.md 6.2-6.4).

The clusters start as adopted ones: running, no ConfigMap yet, no release in the state. The world
(``world.py``) applies Helm releases and the ``fleetc-cluster`` ConfigMap the way Pulumi would
(``ignore_changes`` on what the compiler keeps as live) and lists the ConfigMap again next tick, so the planner
reads back what was recorded. Hypothesis draws the clusters per wave, the soaks, whether the GPU operator needs
an approval (and gets one), readiness that flaps and the control plane's form. At every tick:

- a release changes only when this step's ``update-addons`` names it at that version;
- a cluster of a later wave moves to the new version only after every earlier-wave cluster has it recorded in
  ``rolledOut`` for at least its wave's soak;

and the bump converges: every cluster runs the new version and has recorded it as rolled out.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan.rollouts import GPU_OPERATOR, NEW_GPU, OLD_GPU, addon_approval, fleet, member

from fleetc.conventions import RECORD_ROLLED_OUT
from fleetc.live.records import rolled_out_from_json
from fleetc.plan.model import Action, Phase
from fleetc.plan.planner import plan
from fleetc.spec.fleet import FleetSpec
from fleetc.versions import Version

from .world import REGION, TICK, SimCluster, SimNode, World

K8S, ETCD, IMAGE = Version(1, 31, 2), Version(3, 5, 16), "img-new"
START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
MAX_TICKS = 200


def spec_of(names: list[str], gpu: str, soak: int, approval: str) -> FleetSpec:
    waves = [
        {"name": "canary", "clusters": [f"{REGION}/canary-*"], "soak": f"{soak}h"},
        {"name": "early", "clusters": [f"{REGION}/early-*"], "soak": "1h"},
        {"name": "rest", "clusters": ["*"]},
    ]
    return fleet({REGION: [member(n, approval=approval) for n in names]}, gpu=gpu, waves=waves)


def rolled(cluster: SimCluster) -> Any:
    if cluster.record is None:
        return None
    text = cluster.record.get("data", {}).get(RECORD_ROLLED_OUT)
    found = rolled_out_from_json(json.loads(text)) if text else None
    return None if isinstance(found, str) else found


def wave_of(name: str) -> int:
    return 0 if name.startswith("canary") else 1 if name.startswith("early") else 2


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    canaries=st.integers(1, 2),
    early=st.integers(0, 2),
    rest=st.integers(1, 3),
    soak=st.integers(0, 3),
    approval=st.sampled_from(["automatic", "required"]),
    kamaji=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_an_addon_bump_converges_across_waves_in_order(
    canaries: int, early: int, rest: int, soak: int, approval: str, kamaji: bool, seed: int
) -> None:
    names = (
        [f"canary-{i}" for i in range(canaries)]
        + [f"early-{i}" for i in range(early)]
        + [f"x-{i}" for i in range(rest)]
    )
    sims = []
    for name in names:
        sim = SimCluster(name, K8S, ETCD, kamaji=kamaji)
        for i in range(3):
            sim.nodes[f"{name}-{i}"] = SimNode(f"{name}-{i}", "gpu", "abc"[i], IMAGE, K8S)
        sims.append(sim)
    before = spec_of(names, OLD_GPU, soak, approval)
    after = spec_of(names, NEW_GPU, soak, approval)
    approvals = [addon_approval(f"{REGION}/{n}", OLD_GPU, name=f"old-{n}") for n in names] + [
        addon_approval(f"{REGION}/{n}", NEW_GPU, name=f"new-{n}") for n in names
    ]
    world = World(before, sims, {IMAGE: K8S}, seed=seed)
    world.calm = True  # no jobs or hand cordons: add-ons move whatever the nodes do
    now = START
    bumped_at: int | None = None
    for tick in range(MAX_TICKS):
        spec = after if bumped_at is not None else before
        result = plan(spec, world.live(), approvals, now)
        moves = {
            (s.cluster.split("/")[1], name, version)
            for s in result.steps
            if s.action is Action.UPDATE_ADDONS
            for name, version in s.addons
        }
        for name in names:  # wave order and soak, judged from what the world recorded
            if (name, GPU_OPERATOR, NEW_GPU) in moves:
                for other in names:
                    if wave_of(other) < wave_of(name):
                        record = rolled(world.clusters[other])
                        wave_soak = timedelta(hours=soak) if wave_of(other) == 0 else timedelta(hours=1)
                        if record is not None and record.addons.get(GPU_OPERATOR) == NEW_GPU:
                            assert now >= record.at + wave_soak, (tick, name, other)
                        else:  # reached just now (applied, complete), and recorded by this step: only without soak
                            applied = world.clusters[other].releases.get(GPU_OPERATOR)
                            assert applied is not None and applied.version == NEW_GPU, (tick, name, other)
                            assert wave_soak == timedelta(0), (tick, name, other)
        recorded = {name for name, c in world.clusters.items() if c.record is not None}
        world.apply(spec, result, now)
        for name, cluster in world.clusters.items():  # a release changes only through a step naming it
            for release, version in cluster.changed:
                assert (name, release, version) in moves, (tick, name, release, version)
            if name in recorded:  # with a record, a held add-on is not installed either
                for release, version in cluster.created:
                    assert (name, release, version) in moves, (tick, name, release, version)
        done = all(c.phase is Phase.UP_TO_DATE for c in result.clusters.values())
        if bumped_at is None and done:
            bumped_at = tick
        elif (
            bumped_at is not None
            and done
            and all(
                (r := rolled(c)) is not None and r.addons.get(GPU_OPERATOR) == NEW_GPU for c in world.clusters.values()
            )
        ):
            assert all(c.releases[GPU_OPERATOR].version == NEW_GPU for c in world.clusters.values())
            return
        now += TICK
        world.advance()
    raise AssertionError(f"no convergence in {MAX_TICKS} ticks: {result.to_json()}")
