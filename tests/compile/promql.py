"""A small PromQL checker for the rules fleetc writes (no PromQL parser on PyPI is small and lockable).

Not a parser: it checks what a typo breaks. Brackets balance outside string literals, every string is
closed, every ``name{...}`` is a known metric with well-formed matchers, every ``name(`` is a known
function or aggregation, ``by (...)`` lists label names, range selectors are durations, and the
expression ends in a comparison with a number (an alert fires on a threshold).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

FUNCTIONS = frozenset({"histogram_quantile", "sum", "rate", "by"})
COMPARISONS = ("==", "!=", ">=", "<=", ">", "<")
_PAIRS = {")": "(", "}": "{", "]": "["}
_IDENT = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')
_DURATION = re.compile(r"^[0-9]+(ms|s|m|h|d|w|y)$")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[tuple[str, str, str], ...]  # (label, operator, value)


def _strip_strings(expr: str) -> str:
    """``expr`` with every string literal's content blanked (so brackets inside strings do not count)."""
    out, i = [], 0
    while i < len(expr):
        char = expr[i]
        if char == '"':
            end = i + 1
            while end < len(expr) and expr[end] != '"':
                end += 2 if expr[end] == "\\" else 1
            if end >= len(expr):
                raise ValueError(f"unclosed string literal at {i}: {expr!r}")
            out.append('""')
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _split_matchers(body: str) -> list[str]:
    parts, current, in_string, i = [], [], False, 0
    while i < len(body):
        char = body[i]
        if char == "\\" and in_string:
            current.append(body[i : i + 2])
            i += 2
            continue
        if char == '"':
            in_string = not in_string
        if char == "," and not in_string:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def check(expr: str, metrics: Iterable[str]) -> list[Selector]:
    """The selectors of ``expr``; ValueError on anything the checks above reject."""
    known = frozenset(metrics)
    bare = _strip_strings(expr)
    stack: list[str] = []
    for index, char in enumerate(bare):
        if char in "({[":
            stack.append(char)
        elif char in _PAIRS and (not stack or stack.pop() != _PAIRS[char]):
            raise ValueError(f"unbalanced {char!r} at {index}: {expr!r}")
    if stack:
        raise ValueError(f"unclosed {stack[-1]!r}: {expr!r}")
    for match in re.finditer(rf"({_IDENT})\s*\(", bare):
        if match.group(1) not in FUNCTIONS:
            raise ValueError(f"unknown function {match.group(1)!r}: {expr!r}")
    for match in re.finditer(r"\bby\s*\(([^)]*)\)", bare):
        labels = [label.strip() for label in match.group(1).split(",")]
        if not all(re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", label) for label in labels):
            raise ValueError(f"bad by() label list {match.group(1)!r}: {expr!r}")
    for match in re.finditer(r"\[([^\]]*)\]", bare):
        if not _DURATION.fullmatch(match.group(1)):
            raise ValueError(f"bad range {match.group(1)!r}: {expr!r}")
    selectors = []
    # On the original text: matcher values are needed; string contents cannot contain '}' here (checked above).
    for match in re.finditer(rf"({_IDENT})\{{([^}}]*)\}}", expr):
        metric = match.group(1)
        if metric not in known:
            raise ValueError(f"unknown metric {metric!r}: {expr!r}")
        matchers = []
        for part in _split_matchers(match.group(2)):
            parsed = _MATCHER.fullmatch(part)
            if parsed is None:
                raise ValueError(f"bad matcher {part!r} of {metric}: {expr!r}")
            label, operator, value = parsed.groups()
            if operator in ("=~", "!~"):
                re.compile(value)  # a regex matcher's value must be a regex
            matchers.append((label, operator, value))
        selectors.append(Selector(metric, tuple(matchers)))
    unselected = set(re.findall(rf"(?<![\w:\"])({_IDENT})(?![\w:]*\s*[{{(])", bare)) - FUNCTIONS
    stray = {word for word in unselected if word in known}
    if stray:
        raise ValueError(f"metric(s) without a selector {sorted(stray)} (every series must be scoped): {expr!r}")
    comparison = next((op for op in COMPARISONS if f" {op} " in bare), None)
    if comparison is None or not _NUMBER.fullmatch(bare.rsplit(f" {comparison} ", 1)[1].strip()):
        raise ValueError(f"an alert expression must end in '<comparison> <number>': {expr!r}")
    if not selectors:
        raise ValueError(f"no series selector: {expr!r}")
    return selectors
