"""``fleetc approve CLUSTER --kubernetes V --by EMAIL``: record a customer's consent to an upgrade.

The approval is a file in the fleet, so it is reviewed, versioned and
audited like every other change; it counts for the planner once committed
(docs/spec.md section 2). Everything that would make the approval not count
(unknown cluster, not a version, not one of the tenant's approvers, already
expired) is refused up front with the accepted values, and the fleet is
validated again after writing: if the new file would make it invalid, the
file is put back as it was and the command exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from fleetc.cli.common import FLEET_OPTION, load, report, stderr, user_errors
from fleetc.edit.approval import ApprovalRequest, edit_approval
from fleetc.errors import EXIT_INVALID, FleetcError
from fleetc.spec.anchors import where
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import parse_time
from fleetc.versions import Version

DEFAULT_VALIDITY = timedelta(days=14)

CLUSTER_ARGUMENT = typer.Argument(
    ..., metavar="CLUSTER", help="The cluster to approve, <region>/<name>, e.g. us-east-04/alpha-train."
)
KUBERNETES_OPTION = typer.Option(..., "--kubernetes", help="The exact Kubernetes version approved, e.g. 1.31.2.")
BY_OPTION = typer.Option(..., "--by", help="Email of the approver; must be one of the tenant's approvers.")
NODE_IMAGE_OPTION = typer.Option(None, "--node-image", help="The exact node image approved (optional).")
EXPIRES_OPTION = typer.Option(
    None, "--expires", help="When the approval lapses, ISO 8601 with a zone; default 14 days from now."
)
COMMIT_OPTION = typer.Option(False, "--commit", help="Commit the approval file (and only it) with git.")
FILE_OPTION = typer.Option(
    None, "--file", help="File to write, inside the fleet directory; default <fleet>/approvals/<name>.yaml."
)


def register(app: typer.Typer) -> None:
    app.command("approve")(approve)


def approve(
    cluster: str = CLUSTER_ARGUMENT,
    kubernetes: str = KUBERNETES_OPTION,
    by: str = BY_OPTION,
    node_image: str | None = NODE_IMAGE_OPTION,
    expires: str | None = EXPIRES_OPTION,
    fleet: Path = FLEET_OPTION,
    commit: bool = COMMIT_OPTION,
    file: Path | None = FILE_OPTION,
) -> None:
    """Write (and with --commit, commit) an Approval for CLUSTER's upgrade to --kubernetes."""
    from fleetc.edit.commit import commit_file
    from fleetc.spec.loader import load_fleet

    spec = load(fleet)
    now = datetime.now(UTC).replace(microsecond=0)
    request = _request(spec, cluster, kubernetes, by, node_image, expires, now)
    path = _target_file(spec, fleet, request, file)
    with user_errors():
        edit = edit_approval(path, request)
        try:
            edit.apply()
        except OSError as error:
            stderr.print(f"{path}: cannot write: {error.strerror or error}", markup=False)
            raise typer.Exit(EXIT_INVALID) from None
        try:
            load_fleet(fleet)
        except FleetcError as error:
            edit.restore()
            report(error)
            stderr.print(f"{path}: the approval would make the fleet invalid; the file is as it was.", markup=False)
            raise typer.Exit(EXIT_INVALID) from None
    image = f" node image {request.node_image}" if request.node_image else ""
    stderr.print(
        f"{path}: {edit.outcome}: {request.cluster} kubernetes {request.kubernetes}{image} "
        f"approved by {request.approved_by} until {request.expires}",
        markup=False,
    )
    _target_note(spec, request)
    if not commit:
        stderr.print("It counts once committed: commit the file (or rerun with --commit).", markup=False)
        return
    message = f"approve {request.cluster} kubernetes {request.kubernetes}{image}\n\n"
    message += f"Approved-by: {request.approved_by}\nExpires: {request.expires}\n"
    with user_errors():
        done = commit_file(path, message)
    if done is None:
        stderr.print(f"{path}: already committed as it is; nothing to commit.", markup=False)
    else:
        on = f" on {done.branch}" if done.branch else ""
        stderr.print(f"committed {done.sha[:12]}{on}: approve {request.cluster} kubernetes {request.kubernetes}")


@dataclass(frozen=True)
class _Problems:
    """Argument problems, all reported in one run (like the fleet's own diagnostics)."""

    lines: list[str]

    def exit_if_any(self) -> None:
        for line in self.lines:
            stderr.print(line, markup=False)
        if self.lines:
            raise typer.Exit(EXIT_INVALID)


def _request(
    spec: FleetSpec,
    cluster_id: str,
    kubernetes: str,
    by: str,
    node_image: str | None,
    expires: str | None,
    now: datetime,
) -> ApprovalRequest:
    problems = _Problems([])
    region, _, name = cluster_id.partition("/")
    cluster = spec.cluster(cluster_id) if region and name else None
    if cluster is None:
        known = ", ".join(f"{r}/{c.name}" for r, c in spec.clusters()) or "none"
        problems.lines.append(f"CLUSTER {cluster_id!r}: no such cluster in the fleet; known clusters: {known}")
    try:
        version: Version | None = Version.parse(kubernetes)
    except ValueError as error:
        version = None
        problems.lines.append(f"--kubernetes: {error}")
    if cluster is not None:
        tenant = spec.tenants.get(cluster.tenant)
        approvers = tenant.spec.approvers if tenant is not None else []
        if by not in approvers:
            listed = ", ".join(approvers) or "none (add one to the tenant's spec.approvers)"
            at = f" ({where(tenant, 'spec', 'approvers')})" if tenant is not None else ""
            problems.lines.append(f"--by {by}: not one of tenant {cluster.tenant}'s approvers{at}: {listed}")
    if node_image is not None and not node_image.strip():
        problems.lines.append("--node-image: empty; leave it out to approve the Kubernetes version only")
    lapse = _expiry(expires, now, problems)
    problems.exit_if_any()
    assert cluster is not None and version is not None and lapse is not None  # problems exited otherwise
    command = f"fleetc approve {cluster_id} --kubernetes {version} --by {by}"
    if node_image:
        command += f" --node-image {node_image}"
    return ApprovalRequest(
        name=_approval_name(spec, region, name, version),
        cluster=cluster_id,
        kubernetes=version,
        approved_by=by,
        expires=lapse,
        node_image=node_image.strip() if node_image else None,
        comment=f"Written by: {command}",
    )


def _expiry(text: str | None, now: datetime, problems: _Problems) -> str | None:
    """``--expires`` as ``YYYY-MM-DDTHH:MM:SSZ``; an approval that has already lapsed is refused."""
    if text is None:
        instant = now + DEFAULT_VALIDITY
    else:
        try:
            instant = parse_time(text.strip())
        except ValueError as error:
            problems.lines.append(f"--expires: {error}")
            return None
        if instant <= now:
            problems.lines.append(f"--expires {text}: already past; an expired approval never counts")
            return None
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _approval_name(spec: FleetSpec, region: str, cluster: str, version: Version) -> str:
    """``<cluster>-1-31-2``; with the region in front if another region's cluster of that name has it."""
    suffix = str(version).replace(".", "-")
    name = f"{cluster}-{suffix}"
    taken = any(a.name == name and a.spec.cluster != f"{region}/{cluster}" for a in spec.approvals)
    return f"{region}-{name}" if taken else name


def _target_file(spec: FleetSpec, fleet: Path, request: ApprovalRequest, file: Path | None) -> Path:
    """``--file``; else the file of an approval for the same cluster and version; else approvals/<name>.yaml."""
    if file is not None:
        inside = file.resolve().is_relative_to(fleet.resolve())
        if not inside or file.suffix != ".yaml":
            stderr.print(
                f"--file {file}: must be a *.yaml file inside the fleet directory {fleet}, "
                "or the approval would never be read",
                markup=False,
            )
            raise typer.Exit(EXIT_INVALID)
        return file
    for approval in spec.approvals:
        same = approval.spec.cluster == request.cluster and Version.try_parse(approval.spec.kubernetes) == (
            request.kubernetes
        )
        source = where(approval).file
        if (same or approval.name == request.name) and source != "<generated>":
            return Path(source)
    return fleet / "approvals" / f"{request.name}.yaml"


def _target_note(spec: FleetSpec, request: ApprovalRequest) -> None:
    """Say so when the approval does not match what the planner would upgrade to (yet)."""
    cluster = spec.cluster(request.cluster)
    if cluster is None:
        return
    targets = spec.targets(cluster)
    if targets.kubernetes != request.kubernetes:
        stderr.print(
            f"note: {request.cluster} targets kubernetes {targets.kubernetes}; this approval counts only once "
            f"the target is {request.kubernetes}",
            markup=False,
        )
    elif request.node_image and request.node_image != targets.node_image:
        stderr.print(
            f"note: {request.cluster} targets node image {targets.node_image}; this approval names "
            f"{request.node_image} and does not count for it",
            markup=False,
        )
    elif cluster.upgrade.approval != "required":
        stderr.print(f"note: {request.cluster} has approval: automatic; no approval is needed", markup=False)


__all__ = ["approve", "register"]
