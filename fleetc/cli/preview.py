"""``fleetc preview``: what a pull request changes, read from two git revisions.

Both revisions are read from git objects (no checkout: a dirty working tree
stays exactly as it is). ``--head`` defaults to ``HEAD``, the commit a CI job
checked out; ``--head WORKTREE`` previews the files on disk, uncommitted
edits included. Exit codes (docs/spec.md section 5): 1 if head has a mandatory
policy violation; 2 for a bad revision or an invalid fleet at head (its
diagnostics are shown); an invalid base is reported but does not fail the
preview (head is still planned and checked); 0 otherwise.
"""

from __future__ import annotations

import os
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fleetc.cli.common import emit, report, user_errors
from fleetc.errors import FleetcError
from fleetc.report import PlanFormat

if TYPE_CHECKING:
    from fleetc.preview.progress import Progress

BASE_OPTION = typer.Option(..., "--base", help="The revision the change is compared with, e.g. origin/main.")
HEAD_OPTION = typer.Option(
    "HEAD", "--head", help="The revision with the change (default HEAD); WORKTREE: the files on disk, uncommitted."
)
FLEET_DIR_OPTION = typer.Option("fleet", "--fleet-dir", help="The fleet directory, relative to --repo.")
REPO_OPTION = typer.Option(Path("."), "--repo", help="A directory inside the git repository.")
LIVE_OPTION = typer.Option(
    None,
    "--live",
    help="Plan both sides against this live state ('kube' or a snapshot directory) and show head's next step. "
    "Default: compare end states (every cluster at its target).",
)
KUBECONFIG_OPTION = typer.Option(None, "--kubeconfig", help="With --live kube: the management cluster's kubeconfig.")
NOW_OPTION = typer.Option(None, "--now", help="With --live: the planner's clock, ISO 8601 with a zone.")
FORMAT_OPTION = typer.Option(PlanFormat.TEXT, "--format", help="text, markdown (a PR comment) or json.")


def register(app: typer.Typer) -> None:
    app.command("preview")(preview)


def preview(
    base: str = BASE_OPTION,
    head: str = HEAD_OPTION,
    fleet_dir: str = FLEET_DIR_OPTION,
    repo: Path = REPO_OPTION,
    live: str | None = LIVE_OPTION,
    kubeconfig: str | None = KUBECONFIG_OPTION,
    now: str | None = NOW_OPTION,
    output: PlanFormat = FORMAT_OPTION,
) -> None:
    """Show what a change does: fleet diff, resource diff, head's plan (with --live) and policy report."""
    from collections.abc import Mapping, Sequence

    from fleetc.cli.options import parse_now
    from fleetc.live.facts import LiveState
    from fleetc.preview.build import build_preview

    def reader(source: str, regions: Mapping[str, Sequence[str]], prefix: str) -> LiveState:
        from fleetc.live.read import read_live

        return read_live(source, regions, prefix, kubeconfig)

    clock = parse_now(now) if live is not None else None
    with user_errors(), _progress() as shown:
        result = build_preview(repo, base, head, fleet_dir, live=live, read_live=reader, now=clock, progress=shown)
    if not result.head.valid:
        report(FleetcError(list(result.head.diagnostics)))
    if output is PlanFormat.JSON:
        from fleetc.preview.render_json import to_json

        emit(to_json(result))
    elif output is PlanFormat.MARKDOWN:
        from fleetc.preview.render_markdown import to_markdown

        emit(to_markdown(result))
    elif result.head.valid:
        from fleetc.preview.render_text import to_text

        columns = os.environ.get("COLUMNS", "")
        emit(to_text(result, width=int(columns) if columns.isdigit() and int(columns) > 0 else 120))
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _progress() -> AbstractContextManager[Progress | None]:
    """A progress bar on stderr when it is a terminal (a change that reaches the whole fleet takes a while)."""
    if not sys.stderr.isatty():
        return nullcontext(None)
    from fleetc.preview.progress import RichProgress

    return RichProgress()
