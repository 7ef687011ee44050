"""The plan's vocabulary has one home (fleetc/plan/model.py): every action, reason and phase is ordered and worded."""

from __future__ import annotations

from fleetc.plan.model import ACTIONS, REASONS, Action, Phase, Reason
from fleetc.report.plan_view import PHASE_ORDER, REASON_ORDER


def test_every_action_has_an_order_a_gate_weight_and_words() -> None:
    assert set(ACTIONS) == set(Action)
    assert sorted(a.rank for a in Action) == list(range(len(Action)))
    assert all(a.wording for a in Action)
    assert [a for a in Action if not a.disrupts] == [Action.UNCORDON]  # restoring capacity is never gated


def test_every_reason_has_an_order_a_weight_and_words() -> None:
    assert set(REASONS) == set(Reason)
    assert sorted(r.rank for r in Reason) == list(range(len(Reason)))
    assert all(r.wording for r in Reason)
    assert {r for r in Reason if r.needs_person} == {
        Reason.UNKNOWN_STATE,
        Reason.PAUSED,
        Reason.HALTED,
        Reason.APPROVAL_REQUIRED,
        Reason.OUTSIDE_WINDOW,
        Reason.EXCLUDED,  # cleared by the clock, like the window
        Reason.WAITING_FOR_WAVE,  # cleared by other clusters and the soak's clock, not by this cluster's work
    }


def test_reports_order_reasons_and_phases_from_the_model() -> None:
    assert list(REASON_ORDER) == sorted(Reason, key=lambda r: r.rank)
    assert list(PHASE_ORDER) == list(Phase)


def test_spec_section_5_names_are_kept() -> None:
    """Extending the contract never renames it (docs/spec.md section 5)."""
    spec_actions = {"upgrade-control-plane", "cordon", "reimage", "uncordon", "mark-pending"}
    spec_reasons = {"approval-required", "outside-window", "control-plane-not-ready", "max-unavailable", "busy",
                    "unknown-state", "paused", "halted"}  # fmt: skip
    assert spec_actions <= {str(a) for a in Action}
    assert spec_reasons <= {str(r) for r in Reason}
