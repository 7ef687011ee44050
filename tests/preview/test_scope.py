"""A preview works on the regions a change can reach, and no more (operating 5)."""

from __future__ import annotations

import copy

from plan.builders import approval, cluster, fleet, pool

from fleetc.preview.scope import affected_regions
from fleetc.spec.fleet import FleetSpec


def two_regions() -> FleetSpec:
    spec = fleet(cluster("a1"), region="r1")
    other = fleet(cluster("b1"), region="r2")
    spec.regions.update(other.regions)
    return spec


def test_nothing_changed_reaches_no_region() -> None:
    spec = two_regions()
    assert affected_regions(spec, copy.deepcopy(spec)).regions == frozenset()


def test_a_region_change_reaches_that_region() -> None:
    base = two_regions()
    head = two_regions()
    head.regions["r2"] = fleet(cluster("b1", pools=[pool(count=11)]), region="r2").regions["r2"]
    assert affected_regions(base, head).regions == {"r2"}


def test_an_approval_reaches_its_cluster_s_region_and_a_tenant_every_region_with_its_clusters() -> None:
    base = two_regions()
    head = two_regions()
    head.approvals.append(approval("r2/b1"))
    assert affected_regions(base, head).regions == {"r2"}
    changed = two_regions()
    changed.tenants["t"] = fleet(approvers=["new@t.example"]).tenants["t"]
    assert affected_regions(base, changed).regions == {"r1", "r2"}  # tenant t owns clusters in both


def test_a_fleet_level_change_reaches_everything() -> None:
    base = two_regions()
    head = two_regions()
    head.fleet = fleet(freeze=True).fleet
    assert affected_regions(base, head).regions is None
