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
from collections.abc import Iterable, Mapping, Sequence
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
    return {cid: sorted(found, key=lambda a: (a.name, a.spec.kubernetes or "")) for cid, found in by_cluster.items()}


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
    if approval.spec.kubernetes is None:
        flaws.append(f"approves add-ons only, not kubernetes {targets.kubernetes}")
    elif Version.parse(approval.spec.kubernetes) != targets.kubernetes:
        flaws.append(f"names kubernetes {approval.spec.kubernetes}, not {targets.kubernetes}")
    image = approval.spec.node_image
    if image is not None and image != targets.node_image:
        flaws.append(f"names node image {image}, not {targets.node_image}")
    return flaws + _signature_flaws(approval, approvers, now, uncommitted)


def _signature_flaws(
    approval: ApprovalDoc, approvers: Sequence[str], now: datetime, uncommitted: Sequence[str]
) -> list[str]:
    """Why an approval does not count whatever it names: its approver, its expiry."""
    flaws: list[str] = []
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
    if not needs_approval(policy, ref):
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
    who = _who(cluster.tenant, approvers, uncommitted)
    detail = (
        f"upgrade to kubernetes {targets.kubernetes} and node image {targets.node_image} needs an approval: "
        f"run `{command}` ({who}) and commit the file"
    )
    if cluster.upgrade.approval != "required":
        detail += " (approval: required as committed; an uncommitted switch to automatic does not count)"
    if rejected:
        detail += "; not counted: " + "; ".join(rejected)
    return Blocked(ref.id, Reason.APPROVAL_REQUIRED, detail)


def needs_approval(policy: ApprovalPolicy, ref: ClusterRef) -> bool:
    """``approval: required`` in the working tree or as committed (see :func:`approval_block`)."""
    return ref.cluster.upgrade.approval == "required" or ref.id in policy.required


def addon_approval_block(
    spec: FleetSpec,
    policy: ApprovalPolicy,
    ref: ClusterRef,
    wanted: Mapping[str, str],
    approvals: Sequence[ApprovalDoc],
    now: datetime,
) -> tuple[Blocked | None, frozenset[str]]:
    """Disruptive add-on changes (name -> new chart version) an approval covers, and what the others need.

    An approval covers an add-on when its ``spec.addons`` names it at exactly the new version, its approver is
    one of the tenant's (as committed) and it has not expired; with ``approval: automatic`` every one is covered.
    """
    if not wanted or not needs_approval(policy, ref):
        return None, frozenset(wanted)
    cluster = ref.cluster
    approvers = policy.approvers.get(cluster.tenant, ())
    tenant = spec.tenants.get(cluster.tenant)
    uncommitted = [a for a in (tenant.spec.approvers if tenant is not None else []) if a not in approvers]
    covered: set[str] = set()
    rejected: list[str] = []
    for approval in approvals:
        named = {name: approval.spec.addons[name] for name in wanted if name in approval.spec.addons}
        if not named:
            continue
        signature = _signature_flaws(approval, approvers, now, uncommitted)
        flaws = [
            f"names {name} {got}, not {wanted[name]}" for name, got in sorted(named.items()) if got != wanted[name]
        ]
        if not signature:
            covered.update(name for name, got in named.items() if got == wanted[name])
        if flaws or signature:
            rejected.append(f"approval {approval.name} {', '.join(flaws + signature)}")
    missing = sorted(set(wanted) - covered)
    if not missing:
        return None, frozenset(covered)
    flags = " ".join(f"--addon {name}={wanted[name]}" for name in missing)
    command = f"fleetc approve {ref.id} {flags} --by EMAIL"
    names = ", ".join(f"{name} {wanted[name]}" for name in missing)
    detail = (
        f"disruptive add-on change ({names}) restarts node agents and needs an approval: run `{command}` "
        f"({_who(cluster.tenant, approvers, uncommitted)}) and commit the file"
    )
    if rejected:
        detail += "; not counted: " + "; ".join(rejected)
    return Blocked(ref.id, Reason.APPROVAL_REQUIRED, detail), frozenset(covered)


def _who(tenant: str, approvers: Sequence[str], uncommitted: Sequence[str]) -> str:
    if approvers:
        return f"EMAIL one of tenant {tenant}'s approvers: {', '.join(approvers)}"
    if uncommitted:
        return f"tenant {tenant}'s approvers are not committed yet: commit the Tenant first"
    return f"tenant {tenant} lists no approvers yet: add one to its spec.approvers first"


def exclusion_block(ref: ClusterRef, now: datetime) -> Blocked | None:
    """The exclusion ``now`` falls in (from inclusive, to exclusive), named with its reason."""
    for exclusion in ref.cluster.upgrade.exclusions:
        if exclusion.start <= now < exclusion.end:
            return Blocked(
                ref.id,
                Reason.EXCLUDED,
                f"in the exclusion {exclusion.from_} - {exclusion.to} ({exclusion.reason}): nothing new starts "
                f"until {exclusion.to}",
            )
    return None


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
    """Closed when no window of the cluster is open; the next opening is the earliest of all of them."""
    windows = ref.cluster.upgrade.windows
    if not windows or any(is_open(window, now) for window in windows):
        return None
    opening = min((next_opening(window, now) for window in windows), key=lambda at: at.astimezone(UTC))
    in_utc = opening.astimezone(UTC).isoformat().replace("+00:00", "Z")
    which = "window" if len(windows) == 1 else "windows"
    return Blocked(
        ref.id,
        Reason.OUTSIDE_WINDOW,
        f"outside the maintenance {which} ({'; '.join(describe(w) for w in windows)}); "
        f"next opening {opening.isoformat()} ({in_utc})",
    )


def common_gates(spec: FleetSpec, ref: ClusterRef, now: datetime) -> list[Blocked]:
    """The gates every change of revision passes (freeze/paused, exclusions, the window); empty: open."""
    found = [pause_block(spec, ref), exclusion_block(ref, now), window_block(ref, now)]
    return [block for block in found if block is not None]


def gate_blocks(
    spec: FleetSpec,
    policy: ApprovalPolicy,
    ref: ClusterRef,
    targets: Targets,
    approvals: Sequence[ApprovalDoc],
    now: datetime,
) -> list[Blocked]:
    """Every closed gate of a cluster that needs a version upgrade; empty: go."""
    found = [
        pause_block(spec, ref),
        approval_block(spec, policy, ref, targets, approvals, now),
        exclusion_block(ref, now),
        window_block(ref, now),
    ]
    return [block for block in found if block is not None]
