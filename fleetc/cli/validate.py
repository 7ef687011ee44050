"""``fleetc validate`` and ``fleetc schema``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fleetc.cli.common import FLEET_OPTION, emit, load, stderr
from fleetc.plan.wording import plural


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("schema")(schema)


def validate(fleet: Path = FLEET_OPTION) -> None:
    """Check the fleet (docs/spec.md section 2): every error at once, exit 0 or 2."""
    spec = load(fleet)
    clusters = sum(1 for _ in spec.clusters())
    pools = sum(len(c.node_pools) for _, c in spec.clusters())
    stderr.print(
        f"{fleet}: valid: {plural(len(spec.regions), 'region')}, {plural(clusters, 'cluster')}, "
        f"{plural(pools, 'node pool')}, {plural(len(spec.tenants), 'tenant')}, "
        f"{plural(len(spec.approvals), 'approval')}",
        markup=False,
    )


def schema() -> None:
    """Print the JSON Schema of the fleet spec, for editors (yaml-language-server)."""
    from fleetc.spec.schema import json_schema

    emit(json.dumps(json_schema(), indent=2, sort_keys=False))
