"""``fleetc approve CLUSTER --kubernetes V [--addon NAME=VERSION ...] --by EMAIL``: record a customer's consent.

``--kubernetes`` approves an upgrade; ``--addon gpu-operator=v24.9.2`` (repeatable) approves a change of a
disruptive add-on to that exact chart version (docs/spec.md 6.2); either or both.

The approval is a file in the fleet, so it is reviewed, versioned and
audited like every other change; it counts for the planner once committed
(docs/spec.md section 2). Everything that would make the approval not count
(unknown cluster, not a version, not one of the tenant's approvers, already
expired) is refused up front with the accepted values, and so is anything
the loader would reject in the document written (the document is validated
with the loader's own model before a byte is written). The fleet is
validated again after writing: if the new file would make it invalid, the
file is put back as it was and the command exits 2.

Every argument ends up in the YAML file, and most in the commit message:
none may hold a line break or another non-printable character (one check,
over every parameter of the command), so no argument can add a line, such
as a forged ``Approved-by:`` trailer.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from fleetc.cli.common import FLEET_OPTION, load, report, stderr, user_errors
from fleetc.edit.approval import ApprovalRequest, edit_approval
from fleetc.errors import EXIT_INVALID, FleetcError, one_line
from fleetc.spec.anchors import where
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import ApprovalDoc, node_image, parse_time
from fleetc.versions import Version

DEFAULT_VALIDITY = timedelta(days=14)
NAME_MAX = 63  # metadata.name is a DNS-1123 label

EXAMPLES = """\
Examples:

  fleetc approve us-east-04/alpha-train --kubernetes 1.31.2 --by ml-infra-oncall@lab-alpha.example

  fleetc approve eu-west-02/alpha-research --kubernetes 1.31.2 --by ops@lab-alpha.example \\
      --node-image gpu-node-2024.12.0 --expires 2026-12-31T00:00:00Z --commit

  fleetc approve us-east-04/alpha-train --addon gpu-operator=v24.9.2 --by ml-infra-oncall@lab-alpha.example
"""

CLUSTER_ARGUMENT = typer.Argument(
    ..., metavar="CLUSTER", help="The cluster to approve, <region>/<name>, e.g. us-east-04/alpha-train."
)
KUBERNETES_OPTION = typer.Option(
    None, "--kubernetes", help="The exact Kubernetes version approved, e.g. 1.31.2 (or give --addon)."
)
ADDON_OPTION = typer.Option(
    None,
    "--addon",
    metavar="NAME=VERSION",
    help="A disruptive add-on approved at its exact chart version, e.g. gpu-operator=v24.9.2 (repeatable).",
)
BY_OPTION = typer.Option(..., "--by", help="Email of the approver; must be one of the tenant's approvers.")
NODE_IMAGE_OPTION = typer.Option(
    None, "--node-image", help="The exact node image approved (optional), e.g. gpu-node-2024.12.0."
)
EXPIRES_OPTION = typer.Option(
    None, "--expires", help="When the approval lapses, ISO 8601 with a zone; default 14 days from now."
)
# A flag: present or not. metavar "" keeps help from showing a <bool> value it does not take.
COMMIT_OPTION = typer.Option(
    False, "--commit", metavar="", help="Also commit the approval file (and only it) with git."
)
FILE_OPTION = typer.Option(
    None, "--file", help="File to write, inside the fleet directory; default <fleet>/approvals/<name>.yaml."
)


def register(app: typer.Typer) -> None:
    app.command("approve", epilog=EXAMPLES)(approve)


def approve(
    ctx: typer.Context,
    cluster: str = CLUSTER_ARGUMENT,
    kubernetes: str | None = KUBERNETES_OPTION,
    by: str = BY_OPTION,
    node_image: str | None = NODE_IMAGE_OPTION,
    expires: str | None = EXPIRES_OPTION,
    fleet: Path = FLEET_OPTION,
    commit: bool = COMMIT_OPTION,
    file: Path | None = FILE_OPTION,
    addon: list[str] | None = ADDON_OPTION,
) -> None:
    """Write (and with --commit, commit) an Approval of CLUSTER's --kubernetes or --addon change."""
    from fleetc.edit.commit import commit_file, prepare_commit
    from fleetc.spec.loader import load_fleet

    unprintable = _Problems([])
    refuse_unprintable(ctx, unprintable)
    unprintable.exit_if_any()
    spec = load(fleet)
    now = datetime.now(UTC).replace(microsecond=0)
    request = _request(spec, cluster, kubernetes, by, node_image, expires, now, addon or [])
    path = _target_file(spec, fleet, request, file)
    with user_errors():
        target = prepare_commit(path) if commit else None  # before writing: nothing left behind if it cannot work
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
    what = _what(request)
    stderr.print(
        f"{path}: {edit.outcome}: {request.cluster} {what} approved by {request.approved_by} until {request.expires}",
        markup=False,
    )
    _target_note(spec, request)
    if target is None:
        stderr.print("It counts once committed: commit the file (or rerun with --commit).", markup=False)
        return
    message = f"approve {request.cluster} {what}\n\n"
    message += f"Approved-by: {request.approved_by}\nExpires: {request.expires}\n"
    with user_errors():
        done = commit_file(target, message)
    if done is None:
        stderr.print(f"{path}: already committed as it is; nothing to commit.", markup=False)
    else:
        on = f" on {done.branch}" if done.branch else ""
        stderr.print(f"committed {done.sha[:12]}{on}: approve {request.cluster} {what}", markup=False)


def _what(request: ApprovalRequest) -> str:
    """``kubernetes 1.31.2 node image img, gpu-operator v24.9.2``: what the approval says, in one phrase."""
    parts = []
    if request.kubernetes is not None:
        image = f" node image {request.node_image}" if request.node_image else ""
        parts.append(f"kubernetes {request.kubernetes}{image}")
    parts.extend(f"{name} {version}" for name, version in request.addons)
    return ", ".join(parts)


@dataclass(frozen=True)
class _Problems:
    """Argument problems, all reported in one run (like the fleet's own diagnostics)."""

    lines: list[str]

    def exit_if_any(self) -> None:
        for line in self.lines:
            stderr.print(one_line(line), markup=False)
        if self.lines:
            raise typer.Exit(EXIT_INVALID)


def refuse_unprintable(ctx: typer.Context, problems: _Problems) -> None:
    """Every argument of the command, present and future: no line break, no control character.

    Arguments are written into a YAML file and a commit message; a line
    break in one would start a new line there (a YAML key, a commit
    trailer). Non-printable characters are refused, not escaped: none
    belongs in a cluster name, a version, an image, an email or a time.
    """
    flags = {param.name: _flag_name(param) for param in ctx.command.params if param.name}
    for name, value in ctx.params.items():
        if not isinstance(value, str | Path):
            continue
        text = str(value)
        bad = next((c for c in text if not c.isprintable()), None)
        if bad is not None:
            flag = flags.get(name, name)
            problems.lines.append(
                f"{flag}: {text!r} holds a line break or control character (U+{ord(bad):04X}); it would be "
                "written into the approval file and the commit message: remove it"
            )


def _flag_name(param: Any) -> str:
    """``--node-image`` for an option, ``CLUSTER`` for an argument: how the user wrote it."""
    longs = [opt for opt in getattr(param, "opts", []) if opt.startswith("--")]
    if longs:
        return str(longs[0])
    return str(param.metavar or param.name).upper()


def _request(
    spec: FleetSpec,
    cluster_id: str,
    kubernetes: str | None,
    by: str,
    image: str | None,
    expires: str | None,
    now: datetime,
    addon_flags: list[str] | None = None,
) -> ApprovalRequest:
    problems = _Problems([])
    region, _, name = cluster_id.partition("/")
    cluster = spec.cluster(cluster_id) if region and name else None
    if cluster is None:
        problems.lines.append(_unknown_cluster(spec, cluster_id))
    version: Version | None = None
    if kubernetes is None and not addon_flags:
        problems.lines.append("nothing to approve: give --kubernetes VERSION and/or --addon NAME=VERSION")
    elif kubernetes is not None:
        try:
            version = Version.parse(kubernetes)
        except ValueError as error:
            problems.lines.append(f"--kubernetes: {error}")
    if kubernetes is None and image is not None:
        problems.lines.append("--node-image: approved together with --kubernetes; add the version it goes with")
    addons = _addons(spec, cluster, addon_flags or [], problems)
    if cluster is not None:
        tenant = spec.tenants.get(cluster.tenant)
        approvers = tenant.spec.approvers if tenant is not None else []
        if by not in approvers:
            listed = ", ".join(approvers) or "none (add one to the tenant's spec.approvers)"
            at = f" ({where(tenant, 'spec', 'approvers')})" if tenant is not None else ""
            problems.lines.append(f"--by {by}: not one of tenant {cluster.tenant}'s approvers{at}: {listed}")
    if image is not None:
        if not image.strip():
            problems.lines.append("--node-image: empty; leave it out to approve the Kubernetes version only")
        else:
            try:
                node_image(image.strip(), "--node-image")
            except ValueError as error:
                problems.lines.append(str(error))
    lapse = _expiry(expires, now, problems)
    suffix = str(version).replace(".", "-") if version is not None else _addons_suffix(addons)
    approval_name = _approval_name(spec, region, name, suffix, problems) if suffix else None
    problems.exit_if_any()
    assert cluster is not None and lapse is not None  # problems exited otherwise
    assert approval_name is not None
    command = f"fleetc approve {cluster_id}"
    if version is not None:
        command += f" --kubernetes {version}"
    command += "".join(f" --addon {n}={v}" for n, v in addons) + f" --by {by}"
    if image:
        command += f" --node-image {image.strip()}"
    request = ApprovalRequest(
        name=approval_name,
        cluster=cluster_id,
        kubernetes=version,
        approved_by=by,
        expires=lapse,
        node_image=image.strip() if image else None,
        comment=f"Written by: {command}",
        addons=addons,
    )
    _as_the_loader_would(request)
    return request


def _addons(spec: FleetSpec, cluster: Any, flags: list[str], problems: _Problems) -> tuple[tuple[str, str], ...]:
    """``--addon NAME=VERSION`` flags: each one of the cluster's add-ons, with a version; sorted by name."""
    found: dict[str, str] = {}
    known = {a.name: a for a in spec.addons(cluster)} if cluster is not None else {}
    for flag in flags:
        addon_name, equals, addon_version = (part.strip() for part in flag.partition("="))
        if not equals or not addon_name or not addon_version:
            problems.lines.append(f"--addon {flag}: write NAME=VERSION, e.g. --addon gpu-operator=v24.9.2")
            continue
        if cluster is not None and addon_name not in known:
            close = difflib.get_close_matches(addon_name, list(known), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else f"its add-ons: {', '.join(sorted(known)) or 'none'}"
            problems.lines.append(f"--addon {flag}: the cluster has no add-on {addon_name!r}; {hint}")
            continue
        found[addon_name] = addon_version
    return tuple(sorted(found.items()))


def _addons_suffix(addons: tuple[tuple[str, str], ...]) -> str:
    """``gpu-operator-v24-9-2``: an add-on approval's name after what it approves (DNS-1123 characters only)."""
    text = "-".join(f"{n}-{v}" for n, v in addons).lower()
    return re.sub(r"[^a-z0-9-]+", "-", text).strip("-")


def _unknown_cluster(spec: FleetSpec, cluster_id: str) -> str:
    """Why CLUSTER names no cluster, with the likeliest fix first."""
    known = [f"{r}/{c.name}" for r, c in spec.clusters()]
    if "/" not in cluster_id:
        regions = [r for r, c in spec.clusters() if c.name == cluster_id]
        if len(regions) == 1:
            return f"CLUSTER {cluster_id!r}: give its region too: {regions[0]}/{cluster_id}"
        if regions:
            listed = ", ".join(f"{r}/{cluster_id}" for r in regions)
            return (
                f"CLUSTER {cluster_id!r}: there is a cluster of that name in {len(regions)} regions: {listed}; pick one"
            )
    close = difflib.get_close_matches(cluster_id, known, n=1, cutoff=0.6)
    if close:
        return f"CLUSTER {cluster_id!r}: no such cluster in the fleet; did you mean {close[0]}?"
    listed = ", ".join(known) or "none"
    return f"CLUSTER {cluster_id!r}: no such cluster in the fleet; known clusters: {listed}"


def _as_the_loader_would(request: ApprovalRequest) -> None:
    """Validate the document to be written with the loader's model; exit 2 if it would be refused.

    The checks above give the friendlier messages; this one makes sure that
    nothing the loader would reject is ever written, whatever they miss.
    """
    from pydantic import ValidationError

    spec: dict[str, Any] = {
        "cluster": request.cluster,
        "approvedBy": request.approved_by,
        "expires": request.expires,
    }
    if request.kubernetes is not None:
        spec["kubernetes"] = str(request.kubernetes)
    if request.node_image is not None:
        spec["nodeImage"] = request.node_image
    if request.addons:
        spec["addons"] = dict(request.addons)
    document = {
        "apiVersion": "fleetc.dev/v1alpha1",
        "kind": "Approval",
        "metadata": {"name": request.name},
        "spec": spec,
    }
    try:
        ApprovalDoc.model_validate(document, by_alias=True, by_name=False)
    except ValidationError as error:
        flags = {"cluster": "CLUSTER", "kubernetes": "--kubernetes", "nodeImage": "--node-image"}
        flags |= {"approvedBy": "--by", "expires": "--expires", "name": "the approval's name"}
        _Problems(
            [f"{flags.get(str(e['loc'][-1]), '.'.join(map(str, e['loc'])))}: {e['msg']}" for e in error.errors()]
        ).exit_if_any()


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


def _approval_name(spec: FleetSpec, region: str, cluster: str, suffix: str, problems: _Problems) -> str | None:
    """``<cluster>-1-31-2`` (``<cluster>-gpu-operator-v24-9-2``); with the region in front if another region's
    cluster of that name has it.

    A DNS-1123 label like every name: when it would be longer than 63
    characters, the cluster part is cut and a short hash of the cluster id
    keeps it apart from other clusters cut to the same prefix.
    """
    name = f"{cluster}-{suffix}"
    taken = any(a.name == name and a.spec.cluster != f"{region}/{cluster}" for a in spec.approvals)
    if taken:
        name = f"{region}-{name}"
    if len(name) <= NAME_MAX:
        return name
    digest = hashlib.sha256(f"{region}/{cluster}".encode()).hexdigest()[:6]
    keep = NAME_MAX - len(suffix) - len(digest) - 2
    if keep < 1:
        problems.lines.append(f"{suffix}: too long to name an approval after (at most 63 characters)")
        return None
    return f"{name[:keep].rstrip('-')}-{digest}-{suffix}"


def _target_file(spec: FleetSpec, fleet: Path, request: ApprovalRequest, file: Path | None) -> Path:
    """``--file``; else the file of an approval for the same cluster and version; else approvals/<name>.yaml."""
    existing = None
    for approval in spec.approvals:
        same = (
            request.kubernetes is not None
            and approval.spec.cluster == request.cluster
            and Version.try_parse(approval.spec.kubernetes) == request.kubernetes
        )
        source = where(approval).file
        if (same or approval.name == request.name) and source != "<generated>":
            existing = Path(source)
            break
    if file is None:
        return existing or fleet / "approvals" / f"{request.name}.yaml"
    problems = _Problems([])
    try:
        inside = file.resolve().relative_to(fleet.resolve())
    except ValueError:
        inside = None
    if inside is None or file.suffix != ".yaml" or any(part.startswith(".") for part in inside.parts):
        problems.lines.append(
            f"--file {file}: must be a *.yaml file inside the fleet directory {fleet}, and not in a hidden "
            "folder, or the approval would never be read"
        )
    else:
        named = next((where(a).file for a in spec.approvals if a.name == request.name), None)
        if named is not None and Path(named).resolve() != file.resolve():  # the loader refuses duplicate names
            problems.lines.append(
                f"--file {file}: an approval named {request.name} is already in {named}; "
                "leave out --file to update it there"
            )
    problems.exit_if_any()
    return file


def _target_note(spec: FleetSpec, request: ApprovalRequest) -> None:
    """Say so when the approval does not match what the planner would upgrade to (yet)."""
    cluster = spec.cluster(request.cluster)
    if cluster is None:
        return
    targets = spec.targets(cluster)
    addons = {a.name: a for a in spec.addons(cluster)}
    for name, version in request.addons:
        addon = addons.get(name)
        if addon is not None and addon.chart.version != version:
            stderr.print(
                f"note: {request.cluster} runs {name} at {addon.chart.version} in the fleet; this approval counts "
                f"only once the fleet names {version}",
                markup=False,
            )
        elif addon is not None and not addon.disruptive:
            stderr.print(f"note: {name} is not marked disruptive: its changes need no approval", markup=False)
    if request.kubernetes is None:
        return
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


__all__ = ["approve", "refuse_unprintable", "register"]
