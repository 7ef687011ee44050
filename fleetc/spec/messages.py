"""Pydantic validation errors rewritten as messages that say how to fix them.

Pydantic's own texts ("Input should be a valid integer") say what is wrong
in Python terms; a fleet author needs the field as written in YAML, the
value as they typed it, and the edit that fixes it.
"""

from __future__ import annotations

import difflib
from typing import Any, Union

from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "dict_type": "a mapping (key: value)",
    "list_type": "a list",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "float_type": "a number",
}

# YAML 1.1 booleans that YAML 1.2 (and so fleetc) reads as strings.
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}
_VERSION_FIELDS = {"kubernetes", "etcd"}
_MAX_SHOWN = 60


def describe(value: Any, raw: str | None = None) -> str:
    """The value as the user wrote it, plus its YAML type."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        return f"{raw if raw is not None else value} (a number)"
    if isinstance(value, str):
        shown = value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 3] + "..."
        return f"{shown!r} (a string)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def label(loc: tuple[str | int, ...]) -> str:
    """The failing field as a YAML author would name it: ``count``, ``days[0]``."""
    if not loc:
        return "document"
    last = loc[-1]
    if isinstance(last, int):
        parent = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "item")
        return f"{parent}[{last}]"
    return str(last)


def message(
    error: ErrorDetails,
    known_fields: list[str],
    raw: str | None = None,
    loc: tuple[str | int, ...] | None = None,
) -> str:
    """One human message for one pydantic error.

    ``known_fields`` are the valid names at the error's place (for "did you
    mean"); ``raw`` is the source text of a numeric value; ``loc`` overrides
    the error's own location (when the error came from a nested validation).
    """
    kind = error["type"]
    where = tuple(loc if loc is not None else error["loc"])
    field = label(where)
    value = error.get("input")
    shown = describe(value, raw)
    if kind == "extra_forbidden":
        return _unknown_field(field, known_fields)
    if kind == "missing":
        return f"missing required field '{field}'; add it"
    if kind in _TYPE_NAMES:
        return f"'{field}' must be {_TYPE_NAMES[kind]}, got {shown}{_type_fix(kind, field, value, raw)}"
    if kind == "literal_error":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"'{field}' is {shown}; use one of {expected}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        ctx = error.get("ctx") or {}
        bound = next(iter(ctx.values()), "?")
        word = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}[kind]
        return f"'{field}' is {shown}; it must be {word} {bound}"
    if kind in ("too_short", "string_too_short"):
        what = "list at least one item" if kind == "too_short" else "write a value or remove the field"
        return f"'{field}' must not be empty; {what}"
    text = str(error["msg"])
    return f"'{field}': {text[0].lower() + text[1:] if text else text}; fix this value"


def _unknown_field(field: str, known: list[str]) -> str:
    camel = to_camel(field)
    if camel != field and camel in known:
        return f"unknown field '{field}'; did you mean '{camel}'? (fields are camelCase)"
    hint = difflib.get_close_matches(field, known, n=1, cutoff=0.7)
    if hint:
        return f"unknown field '{field}'; did you mean '{hint[0]}'?"
    if 0 < len(known) <= 12:
        return f"unknown field '{field}'; remove it (allowed here: {', '.join(known)})"
    return f"unknown field '{field}'; remove it"


def _type_fix(kind: str, field: str, value: Any, raw: str | None) -> str:
    """The edit that fixes a wrong type, when there is an obvious one."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string_type" and number:
        written = raw if raw is not None else str(value)
        if field in _VERSION_FIELDS and written.count(".") < 2:
            parts = [*written.split("."), "0", "0"][:3]
            return f'; write a quoted MAJOR.MINOR.PATCH version, e.g. "{".".join(parts)}"'
        return f'; quote it: "{written}"'
    if kind == "string_type" and isinstance(value, bool):
        return f'; quote it: "{str(value).lower()}"'
    if kind == "int_type" and isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return f"; remove the quotes: {value.strip()}"
    if kind == "int_type" and isinstance(value, float):
        return "; use a whole number"
    if kind == "bool_type" and isinstance(value, str) and value.lower() in _YAML11_BOOLS:
        return "; YAML 1.2 reads yes/no/on/off as strings, write true or false"
    if kind == "bool_type" and isinstance(value, str) and value.lower() in ("true", "false"):
        return f"; remove the quotes: {value.lower()}"
    if kind == "list_type" and isinstance(value, str | int | float):
        return f"; write [{value}] or one '- item' per line"
    if kind in ("dict_type", "model_type") and value is None:
        return "; give it fields (key: value) or remove it"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "; write it as key: value pairs"
    if isinstance(value, list | dict):
        return f"; write a single value, not {describe(value)}"
    return f"; write {_TYPE_NAMES.get(kind, 'another value')}"


def fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str] | None:
    """The YAML field names valid at ``loc`` below ``model`` (None: not a model there).

    Walks the annotations the way pydantic walks the data: a field's alias
    to its type, a list index or mapping key to the item type.
    """
    current: Any = model
    for step in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (f for name, f in current.model_fields.items() if (f.alias or name) == step or name == step), None
            )
            if field is None:
                return None
            current = field.annotation
        else:
            current = _item_type(current)
            if current is None:
                return None
        current = _unwrap_optional(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return None


def _unwrap_optional(annotation: Any) -> Any:
    args = [a for a in getattr(annotation, "__args__", ()) or () if a is not type(None)]
    origin = getattr(annotation, "__origin__", None)
    if origin in (None, Union) and len(args) == 1:  # X | None
        return args[0]
    return annotation


def _item_type(annotation: Any) -> Any:
    origin = getattr(annotation, "__origin__", None)
    args: tuple[Any, ...] = tuple(getattr(annotation, "__args__", ()) or ())
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[-1]
    return None
