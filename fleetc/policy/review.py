"""Rules over a change (base -> head), not over a state: what a pull request may do in one go.

An approval counts when its approver is one of the tenant's approvers as
committed (``fleetc.repo.approvals``). A pull request that adds an approver
to a Tenant *and* an Approval signed by that approver is one person letting
themselves in: once merged, both are committed and the approval counts.
Whether that is acceptable is a policy question for the team, so it is a
mandatory finding of ``fleetc check --base REV`` (and of ``fleetc preview``'s
policy report): the two changes should land in separate pull requests, the
Tenant change reviewed by the tenant's existing approvers.
"""

from __future__ import annotations

from fleetc.policy.model import Severity, Violation
from fleetc.spec.anchors import where
from fleetc.spec.fleet import FleetSpec

SELF_APPROVAL = "approval-by-new-approver"
SELF_APPROVAL_SUMMARY = "an Approval is not signed by an approver the same change adds"


def review_change(base: FleetSpec, head: FleetSpec) -> list[Violation]:
    """Findings of the change from ``base`` to ``head``."""
    found: list[Violation] = []
    before = {a.name: a for a in base.approvals}
    for approval in head.approvals:
        old = before.get(approval.name)
        if old is not None and old.spec == approval.spec:
            continue  # not part of this change
        cluster = head.cluster(approval.spec.cluster)
        if cluster is None:
            continue
        tenant = head.tenants.get(cluster.tenant)
        was = base.tenants.get(cluster.tenant)
        by = approval.spec.approved_by
        if tenant is None or by not in tenant.spec.approvers:
            continue  # not an approver at all: the gate says so
        if was is None or by not in was.spec.approvers:
            found.append(
                Violation(
                    SELF_APPROVAL,
                    Severity.MANDATORY,
                    approval.spec.cluster,
                    f"approval {approval.name} is signed by {by}, whom this change also adds to tenant "
                    f"{cluster.tenant}'s approvers ({where(tenant, 'spec', 'approvers')}); land the approver "
                    "first, reviewed by the tenant's existing approvers, then the approval",
                    where(approval, "spec", "approvedBy"),
                    approval.name,
                )
            )
    return found
