"""The jsonschema validator class with Kubernetes' semantics for the few keywords where they differ.

Plain JSON Schema reports an unknown field or a missing required field at
the parent object ("Additional properties are not allowed ('x' was
unexpected)" at ``$.spec``); a reader of a CI log wants the path of the field
itself, as ``kubectl apply --validate=strict`` prints it. So ``required`` and
``additionalProperties: false`` yield one error per field, at the field's
path. ``x-kubernetes-list-type`` (set / map) is enforced the way the API
server does: no duplicate items, or no two items with the same map keys.

Formats are asserted (JSON Schema only annotates them): ``int32`` and
``int64`` ranges, RFC 3339 ``date-time`` and base64 ``byte``, the formats the
vendored CRDs and the Kubernetes schemas use; other formats stay annotations.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator, ValidationError

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

FORMATS = jsonschema.FormatChecker(formats=())


def _in_range(value: object, bounds: tuple[int, int]) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return True  # the type keyword reports non-integers
    return bounds[0] <= value <= bounds[1]


@FORMATS.checks("int32")
def _int32(value: object) -> bool:
    return _in_range(value, INT32)


@FORMATS.checks("int64")
def _int64(value: object) -> bool:
    return _in_range(value, INT64)


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:  # e.g. month 13
        return False
    return True


@FORMATS.checks("byte")
def _byte(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _required(
    validator: Any, required: list[str], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for name in required:
        if name not in instance:
            yield ValidationError("required field is missing", path=deque([name]))


_ORIGINAL_ADDITIONAL = Draft202012Validator.VALIDATORS["additionalProperties"]


def _additional_properties(
    validator: Any, allowed: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if allowed is not False:
        yield from _ORIGINAL_ADDITIONAL(validator, allowed, instance, schema)
        return
    if not validator.is_type(instance, "object"):
        return
    known = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    for name in instance:
        if name not in known and not any(p.search(name) for p in patterns):
            yield ValidationError("unknown field", path=deque([name]))


def _list_type(validator: Any, list_type: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    """``set``: items unique; ``map``: items unique by ``x-kubernetes-list-map-keys`` (absent key: null)."""
    if not validator.is_type(instance, "array") or list_type not in ("set", "map"):
        return
    keys = schema.get("x-kubernetes-list-map-keys", [])
    seen: dict[str, int] = {}
    for index, item in enumerate(instance):
        if list_type == "map" and isinstance(item, Mapping):
            identity = json.dumps([item.get(k) for k in keys], sort_keys=True, default=str)
            what = "an item with the same " + "/".join(keys)
        else:
            identity = json.dumps(item, sort_keys=True, default=str)
            what = "the same item"
        if identity in seen:
            yield ValidationError(
                f"duplicate: item {seen[identity]} is {what} (list type {list_type})", path=deque([index])
            )
        else:
            seen[identity] = index


KubernetesValidator: Any = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    validators={
        "required": _required,
        "additionalProperties": _additional_properties,
        "x-kubernetes-list-type": _list_type,
    },
)
