"""Human- and machine-readable reports of what fleetc decided.

Reports only present: every decision is already in the data they are given
(a :class:`fleetc.plan.model.Plan`), so the terminal, a PR comment and a
script reading JSON can never disagree about what happens next.
"""

from __future__ import annotations

from enum import StrEnum


class PlanFormat(StrEnum):
    """The ``--format`` values of ``fleetc plan`` (docs/spec.md section 5, plus Prometheus metrics)."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    PROMETHEUS = "prometheus"
