"""Maintenance windows: wall-clock periods in IANA zones, across midnight and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fleetc.plan.windows import is_open, next_opening, open_period
from fleetc.spec.models import DAYS, Window


def window(days: list[str], start: str, hours: int, tz: str = "UTC") -> Window:
    return Window.model_validate({"days": days, "start": start, "hours": hours, "timezone": tz})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


SAT_NIGHT = window(["sat"], "22:00", 6)  # Saturday 22:00 -> Sunday 04:00


def test_open_inside_and_closed_at_the_end() -> None:
    w = window(["wed"], "14:00", 2)
    assert not is_open(w, utc(2024, 12, 11, 13, 59))
    assert is_open(w, utc(2024, 12, 11, 14, 0))
    assert is_open(w, utc(2024, 12, 11, 15, 59))
    assert not is_open(w, utc(2024, 12, 11, 16, 0))  # the end is excluded


def test_window_crossing_midnight_belongs_to_its_start_day() -> None:
    assert is_open(SAT_NIGHT, utc(2024, 12, 15, 3, 0))  # Sunday 03:00
    assert not is_open(SAT_NIGHT, utc(2024, 12, 15, 4, 0))
    assert not is_open(SAT_NIGHT, utc(2024, 12, 14, 3, 0))  # Saturday 03:00: not a Friday window
    assert open_period(SAT_NIGHT, utc(2024, 12, 15, 1, 0)) == (utc(2024, 12, 14, 22), utc(2024, 12, 15, 4))


def test_next_opening_is_now_while_open_else_the_next_start() -> None:
    inside = utc(2024, 12, 15, 3, 0)
    assert next_opening(SAT_NIGHT, inside) == inside
    assert next_opening(SAT_NIGHT, utc(2024, 12, 15, 4, 0)) == utc(2024, 12, 21, 22, 0)


def test_next_opening_is_given_in_the_window_zone() -> None:
    w = window(["sat", "sun"], "02:00", 6, "America/New_York")
    opening = next_opening(w, utc(2024, 12, 11, 15, 0))  # a Wednesday
    assert opening.isoformat() == "2024-12-14T02:00:00-05:00"
    assert opening.astimezone(UTC) == utc(2024, 12, 14, 7, 0)


def test_spring_forward_start_in_the_skipped_hour_opens_when_clocks_jump() -> None:
    # 2024-03-10 02:00 does not exist in New York; 02:00 EST = 07:00Z = 03:00 EDT.
    w = window(["sun"], "02:00", 6, "America/New_York")
    assert not is_open(w, utc(2024, 3, 10, 6, 59))
    assert is_open(w, utc(2024, 3, 10, 7, 0))
    # wall-clock end 08:00 EDT = 12:00Z: five real hours that day
    assert is_open(w, utc(2024, 3, 10, 11, 59))
    assert not is_open(w, utc(2024, 3, 10, 12, 0))


def test_fall_back_window_ends_at_the_first_wall_clock_end() -> None:
    # 2024-11-03 01:30 happens twice in New York; the window opens at the
    # first 01:30 (EDT, 05:30Z) and its end 02:30 exists once (EST, 07:30Z).
    w = window(["sun"], "01:30", 1, "America/New_York")
    assert not is_open(w, utc(2024, 11, 3, 5, 29))
    assert is_open(w, utc(2024, 11, 3, 5, 30))
    assert is_open(w, utc(2024, 11, 3, 7, 29))
    assert not is_open(w, utc(2024, 11, 3, 7, 30))


def test_summer_time_shifts_the_utc_opening() -> None:
    w = window(["mon"], "09:00", 1, "Europe/Berlin")
    assert is_open(w, utc(2024, 1, 8, 8, 30))  # CET, UTC+1
    assert is_open(w, utc(2024, 7, 8, 7, 30))  # CEST, UTC+2
    assert not is_open(w, utc(2024, 7, 8, 8, 30))


def test_a_week_long_window_is_always_open() -> None:
    w = window(["mon"], "00:00", 168, "Asia/Tokyo")
    for hour in range(0, 24 * 7, 5):
        assert is_open(w, utc(2024, 12, 9) + timedelta(hours=hour))


def test_naive_now_is_utc() -> None:
    w = window(["wed"], "14:00", 2)
    assert is_open(w, datetime(2024, 12, 11, 14, 30))


ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago"]


@settings(max_examples=150, deadline=None)
@given(
    days=st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    hours=st.integers(1, 72),
    tz=st.sampled_from(ZONES),
    now=st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)),
)
def test_next_opening_is_the_first_open_instant(
    days: list[str], hour: int, minute: int, hours: int, tz: str, now: datetime
) -> None:
    w = window(days, f"{hour:02d}:{minute:02d}", hours, tz)
    opening = next_opening(w, now)
    assert opening >= now
    assert is_open(w, opening)
    if opening > now:
        assert not is_open(w, opening - timedelta(microseconds=1))
        # no period opened between now and the reported opening
        assert not is_open(w, now)
        middle = now + (opening - now) / 2
        assert not is_open(w, middle)
