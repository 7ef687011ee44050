"""Rules that span documents: references, duplicates, budgets, version skips.

Run after every document parsed on its own, so a run reports shape errors
and reference errors together. Each check appends; none stops the others.
A name that itself failed validation (:func:`fleetc.spec.salvage.is_unknown`)
is not looked up: its error is already reported.
"""

from __future__ import annotations

import difflib
import ipaddress
import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from fleetc.conventions import cluster_id
from fleetc.errors import Diagnostic, Pos
from fleetc.spec.anchors import where
from fleetc.spec.models import Cluster, Endpoint, NodePool, RegionDoc, Wave, wave_matches
from fleetc.spec.salvage import is_unknown
from fleetc.versions import Version

if TYPE_CHECKING:
    from fleetc.spec.fleet import FleetSpec

_LISTED = 8  # known names shown when nothing is close to a dangling one

# In ``broken``: some file could not be read to its end, so any tenant,
# region or cluster may be defined in the part that was lost.
UNREAD = "*"
# In ``broken``: there is no valid Fleet, so channels, bundles and instance
# types are unknown; only the checks that do not need them run.
NO_FLEET = "Fleet/*"


def _unknown(what: str, name: str, known: Iterable[str], define: str) -> str:
    """A dangling reference: the closest known name if there is one, else where to define it."""
    options = sorted(known)
    hint = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if hint:
        return f"unknown {what} {name!r}; did you mean {hint[0]!r}?"
    if not options:
        return f"unknown {what} {name!r}; {define} (none is defined yet)"
    listed = ", ".join(repr(o) for o in options[:_LISTED]) + (", ..." if len(options) > _LISTED else "")
    return f"unknown {what} {name!r}; {define} or use a known one ({listed})"


def check_references(spec: FleetSpec, errors: list[Diagnostic], broken: set[str] | None = None) -> None:
    """``broken`` names objects that failed to parse ("Tenant/x", "Region/r",
    "Cluster/r/c", or UNREAD): a reference to one is not reported as dangling
    again, since the error already reported is the one to fix."""
    skip = broken or set()
    if NO_FLEET not in skip:
        _check_bundles(spec, errors)
        _check_waves(spec, errors, skip)
    for region in spec.regions.values():
        _check_region(spec, region, errors, skip)
    _check_approvals(spec, errors, skip)


def _error(errors: list[Diagnostic], pos: Pos, text: str) -> None:
    errors.append(Diagnostic(pos, text))


def _check_bundles(spec: FleetSpec, errors: list[Diagnostic]) -> None:
    for name, bundle in spec.fleet.spec.bundles.items():
        seen: set[str] = set()
        for addon in bundle.addons:
            if addon.name in seen:
                _error(errors, where(addon, "name"), f"duplicate add-on {addon.name!r} in bundle {name}; remove one")
            seen.add(addon.name)


def _check_waves(spec: FleetSpec, errors: list[Diagnostic], skip: set[str]) -> None:
    """Wave names are unique, and every pattern matches a cluster (a typo would leave a wave empty)."""
    waves = spec.fleet.spec.rollout.waves
    ids = [cluster_id(r, c.name) for r, c in spec.clusters()]
    complete = UNREAD not in skip and not any(s.startswith(("Region/", "Cluster/")) for s in skip)
    names: dict[str, Wave] = {}
    for wave in waves:
        first = names.setdefault(wave.name, wave)
        if first is not wave:
            _error(
                errors,
                where(wave, "name"),
                f"duplicate wave {wave.name!r} (first at {where(first, 'name')}); rename one",
            )
        for i, pattern in enumerate(wave.clusters):
            if complete and not any(wave_matches(pattern, cid) for cid in ids):
                define = "fix the pattern or remove it"
                _error(
                    errors,
                    where(wave, "clusters", i),
                    f"wave {wave.name}: pattern {pattern!r} matches no cluster of the fleet; {define} "
                    "(patterns are <region>/<cluster> with * ? [...])",
                )


def _check_exclusions(cluster: Cluster, errors: list[Diagnostic]) -> None:
    """Exclusions of one cluster must not overlap: two reasons for one period hide which one ends it."""
    exclusions = sorted(cluster.upgrade.exclusions, key=lambda e: (e.start, e.end))
    for earlier, later in itertools.pairwise(exclusions):
        if later.start < earlier.end:
            _error(
                errors,
                where(later, "from"),
                f"exclusion {later.from_} - {later.to} ({later.reason}) overlaps exclusion {earlier.from_} - "
                f"{earlier.to} ({earlier.reason}) at {where(earlier, 'from')}; merge them into one",
            )


def _check_region(spec: FleetSpec, region: RegionDoc, errors: list[Diagnostic], skip: set[str]) -> None:
    domains = region.spec.failure_domains
    for i, domain in enumerate(domains):
        if domain in domains[:i]:
            _error(errors, where(region.spec, "failureDomains", i), f"duplicate failure domain {domain!r}; remove one")
    clusters: dict[str, Cluster] = {}
    for cluster in region.spec.clusters:
        first = clusters.get(cluster.name)
        if is_unknown(cluster.name):
            pass
        elif first is not None:
            _error(
                errors,
                where(cluster, "name"),
                f"duplicate cluster name {cluster.name!r} in region {region.name} "
                f"(first at {where(first, 'name')}); rename one",
            )
        else:
            clusters[cluster.name] = cluster
        _check_cluster(spec, region, cluster, errors, skip)
    _check_endpoints(region, errors)


def _check_endpoints(region: RegionDoc, errors: list[Diagnostic]) -> None:
    """Two control planes of one site cannot share a published address and port."""
    taken: dict[tuple[str, int], tuple[Cluster, Endpoint]] = {}
    for cluster in region.spec.clusters:
        endpoint = cluster.control_plane.endpoint
        if endpoint is None:
            continue
        key = (str(ipaddress.ip_address(endpoint.address)), endpoint.port)
        first, first_endpoint = taken.setdefault(key, (cluster, endpoint))
        if first is not cluster:
            _error(
                errors,
                where(endpoint, "address"),
                f"endpoint {endpoint.address}:{endpoint.port} is already the endpoint of cluster {first.name} "
                f"(at {where(first_endpoint, 'address')}); give each control plane its own address",
            )


def _check_cluster(
    spec: FleetSpec, region: RegionDoc, cluster: Cluster, errors: list[Diagnostic], skip: set[str]
) -> None:
    fleet = spec.fleet.spec
    fleet_known = NO_FLEET not in skip
    tenant_known = cluster.tenant in spec.tenants or is_unknown(cluster.tenant)
    if not tenant_known and f"Tenant/{cluster.tenant}" not in skip and UNREAD not in skip:
        define = f"add a kind: Tenant document named {cluster.tenant}"
        _error(errors, where(cluster, "tenant"), _unknown("tenant", cluster.tenant, spec.tenants, define))
    channel = fleet.channels.get(cluster.channel)
    if channel is None and fleet_known and not is_unknown(cluster.channel):
        define = "add it to the Fleet's spec.channels"
        _error(errors, where(cluster, "channel"), _unknown("channel", cluster.channel, fleet.channels, define))
    bundle = None
    if cluster.bundle is not None:
        bundle = fleet.bundles.get(cluster.bundle)
        if bundle is None and fleet_known and not is_unknown(cluster.bundle):
            define = "add it to the Fleet's spec.bundles"
            _error(errors, where(cluster, "bundle"), _unknown("bundle", cluster.bundle, fleet.bundles, define))
    _check_exclusions(cluster, errors)
    etcd = cluster.control_plane.etcd
    if etcd.replicas not in (1, 3, 5):
        _error(
            errors,
            where(etcd, "replicas"),
            f"etcd replicas is {etcd.replicas}; use 1, 3 or 5 (an even count adds no fault tolerance, "
            "more than 5 slows every write)",
        )
    if channel is not None:
        _check_pins(cluster, Version.parse(channel.kubernetes), Version.parse(channel.etcd), errors)
    if fleet_known and not is_unknown(cluster.bundle):
        _check_addon_changes(cluster, {a.name for a in bundle.addons} if bundle else set(), errors)
    pools: set[str] = set()
    for pool in cluster.node_pools:
        if pool.name in pools and not is_unknown(pool.name):
            text = f"duplicate node pool {pool.name!r} in cluster {cluster.name}; rename one"
            _error(errors, where(pool, "name"), text)
        pools.add(pool.name)
        _check_pool(spec, region, pool, errors, fleet_known)


def _check_pins(cluster: Cluster, channel_k8s: Version, channel_etcd: Version, errors: list[Diagnostic]) -> None:
    """A pin holds a cluster back or lets it lead by at most one minor.

    Upgrades move one minor at a time; a pin further away would either skip
    a minor on the way there or leave the cluster more than one step behind
    the version its channel is tested at.
    """
    pins = cluster.versions
    if pins.kubernetes is not None:
        pinned = Version.parse(pins.kubernetes)
        step = channel_k8s.minors_to(pinned)
        at = where(pins, "kubernetes")
        ahead = f"{channel_k8s.major}.{channel_k8s.minor + 1}.x"
        behind = f"{channel_k8s.major}.{channel_k8s.minor - 1}.x" if channel_k8s.minor > 0 else None
        if pinned.major != channel_k8s.major:
            _error(
                errors,
                at,
                f"pin {pins.kubernetes} is a different major version than channel {cluster.channel} ({channel_k8s}); "
                f"pin a {channel_k8s.major}.x version",
            )
        elif step > 1:
            _error(
                errors,
                at,
                f"pin {pins.kubernetes} skips a minor from channel {cluster.channel} ({channel_k8s}); "
                f"upgrades move one minor at a time: pin {ahead} first",
            )
        elif step < -1:
            hold = f"pin {behind} at the oldest" if behind else "move the pin closer"
            _error(
                errors,
                at,
                f"pin {pins.kubernetes} is {-step} minors behind channel {cluster.channel} ({channel_k8s}); "
                f"a pin holds back at most one minor: {hold}",
            )
    if pins.etcd is not None and Version.parse(pins.etcd).major != channel_etcd.major:
        _error(
            errors,
            where(pins, "etcd"),
            f"etcd pin {pins.etcd} changes the major version of channel {cluster.channel} ({channel_etcd}); "
            f"pin a {channel_etcd.major}.x version",
        )


def _check_addon_changes(cluster: Cluster, bundle_addons: set[str], errors: list[Diagnostic]) -> None:
    changes = cluster.addons
    extra_names: set[str] = set()
    for addon in changes.extra:
        if is_unknown(addon.name):
            continue
        if addon.name in bundle_addons or addon.name in extra_names:
            _error(
                errors,
                where(addon, "name"),
                f"extra add-on {addon.name!r} is already in the cluster's add-ons; rename it",
            )
        extra_names.add(addon.name)
    define = f"add-ons come from bundle {cluster.bundle}" if cluster.bundle else "the cluster has no bundle"
    for i, name in enumerate(changes.disable):
        if name not in bundle_addons:
            _error(errors, where(changes, "disable", i), _unknown("add-on to disable", name, bundle_addons, define))
    if any(is_unknown(addon.name) for addon in changes.extra):
        return  # a value may be for the extra add-on whose name is broken
    for name in changes.values:
        if name not in bundle_addons and name not in extra_names:
            known = bundle_addons | extra_names
            _error(errors, where(changes, "values", name), _unknown("add-on", name, known, define))


def _check_pool(
    spec: FleetSpec, region: RegionDoc, pool: NodePool, errors: list[Diagnostic], fleet_known: bool
) -> None:
    types = spec.fleet.spec.instance_types
    if pool.instance_type not in types and fleet_known and not is_unknown(pool.instance_type):
        define = "add it to the Fleet's spec.instanceTypes"
        _error(errors, where(pool, "instanceType"), _unknown("instance type", pool.instance_type, types, define))
    domains = region.spec.failure_domains
    for i, domain in enumerate(pool.failure_domains):
        if domain not in domains:
            define = f"add it to spec.failureDomains of region {region.name}"
            _error(errors, where(pool, "failureDomains", i), _unknown("failure domain", domain, domains, define))
        elif domain in pool.failure_domains[:i]:
            text = f"duplicate failure domain {domain!r} in pool {pool.name}; remove one"
            _error(errors, where(pool, "failureDomains", i), text)
    _check_budget(pool, errors)


def _check_budget(pool: NodePool, errors: list[Diagnostic]) -> None:
    problem = _budget_problem(pool)
    if problem is not None:
        _error(errors, where(pool, "maxUnavailable"), problem)


def _budget_problem(pool: NodePool) -> str | None:
    """maxUnavailable must let a rollout progress (>= 1 node) and mean what it says (<= count).

    A pool scaled to zero has nothing to disrupt: only the spelling is checked.
    """
    spelled = pool.max_unavailable
    if isinstance(spelled, str):
        percent = int(spelled[:-1])
        if percent > 100:
            return f"maxUnavailable {spelled} is above 100%; use at most 100%"
        if percent == 0:
            return f"maxUnavailable {spelled} lets no node be upgraded; use at least 1% or a whole number >= 1"
        if pool.count > 0 and pool.max_unavailable_nodes() < 1:
            return (
                f"maxUnavailable {spelled} of {pool.count} nodes rounds down to 0 nodes; "
                f"use at least {-(-100 // pool.count)}% or a whole number >= 1"
            )
        return None
    if spelled < 1:
        return f"maxUnavailable is {spelled}; use a whole number >= 1 (nodes taken at once)"
    if pool.count > 0 and spelled > pool.count:
        return f"maxUnavailable {spelled} is above the pool's count {pool.count}; use at most {pool.count}"
    return None


def _check_approvals(spec: FleetSpec, errors: list[Diagnostic], skip: set[str]) -> None:
    for approval in spec.approvals:
        body = approval.spec
        region = body.cluster.partition("/")[0]
        if f"Cluster/{body.cluster}" in skip or f"Region/{region}" in skip or UNREAD in skip:
            continue
        cluster = spec.cluster(body.cluster)
        if cluster is None:
            known = [cluster_id(r, c.name) for r, c in spec.clusters()]
            define = "name an existing cluster as <region>/<cluster>, or delete this approval"
            _error(errors, where(body, "cluster"), _unknown("cluster", body.cluster, known, define))
            continue
        if NO_FLEET in skip or f"Cluster/{body.cluster}" in skip or not body.addons:
            continue
        addons = {a.name: a for a in spec.addons(cluster)}
        for name in body.addons:
            if name not in addons:
                define = f"cluster {body.cluster} has no such add-on"
                _error(errors, where(body, "addons", name), _unknown("add-on", name, addons, define))
