"""Policy rules over the desired graph: engine-free, shared with the CrossGuard pack in ``policies/``.

Rules are plain functions (of one Node, or of a region's graph) registered
with an id, a severity and a reason in :mod:`fleetc.policy.registry`.
"""

from __future__ import annotations

from fleetc.policy.model import Blame, Finding, Rule, RuleContext, Severity, Violation
from fleetc.policy.registry import RULES, RULES_BY_ID
from fleetc.policy.runner import not_evaluated, run_rules

__all__ = [
    "RULES",
    "RULES_BY_ID",
    "Blame",
    "Finding",
    "Rule",
    "RuleContext",
    "Severity",
    "Violation",
    "not_evaluated",
    "run_rules",
]
