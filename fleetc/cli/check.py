"""``fleetc check``: the policy pack's rules over the compiled fleet, without the Pulumi engine.

Without ``--live`` every region is compiled in its end state (every cluster
at its target, see ``fleetc.preview.basis``): configuration rules are judged
exactly, rollout rules that need live state are listed as not evaluated.
With ``--live`` the graphs are those of the next step the planner allows,
judged with the live facts. Exit 1 on any mandatory violation, 0 otherwise
(advisories are printed), 2 on invalid input (docs/spec.md section 5) and, after
the report, when a region's management cluster could not be read at all
(the report is then incomplete, which outweighs a violation).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fleetc.cli.common import FLEET_OPTION, emit, load, stderr, user_errors
from fleetc.errors import EXIT_POLICY
from fleetc.report import PlanFormat

if TYPE_CHECKING:
    from fleetc.policy.report import PolicyReport

LIVE_OPTION = typer.Option(
    None,
    "--live",
    help="Judge the next rollout step against live state: 'kube' or a snapshot directory. "
    "Default: judge the fleet's end state (rules that need live state are skipped and listed).",
)
KUBECONFIG_OPTION = typer.Option(None, "--kubeconfig", help="With --live kube: the management cluster's kubeconfig.")
REGION_OPTION = typer.Option(None, "--region", help="Check only this region (one Pulumi stack).")
NOW_OPTION = typer.Option(None, "--now", help="With --live: the planner's clock, ISO 8601 with a zone.")
FORMAT_OPTION = typer.Option(PlanFormat.TEXT, "--format", help="text, markdown (a PR comment) or json.")
REV_OPTION = typer.Option(None, "--rev", help="With --live: git revision whose committed approvals count (HEAD).")
RULES_OPTION = typer.Option(False, "--rules", help="List every rule with its severity and reason, then exit.")
BASE_OPTION = typer.Option(
    None,
    "--base",
    help="Also judge the change from this git revision to the fleet on disk (a pull request's base): e.g. an "
    "approval signed by an approver the same change adds.",
)


def register(app: typer.Typer) -> None:
    app.command("check")(check)


def check(
    fleet: Path = FLEET_OPTION,
    live: str | None = LIVE_OPTION,
    kubeconfig: str | None = KUBECONFIG_OPTION,
    region: str | None = REGION_OPTION,
    now: str | None = NOW_OPTION,
    output: PlanFormat = FORMAT_OPTION,
    rev: str | None = REV_OPTION,
    list_rules: bool = RULES_OPTION,
    base: str | None = BASE_OPTION,
) -> None:
    """Run the policy rules (the CrossGuard pack's, without the engine) over the compiled fleet."""
    from fleetc.cli.options import exit_if_unusable, parse_now, plan_live, selected_regions
    from fleetc.live.facts import LiveState
    from fleetc.plan.model import Plan
    from fleetc.policy import RULES, not_evaluated, run_rules
    from fleetc.policy.report import PolicyReport, rules_table
    from fleetc.preview.basis import compile_regions, target_plan

    if list_rules:
        emit(rules_table(RULES))
        return
    spec = load(fleet)
    state: LiveState | None = None
    live_plan: Plan | None = None
    with user_errors():
        regions = selected_regions(spec, region)
        if live is None:
            clock = None
            basis = target_plan(spec, region)
        else:
            clock = parse_now(now)
            planned = plan_live(spec, live, kubeconfig=kubeconfig, region=region, now=clock, rev=rev)
            state, basis = planned.live, planned.plan
            live_plan = basis
        graphs = compile_regions(spec, basis, regions, clock)
    violations = run_rules(graphs.values(), spec, live_plan, live=state)
    if base is not None:
        from fleetc.policy.review import review_change
        from fleetc.repo.fleet_at import load_fleet_at

        with user_errors():
            violations = [*violations, *review_change(load_fleet_at(spec.root, base, "."), spec)]
    report = PolicyReport.of(violations, not_evaluated(state, live_plan))
    _print(report, output, "live" if live else "target", sorted(graphs))
    if state is not None:
        exit_if_unusable(state)
    if not report.passed:
        raise typer.Exit(EXIT_POLICY)


def _print(report: PolicyReport, output: PlanFormat, basis: str, regions: list[str]) -> None:
    from fleetc.policy.report import to_json, to_markdown, to_text

    if output is PlanFormat.JSON:
        emit(json.dumps({"basis": basis, "regions": regions, **to_json(report)}, indent=2))
    elif output is PlanFormat.MARKDOWN:
        mark = "✅" if report.passed else "❌"
        emit("\n".join([f"### {mark} fleetc check: {report.summary()}", "", *to_markdown(report)]))
    else:
        if report.violations:
            emit(to_text(report))
        what = "end state (every cluster at its target)" if basis == "target" else "next step, from live state"
        stderr.print(f"{', '.join(regions)}: {what}: {report.summary()}", markup=False)
