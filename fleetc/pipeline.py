"""The one path from a loaded fleet to a plan: read live state, count the
committed approvals, plan.

``fleetc plan``, ``render``, ``check --live`` and the Pulumi program all take
this path; keeping it in one function keeps them from drifting apart (e.g.
one of them counting uncommitted approvals).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from fleetc.errors import FleetcError
from fleetc.live.facts import LiveState, PeerFacts
from fleetc.plan.model import Plan
from fleetc.spec.fleet import FleetSpec


@dataclass(frozen=True)
class Planned:
    live: LiveState
    plan: Plan
    notes: list[str]  # why approvals did or did not count (not errors)


def plan_from_live(
    spec: FleetSpec,
    regions: Mapping[str, Sequence[str]],
    live_source: str,
    now: datetime,
    *,
    kubeconfig: str | None = None,
    rev: str = "HEAD",
    region: str | None = None,
    peers: Mapping[str, PeerFacts] | None = None,
) -> Planned:
    """Read ``regions`` from ``live_source`` ("kube" or a snapshot dir) and plan.

    With fleet waves, clusters of earlier waves may live in other regions (docs/spec.md 6.3): a snapshot
    directory holds every region, so the others are read from it too (unreadable ones leave their clusters
    unknown, and the waves wait); from the API only this kubeconfig's regions are read, and ``peers`` (other
    regions' stack outputs, ``fleetc.plan.peers``) stand in for the rest. ``Planned.live`` is the selected
    regions only. Raises FleetcError when the live source is unusable (exit 2).
    """
    from fleetc.live.read import read_live
    from fleetc.plan.planner import plan
    from fleetc.repo.approvals import committed_approvals

    state = read_live(live_source, regions, spec.label_prefix, kubeconfig)
    planned_from = LiveState(dict(state.regions), dict(peers or {}))
    others = {name: clusters for name, clusters in spec.region_clusters().items() if name not in regions}
    if spec.fleet.spec.rollout.waves and others and live_source != "kube":
        try:
            extra = read_live(live_source, others, spec.label_prefix, kubeconfig)
        except FleetcError:
            extra = LiveState()  # not in the snapshot: their clusters stay unknown, later waves wait
        readable = {name: found for name, found in extra.regions.items() if not found.problems}
        planned_from = LiveState({**readable, **state.regions}, planned_from.peers)  # unreadable: peers or unknown
    committed = committed_approvals(spec, rev)
    result = plan(spec, planned_from, committed.approvals, now, region=region, policy=committed.policy)
    return Planned(state, result, committed.notes)
