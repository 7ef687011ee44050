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

from fleetc.live.facts import LiveState
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
) -> Planned:
    """Read ``regions`` from ``live_source`` ("kube" or a snapshot dir) and plan.

    Raises FleetcError when the live source is unusable (exit 2).
    """
    from fleetc.live.read import read_live
    from fleetc.plan.planner import plan
    from fleetc.repo.approvals import committed_approvals

    state = read_live(live_source, regions, spec.label_prefix, kubeconfig)
    committed = committed_approvals(spec, rev)
    result = plan(spec, state, committed.approvals, now, region=region, policy=committed.policy)
    return Planned(state, result, committed.notes)
