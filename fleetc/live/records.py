"""The ``fleetc-cluster`` ConfigMap read back: what fleetc applied to a cluster, and when it was rolled out.

docs/spec.md 6.4: the planner stays a pure function of (fleet, live, approvals, now), so what it must remember
(the add-on versions it applied, the revision a cluster reached and since when) is written into the management
cluster by the Pulumi program and ``fleetc render`` (``fleetc.compile.cluster_config``) and read here, from the
same management List as the control plane. Untrusted input: a part that is malformed is unknown, with a reason,
never guessed; a part that is absent is absent (a cluster adopted before this release).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fleetc import conventions
from fleetc.live.facts import AppliedRecord, RolledOut
from fleetc.live.parse import ManagementIndex
from fleetc.spec.models import parse_time

_STRING_MAPS = (conventions.RECORD_ADDONS, conventions.RECORD_ADDON_VALUES)


def applied_record(index: ManagementIndex, cluster: str) -> AppliedRecord:
    """The record of ``cluster`` in its control-plane namespace; an empty record when there is no ConfigMap."""
    namespace = conventions.control_plane_namespace(cluster)
    obj = index.objects.get(("ConfigMap", namespace, conventions.CLUSTER_CONFIGMAP))
    if obj is None:
        return AppliedRecord()
    where = f"{namespace}/ConfigMap {conventions.CLUSTER_CONFIGMAP}"
    data = obj.get("data", {})
    if not isinstance(data, dict):
        reason = f"{where}: data is not an object"
        keys = (*_STRING_MAPS, conventions.RECORD_CONTROL_PLANE, conventions.RECORD_ROLLED_OUT)
        return AppliedRecord(unknown={key: reason for key in keys})
    unknown: dict[str, str] = {}
    maps: dict[str, dict[str, str] | None] = {}
    for key in _STRING_MAPS:
        maps[key] = _string_map(data, key, where, unknown)
    control_plane = data.get(conventions.RECORD_CONTROL_PLANE)
    if control_plane is not None and (not isinstance(control_plane, str) or not control_plane):
        unknown[conventions.RECORD_CONTROL_PLANE] = f"{where}: data.{conventions.RECORD_CONTROL_PLANE} is not a string"
        control_plane = None
    return AppliedRecord(
        addons=maps[conventions.RECORD_ADDONS],
        addon_values=maps[conventions.RECORD_ADDON_VALUES],
        control_plane=control_plane,
        rolled_out=_rolled_out(data, where, unknown),
        unknown=unknown,
    )


def _json(data: Mapping[str, Any], key: str, where: str, unknown: dict[str, str]) -> object | None:
    text = data.get(key)
    if text is None:
        return None
    if not isinstance(text, str):
        unknown[key] = f"{where}: data.{key} is not a string"
        return None
    try:
        parsed: object = json.loads(text)
    except (ValueError, RecursionError):
        unknown[key] = f"{where}: data.{key} is not JSON"
        return None
    return parsed


def _string_map(data: Mapping[str, Any], key: str, where: str, unknown: dict[str, str]) -> dict[str, str] | None:
    value = _json(data, key, where, unknown)
    if value is None:
        return None
    found = _as_string_map(value)
    if found is None:
        unknown[key] = f"{where}: data.{key} is not a JSON object of strings"
    return found


def _as_string_map(value: object) -> dict[str, str] | None:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return dict(value)


def rolled_out_from_json(value: object) -> RolledOut | str:
    """A ``rolledOut`` object (also as another region's stack reports it), or why it is not one."""
    if not isinstance(value, dict):
        return "is not a JSON object"
    at = value.get("at")
    if not isinstance(at, str):
        return "has no time at"
    try:
        when: datetime = parse_time(at)
    except ValueError:
        return f"has an at that is not an ISO 8601 time with a zone ({at!r})"
    texts: dict[str, str | None] = {}
    for key in ("kubernetes", "etcd", "nodeImage", "controlPlane"):
        item = value.get(key)
        if item is not None and not isinstance(item, str):
            return f"has a {key} that is not a string"
        texts[key] = item
    maps: dict[str, dict[str, str]] = {}
    for key in ("addons", "addonValues"):
        found = _as_string_map(value.get(key, {}))
        if found is None:
            return f"has {key} that is not an object of strings"
        maps[key] = found
    return RolledOut(
        at=when,
        kubernetes=texts["kubernetes"],
        etcd=texts["etcd"],
        node_image=texts["nodeImage"],
        addons=maps["addons"],
        addon_values=maps["addonValues"],
        control_plane=texts["controlPlane"],
    )


def rolled_out_to_json(rolled: RolledOut) -> dict[str, Any]:
    """The JSON form :func:`rolled_out_from_json` reads (what the ConfigMap and the stack outputs hold)."""
    out: dict[str, Any] = {}
    for key, item in (
        ("kubernetes", rolled.kubernetes),
        ("etcd", rolled.etcd),
        ("nodeImage", rolled.node_image),
        ("controlPlane", rolled.control_plane),
    ):
        if item is not None:
            out[key] = item
    out["addons"] = dict(sorted(rolled.addons.items()))
    out["addonValues"] = dict(sorted(rolled.addon_values.items()))
    out["at"] = format_time(rolled.at)
    return out


def format_time(when: datetime) -> str:
    """An instant as fleetc writes it: UTC, ``Z``, seconds."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _rolled_out(data: Mapping[str, Any], where: str, unknown: dict[str, str]) -> RolledOut | None:
    key = conventions.RECORD_ROLLED_OUT
    value = _json(data, key, where, unknown)
    if value is None:
        return None
    found = rolled_out_from_json(value)
    if isinstance(found, str):
        unknown[key] = f"{where}: data.{key} {found}"
        return None
    return found
