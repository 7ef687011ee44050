"""Rules that span documents: references, duplicates, budgets, version skips.

Run after every document parsed on its own, so a run reports shape errors
and reference errors together. Each check appends; none stops the others.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from fleetc.errors import Diagnostic
from fleetc.spec.anchors import where
from fleetc.spec.models import Cluster, NodePool, RegionDoc
from fleetc.versions import Version

if TYPE_CHECKING:
    from fleetc.spec.fleet import FleetSpec


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    options = sorted(known)
    hint = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if hint:
        return f"unknown {what} {name!r}; did you mean {hint[0]!r}?"
    listed = ", ".join(repr(o) for o in options) if options else "none are defined"
    return f"unknown {what} {name!r}; define it first (known: {listed})"


def check_references(spec: FleetSpec, errors: list[Diagnostic], broken: set[str] | None = None) -> None:
    """``broken`` names objects that failed to parse ("Tenant/x", "Region/r",
    "Cluster/r/c"): a reference to one is not reported as dangling again."""
    skip = broken or set()
    _check_bundles(spec, errors)
    for region in spec.regions.values():
        _check_region(spec, region, errors, skip)
    _check_approvals(spec, errors, skip)


def _check_bundles(spec: FleetSpec, errors: list[Diagnostic]) -> None:
    for bundle in spec.fleet.spec.bundles.values():
        seen: dict[str, object] = {}
        for addon in bundle.addons:
            if addon.name in seen:
                errors.append(Diagnostic(where(addon, "name"), f"duplicate add-on {addon.name!r} in this bundle; remove one"))
            seen[addon.name] = addon


def _check_region(spec: FleetSpec, region: RegionDoc, errors: list[Diagnostic], skip: set[str]) -> None:
    domains = region.spec.failure_domains
    for i, domain in enumerate(domains):
        if domain in domains[:i]:
            errors.append(Diagnostic(where(region.spec, "failureDomains", i), f"duplicate failure domain {domain!r}; remove one"))
    clusters: dict[str, Cluster] = {}
    for cluster in region.spec.clusters:
        first = clusters.get(cluster.name)
        if first is not None:
            errors.append(
                Diagnostic(
                    where(cluster, "name"),
                    f"duplicate cluster name {cluster.name!r} in region {region.name} (first at {where(first, 'name')}); "
                    "rename one",
                )
            )
        else:
            clusters[cluster.name] = cluster
        _check_cluster(spec, region, cluster, errors, skip)


def _check_cluster(spec: FleetSpec, region: RegionDoc, cluster: Cluster, errors: list[Diagnostic], skip: set[str]) -> None:
    fleet = spec.fleet.spec
    if cluster.tenant not in spec.tenants and f"Tenant/{cluster.tenant}" not in skip:
        errors.append(Diagnostic(where(cluster, "tenant"), _unknown("tenant", cluster.tenant, spec.tenants)))
    channel = fleet.channels.get(cluster.channel)
    if channel is None:
        errors.append(Diagnostic(where(cluster, "channel"), _unknown("channel", cluster.channel, fleet.channels)))
    bundle = None
    if cluster.bundle is not None:
        bundle = fleet.bundles.get(cluster.bundle)
        if bundle is None:
            errors.append(Diagnostic(where(cluster, "bundle"), _unknown("bundle", cluster.bundle, fleet.bundles)))
    etcd = cluster.control_plane.etcd
    if etcd.replicas not in (1, 3, 5):
        errors.append(
            Diagnostic(
                where(etcd, "replicas"),
                f"etcd replicas is {etcd.replicas}; use an odd count of 1, 3 or 5 (an even count adds no fault tolerance)",
            )
        )
    if channel is not None:
        _check_pins(cluster, Version.parse(channel.kubernetes), Version.parse(channel.etcd), errors)
    _check_addon_changes(cluster, {a.name for a in bundle.addons} if bundle else set(), errors)
    pools: dict[str, NodePool] = {}
    for pool in cluster.node_pools:
        if pool.name in pools:
            errors.append(Diagnostic(where(pool, "name"), f"duplicate node pool {pool.name!r} in cluster {cluster.name}; rename one"))
        pools[pool.name] = pool
        _check_pool(spec, region, pool, errors)


def _check_pins(cluster: Cluster, channel_k8s: Version, channel_etcd: Version, errors: list[Diagnostic]) -> None:
    pins = cluster.versions
    if pins.kubernetes is not None:
        pinned = Version.parse(pins.kubernetes)
        step = channel_k8s.minors_to(pinned)
        if step > 1:
            errors.append(
                Diagnostic(
                    where(pins, "kubernetes"),
                    f"pin {pinned} skips a minor from channel {cluster.channel} ({channel_k8s}); "
                    f"upgrades move one minor at a time: pin {channel_k8s.major}.{channel_k8s.minor + 1}.x first",
                )
            )
        elif step < -1 and channel_k8s.major != pinned.major:
            errors.append(Diagnostic(where(pins, "kubernetes"), f"pin {pinned} is a different major than channel {channel_k8s}"))
    if pins.etcd is not None and Version.parse(pins.etcd).major != channel_etcd.major:
        errors.append(Diagnostic(where(pins, "etcd"), f"etcd pin {pins.etcd} changes the major version of {channel_etcd}"))


def _check_addon_changes(cluster: Cluster, bundle_addons: set[str], errors: list[Diagnostic]) -> None:
    changes = cluster.addons
    extra_names: set[str] = set()
    for addon in changes.extra:
        if addon.name in bundle_addons or addon.name in extra_names:
            errors.append(
                Diagnostic(where(addon, "name"), f"extra add-on {addon.name!r} is already in the cluster's add-ons; rename it")
            )
        extra_names.add(addon.name)
    for i, name in enumerate(changes.disable):
        if name not in bundle_addons:
            errors.append(Diagnostic(where(changes, "disable", i), _unknown("add-on to disable", name, bundle_addons)))
    for name in changes.values:
        if name not in bundle_addons and name not in extra_names:
            errors.append(Diagnostic(where(changes, "values", name), _unknown("add-on", name, bundle_addons | extra_names)))


def _check_pool(spec: FleetSpec, region: RegionDoc, pool: NodePool, errors: list[Diagnostic]) -> None:
    types = spec.fleet.spec.instance_types
    if pool.instance_type not in types:
        errors.append(Diagnostic(where(pool, "instanceType"), _unknown("instance type", pool.instance_type, types)))
    domains = region.spec.failure_domains
    for i, domain in enumerate(pool.failure_domains):
        if domain not in domains:
            errors.append(
                Diagnostic(
                    where(pool, "failureDomains", i),
                    _unknown(f"failure domain of region {region.name}:", domain, domains).replace(": '", " '", 1),
                )
            )
    budget = pool.max_unavailable_nodes()
    spelled = pool.max_unavailable
    if isinstance(spelled, str):
        if budget < 1:
            errors.append(
                Diagnostic(
                    where(pool, "maxUnavailable"),
                    f"maxUnavailable {spelled} of {pool.count} nodes rounds down to {budget}; "
                    "raise the percentage or use a whole number >= 1",
                )
            )
        elif int(spelled[:-1]) > 100:
            errors.append(Diagnostic(where(pool, "maxUnavailable"), f"maxUnavailable {spelled} is above 100%; use at most 100%"))
    elif budget < 1:
        errors.append(Diagnostic(where(pool, "maxUnavailable"), f"maxUnavailable is {budget}; use a whole number >= 1"))
    elif budget > pool.count:
        errors.append(
            Diagnostic(
                where(pool, "maxUnavailable"),
                f"maxUnavailable {budget} is above the pool's count {pool.count}; use at most {pool.count}",
            )
        )


def _check_approvals(spec: FleetSpec, errors: list[Diagnostic], skip: set[str]) -> None:
    for approval in spec.approvals:
        body = approval.spec
        region = body.cluster.partition("/")[0]
        if f"Cluster/{body.cluster}" in skip or f"Region/{region}" in skip:
            continue
        if spec.cluster(body.cluster) is None:
            known = [f"{r}/{c.name}" for r, c in spec.clusters()]
            errors.append(Diagnostic(where(body, "cluster"), _unknown("cluster", body.cluster, known)))
