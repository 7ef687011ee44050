"""``fleetc init DIR``: a new fleet repository, from nothing to a first ``pulumi up``.

Glue only: the files are ``fleetc.scaffold``'s. Nothing is overwritten
unless ``--force``: an existing file among those to write is listed and the
command exits 2 having written nothing (a half-scaffolded repository is
worse than none). docs/getting-started.md walks through what comes next.
"""

from __future__ import annotations

from pathlib import Path

import typer

from fleetc.cli.common import stderr
from fleetc.errors import EXIT_INVALID

DIR_ARGUMENT = typer.Argument(..., help="Directory of the new fleet repository (created if missing).")
REGION_OPTION = typer.Option("site-1", "--region", help="Name of the first region (and of its Pulumi stack).")
TENANT_OPTION = typer.Option("example", "--tenant", help="Name of the first tenant.")
CLUSTER_OPTION = typer.Option("gpu-1", "--cluster", help="Name of the first GPU cluster.")
APPROVER_OPTION = typer.Option("platform@example.com", "--approver", help="Who may approve the tenant's upgrades.")
PREFIX_OPTION = typer.Option("fleet.example.com", "--label-prefix", help="Prefix of fleetc's node labels.")
REQUIREMENT_OPTION = typer.Option(
    None,
    "--requirement",
    help="The pip requirement of fleetc for requirements.txt, "
    "e.g. 'fleetc[pulumi] @ git+https://HOST/ORG/fleetc@v0.1.0'. Default: a placeholder that pip refuses, to edit.",
)
FORCE_OPTION = typer.Option(False, "--force", help="Overwrite files that exist (only the files init writes).")


def register(app: typer.Typer) -> None:
    app.command("init")(init_command)


def init_command(
    directory: Path = DIR_ARGUMENT,
    region: str = REGION_OPTION,
    tenant: str = TENANT_OPTION,
    cluster: str = CLUSTER_OPTION,
    approver: str = APPROVER_OPTION,
    label_prefix: str = PREFIX_OPTION,
    requirement: str | None = REQUIREMENT_OPTION,
    force: bool = FORCE_OPTION,
) -> None:
    """Scaffold a fleet repository in DIR: Pulumi project, one stack, a valid fleet, CI."""
    from fleetc.scaffold import DEFAULT_REQUIREMENT, Settings, scaffold_files

    name = directory.resolve().name.lower()
    settings = Settings(
        fleet=name if Settings(fleet=name).problems() == [] else "my-fleet",
        region=region,
        tenant=tenant,
        cluster=cluster,
        approver=approver,
        label_prefix=label_prefix,
        requirement=requirement or DEFAULT_REQUIREMENT,
    )
    problems = settings.problems()
    if problems:
        for problem in problems:
            stderr.print(problem, markup=False)
        raise typer.Exit(EXIT_INVALID)
    files = scaffold_files(settings)
    if directory.exists() and not directory.is_dir():
        stderr.print(f"{directory}: exists and is not a directory", markup=False)
        raise typer.Exit(EXIT_INVALID)
    existing = [relative for relative in files if (directory / relative).exists()]
    if existing and not force:
        stderr.print(f"{directory}: {len(existing)} of the files to write exist; nothing was written:", markup=False)
        for relative in existing:
            stderr.print(f"  {directory / relative}", markup=False)
        stderr.print("run again with --force to overwrite them (only these files)", markup=False)
        raise typer.Exit(EXIT_INVALID)
    try:
        for relative, text in files.items():
            target = directory / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as error:
        stderr.print(f"{error.filename or directory}: cannot write: {error.strerror or error}", markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    stderr.print(f"{directory}: wrote {len(files)} files", markup=False)
    for line in _next_steps(directory, settings.region, requirement is None):
        stderr.print(line, markup=False)


def _next_steps(directory: Path, region: str, placeholder: bool) -> list[str]:
    steps = ["next (docs/getting-started.md):"]
    if placeholder:
        steps.append("  edit requirements.txt: where your runners install fleetc from (or init with --requirement)")
    steps += [
        f"  cd {directory} && fleetc validate",
        "  pulumi login --local",
        f"  pulumi stack init {region}",
        f'  pulumi config set --secret fleetc:kubeconfig "$(cat mgmt.kubeconfig)" --stack {region}',
        f"  fleetc plan --live kube --kubeconfig mgmt.kubeconfig --region {region}",
        "  pulumi preview && pulumi up",
    ]
    return steps
