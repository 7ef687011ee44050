"""The Pulumi program of a fleet repository: one stack per region (``stacks/Pulumi.<region>.yaml``).

Thin on purpose: load ``fleet/``, read the region's live state, take the
committed approvals, plan the next safe step, compile it and hand the graph
to ``components.Region``. Every decision is made in ``fleetc`` and can be
tested without Pulumi; this module only wires config to it. A repository's
``__main__.py`` (this one's, and the one ``fleetc init`` writes) calls
:func:`run` with its own directory, so the program exists once.

Config (``pulumi config``):
  fleetc:region      the region this stack deploys (required)
  fleetc:live        ``kube`` (default) or a snapshot directory, relative to the project
  fleetc:kubeconfig  the management cluster's kubeconfig (secret); also used to read live state
  fleetc:now         optional ISO 8601 clock, for reproducible previews
  fleetc:management  optional object {kamaji: bool, certManager: bool, monitoring: bool}, each true by default:
                     what the stack installs into the management cluster and whether it runs
                     kube-prometheus-stack (fleetc.compile.management, docs/management-cluster.md)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import pulumi

from components.groups import Region, RegionArgs
from fleetc.compile import compile_region
from fleetc.compile.management import ManagementOptions, management_options
from fleetc.errors import FleetcError
from fleetc.pipeline import plan_from_live
from fleetc.report.plan_state import stack_outputs
from fleetc.spec.loader import load_fleet
from fleetc.spec.models import parse_time


def fail(message: str, details: Sequence[str] = ()) -> NoReturn:
    """Every diagnostic as a Pulumi error, then a clean stop (RunError: no Python traceback)."""
    for line in details:
        pulumi.log.error(line)
    raise pulumi.RunError(message)


def _management(config: pulumi.Config) -> ManagementOptions:
    """``fleetc:management`` as options; a value of the wrong shape stops the program with one clean error."""
    try:
        value = config.get_object("management")
    except pulumi.ConfigTypeError:
        fail(
            "fleetc:management is not valid JSON: set it as an object, e.g. "
            "pulumi config set --path 'fleetc:management.kamaji' false"
        )
    try:
        return management_options(value)
    except ValueError as error:
        fail(str(error))


def run(project: Path) -> None:
    """The whole program for the fleet repository in ``project``."""
    config = pulumi.Config("fleetc")
    region = config.require("region")
    live_source = config.get("live") or "kube"
    if live_source != "kube":
        live_source = os.path.relpath(project / live_source)
    # Plain text for the live reader; the providers get it back wrapped as a secret below.
    kubeconfig = pulumi.runtime.get_config("fleetc:kubeconfig")
    if not kubeconfig:
        fail('fleetc:kubeconfig is not set: pulumi config set --secret fleetc:kubeconfig "$(cat mgmt.kubeconfig)"')
    management = _management(config)
    now_text = config.get("now")
    try:
        now = parse_time(now_text) if now_text else datetime.now(UTC).replace(microsecond=0)
    except ValueError as error:
        fail(f"fleetc:now: {error}")

    try:
        # Relative to the working directory (the project, under Pulumi): sources then read fleet/... on every
        # machine, not one checkout's absolute path.
        spec = load_fleet(Path(os.path.relpath(project / "fleet")))
        if region not in spec.regions:
            fail(f"fleetc:region {region!r} is not a region of the fleet (regions: {', '.join(sorted(spec.regions))})")
        regions = {region: spec.region_clusters()[region]}
        planned = plan_from_live(spec, regions, live_source, now, kubeconfig=kubeconfig, region=region)
        the_plan, notes = planned.plan, planned.notes
        graph = compile_region(spec, the_plan, region, now, management)
    except FleetcError as error:
        problems = [str(d) for d in error.diagnostics]
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        fail(f"{count} in the fleet or its live state; nothing was changed", problems)

    for note in notes:
        pulumi.log.info(f"approvals: {note}")
    for step in the_plan.steps:
        pulumi.log.info(f"step: {step.cluster} {step.action} {step.target}")
    for blocked in the_plan.blocked:
        pulumi.log.info(f"blocked: {blocked.cluster} {blocked.reason}: {blocked.detail}")

    Region(region, RegionArgs(graph=graph, kubeconfig=pulumi.Output.secret(kubeconfig)))
    pulumi.export("clusters", {cid: c.phase for cid, c in the_plan.clusters.items()})
    pulumi.export("steps", len(the_plan.steps))
    # The rollout state fleetc plan --format prometheus reports: per pool node counts, blocked counts by reason.
    for output_name, value in stack_outputs(the_plan).items():
        pulumi.export(output_name, value)
