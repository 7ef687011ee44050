"""``fleetc plan``: the next safe step of every rollout, and what is blocked and why.

Glue only: load the fleet, read live state, take the approvals that are
committed, ask the planner, print a report. Every decision is the planner's
(``fleetc.plan.planner``) and every word of output the report's
(``fleetc.report``). Blocked entries are the normal state of a fleet, not
errors: the exit code is 0 whenever a plan could be made, 2 when the input
(flags, fleet, live source) is unusable (docs/spec.md section 5), and 2 after the
plan when a region's management cluster could not be read at all.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console

from fleetc.cli.common import FLEET_OPTION, emit, load
from fleetc.cli.options import (
    FORMAT_OPTION,
    KUBECONFIG_OPTION,
    LIVE_OPTION,
    NOW_OPTION,
    REGION_OPTION,
    REV_OPTION,
    exit_if_unusable,
    parse_now,
    plan_live,
)
from fleetc.plan.model import Plan
from fleetc.report import PlanFormat

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
    clock = parse_now(now)
    spec = load(fleet)
    planned = plan_live(spec, live, kubeconfig=kubeconfig, region=region, now=clock, rev=rev)
    print_plan(planned.plan, clock, output)
    exit_if_unusable(planned.live)


def print_plan(result: Plan, clock: datetime, output: PlanFormat) -> None:
    """Text goes to a terminal in colour at its width; to a pipe plain, at $COLUMNS or 120."""
    from fleetc.report.plan_json import to_json
    from fleetc.report.plan_markdown import to_markdown
    from fleetc.report.plan_text import render, to_text

    if output is PlanFormat.JSON:
        emit(to_json(result))
    elif output is PlanFormat.MARKDOWN:
        emit(to_markdown(result, clock))
    elif output is PlanFormat.PROMETHEUS:
        from fleetc.report.plan_prometheus import to_prometheus

        emit(to_prometheus(result, clock))
    else:
        console = Console(highlight=False, markup=False, emoji=False)
        if console.is_terminal:
            console.print(render(result, clock))
        else:
            emit(to_text(result, clock, width=_pipe_width()))


def _pipe_width() -> int:
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else PIPE_WIDTH
