"""Pydantic validation errors rewritten as messages that say how to fix them."""

from __future__ import annotations

import difflib
from typing import Any

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


def describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        return f"{value} (a number)"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def message(error: ErrorDetails, known_fields: list[str]) -> str:
    """One human message for one pydantic error at ``error['loc']``."""
    kind = error["type"]
    loc = error["loc"]
    field = str(loc[-1]) if loc else "document"
    value = error.get("input")
    if kind == "extra_forbidden":
        hint = difflib.get_close_matches(field, known_fields, n=1, cutoff=0.75)
        fix = f"did you mean '{hint[0]}'?" if hint else "remove it"
        return f"unknown field '{field}'; {fix}"
    if kind == "missing":
        return f"missing required field '{field}'; add it"
    if kind in _TYPE_NAMES:
        text = f"'{field}' must be {_TYPE_NAMES[kind]}, got {describe(value)}"
        if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
            text += f"; quote it: \"{value}\""
        return text
    if kind == "literal_error":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"'{field}' is {describe(value)}; use one of {expected}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        ctx = error.get("ctx") or {}
        bound = next(iter(ctx.values()), "?")
        word = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}[kind]
        return f"'{field}' must be {word} {bound}, got {describe(value)}"
    if kind in ("too_short", "string_too_short"):
        return f"'{field}' must not be empty"
    return f"'{field}': {error['msg']}"
