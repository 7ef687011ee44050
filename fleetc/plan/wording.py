"""How the planner words lists in a ``Blocked.detail``.

Details are read by people (``fleetc plan`` text, PR comments); a pool of
500 busy nodes must not print 500 names, so lists are cut with a count of
what was left out. Machine readers get the full list in ``Blocked.nodes``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

DETAIL_ITEMS = 20


def shorten(items: Sequence[str], limit: int = DETAIL_ITEMS) -> str:
    """``a, b, c`` or ``a, b, ... and 12 more``."""
    return shorten_lazy(items, str, limit)


def shorten_lazy(items: Sequence[T], describe: Callable[[T], str], limit: int = DETAIL_ITEMS) -> str:
    """:func:`shorten` of ``describe(item)``, describing only the items shown.

    A pool of 4,000 busy nodes is described in 20 strings, not 4,000: the
    planner runs every few minutes on every cluster, and the simulator calls
    it hundreds of thousands of times.
    """
    shown = ", ".join(describe(item) for item in items[:limit])
    if len(items) <= limit:
        return shown
    return f"{shown} and {len(items) - limit} more"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def waiting(count: int, noun: str) -> str:
    """``1 node waits`` / ``3 nodes wait``."""
    return f"{plural(count, noun)} {'waits' if count == 1 else 'wait'}"
