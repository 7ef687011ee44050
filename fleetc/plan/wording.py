"""How the planner words lists in a ``Blocked.detail``.

Details are read by people (``fleetc plan`` text, PR comments); a pool of
500 busy nodes must not print 500 names, so lists are cut with a count of
what was left out. Machine readers get the full list in ``Blocked.nodes``.
"""

from __future__ import annotations

from collections.abc import Sequence

DETAIL_ITEMS = 20


def shorten(items: Sequence[str], limit: int = DETAIL_ITEMS) -> str:
    """``a, b, c`` or ``a, b, ... and 12 more``."""
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit} more"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def waiting(count: int, noun: str) -> str:
    """``1 node waits`` / ``3 nodes wait``."""
    return f"{plural(count, noun)} {'waits' if count == 1 else 'wait'}"
