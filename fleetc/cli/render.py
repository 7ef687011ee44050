"""``fleetc render --out DIR``: the same desired graph as ``pulumi up``, as plain YAML.

Glue only: load the fleet, read live state, take the committed approvals,
plan, compile each region and write it (``fleetc.render``). The output is
what Argo CD or Flux applies instead of Pulumi; the layout and the keep-live
rules are in ``fleetc/render/``. A region whose management cluster could not
be read is still written (its clusters compiled as unknown: their live parts
kept as the previous render wrote them), then the command exits 2.
"""

from __future__ import annotations

from pathlib import Path

import typer

from fleetc.cli.common import FLEET_OPTION, load, stderr
from fleetc.cli.options import (
    KUBECONFIG_OPTION,
    LIVE_OPTION,
    NOW_OPTION,
    REV_OPTION,
    exit_if_unusable,
    parse_now,
    plan_live,
)

OUT_OPTION = typer.Option(..., "--out", help="Output directory; only <out>/<region>/ folders are written and cleaned.")
REGION_OPTION = typer.Option(None, "--region", help="Render only this region (default: every region).")


def register(app: typer.Typer) -> None:
    app.command("render")(render_command)


def render_command(
    out: Path = OUT_OPTION,
    live: str = LIVE_OPTION,
    fleet: Path = FLEET_OPTION,
    kubeconfig: str | None = KUBECONFIG_OPTION,
    region: str | None = REGION_OPTION,
    now: str | None = NOW_OPTION,
    rev: str | None = REV_OPTION,
) -> None:
    """Write plain Kubernetes manifests, one folder per cluster, for Argo CD or Flux."""
    from fleetc.compile import compile_region
    from fleetc.render import render_graph, write_region

    clock = parse_now(now)
    spec = load(fleet)
    planned = plan_live(spec, live, kubeconfig=kubeconfig, region=region, now=clock, rev=rev)
    result = planned.plan
    for name in sorted([region] if region else spec.regions):
        graph = compile_region(spec, result, name, clock)
        report = write_region(out, name, render_graph(graph))
        for warning in report.warnings:
            stderr.print(f"warning: {warning}", markup=False)
        stderr.print(
            f"{out / name}: {len(report.written)} written, {len(report.unchanged)} unchanged, "
            f"{len(report.removed)} removed, {len(report.kept)} left as they were",
            markup=False,
        )
    exit_if_unusable(planned.live)
