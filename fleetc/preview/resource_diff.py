"""What a change does to the resources Pulumi manages: create, update, delete, by id and props.

Two desired graphs are compared node by node (ids are stable, CONVENTIONS.md),
which is what ``pulumi preview`` would report for the same inputs, without
the engine or cluster credentials. Group nodes (ComponentResources) hold no
state of their own and are left out.

An update whose only change is the ``fleetc.dev/source`` annotation (a line
moved in the YAML) is a real update for Pulumi but says nothing to a
reviewer: such updates are counted apart as *source-only*.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fleetc.compile.graph import GROUP_KINDS, DesiredGraph, Kind, Node

SOURCE_PATH = "metadata.annotations.fleetc.dev/source"
OPS = ("create", "update", "delete")


@dataclass(frozen=True, order=True)
class ResourceChange:
    op: str  # create | update | delete
    id: str
    type: str  # Deployment, ConfigMap, HelmRelease, NodePatch, Provider...
    fields: tuple[str, ...] = ()  # updates: the dotted paths that differ

    @property
    def source_only(self) -> bool:
        return self.op == "update" and self.fields == (SOURCE_PATH,)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "id": self.id, "type": self.type}
        if self.op == "update":
            out["fields"] = list(self.fields)
        return out


@dataclass(frozen=True)
class ResourceDiff:
    changes: tuple[ResourceChange, ...] = field(default=())

    @property
    def meaningful(self) -> list[ResourceChange]:
        return [c for c in self.changes if not c.source_only]

    @property
    def source_only(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.source_only]

    def counts(self) -> dict[str, int]:
        """op -> count of meaningful changes (every op present, zeros included)."""
        found = Counter(c.op for c in self.meaningful)
        return {op: found.get(op, 0) for op in OPS}

    def by_type(self) -> dict[str, dict[str, int]]:
        """type -> op -> count of meaningful changes, types sorted."""
        table: dict[str, dict[str, int]] = {}
        for change in self.meaningful:
            row = table.setdefault(change.type, dict.fromkeys(OPS, 0))
            row[change.op] += 1
        return dict(sorted(table.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.counts(),
            "sourceOnlyUpdates": len(self.source_only),
            "byType": self.by_type(),
            "changes": [c.to_json() for c in self.changes],
        }


def resource_type(node: Node) -> str:
    if node.kind is Kind.MANIFEST:
        return node.api_kind or "Manifest"
    return str(node.kind.value)


def diff_graphs(base: Mapping[str, DesiredGraph], head: Mapping[str, DesiredGraph]) -> ResourceDiff:
    """Changes from ``base`` to ``head`` (region -> graph each), sorted by op then id."""
    before = _leaves(base)
    after = _leaves(head)
    changes: list[ResourceChange] = []
    for node_id in sorted(set(after) - set(before)):
        changes.append(ResourceChange("create", node_id, resource_type(after[node_id])))
    for node_id in sorted(set(before) - set(after)):
        changes.append(ResourceChange("delete", node_id, resource_type(before[node_id])))
    for node_id in sorted(set(before) & set(after)):
        old, new = before[node_id], after[node_id]
        if old.kind is not new.kind or resource_type(old) != resource_type(new):
            # a different type under the same id: Pulumi replaces it
            changes.append(ResourceChange("delete", node_id, resource_type(old)))
            changes.append(ResourceChange("create", node_id, resource_type(new)))
            continue
        fields = tuple(changed_paths(old.props, new.props))
        if old.provider != new.provider:
            fields = ("provider", *fields)
        if fields:
            changes.append(ResourceChange("update", node_id, resource_type(new), fields))
    order = {op: i for i, op in enumerate(OPS)}
    return ResourceDiff(tuple(sorted(changes, key=lambda c: (order[c.op], c.id))))


def _leaves(graphs: Mapping[str, DesiredGraph]) -> dict[str, Node]:
    return {node.id: node for graph in graphs.values() for node in graph if node.kind not in GROUP_KINDS}


def changed_paths(old: Any, new: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths where two JSON-like values differ (lists of equal length compared item by item)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                yield path
            else:
                yield from changed_paths(old[key], new[key], path)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from changed_paths(a, b, f"{prefix}[{index}]")
    elif old != new or type(old) is not type(new):
        yield prefix or "(value)"
