"""What can still be checked of a cluster that failed validation.

SPEC.md section 2 wants every error in one run. A cluster with one wrong
field (``count: "16"``) fails pydantic as a whole, and without more the
reference checks (tenant, channel, bundle, instance types, failure domains,
budgets, etcd replicas) would never see it: its other errors would surface
one run later. So the failed cluster is validated again with its broken
parts taken out:

- an unknown field is dropped;
- a broken field with a default is dropped (the default is silent in every
  check);
- a broken field that a check reads as a *name* (the cluster's name, tenant,
  channel and bundle, a pool's name and instance type, an extra add-on's
  name) becomes an *unknown name* (:func:`is_unknown`), which the checks
  skip: reporting "unknown tenant" for a tenant that is a number would say
  the same thing twice;
- other required fields get a placeholder no check looks at (a pool's count
  becomes 0, which leaves only the spelling of ``maxUnavailable`` checked);
- a list item that is not a mapping is replaced by a placeholder item,
  so that the items after it keep their index, and so their positions.

The result is only ever checked, never returned to a caller: the cluster
already has an error, so the load fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from fleetc.spec.messages import _item_type, _unwrap_optional
from fleetc.spec.models import Addon, Chart, Cluster, NodePool, Taint, Window

Loc = tuple[str | int, ...]


class _Unknown(str):
    """A name that failed validation. Its text is what was written (for messages
    that quote it, e.g. "in cluster Train"), or ``<invalid>`` when that was
    not text; its type tells it apart: the loader makes only plain ``str``."""

    __slots__ = ()


def is_unknown(value: object) -> bool:
    """True for a name that failed validation: checks on it are skipped."""
    return isinstance(value, _Unknown)


# Names checks look up: broken, they validate as "x" and then become unknown names.
_NAMES: dict[tuple[type[BaseModel], str], str] = {
    (Cluster, "name"): "x",
    (Cluster, "tenant"): "x",
    (Cluster, "channel"): "x",
    (Cluster, "bundle"): "x",
    (NodePool, "name"): "x",
    (NodePool, "instanceType"): "x",
    (Addon, "name"): "x",
}
# Required fields no check reads a name from: a valid stand-in.
_STAND_INS: dict[tuple[type[BaseModel], str], Any] = {
    (NodePool, "count"): 0,
    (Addon, "namespace"): "x",
    (Addon, "chart"): {"repository": "x", "name": "x", "version": "x"},
    (Chart, "repository"): "x",
    (Chart, "name"): "x",
    (Chart, "version"): "x",
    (Taint, "key"): "x",
    (Taint, "effect"): "NoSchedule",
    (Window, "days"): ["mon"],
    (Window, "start"): "00:00",
    (Window, "hours"): 1,
}


class _Broken:
    """Returned when a value cannot be salvaged: its field is treated as broken."""


_BROKEN: Final = _Broken()


def salvage_cluster(item: Any, error_locs: Sequence[Loc]) -> Cluster | None:
    """``item`` (a cluster's raw mapping, which failed validation with errors at
    ``error_locs``) validated with its broken parts taken out; None when
    nothing sensible is left (not a mapping, or still invalid)."""
    if not isinstance(item, dict):
        return None
    unknown: list[tuple[Loc, object]] = []
    data = _prune(Cluster, item, error_locs, (), unknown)
    if isinstance(data, _Broken):
        return None
    try:
        cluster = Cluster.model_validate(data, by_alias=True, by_name=False)
    except ValidationError:  # a rule across fields, or a pruning this module does not know
        return None
    for path, written in unknown:
        cluster = _replace(cluster, path, _Unknown(written if isinstance(written, str) else "<invalid>"))
    return cluster


def _prune(
    model: type[BaseModel], data: dict[Any, Any], locs: Sequence[Loc], here: Loc, unknown: list[tuple[Loc, object]]
) -> dict[Any, Any] | _Broken:
    by_field: dict[str | int, list[Loc]] = {}
    for loc in locs:
        if not loc:
            return _BROKEN  # the value itself is wrong (e.g. not a mapping)
        by_field.setdefault(loc[0], []).append(loc[1:])
    fields = _fields(model)
    result = dict(data)
    for key, below in by_field.items():
        if key not in fields:  # an unknown field
            result.pop(key, None)
            continue
        value = result.get(key, _BROKEN)
        if not isinstance(value, _Broken) and all(below):
            fixed = _prune_value(fields[key], value, below, (*here, key), unknown)
            if not isinstance(fixed, _Broken):
                result[key] = fixed
                continue
        if not _stand_in(model, str(key), result, here, unknown):
            return _BROKEN
    return result


def _stand_in(
    model: type[BaseModel], key: str, result: dict[Any, Any], here: Loc, unknown: list[tuple[Loc, object]]
) -> bool:
    """Take out broken field ``key``; False when the model cannot do without it."""
    if (model, key) in _NAMES:
        unknown.append(((*here, key), result.get(key)))
        result[key] = _NAMES[(model, key)]
    elif (model, key) in _STAND_INS:
        result[key] = _STAND_INS[(model, key)]
    elif not _required(model, key):
        result.pop(key, None)
    else:
        return False
    return True


def _prune_value(annotation: Any, value: Any, locs: Sequence[Loc], here: Loc, unknown: list[tuple[Loc, object]]) -> Any:
    """``value`` of type ``annotation`` with the errors at ``locs`` (relative) taken out, or _BROKEN."""
    annotation = _unwrap_optional(annotation)
    if _is_model(annotation):
        return _prune(annotation, value, locs, here, unknown) if isinstance(value, dict) else _BROKEN
    item_model = _item_type(annotation)
    if getattr(annotation, "__origin__", None) is not list or not _is_model(item_model) or not isinstance(value, list):
        return _BROKEN
    by_index: dict[int, list[Loc]] = {}
    for loc in locs:
        if not isinstance(loc[0], int) or not 0 <= loc[0] < len(value):
            return _BROKEN
        by_index.setdefault(loc[0], []).append(loc[1:])
    items = list(value)
    for index, below in by_index.items():
        where = (*here, index)
        fixed = _prune(item_model, items[index], below, where, unknown) if isinstance(items[index], dict) else _BROKEN
        if isinstance(fixed, _Broken):
            fixed = _placeholder(item_model, where, unknown)
            if isinstance(fixed, _Broken):
                return _BROKEN
        items[index] = fixed
    return items


def _placeholder(model: type[BaseModel], here: Loc, unknown: list[tuple[Loc, object]]) -> dict[str, Any] | _Broken:
    """An item of ``model`` made of stand-ins only, for a list item that is not a mapping at all."""
    result: dict[str, Any] = {}
    for key in _fields(model):
        if _required(model, key) and not _stand_in(model, key, result, here, unknown):
            return _BROKEN
    return result


def _replace(obj: Any, path: Loc, value: Any) -> Any:
    """``obj`` with the value at ``path`` (YAML names and list indices) replaced; models are copied."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(obj, BaseModel):
        name = _python_names(type(obj))[str(head)]
        return obj.model_copy(update={name: _replace(getattr(obj, name), rest, value)})
    copy = list(obj)
    copy[int(head)] = _replace(copy[int(head)], rest, value)
    return copy


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


@cache
def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """YAML name -> annotation of every field."""
    return {(info.alias or name): info.annotation for name, info in model.model_fields.items()}


@cache
def _python_names(model: type[BaseModel]) -> dict[str, str]:
    return {(info.alias or name): name for name, info in model.model_fields.items()}


def _required(model: type[BaseModel], key: str) -> bool:
    return model.model_fields[_python_names(model)[key]].is_required()
