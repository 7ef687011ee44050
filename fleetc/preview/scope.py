"""Which regions a change can affect: a preview loads, plans, compiles, checks and diffs only those.

A pull request that resizes one pool in a 100-region fleet must not cost a
hundred regions' work (docs/performance.md, ``bench/preview_scale.py``).
Documents are compared as data (positions do not count: a comment line is
no change), and the change's reach follows the fleet's references:

- the Fleet document (channels, bundles, instance types, label prefix,
  freeze, waves) reaches every region: everything is in scope;
- a Region document reaches that region;
- a Tenant reaches the regions holding its clusters (approvers gate them);
- an Approval reaches the region of the cluster it names.

Regions out of scope are the same on both sides by construction, so their
diff is empty and their policy findings are the base's; ``fleetc check``
judges the whole fleet.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetc.conventions import split_cluster_id
from fleetc.spec.fleet import FleetSpec


@dataclass(frozen=True)
class Scope:
    """The regions in scope (None: every region) and why, for the preview's notes."""

    regions: frozenset[str] | None
    reason: str

    def covers(self, region: str) -> bool:
        return self.regions is None or region in self.regions


def affected_regions(base: FleetSpec | None, head: FleetSpec) -> Scope:
    if base is None:
        return Scope(None, "no base fleet to compare with")
    if base.fleet != head.fleet:
        return Scope(None, "the Fleet document changes, which reaches every region")
    regions = {
        name for name in base.regions.keys() | head.regions.keys() if base.regions.get(name) != head.regions.get(name)
    }
    tenants = {
        name for name in base.tenants.keys() | head.tenants.keys() if base.tenants.get(name) != head.tenants.get(name)
    }
    if tenants:
        for spec in (base, head):
            regions.update(region for region, cluster in spec.clusters() if cluster.tenant in tenants)
    before = {a.name: a for a in base.approvals}
    after = {a.name: a for a in head.approvals}
    for name in before.keys() | after.keys():
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        for approval in (old, new):
            if approval is not None:
                try:
                    regions.add(split_cluster_id(approval.spec.cluster)[0])
                except ValueError:
                    continue
    count = len(regions)
    return Scope(frozenset(regions), f"the change reaches {count} region{'' if count == 1 else 's'}")
