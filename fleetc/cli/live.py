"""``fleetc live export``: write a live-state snapshot (docs/spec.md section 4) from the clusters.

A snapshot lets ``plan`` run offline, in CI, and on a reviewer's laptop,
and gives an incident a record of what fleetc saw.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fleetc.cli.common import FLEET_OPTION, load, stderr, user_errors
from fleetc.errors import EXIT_INVALID, fail

KUBECONFIG_OPTION = typer.Option(
    None, "--kubeconfig", help="Kubeconfig of the management cluster(s); default $KUBECONFIG, then ~/.kube/config."
)
OUT_OPTION = typer.Option(..., "--out", help="Snapshot directory to write (<out>/<region>/*.json).")
REGION_OPTION = typer.Option(None, "--region", help="Export only this region.")
TIMEOUT_OPTION = typer.Option(30.0, "--timeout", help="Seconds allowed for each API request.")
ATTEMPTS_OPTION = typer.Option(5, "--attempts", min=1, help="Tries per API request before a cluster is unknown.")


def register(app: typer.Typer) -> None:
    live = typer.Typer(help="Live state of the clusters: export a snapshot.", no_args_is_help=True)
    live.command("export")(export)
    app.add_typer(live, name="live")


def export(
    out: Path = OUT_OPTION,
    kubeconfig: Path | None = KUBECONFIG_OPTION,
    fleet: Path = FLEET_OPTION,
    region: str | None = REGION_OPTION,
    timeout: float = TIMEOUT_OPTION,
    attempts: int = ATTEMPTS_OPTION,
) -> None:
    """Read the management and customer clusters of the fleet's regions into a snapshot directory.

    Exits 2 if anything could not be read; what was read is still written,
    and what was not is absent, which every reader treats as unknown.
    """
    from fleetc.live.export import export_snapshot
    from fleetc.live.kubeapi import KubeOptions
    from fleetc.live.kubeconfig import default_kubeconfig_path

    spec = load(fleet)
    with user_errors():
        regions = {
            name: [cluster.name for cluster in doc.spec.clusters]
            for name, doc in spec.regions.items()
            if region is None or name == region
        }
        if region is not None and region not in regions:
            known = ", ".join(sorted(spec.regions)) or "none"
            raise fail(None, f"--region {region}: no such region in the fleet (regions: {known})")
        config = kubeconfig or default_kubeconfig_path()
        if config is None:
            raise fail(None, "no kubeconfig: pass --kubeconfig PATH or set $KUBECONFIG")
        total = sum(len(clusters) for clusters in regions.values())
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=stderr, transient=True) as bar:
            task = bar.add_task("reading clusters", total=total)

            def progress(region_name: str, cluster: str, outcome: object) -> None:
                bar.update(task, advance=1, description=f"read {region_name}/{cluster}")

            report = export_snapshot(
                config,
                regions,
                spec.label_prefix,
                out,
                options=KubeOptions(timeout=timeout, attempts=attempts),
                progress=progress,
            )
    for written in report.written:
        stderr.print(f"wrote {written.path} ({written.items} objects, {written.size:,} bytes)", markup=False)
    for problem in report.problems:
        stderr.print(f"error: {problem}", markup=False)
    if not report.ok:
        stderr.print(f"{len(report.problems)} reads failed; the snapshot marks those clusters unknown.", markup=False)
        raise typer.Exit(EXIT_INVALID)
