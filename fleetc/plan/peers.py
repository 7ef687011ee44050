"""Wave facts across regions under ``pulumi up``: each region's stack exports them, the others read them.

A region's stack plans only its own clusters, but a wave may wait for clusters of other regions
(docs/spec.md 6.3). Under ``pulumi up`` their facts come from those regions' stacks: every stack exports
``rollout`` = :func:`rollout_output` of its plan -- per cluster the revision it reached (``rolledOut``, the
same JSON as the ConfigMap's), whether it is healthy, and when this was observed -- and a stack whose clusters
wait for other regions reads their ``rollout`` through Pulumi StackReferences (``components/program.py``) and
hands them to the planner as :class:`~fleetc.live.facts.PeerFacts` (:func:`peers_from_outputs`).

Why stack outputs and not the other regions' management clusters: a stack needs no credentials beyond its own
site (one kubeconfig per stack stays the blast radius), the facts are the other planner's own verdict (halted,
over budget) rather than a second reading of raw state, and a StackReference is read in ``pulumi preview`` as
well. The price is freshness: the facts are as old as that region's last run, so facts older than ``max_age``
count as unknown (fail closed: the wave waits until that region runs again). docs/rollouts.md says more.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from fleetc.live.facts import PeerFacts
from fleetc.live.records import format_time, rolled_out_from_json, rolled_out_to_json
from fleetc.plan.fleet_waves import wave_facts
from fleetc.plan.model import Plan
from fleetc.spec.models import parse_time

OUTPUT = "rollout"  # the stack output name
DEFAULT_MAX_AGE = timedelta(hours=24)


def rollout_output(plan: Plan, now: datetime) -> dict[str, Any]:
    """The ``rollout`` stack output of a region's plan: cluster id -> {rolledOut, healthy, observed}."""
    blocked: dict[str, list[Any]] = {}
    for entry in plan.blocked:
        blocked.setdefault(entry.cluster, []).append(entry)
    out: dict[str, Any] = {}
    for cid, cluster in sorted(plan.clusters.items()):
        facts = wave_facts(cluster, blocked.get(cid, []))
        out[cid] = {
            "rolledOut": rolled_out_to_json(facts.rolled_out) if facts.rolled_out is not None else None,
            "healthy": facts.healthy,
            "observed": format_time(now),
        }
    return out


def peers_from_outputs(
    outputs: Mapping[str, Any], now: datetime, max_age: timedelta = DEFAULT_MAX_AGE
) -> dict[str, PeerFacts]:
    """Peer facts from other regions' ``rollout`` outputs (region -> output); malformed or stale parts unknown."""
    peers: dict[str, PeerFacts] = {}
    for output in outputs.values():
        if not isinstance(output, dict):
            continue
        for cid, entry in output.items():
            if isinstance(cid, str):
                peers[cid] = _peer(entry, now, max_age)
    return peers


def _peer(entry: object, now: datetime, max_age: timedelta) -> PeerFacts:
    if not isinstance(entry, dict):
        return PeerFacts(None, None)
    try:
        observed = parse_time(entry["observed"]) if isinstance(entry.get("observed"), str) else None
    except ValueError:
        observed = None
    if observed is None or now - observed > max_age or observed > now:
        return PeerFacts(None, None, observed)
    rolled = rolled_out_from_json(entry.get("rolledOut"))
    healthy = entry.get("healthy")
    return PeerFacts(
        rolled if not isinstance(rolled, str) else None,
        healthy if isinstance(healthy, bool) else None,
        observed,
    )
