"""A preview's result: plain data every renderer (text, markdown, json) reads the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fleetc.errors import EXIT_INVALID, EXIT_OK, EXIT_POLICY
from fleetc.plan.model import Plan
from fleetc.policy.model import Violation
from fleetc.policy.report import PolicyReport
from fleetc.preview.fleet_diff import FleetChange
from fleetc.preview.resource_diff import ResourceDiff
from fleetc.preview.rollout import RevisionChange
from fleetc.preview.sources import Side

BASIS_TARGET = "target"  # both sides compiled at their end state (no --live)
BASIS_LIVE = "live"  # both sides planned against the same live state and clock


@dataclass(frozen=True)
class Preview:
    base: Side
    head: Side
    basis: str
    fleet: tuple[FleetChange, ...] | None = None  # None: no diff (base or head invalid)
    resources: ResourceDiff | None = None
    plan: Plan | None = None  # head's plan, with --live only
    now: datetime | None = None
    policy: PolicyReport | None = None  # head's; None when head is invalid
    notes: tuple[str, ...] = ()
    existing_findings: frozenset[tuple[str, str, str]] = frozenset()  # Violation.identity of the base's findings
    base_plan: Plan | None = None  # base's plan from the same live state (with --live), for the per-cluster delta
    rollout: tuple[RevisionChange, ...] = ()  # per cluster: its changes of revision, its wave, what gates them
    first_waves: tuple[tuple[str, str], ...] = ()  # change -> the first wave that runs it

    def is_new(self, violation: Violation) -> bool:
        """A finding this change introduces (not one the base had already)."""
        return violation.identity not in self.existing_findings

    @property
    def exit_code(self) -> int:
        """2: head unusable; 1: head has a mandatory violation; else 0 (an invalid base only warns)."""
        if not self.head.valid:
            return EXIT_INVALID
        if self.policy is not None and not self.policy.passed:
            return EXIT_POLICY
        return EXIT_OK
