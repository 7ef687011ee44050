"""Policy reports for terminals, pull-request comments and scripts.

Shared by ``fleetc check`` and ``fleetc preview`` so that both print a
violation the same way: ``file:line:col: [severity] rule-id: subject: message``
(compilers' and linters' format: editors and CI annotators jump to it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fleetc.policy.model import Rule, Severity, Violation

_MD_SPECIAL = re.compile(r"([\\*_\[\]<>|`])")


@dataclass(frozen=True)
class PolicyReport:
    violations: tuple[Violation, ...]
    not_evaluated: tuple[Rule, ...] = ()

    @classmethod
    def of(cls, violations: Iterable[Violation], not_evaluated: Iterable[Rule] = ()) -> PolicyReport:
        return cls(tuple(violations), tuple(not_evaluated))

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.severity is Severity.MANDATORY]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.severity is Severity.ADVISORY]

    @property
    def passed(self) -> bool:
        return not self.mandatory

    def summary(self) -> str:
        """One line: ``passed``/``failed`` with counts, and what was not evaluated."""
        verdict = "passed" if self.passed else "failed"
        counts = f"{_n(len(self.mandatory), 'mandatory violation')}, {_n(len(self.advisory), 'advisory', 'advisories')}"
        line = f"policy {verdict}: {counts}"
        if self.not_evaluated:
            line += f"; not evaluated without --live: {', '.join(r.id for r in self.not_evaluated)}"
        return line


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def to_text(report: PolicyReport) -> str:
    """One violation per line (no trailing summary: the caller prints it where it belongs)."""
    return "\n".join(str(v) for v in report.violations)


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(report: PolicyReport, is_new: Callable[[Violation], bool] | None = None) -> list[str]:
    """Markdown lines: mandatory first, then advisory; locations as code spans.

    ``is_new`` (a pull request's preview): mark each finding as introduced by
    the change or already there before it.
    """
    lines: list[str] = []
    for title, group in (("Mandatory", report.mandatory), ("Advisory", report.advisory)):
        if not group:
            continue
        lines += [f"**{title}** ({len(group)})", ""]
        for v in group:
            mark = "" if is_new is None else ("**new** " if is_new(v) else "(already on base) ")
            lines.append(f"- {mark}`{v.where}` **{v.rule}** {md_escape(v.subject)}: {md_escape(v.message)}")
        lines.append("")
    if not report.violations:
        lines += ["No violations.", ""]
    if report.not_evaluated:
        names = ", ".join(f"`{r.id}`" for r in report.not_evaluated)
        lines += [f"Not evaluated (need live state, pass `--live`): {names}", ""]
    return lines


def to_json(report: PolicyReport) -> dict[str, Any]:
    return {
        "passed": report.passed,
        "mandatory": len(report.mandatory),
        "advisory": len(report.advisory),
        "violations": [v.to_json() for v in report.violations],
        "notEvaluated": [r.id for r in report.not_evaluated],
    }


def rules_table(rules: Sequence[Rule]) -> str:
    """``fleetc check --rules``: id, severity and what each rule checks, then why."""
    width = max(len(r.id) for r in rules)
    lines = []
    for rule in rules:
        live = " (needs --live)" if rule.needs_live else ""
        lines.append(f"{rule.id:<{width}}  {rule.severity.value:<9}  {rule.summary}{live}")
        lines.append(f"{'':<{width}}  {'':<9}  why: {rule.why}")
    return "\n".join(lines)
