"""Maintenance windows: when a cluster may start something new.

A window (docs/spec.md section 2, ``upgrade.window``) is a set of week days, a
local start time, a length in hours and an IANA time zone. It opens on each
listed day at ``start`` local time and stays open for ``hours`` of *wall-clock*
time: ``start: "02:00", hours: 6`` means 02:00 to 08:00 local time on every
listed day, which is what a tenant means by "quiet hours", also on the two
days a year when clocks change (in real time such a window then lasts 5 or 7
hours). The day is the day the window opens: ``days: [sat], start: "22:00",
hours: 6`` runs from Saturday 22:00 to Sunday 04:00.

Clock changes follow PEP 495 with ``fold=0``: a start time that does not
exist (skipped by a spring-forward) is read with the offset before the jump,
so a 02:30 window opens at 03:30 summer time; a start time that exists twice
(autumn) opens at its first occurrence, and an end time that exists twice
ends at its first occurrence (the shorter window, the safe side). A window
whose wall-clock span falls entirely into a skipped hour is empty that day.

Everything here is computed in instants (aware datetimes), so comparisons
never mix zones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fleetc.spec.models import DAYS, Window

# A window lasts at most 168 hours (a week): looking this many days back
# finds any period that may still be open now, and a week plus one day ahead
# always reaches the next opening (one more week for a day whose only window
# vanished into a skipped hour).
_LOOK_BACK_DAYS = 8
_LOOK_AHEAD_DAYS = 15


def _periods(window: Window, first: date, days: int) -> Iterator[tuple[datetime, datetime]]:
    """Open periods (start, end) as UTC instants, for windows opening on
    ``days`` consecutive local dates from ``first``, in start order."""
    zone = ZoneInfo(window.timezone)
    hour, minute = (int(part) for part in window.start.split(":"))
    opens_on = {DAYS.index(day) for day in window.days}
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() not in opens_on:
            continue
        local_start = datetime.combine(day, time(hour, minute))
        local_end = local_start + timedelta(hours=window.hours)
        start = local_start.replace(tzinfo=zone).astimezone(UTC)
        end = local_end.replace(tzinfo=zone).astimezone(UTC)
        if end > start:
            yield start, end


def _local_date(window: Window, now: datetime) -> date:
    return as_aware(now).astimezone(ZoneInfo(window.timezone)).date()


def as_aware(now: datetime) -> datetime:
    """Naive datetimes are taken as UTC: the planner's clock is UTC."""
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def open_period(window: Window, now: datetime) -> tuple[datetime, datetime] | None:
    """The period (start, end) in UTC that contains ``now``, or None when closed."""
    instant = as_aware(now)
    first = _local_date(window, instant) - timedelta(days=_LOOK_BACK_DAYS)
    for start, end in _periods(window, first, _LOOK_BACK_DAYS + 2):
        if start <= instant < end:
            return start, end
    return None


def is_open(window: Window, now: datetime) -> bool:
    return open_period(window, now) is not None


def next_opening(window: Window, now: datetime) -> datetime:
    """The earliest instant at or after ``now`` when the window is open, in
    the window's own time zone: ``now`` itself while the window is open."""
    instant = as_aware(now)
    zone = ZoneInfo(window.timezone)
    if open_period(window, instant) is not None:
        return instant.astimezone(zone)
    first = _local_date(window, instant) - timedelta(days=1)
    for start, _end in _periods(window, first, _LOOK_AHEAD_DAYS):
        if start > instant:
            return start.astimezone(zone)
    # Unreachable for a valid window (at least one day, >= 1 hour); kept so
    # the function is total rather than silently wrong.
    raise ValueError(f"window {describe(window)} never opens")


def describe(window: Window) -> str:
    """``sat,sun 02:00 for 6h America/New_York``: how a person reads a window."""
    return f"{','.join(window.days)} {window.start} for {window.hours}h {window.timezone}"
