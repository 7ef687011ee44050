"""What a pull request changes in the next step, cluster by cluster: base's plan vs head's, same live state.

With ``--live`` both sides are planned from the same snapshot and clock, so
the difference is exactly what merging does to the rollout: a cluster that
starts moving (an approval added), one that stops (a window added), nodes
that move now and did not before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fleetc.plan.model import Plan


@dataclass(frozen=True)
class ClusterDelta:
    cluster: str
    phase_before: str | None  # None: not in the base (a new cluster)
    phase_after: str | None  # None: removed by the change
    steps_added: tuple[str, ...]  # "action target"
    steps_removed: tuple[str, ...]
    reasons_added: tuple[str, ...]
    reasons_removed: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "phase": {"base": self.phase_before, "head": self.phase_after},
            "stepsAdded": list(self.steps_added),
            "stepsRemoved": list(self.steps_removed),
            "blockedAdded": list(self.reasons_added),
            "blockedRemoved": list(self.reasons_removed),
        }


def plan_delta(base: Plan, head: Plan) -> list[ClusterDelta]:
    """Every cluster whose phase, steps or blocked reasons differ between the two plans, by id."""
    found: list[ClusterDelta] = []
    for cid in sorted(base.clusters.keys() | head.clusters.keys()):
        before_steps = {f"{s.action} {s.target}" for s in base.steps if s.cluster == cid}
        after_steps = {f"{s.action} {s.target}" for s in head.steps if s.cluster == cid}
        before_reasons = {str(b.reason) for b in base.blocked if b.cluster == cid}
        after_reasons = {str(b.reason) for b in head.blocked if b.cluster == cid}
        old, new = base.clusters.get(cid), head.clusters.get(cid)
        delta = ClusterDelta(
            cid,
            str(old.phase) if old else None,
            str(new.phase) if new else None,
            tuple(sorted(after_steps - before_steps)),
            tuple(sorted(before_steps - after_steps)),
            tuple(sorted(after_reasons - before_reasons)),
            tuple(sorted(before_reasons - after_reasons)),
        )
        changed = delta.phase_before != delta.phase_after or delta.steps_added or delta.steps_removed
        if changed or delta.reasons_added or delta.reasons_removed:
            found.append(delta)
    return found
