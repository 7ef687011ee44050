"""``fleetc render --out DIR``: the same desired graph as ``pulumi up``, as plain YAML.

Glue only: load the fleet, read live state, take the committed approvals,
plan, compile each region and write it (``fleetc.render``). The output is
what Argo CD or Flux applies instead of Pulumi; the layout and the keep-live
rules are in ``fleetc/render/``.

``--live`` is required: a render is the next *safe step*, and the step
depends on where each rollout stands. Rendering the fleet's end state
instead would hand a GitOps tool every upgrade at once, past approvals,
windows and the one-minor-at-a-time rule; rendering "live unknown" would
move nothing, ever. A GitOps loop renders with ``--live kube`` (or a fresh
snapshot) on a schedule, like the Pulumi loop runs ``pulumi up``.

``--no-kamaji``, ``--no-cert-manager`` and ``--no-monitoring`` are the stack
config ``fleetc:management`` of the Pulumi program (docs/management-cluster.md):
leave out the batteries a site manages elsewhere, and the monitors where the
management cluster has no kube-prometheus-stack. The same flags for every
region rendered, like one stack per region with the same config.

A region whose management cluster could not
be read is still written (its clusters compiled as unknown: their live parts
kept as the previous render wrote them), then the command exits 2.
"""

from __future__ import annotations

from pathlib import Path

import typer

from fleetc.cli.common import FLEET_OPTION, load, stderr, user_errors
from fleetc.cli.options import (
    KUBECONFIG_OPTION,
    NOW_OPTION,
    REV_OPTION,
    exit_if_unusable,
    parse_now,
    plan_live,
    usage_error,
)
from fleetc.cli.outdir import usable_out_dir, write_failed
from fleetc.errors import EXIT_INVALID

OUT_OPTION = typer.Option(..., "--out", help="Output directory; only <out>/<region>/ folders are written and cleaned.")
LIVE_OPTION = typer.Option(
    None,
    "--live",
    help="Where live state comes from: 'kube' (the API) or a snapshot directory (docs/spec.md section 4). Required: "
    "the render is the next safe step from live state.",
)
REGION_OPTION = typer.Option(None, "--region", help="Render only this region (default: every region).")
KAMAJI_OPTION = typer.Option(
    True, "--kamaji/--no-kamaji", help="Install Kamaji into the management cluster (--no-kamaji: managed elsewhere)."
)
CERT_MANAGER_OPTION = typer.Option(
    True,
    "--cert-manager/--no-cert-manager",
    help="Install cert-manager into the management cluster (--no-cert-manager: managed elsewhere).",
)
MONITORING_OPTION = typer.Option(
    True,
    "--monitoring/--no-monitoring",
    help="Write ServiceMonitors, PodMonitors and PrometheusRules (--no-monitoring: no kube-prometheus-stack there).",
)
NEEDS_LIVE = (
    "--live is required: render writes the next safe step of every rollout, which depends on live state; "
    "use --live kube (the management clusters' API) or --live DIR (a snapshot, e.g. examples/live)"
)


def register(app: typer.Typer) -> None:
    app.command("render")(render_command)


def render_command(
    out: Path = OUT_OPTION,
    live: str | None = LIVE_OPTION,
    fleet: Path = FLEET_OPTION,
    kubeconfig: str | None = KUBECONFIG_OPTION,
    region: str | None = REGION_OPTION,
    now: str | None = NOW_OPTION,
    rev: str | None = REV_OPTION,
    kamaji: bool = KAMAJI_OPTION,
    cert_manager: bool = CERT_MANAGER_OPTION,
    monitoring: bool = MONITORING_OPTION,
) -> None:
    """Write plain Kubernetes manifests, one folder per cluster, for Argo CD or Flux."""
    from fleetc.cli.options import selected_regions
    from fleetc.compile import compile_region
    from fleetc.compile.management import ManagementOptions
    from fleetc.live.read import check_live_source
    from fleetc.render import render_graph, write_region

    if live is None:
        raise usage_error(NEEDS_LIVE)
    clock = parse_now(now)
    spec = load(fleet)
    with user_errors():  # a --live that cannot work leaves no output directory behind
        check_live_source(live, selected_regions(spec, region), kubeconfig)
    usable_out_dir(out)
    planned = plan_live(spec, live, kubeconfig=kubeconfig, region=region, now=clock, rev=rev)
    result = planned.plan
    management = ManagementOptions(kamaji=kamaji, cert_manager=cert_manager, monitoring=monitoring)
    not_rendered = 0
    for name in sorted([region] if region else spec.regions):
        graph = compile_region(spec, result, name, clock, management)
        try:
            report = write_region(out, name, render_graph(graph))
        except OSError as error:
            raise write_failed(error) from None
        for note in report.notes:
            stderr.print(f"note: {note}", markup=False)
        for warning in report.warnings:
            stderr.print(f"warning: {warning}", markup=False)
        not_rendered += len(report.kept)
        stderr.print(
            f"{out / name}: {len(report.written)} written, {len(report.unchanged)} unchanged, "
            f"{len(report.removed)} removed" + (f", {len(report.kept)} not rendered" if report.kept else ""),
            markup=False,
        )
    if not_rendered:
        stderr.print(f"{not_rendered} not rendered (see the warnings); exit {EXIT_INVALID}", markup=False)
        raise typer.Exit(EXIT_INVALID)
    exit_if_unusable(planned.live)
