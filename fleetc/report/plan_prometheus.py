"""``fleetc plan --format prometheus``: the rollout state in the Prometheus text exposition format.

Meant for the node exporter's textfile collector or a Pushgateway, written
by the loop that runs ``pulumi up`` (docs/operating.md), and read by
dashboards/fleetc-rollouts.json. Every family has HELP and TYPE lines;
label values are escaped as the format requires (backslash, double quote,
newline). All families are gauges: each run states the fleet as it is now.

``fleetc_oldest_pending_node_age_seconds`` is ``now`` minus the earliest
``<labelPrefix>/pending-since`` annotation of the pool's pending nodes still
to upgrade (``PoolStatus.pending_since``); a pool with none has no sample, so
a query returns nothing rather than a zero that reads as "nothing waits".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from fleetc.plan.model import Plan
from fleetc.plan.windows import as_aware
from fleetc.report.plan_state import POOL_STATES, known_phases, rollout_state

# name -> help; the one list of what fleetc emits (the dashboard test reads it).
METRICS: dict[str, str] = {
    "fleetc_plan_timestamp_seconds": "The clock of this plan (--now, or the time it was made), Unix seconds.",
    "fleetc_cluster_phase": "1 for the phase each cluster is in now, 0 for the others.",
    "fleetc_cluster_info": "1 per cluster, with its live and target Kubernetes versions and target node image.",
    "fleetc_steps": "Steps this plan takes now, per cluster and action.",
    "fleetc_blocked": "Blocked entries of this plan, per cluster and reason.",
    "fleetc_pool_nodes": (
        "Nodes of a node pool by state: total, at_target (target image), unavailable (cordoned, reimaging or "
        "NotReady), busy (running work), waiting (busy nodes the rollout waits for)."
    ),
    "fleetc_pool_max_unavailable": "The pool's maxUnavailable budget, in nodes.",
    "fleetc_oldest_pending_node_age_seconds": (
        "Age of the pool's longest-waiting pending node (now minus its pending-since annotation), seconds; "
        "no sample when no node of the pool is pending."
    ),
}


def to_prometheus(plan: Plan, now: datetime) -> str:
    """The exposition text, families in :data:`METRICS` order, ending with a newline."""
    states = rollout_state(plan)
    samples: dict[str, list[tuple[Mapping[str, str], float]]] = {name: [] for name in METRICS}
    samples["fleetc_plan_timestamp_seconds"].append(({}, now.timestamp()))
    phases = known_phases(states)
    for state in states:
        cluster = {"cluster": state.cluster}
        for phase in phases:
            samples["fleetc_cluster_phase"].append(({**cluster, "phase": phase}, 1.0 if phase == state.phase else 0.0))
        info = {
            **cluster,
            "live_version": state.live_version or "",
            "target": state.target or "",
            "node_image": state.node_image or "",
        }
        samples["fleetc_cluster_info"].append((info, 1.0))
        for action, n in state.steps.items():
            samples["fleetc_steps"].append(({**cluster, "action": action}, float(n)))
        for reason, n in state.blocked.items():
            samples["fleetc_blocked"].append(({**cluster, "reason": reason}, float(n)))
        for pool in state.pools:
            where = {**cluster, "pool": pool.pool}
            for node_state in POOL_STATES:
                samples["fleetc_pool_nodes"].append(({**where, "state": node_state}, float(pool.nodes[node_state])))
            samples["fleetc_pool_max_unavailable"].append((where, float(pool.max_unavailable)))
            if pool.pending_since is not None:
                age = max(0.0, (as_aware(now) - as_aware(pool.pending_since)).total_seconds())
                samples["fleetc_oldest_pending_node_age_seconds"].append((where, age))
    lines: list[str] = []
    for name, help_text in METRICS.items():
        lines.append(f"# HELP {name} {escape_help(help_text)}")
        lines.append(f"# TYPE {name} gauge")
        lines.extend(_sample(name, labels, value) for labels, value in samples[name])
    return "\n".join(lines) + "\n"


def _sample(name: str, labels: Mapping[str, str], value: float) -> str:
    return f"{name}{_labels(labels.items())} {_number(value)}"


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{key}="{escape_label(value)}"' for key, value in pairs)
    return f"{{{inner}}}" if inner else ""


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def escape_label(value: str) -> str:
    """A label value as the text format requires: ``\\`` ``"`` and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    """HELP text: ``\\`` and newline escaped (quotes are literal there)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")
