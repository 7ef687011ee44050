"""What a change does to the fleet, in the fleet's own words.

A reviewer asks "which clusters move to which version, and why?", not
"which Deployment's image changed": this diff compares two FleetSpecs at the
level people write them (clusters, versions and their cause, pools, add-ons,
approvals, tenants, regions, upgrade policies). Add-on changes coming from a
bundle are listed once with the clusters they reach, so bumping a chart for
200 clusters is one line, not 200.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from fleetc.conventions import cluster_id
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.models import Addon, Cluster, NodePool
from fleetc.versions import Version


@dataclass(frozen=True, order=True)
class FleetChange:
    """One change. ``category`` groups (fleet, channel, region, tenant, cluster,
    version, control-plane, upgrade, pool, addon, approval); ``action`` says what happened."""

    category: str
    subject: str
    action: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "subject": self.subject, "action": self.action, "detail": self.detail}

    def __str__(self) -> str:
        return f"{self.category} {self.action}: {self.subject}" + (f" ({self.detail})" if self.detail else "")


CATEGORY_ORDER = (
    "fleet",
    "channel",
    "region",
    "tenant",
    "cluster",
    "version",
    "control-plane",
    "upgrade",
    "pool",
    "addon",
    "approval",
)


def diff_fleets(base: FleetSpec | None, head: FleetSpec) -> list[FleetChange]:
    """Every fleet-level change from ``base`` to ``head`` (``base`` None: everything is new)."""
    changes: list[FleetChange] = []
    changes += _fleet_settings(base, head)
    changes += _named("region", set(base.regions) if base else set(), set(head.regions))
    changes += _tenants(base, head)
    base_clusters = _clusters(base)
    head_clusters = _clusters(head)
    changes += _named("cluster", set(base_clusters), set(head_clusters), _cluster_detail(head_clusters))
    addon_changes: dict[tuple[str, str, str], list[str]] = {}
    for cid in sorted(set(base_clusters) & set(head_clusters)):
        assert base is not None  # clusters on both sides imply a base
        old, new = base_clusters[cid], head_clusters[cid]
        changes += _versions(cid, base, head, old, new)
        changes += _control_plane(cid, old, new)
        changes += _upgrade(cid, old, new)
        changes += _pools(cid, old, new)
        for key in _addons(base.addons(old), head.addons(new)):
            addon_changes.setdefault(key, []).append(cid)
    for (name, action, detail), clusters in addon_changes.items():
        where = clusters[0] if len(clusters) == 1 else f"{len(clusters)} clusters: {', '.join(clusters)}"
        changes.append(FleetChange("addon", name, action, f"{detail}; {where}" if detail else where))
    changes += _approvals(base, head)
    order = {category: i for i, category in enumerate(CATEGORY_ORDER)}
    return sorted(changes, key=lambda c: (order.get(c.category, len(order)), c.subject, c.action, c.detail))


def _named(category: str, old: set[str], new: set[str], detail: dict[str, str] | None = None) -> list[FleetChange]:
    found = [FleetChange(category, name, "added", (detail or {}).get(name, "")) for name in sorted(new - old)]
    found += [FleetChange(category, name, "removed") for name in sorted(old - new)]
    return found


def _clusters(spec: FleetSpec | None) -> dict[str, Cluster]:
    return {cluster_id(region, c.name): c for region, c in spec.clusters()} if spec else {}


def _cluster_detail(clusters: dict[str, Cluster]) -> dict[str, str]:
    out = {}
    for cid, c in clusters.items():
        nodes = sum(p.count for p in c.node_pools)
        pools = len(c.node_pools)
        out[cid] = f"tenant {c.tenant}, channel {c.channel}, {pools} pool{'' if pools == 1 else 's'}, {nodes} nodes"
    return out


def _fleet_settings(base: FleetSpec | None, head: FleetSpec) -> Iterator[FleetChange]:
    if base is None:
        return
    old, new = base.fleet.spec, head.fleet.spec
    if old.freeze != new.freeze:
        yield FleetChange("fleet", "freeze", "changed", f"{old.freeze} → {new.freeze}")
    for name in sorted(set(old.channels) | set(new.channels)):
        before, after = old.channels.get(name), new.channels.get(name)
        if before is None or after is None:
            yield FleetChange("channel", name, "added" if before is None else "removed")
            continue
        for field in ("kubernetes", "etcd", "node_image"):
            a, b = getattr(before, field), getattr(after, field)
            if a != b:
                yield FleetChange(
                    "channel",
                    name,
                    f"{_alias(field)} {'bumped' if _newer_text(field, a, b) else 'changed'}",
                    f"{a} → {b}",
                )


def _tenants(base: FleetSpec | None, head: FleetSpec) -> Iterator[FleetChange]:
    old = base.tenants if base else {}
    yield from _named("tenant", set(old), set(head.tenants))
    for name in sorted(set(old) & set(head.tenants)):
        a, b = set(old[name].spec.approvers), set(head.tenants[name].spec.approvers)
        if a != b:
            parts = [f"+{x}" for x in sorted(b - a)] + [f"-{x}" for x in sorted(a - b)]
            yield FleetChange("tenant", name, "approvers changed", " ".join(parts))


def _alias(field: str) -> str:
    return {"node_image": "nodeImage", "max_unavailable": "maxUnavailable", "instance_type": "instanceType"}.get(
        field, field
    )


def _versions(cid: str, base: FleetSpec, head: FleetSpec, old: Cluster, new: Cluster) -> Iterator[FleetChange]:
    """Target changes and their cause: a channel switch, a pin, or a bump of the channel itself."""
    before, after = base.targets(old), head.targets(new)
    for field, label in (("kubernetes", "kubernetes"), ("etcd", "etcd"), ("node_image", "nodeImage")):
        a, b = getattr(before, field), getattr(after, field)
        if a == b:
            continue
        pin_a, pin_b = getattr(old.versions, field), getattr(new.versions, field)
        if old.channel != new.channel:
            cause = f"channel {old.channel} → {new.channel}"
        elif pin_a != pin_b:
            cause = "pinned" if pin_a is None else "pin removed" if pin_b is None else "pin changed"
        else:
            cause = f"channel {new.channel} bumped"
        yield FleetChange("version", cid, f"{label} {'bumped' if _newer(a, b) else 'changed'}", f"{a} → {b}, {cause}")


def _newer_text(field: str, a: str, b: str) -> bool:
    """Channel fields are strings: versions compare as versions, node images do not compare."""
    if field == "node_image":
        return False
    return _newer(Version.try_parse(a), Version.try_parse(b))


def _newer(a: Any, b: Any) -> bool:
    """Only versions have an order; a node image name is just different."""
    return isinstance(a, Version) and isinstance(b, Version) and b > a


def _control_plane(cid: str, old: Cluster, new: Cluster) -> Iterator[FleetChange]:
    a, b = old.control_plane, new.control_plane
    pairs = [
        ("replicas", a.replicas, b.replicas),
        ("etcd.replicas", a.etcd.replicas, b.etcd.replicas),
        ("etcd.storageGiB", a.etcd.storage_gib, b.etcd.storage_gib),
        ("apiServer", a.api_server.model_dump(by_alias=True), b.api_server.model_dump(by_alias=True)),
    ]
    for label, x, y in pairs:
        if x != y:
            shown = f"{x} → {y}" if not isinstance(x, dict) else "featureGates/extraArgs changed"
            yield FleetChange("control-plane", cid, f"{label} changed", shown)


def _upgrade(cid: str, old: Cluster, new: Cluster) -> Iterator[FleetChange]:
    a, b = old.upgrade, new.upgrade
    if a.approval != b.approval:
        yield FleetChange("upgrade", cid, "approval changed", f"{a.approval} → {b.approval}")
    if _dump(a.window) != _dump(b.window):
        yield FleetChange("upgrade", cid, "window changed", f"{_window(a.window)} → {_window(b.window)}")
    if a.paused != b.paused:
        yield FleetChange("upgrade", cid, "paused" if b.paused else "resumed")
    if a.node_timeout_minutes != b.node_timeout_minutes:
        yield FleetChange(
            "upgrade", cid, "nodeTimeoutMinutes changed", f"{a.node_timeout_minutes} → {b.node_timeout_minutes}"
        )


def _dump(value: Any) -> Any:
    """Plain data of spec values: pydantic models compare their source anchors too, which always differ."""
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True)
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _window(window: Any) -> str:
    if window is None:
        return "none"
    return f"{','.join(window.days)} {window.start} +{window.hours}h {window.timezone}"


def _pools(cid: str, old: Cluster, new: Cluster) -> Iterator[FleetChange]:
    a = {p.name: p for p in old.node_pools}
    b = {p.name: p for p in new.node_pools}
    for name in sorted(set(b) - set(a)):
        p = b[name]
        yield FleetChange("pool", f"{cid}/{name}", "added", f"{p.count} × {p.instance_type}")
    for name in sorted(set(a) - set(b)):
        yield FleetChange("pool", f"{cid}/{name}", "removed", f"{a[name].count} × {a[name].instance_type}")
    for name in sorted(set(a) & set(b)):
        yield from _pool(f"{cid}/{name}", a[name], b[name])


def _pool(subject: str, a: NodePool, b: NodePool) -> Iterator[FleetChange]:
    if a.count != b.count:
        yield FleetChange("pool", subject, "resized", f"{a.count} → {b.count} nodes")
    for field in ("instance_type", "max_unavailable", "failure_domains", "labels", "taints"):
        x, y = getattr(a, field), getattr(b, field)
        if _dump(x) != _dump(y):
            yield FleetChange("pool", subject, f"{_alias(field)} changed", f"{_short(x)} → {_short(y)}")


def _short(value: Any) -> str:
    if isinstance(value, list) and value and hasattr(value[0], "model_dump"):
        value = [v.model_dump(by_alias=True) for v in value]
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."


def _addons(old: Iterable[Addon], new: Iterable[Addon]) -> Iterator[tuple[str, str, str]]:
    """(add-on, action, detail) of one cluster's effective add-ons."""
    a = {x.name: x for x in old}
    b = {x.name: x for x in new}
    for name in sorted(set(b) - set(a)):
        yield name, "added", f"{b[name].chart.name} {b[name].chart.version}"
    for name in sorted(set(a) - set(b)):
        yield name, "removed", ""
    for name in sorted(set(a) & set(b)):
        x, y = a[name], b[name]
        if x.chart.version != y.chart.version:
            yield name, "re-pinned", f"{x.chart.version} → {y.chart.version}"
        if x.chart.repository != y.chart.repository or x.chart.name != y.chart.name:
            yield name, "chart changed", f"{x.chart.repository} {x.chart.name} → {y.chart.repository} {y.chart.name}"
        if x.namespace != y.namespace:
            yield name, "namespace changed", f"{x.namespace} → {y.namespace}"
        if x.values != y.values:
            yield name, "values changed", ""


def _approvals(base: FleetSpec | None, head: FleetSpec) -> Iterator[FleetChange]:
    def index(spec: FleetSpec | None) -> dict[str, str]:
        out = {}
        for approval in spec.approvals if spec else []:
            s = approval.spec
            image = f", nodeImage {s.node_image}" if s.node_image else ""
            out[approval.name] = (
                f"{s.cluster}: kubernetes {s.kubernetes}{image}, by {s.approved_by}, expires {s.expires}"
            )
        return out

    a, b = index(base), index(head)
    for name in sorted(set(b) - set(a)):
        yield FleetChange("approval", name, "added", b[name])
    for name in sorted(set(a) - set(b)):
        yield FleetChange("approval", name, "removed", a[name])
    for name in sorted(set(a) & set(b)):
        if a[name] != b[name]:
            yield FleetChange("approval", name, "changed", f"{a[name]} → {b[name]}")
