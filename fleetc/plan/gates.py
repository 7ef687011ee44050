"""Gates: may a cluster start anything new right now?

Anything new is an ``upgrade-control-plane``, ``cordon``, ``reimage`` or
``mark-pending`` step. ``uncordon`` is never gated: restoring capacity is
never a new disruption. Four gates, all checked so that a person sees every
reason at once (an approval that is missing *and* a window that is closed):

- ``paused``: the fleet is frozen (Fleet ``spec.freeze``) or the cluster is
  paused (``upgrade.paused``) -- one entry naming both when both hold;
- ``approval-required``: with ``approval: required`` the cluster needs an
  Approval that names the cluster, the exact kubernetes target, the exact
  node image or none, an approver listed by the cluster's tenant, and has
  not expired (docs/spec.md section 2). When none counts, the detail says the
  command that writes one and why each existing one does not count;
- ``outside-window``: the cluster's maintenance window is closed; the detail
  gives the next opening in the window's zone and in UTC.

Gates are only asked when the cluster needs an upgrade at all: an
up-to-date cluster is never reported as waiting for an approval.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fleetc.conventions import cluster_id
from fleetc.plan.model import Blocked, Reason
from fleetc.plan.windows import describe, is_open, next_opening
from fleetc.spec.fleet import ApprovalPolicy, FleetSpec, Targets
from fleetc.spec.models import ApprovalDoc, Cluster
from fleetc.versions import Version


@dataclass(frozen=True)
class ClusterRef:
    """A cluster with the names the gates talk about."""

    region: str
    cluster: Cluster

    @property
    def id(self) -> str:
        return cluster_id(self.region, self.cluster.name)


def index_approvals(approvals: Iterable[ApprovalDoc]) -> dict[str, list[ApprovalDoc]]:
    """Approvals by the cluster id they name, each list sorted by name:
    built once per plan so each cluster looks up only its own."""
    by_cluster: dict[str, list[ApprovalDoc]] = defaultdict(list)
    for approval in approvals:
        by_cluster[approval.spec.cluster].append(approval)
    return {cid: sorted(found, key=lambda a: (a.name, a.spec.kubernetes)) for cid, found in by_cluster.items()}


def approval_flaws(
    approval: ApprovalDoc,
    targets: Targets,
    approvers: Sequence[str],
    now: datetime,
    uncommitted: Sequence[str] = (),
) -> list[str]:
    """Why ``approval`` does not count for ``targets``; empty: it counts.

    ``approvers`` are the tenant's approvers as committed; ``uncommitted``
    those the working tree adds, named in the message so the fix is clear.
    """
    flaws: list[str] = []
    if Version.parse(approval.spec.kubernetes) != targets.kubernetes:
        flaws.append(f"names kubernetes {approval.spec.kubernetes}, not {targets.kubernetes}")
    image = approval.spec.node_image
    if image is not None and image != targets.node_image:
        flaws.append(f"names node image {image}, not {targets.node_image}")
    by = approval.spec.approved_by
    if by not in approvers:
        if by in uncommitted:
            flaws.append(f"approver {by} is one of the tenant's approvers only in uncommitted changes: commit them")
        else:
            flaws.append(f"approver {by} is not one of the tenant's approvers")
    expires = approval.spec.expires_at
    if expires <= now:
        flaws.append(f"expired at {expires.astimezone(UTC).isoformat().replace('+00:00', 'Z')}")
    return flaws


def approval_block(
    spec: FleetSpec,
    policy: ApprovalPolicy,
    ref: ClusterRef,
    targets: Targets,
    approvals: Sequence[ApprovalDoc],
    now: datetime,
) -> Blocked | None:
    """None when a valid approval exists or none is needed, else what to do.

    Approval is needed when the cluster says ``approval: required`` in the
    working tree *or* at the committed revision (``policy``): an uncommitted
    switch to ``automatic`` must not unlock anything. Approvers count only
    as committed.
    """
    cluster = ref.cluster
    if cluster.upgrade.approval != "required" and ref.id not in policy.required:
        return None
    approvers = policy.approvers.get(cluster.tenant, ())
    tenant = spec.tenants.get(cluster.tenant)
    listed = tenant.spec.approvers if tenant is not None else []
    uncommitted = [a for a in listed if a not in approvers]
    rejected: list[str] = []
    for approval in approvals:
        flaws = approval_flaws(approval, targets, approvers, now, uncommitted)
        if not flaws:
            return None
        rejected.append(f"approval {approval.name} {', '.join(flaws)}")
    command = f"fleetc approve {ref.id} --kubernetes {targets.kubernetes} --node-image {targets.node_image} --by EMAIL"
    if approvers:
        who = f"EMAIL one of tenant {cluster.tenant}'s approvers: {', '.join(approvers)}"
    elif uncommitted:
        who = f"tenant {cluster.tenant}'s approvers are not committed yet: commit the Tenant first"
    else:
        who = f"tenant {cluster.tenant} lists no approvers yet: add one to its spec.approvers first"
    detail = (
        f"upgrade to kubernetes {targets.kubernetes} and node image {targets.node_image} needs an approval: "
        f"run `{command}` ({who}) and commit the file"
    )
    if cluster.upgrade.approval != "required":
        detail += " (approval: required as committed; an uncommitted switch to automatic does not count)"
    if rejected:
        detail += "; not counted: " + "; ".join(rejected)
    return Blocked(ref.id, Reason.APPROVAL_REQUIRED, detail)


def pause_block(spec: FleetSpec, ref: ClusterRef) -> Blocked | None:
    why: list[str] = []
    if spec.fleet.spec.freeze:
        why.append("fleet freeze (Fleet spec.freeze: true)")
    if ref.cluster.upgrade.paused:
        why.append("cluster paused (upgrade.paused: true)")
    if not why:
        return None
    return Blocked(ref.id, Reason.PAUSED, "; ".join(why) + ": nothing new starts until it is lifted")


def window_block(ref: ClusterRef, now: datetime) -> Blocked | None:
    window = ref.cluster.upgrade.window
    if window is None or is_open(window, now):
        return None
    opening = next_opening(window, now)
    in_utc = opening.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return Blocked(
        ref.id,
        Reason.OUTSIDE_WINDOW,
        f"outside the maintenance window ({describe(window)}); next opening {opening.isoformat()} ({in_utc})",
    )


def gate_blocks(
    spec: FleetSpec,
    policy: ApprovalPolicy,
    ref: ClusterRef,
    targets: Targets,
    approvals: Sequence[ApprovalDoc],
    now: datetime,
) -> list[Blocked]:
    """Every closed gate of a cluster that needs an upgrade; empty: go."""
    found = [
        pause_block(spec, ref),
        approval_block(spec, policy, ref, targets, approvals, now),
        window_block(ref, now),
    ]
    return [block for block in found if block is not None]
