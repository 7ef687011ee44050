"""``fleetc plan``: the next safe step of every rollout, and what is blocked and why.

Glue only: load the fleet, read live state, take the approvals that are
committed, ask the planner, print a report. Every decision is the planner's
(``fleetc.plan.planner``) and every word of output the report's
(``fleetc.report``). Blocked entries are the normal state of a fleet, not
errors: the exit code is 0 whenever a plan could be made, 2 when the input
(flags, fleet, live source) is unusable (SPEC.md section 5).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console

from fleetc.cli.common import FLEET_OPTION, emit, load, stderr, user_errors
from fleetc.errors import EXIT_INVALID
from fleetc.plan.model import Plan
from fleetc.report import PlanFormat
from fleetc.spec.fleet import FleetSpec

LIVE_OPTION = typer.Option(
    ..., "--live", help="Where live state comes from: 'kube' (the API) or a snapshot directory (SPEC section 4)."
)
KUBECONFIG_OPTION = typer.Option(
    None, "--kubeconfig", help="With --live kube: kubeconfig of the management cluster(s); default $KUBECONFIG."
)
REGION_OPTION = typer.Option(None, "--region", help="Plan only this region (one Pulumi stack).")
NOW_OPTION = typer.Option(
    None, "--now", help="The clock, ISO 8601 with a zone (e.g. 2026-11-25T15:00:00Z); default: the current time."
)
FORMAT_OPTION = typer.Option(PlanFormat.TEXT, "--format", help="text (terminal), json (SPEC section 5) or markdown.")
REV_OPTION = typer.Option(
    None, "--rev", help="Git revision whose committed approvals count (default HEAD; ignored outside a git checkout)."
)
PIPE_WIDTH = 120  # text written to a file or a pipe: wide enough for the cluster table


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)


def plan_command(
    live: str = LIVE_OPTION,
    fleet: Path = FLEET_OPTION,
    kubeconfig: str | None = KUBECONFIG_OPTION,
    region: str | None = REGION_OPTION,
    now: str | None = NOW_OPTION,
    output: PlanFormat = FORMAT_OPTION,
    rev: str | None = REV_OPTION,
) -> None:
    """Show the next safe step of every rollout, and what is blocked and why."""
    from fleetc.live.read import read_live
    from fleetc.plan.approvals import counted_approvals
    from fleetc.plan.planner import plan

    clock = parse_now(now)
    spec = load(fleet)
    regions = selected_regions(spec, region)
    if rev is not None:
        check_rev(spec, rev)
    with user_errors():
        state = read_live(live, regions, spec.label_prefix, kubeconfig)
        approvals, notes = counted_approvals(spec, rev or "HEAD")
    for note in notes:
        stderr.print(f"approvals: {note}", markup=False)
    result = plan(spec, state, approvals, clock, region=region)
    print_plan(result, clock, output)


def parse_now(text: str | None) -> datetime:
    """``--now`` as an aware instant; the current UTC second when absent. Exit 2 if unusable."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    from fleetc.spec.models import parse_time

    try:
        return parse_time(text.strip())
    except ValueError as error:
        raise usage_error(f"--now: {error}") from None


def usage_error(message: str) -> typer.Exit:
    """A flag that cannot work: say why on stderr; the caller raises the returned exit 2."""
    stderr.print(message, markup=False)
    return typer.Exit(EXIT_INVALID)


def selected_regions(spec: FleetSpec, region: str | None) -> dict[str, list[str]]:
    """Region -> cluster names to read; only ``region`` when given (exit 2 if the fleet has no such region)."""
    regions = spec.region_clusters()
    if region is None:
        return regions
    if region not in regions:
        known = ", ".join(sorted(regions)) or "none"
        raise usage_error(f"--region {region}: no such region in the fleet; known regions: {known}")
    return {region: regions[region]}


def check_rev(spec: FleetSpec, rev: str) -> None:
    """An explicit ``--rev`` must name a commit: a typo must not silently make every approval not count."""
    import git

    from fleetc.plan.approvals import open_repo

    repo = open_repo(spec.root)
    if repo is None:
        return  # outside a checkout every approval counts, and counted_approvals says so
    with repo:
        try:
            repo.commit(rev)
        except (git.BadName, git.BadObject, ValueError, git.GitCommandError):
            raise usage_error(f"--rev {rev}: not a commit of {repo.working_tree_dir}") from None


def print_plan(result: Plan, clock: datetime, output: PlanFormat) -> None:
    """Text goes to a terminal in colour at its width; to a pipe plain, at $COLUMNS or 120."""
    from fleetc.report.plan_json import to_json
    from fleetc.report.plan_markdown import to_markdown
    from fleetc.report.plan_text import render, to_text

    if output is PlanFormat.JSON:
        emit(to_json(result))
    elif output is PlanFormat.MARKDOWN:
        emit(to_markdown(result, clock))
    else:
        console = Console(highlight=False, markup=False, emoji=False)
        if console.is_terminal:
            console.print(render(result, clock))
        else:
            emit(to_text(result, clock, width=_pipe_width()))


def _pipe_width() -> int:
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else PIPE_WIDTH
