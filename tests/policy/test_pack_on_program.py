"""The CrossGuard pack over what the real Pulumi program registers (components/, under mocks).

The hand-built engine props in test_pack.py say what the converter expects;
this test says the components register exactly that: for every example
stack, the pack reports the same (rule, resource) pairs as ``run_rules``
over the graph compiled from the same inputs.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pulumi_policy = pytest.importorskip("pulumi_policy")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

mocking = pytest.importorskip("harness.pulumi_mocks")

from fleetc.compile import compile_region  # noqa: E402
from fleetc.compile.graph import DesiredGraph  # noqa: E402
from fleetc.live.read import read_live  # noqa: E402
from fleetc.plan.planner import plan  # noqa: E402
from fleetc.policy import RULES_BY_ID, run_rules  # noqa: E402
from fleetc.repo.approvals import counted_approvals  # noqa: E402
from fleetc.spec.loader import load_fleet  # noqa: E402

NOW = "2026-11-25T15:00:00Z"
STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))


@pytest.fixture(scope="module")
def pack() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fleetc_policies_on_program", ROOT / "policies" / "fleetc_policies.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def compiled(stack: str) -> DesiredGraph:
    config = mocking.stack_config(ROOT / "stacks" / f"Pulumi.{stack}.yaml")
    region = config["fleetc:region"]
    spec = load_fleet(Path(os.path.relpath(ROOT / "fleet")))
    live = read_live(str(ROOT / config["fleetc:live"]), {region: spec.region_clusters()[region]}, spec.label_prefix)
    approvals, _ = counted_approvals(spec)
    now = datetime.fromisoformat(NOW)
    return compile_region(spec, plan(spec, live, approvals, now, region=region), region, now)


def _provider(reference: str) -> Any:
    """A provider reference is ``<urn>::<id>``; a URN ends ``::<type>::<name>``."""
    if not reference:
        return None
    urn = reference.rsplit("::", 1)[0]
    _, _, type_, name = urn.rsplit("::", 3)
    return pulumi_policy.PolicyProviderResource(type_.rsplit("$", 1)[-1], {}, urn, name)


def _opts() -> Any:
    return pulumi_policy.PolicyResourceOptions(False, [], None, [], pulumi_policy.PolicyCustomTimeouts(0, 0, 0), [])


def pack_findings(pack: ModuleType, registrations: list[Any]) -> set[tuple[str, str]]:
    """(policy, resource name) for every violation the pack reports."""
    names = {r.urn: r.name for r in registrations}
    found: set[tuple[str, str]] = set()
    for policy in pack.POLICIES:
        if isinstance(policy, pulumi_policy.ResourceValidationPolicy):
            for r in registrations:
                if r.read:
                    continue  # reads are not analyzed by the engine
                args = pulumi_policy.ResourceValidationArgs(
                    resource_type=r.type,
                    props=r.inputs,
                    urn=r.urn,
                    name=r.name,
                    opts=_opts(),
                    provider=_provider(r.provider),
                    config={},
                )
                policy.validate(args, lambda _m, _u=None, p=policy.name, n=r.name: found.add((p, n)))
        else:
            resources = [
                pulumi_policy.PolicyResource(
                    r.type, r.inputs, r.urn, r.name, _opts(), _provider(r.provider), None, [], {}
                )
                for r in registrations
            ]

            def on_stack(_message: str, urn: str | None = None, p: str = policy.name) -> None:
                assert urn is not None, f"{p}: a stack violation must name its resource"
                found.add((p, names[urn]))

            policy.validate(pulumi_policy.StackValidationArgs(resources=resources), on_stack)
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_pack_on_the_real_program_matches_run_rules(pack: ModuleType, stack: str) -> None:
    run = mocking.run_stack(ROOT, stack, {"fleetc:now": NOW})
    graph = compiled(stack)
    expected = {(v.rule, v.node_id) for v in run_rules(graph) if not RULES_BY_ID[v.rule].needs_live}
    assert expected, "every example region has at least an advisory: an empty match would prove nothing"
    assert pack_findings(pack, run.registrations) == expected
