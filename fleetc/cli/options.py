"""Options and flag handling shared by the commands that plan from live state
(``plan``, ``render``, ``check --live``): same flags, same errors, same path."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from fleetc.cli.common import stderr, user_errors
from fleetc.errors import EXIT_INVALID, NO_POSITION_PREFIX, one_line
from fleetc.live.facts import LiveState
from fleetc.pipeline import Planned, plan_from_live
from fleetc.report import PlanFormat
from fleetc.spec.fleet import FleetSpec

LIVE_OPTION = typer.Option(
    ...,
    "--live",
    help="Where live state comes from: 'kube' (the API) or a snapshot directory (docs/spec.md section 4).",
)
KUBECONFIG_OPTION = typer.Option(
    None, "--kubeconfig", help="With --live kube: kubeconfig of the management cluster(s); default $KUBECONFIG."
)
REGION_OPTION = typer.Option(None, "--region", help="Plan only this region (one Pulumi stack).")
NOW_OPTION = typer.Option(
    None, "--now", help="The clock, ISO 8601 with a zone (e.g. 2026-11-25T15:00:00Z); default: the current time."
)
FORMAT_OPTION = typer.Option(
    PlanFormat.TEXT, "--format", help="text (terminal), json (docs/spec.md section 5), markdown or prometheus."
)
REV_OPTION = typer.Option(
    None, "--rev", help="Git revision whose committed approvals count (default HEAD; ignored outside a git checkout)."
)


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
    from fleetc.repo.repository import find_commit, open_repository

    repo = open_repository(spec.root)
    if repo is None:
        return  # outside a checkout every approval counts, and committed_approvals says so
    with repo:
        if find_commit(repo, rev) is None:
            raise usage_error(f"--rev {rev}: not a commit of {repo.working_tree_dir}")


def unusable_regions(live: LiveState) -> dict[str, tuple[str, ...]]:
    """Regions whose management cluster could not be read at all, with why (SPEC section 5: exit 2)."""
    return {name: region.problems for name, region in sorted(live.regions.items()) if region.problems}


def exit_if_unusable(live: LiveState) -> None:
    """After a command printed its output: exit 2, one stderr line per region, when a region was unusable.

    The output comes first because it is still right (every cluster of such a
    region is unknown and nothing in it moves), and the other regions' part
    of it is what the user asked for; the exit code says the run was not
    complete, so CI does not take it for a clean plan.
    """
    unusable = unusable_regions(live)
    for name, problems in unusable.items():
        stderr.print(
            one_line(
                f"{NO_POSITION_PREFIX}: region {name}: live state unusable, every cluster of it is unknown: "
                f"{'; '.join(problems)}"
            ),
            markup=False,
        )
    if unusable:
        raise typer.Exit(EXIT_INVALID)


def plan_live(
    spec: FleetSpec,
    live: str,
    *,
    kubeconfig: str | None,
    region: str | None,
    now: datetime,
    rev: str | None,
) -> Planned:
    """Check the flags, read live state, count committed approvals and plan;
    approval notes go to stderr, unusable input exits 2."""
    regions = selected_regions(spec, region)
    if rev is not None:
        check_rev(spec, rev)
    with user_errors():
        planned = plan_from_live(spec, regions, live, now, kubeconfig=kubeconfig, rev=rev or "HEAD", region=region)
    for note in planned.notes:
        stderr.print(f"approvals: {note}", markup=False)
    return planned
