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
  fleetc:waveStacks  optional JSON object region -> stack name ("org/project/stack") whose ``rollout`` output
                     tells this stack about earlier waves in other regions (default: ``<org>/<project>/<region>``)

Fleet waves across regions (docs/rollouts.md): every stack exports ``rollout`` (``fleetc.plan.peers``); a stack
whose clusters wait for clusters of other regions that its live source does not hold (the API: only its own
site; a snapshot directory without them) reads those regions' ``rollout`` through StackReferences and plans
inside their ``apply`` (the values are known in previews as well), so its resources are registered once the
other regions' facts are in.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import pulumi

from components.groups import Region, RegionArgs
from fleetc.compile import compile_region
from fleetc.compile.management import ManagementOptions, management_options
from fleetc.errors import FleetcError
from fleetc.live.snapshot import MANAGEMENT_FILE
from fleetc.pipeline import plan_from_live
from fleetc.plan.fleet_waves import wave_order
from fleetc.plan.peers import OUTPUT, peers_from_outputs, rollout_output
from fleetc.report.plan_state import stack_outputs
from fleetc.spec.fleet import FleetSpec
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
    except FleetcError as error:
        _fail_diagnostics(error)
    if region not in spec.regions:
        fail(f"fleetc:region {region!r} is not a region of the fleet (regions: {', '.join(sorted(spec.regions))})")
    # Regions of earlier waves the live source does not hold: a snapshot directory may hold them all.
    others = [
        name
        for name in wave_regions(spec, region)
        if live_source == "kube" or not (Path(live_source) / name / MANAGEMENT_FILE).is_file()
    ]
    if others:
        refs = _stack_references(config, others)
        facts = pulumi.Output.all(**{name: ref.get_output(OUTPUT) for name, ref in refs.items()})
        deployed = facts.apply(lambda outputs: _deploy(spec, region, live_source, now, kubeconfig, management, outputs))
        # Exports must be declared now (the stack registers its outputs when the program returns).
        for name in EXPORTS:
            pulumi.export(name, deployed.apply(_pick(name)))
    else:
        for name, value in _deploy(spec, region, live_source, now, kubeconfig, management, {}).items():
            pulumi.export(name, value)


# The stack's outputs: phases, step count, the rollout state of fleetc plan --format prometheus (pools, blocked)
# and what later waves in other regions read of this region's clusters (fleetc.plan.peers).
EXPORTS = ("clusters", "steps", "pools", "blocked", OUTPUT)


def _pick(key: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda values: values[key]


def wave_regions(spec: FleetSpec, region: str) -> list[str]:
    """Other regions holding clusters of waves before the latest wave of this region's clusters."""
    order = wave_order(spec)
    if order is None:
        return []
    mine = [order.position[f"{region}/{c.name}"] for c in spec.regions[region].spec.clusters]
    latest = max(mine, default=0)
    found = {cid.partition("/")[0] for wave in order.members[:latest] for cid in wave}
    return sorted(found - {region})


def _stack_references(config: pulumi.Config, regions: Sequence[str]) -> dict[str, pulumi.StackReference]:
    names: Mapping[str, Any] = {}
    text = config.get("waveStacks")
    if text:
        try:
            loaded = json.loads(text)
        except ValueError:
            fail("fleetc:waveStacks is not JSON: write an object region -> stack name")
        if not isinstance(loaded, dict):
            fail("fleetc:waveStacks is not a JSON object: write an object region -> stack name")
        names = loaded
    prefix = f"{pulumi.get_organization()}/{pulumi.get_project()}"
    return {
        region: pulumi.StackReference(f"waves/{region}", stack_name=str(names.get(region, f"{prefix}/{region}")))
        for region in regions
    }


def _deploy(
    spec: FleetSpec,
    region: str,
    live_source: str,
    now: datetime,
    kubeconfig: str,
    management: ManagementOptions,
    outputs: Mapping[str, Any],
) -> dict[str, Any]:
    """Plan the region (with other regions' wave facts), build its components; returns the stack's outputs."""
    try:
        regions = {region: spec.region_clusters()[region]}
        peers = peers_from_outputs(outputs, now)
        planned = plan_from_live(spec, regions, live_source, now, kubeconfig=kubeconfig, region=region, peers=peers)
        the_plan, notes = planned.plan, planned.notes
        graph = compile_region(spec, the_plan, region, now, management)
    except FleetcError as error:
        _fail_diagnostics(error)

    for note in notes:
        pulumi.log.info(f"approvals: {note}")
    for step in the_plan.steps:
        pulumi.log.info(f"step: {step.cluster} {step.action} {step.target}")
    for blocked in the_plan.blocked:
        pulumi.log.info(f"blocked: {blocked.cluster} {blocked.reason}: {blocked.detail}")

    Region(region, RegionArgs(graph=graph, kubeconfig=pulumi.Output.secret(kubeconfig)))
    values: dict[str, Any] = {
        "clusters": {cid: c.phase for cid, c in the_plan.clusters.items()},
        "steps": len(the_plan.steps),
        **stack_outputs(the_plan),
        OUTPUT: rollout_output(the_plan, now),
    }
    assert set(values) == set(EXPORTS), sorted(values)
    return values


def _fail_diagnostics(error: FleetcError) -> NoReturn:
    problems = [str(d) for d in error.diagnostics]
    count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    fail(f"{count} in the fleet or its live state; nothing was changed", problems)
