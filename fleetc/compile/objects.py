"""Building Kubernetes objects and MANIFEST nodes the same way everywhere.

Every manifest carries the label ``app.kubernetes.io/managed-by: fleetc`` and
the annotation ``fleetc.dev/source: file:line:col`` (CONVENTIONS.md), so a
policy violation found on a live object, a Pulumi resource or a rendered file
points at the line of the fleet that produced it.

Keep-live: when the planner cannot vouch for a value (the live control plane
version is unknown, or nodes may not move yet), the compiler still emits the
object -- leaving it out would make Pulumi delete it, or a GitOps tool prune
it -- but names the fields that must stay as they are live. The directive is
the props key ``fleetc.dev/keep-live`` (a list of dotted field paths) and, so
that Pulumi-side policy rules see it too, the annotation of the same name.
:func:`kube_object` strips the directive and returns the plain object.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from fleetc import conventions
from fleetc.compile import ids
from fleetc.compile.graph import Kind, Node
from fleetc.errors import Pos

MANAGED_BY_LABEL = conventions.MANAGED_BY_LABEL
MANAGED_BY = "fleetc"
SOURCE_ANNOTATION = conventions.SOURCE_ANNOTATION
KEEP_LIVE = "fleetc.dev/keep-live"
KEEP_LIVE_REASON = "fleetc.dev/keep-live-reason"

# Props keys of a MANIFEST node that are compiler directives, not object fields.
DIRECTIVES = frozenset({KEEP_LIVE})


def canonical_json(value: Any) -> str:
    """Deterministic compact JSON for ConfigMap values (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def canonical_yaml(value: Any) -> str:
    """Deterministic YAML for files inside ConfigMaps (sorted keys, block style)."""
    return yaml.safe_dump(value, sort_keys=True, default_flow_style=False)


def k8s_object(
    api_version: str,
    kind: str,
    name: str,
    *,
    namespace: str | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A complete object with fleetc's label; ``fields`` are its top-level body.

    The source annotation is added by :func:`manifest_node`, the one place
    that knows the spec position.
    """
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = {**(labels or {}), MANAGED_BY_LABEL: MANAGED_BY}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **fields}


def keep_live(obj: dict[str, Any], paths: Sequence[str], reason: str) -> dict[str, Any]:
    """Mark ``paths`` of ``obj`` as "leave as live" (see module doc); returns ``obj``."""
    obj[KEEP_LIVE] = list(paths)
    annotations = obj["metadata"].setdefault("annotations", {})
    annotations[KEEP_LIVE] = ",".join(paths)
    annotations[KEEP_LIVE_REASON] = reason
    return obj


def keep_live_paths(node: Node) -> tuple[str, ...]:
    """The dotted field paths a MANIFEST node asks to leave as they are live (empty: none)."""
    value = node.props.get(KEEP_LIVE)
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(path) for path in value)


def kube_object(node: Node) -> dict[str, Any]:
    """The Kubernetes object of a MANIFEST node without compiler directives (a deep copy)."""
    if node.kind is not Kind.MANIFEST:
        raise ValueError(f"{node.id} is a {node.kind}, not a Manifest")
    return {key: copy.deepcopy(value) for key, value in node.props.items() if key not in DIRECTIVES}


def manifest_node(
    group_id: str,
    obj: dict[str, Any],
    *,
    provider: str,
    cluster: str | None,
    deps: Sequence[str] = (),
    source: Pos,
) -> Node:
    """A MANIFEST node under ``group_id`` with the conventional id ``<group>/<kind>-<name>``."""
    obj["metadata"].setdefault("annotations", {})[SOURCE_ANNOTATION] = source.stable
    node_id = ids.manifest(group_id, obj["kind"], obj["metadata"]["name"])
    return Node(
        id=node_id,
        kind=Kind.MANIFEST,
        props=obj,
        parent=group_id,
        deps=tuple(deps),
        provider=provider,
        cluster=cluster,
        source=source,
    )
