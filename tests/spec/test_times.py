"""Every time fleetc accepts is one its arithmetic cannot overflow; every other one is a normal error.

``parse_time`` accepts instants whose UTC value is in [1970, 9000) (see
TIME_EARLIEST/TIME_LATEST in fleetc/spec/models.py). Random ISO-8601-ish
strings and random aware datetimes over Python's whole datetime range, at
every offset, go through each entry point that takes a time: an Approval's
``expires`` (the loader, then the approval gate), ``fleetc plan --now`` and
``fleetc approve --expires``. The outcome is always exit 0 or 2 (or a
FleetcError at the ``expires`` line), never a traceback; and every accepted
instant survives the window arithmetic in the most extreme time zones.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.errors import FleetcError
from fleetc.plan.gates import approval_flaws
from fleetc.plan.windows import is_open, next_opening, open_period
from fleetc.spec.fleet import Targets
from fleetc.spec.loader import load_fleet
from fleetc.spec.models import TIME_EARLIEST, TIME_LATEST, Window, parse_time
from fleetc.versions import Version

REPO = Path(__file__).resolve().parents[2]
MINIMAL = Path(__file__).parent / "valid" / "minimal"
LIVE = str(REPO / "examples" / "live")
OUT_OF_RANGE = "is outside the times fleetc accepts, 1970 to 8999 (UTC)"

CLI_EXAMPLES = int(os.environ.get("FLEETC_FUZZ_EXAMPLES", "60"))
UNIT_EXAMPLES = int(os.environ.get("FLEETC_FUZZ_EXAMPLES", "400"))
CLI = settings(max_examples=CLI_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNIT = settings(max_examples=UNIT_EXAMPLES, deadline=None)

# Every offset Python allows (to the microsecond), for "never a traceback"; whole
# minutes (what ISO 8601 and time zones use) where an instant must survive a round
# trip through its text (Python's isoformat of a sub-minute offset does not).
OFFSETS = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59))
MINUTE_OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: timezone(timedelta(minutes=minutes)))
AWARE = st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=OFFSETS.map(timezone))
AWARE_TO_THE_MINUTE = st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=MINUTE_OFFSETS)
ACCEPTED = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(8999, 12, 30), timezones=MINUTE_OFFSETS)


@st.composite
def isoish(draw: st.DrawFn) -> str:
    """Text shaped like an ISO 8601 time, with every part sometimes wrong or extreme."""
    year = draw(st.sampled_from(["0001", "0000", "1969", "1970", "2026", "8999", "9000", "9999", "10000", "26"]))
    month = draw(st.sampled_from(["01", "12", "13", "00", "1"]))
    day = draw(st.sampled_from(["01", "28", "29", "31", "32"]))
    sep = draw(st.sampled_from(["T", " ", "t", ""]))
    clock = draw(st.sampled_from(["00:00:00", "23:59:59", "24:00:00", "12:30", "12", "235959", "00:00:00.999999"]))
    zone = draw(
        st.sampled_from(["Z", "z", "+00:00", "-14:00", "+14:00", "+23:59", "-23:59", "+24:00", "+0530", "", "UTC"])
    )
    return f"{year}-{month}-{day}{sep}{clock}{zone}"


TIMES = st.one_of(isoish(), AWARE.map(datetime.isoformat), st.text(max_size=30))


def test_the_range_is_what_the_docs_say() -> None:
    assert parse_time("1970-01-01T00:00:00Z") == TIME_EARLIEST
    assert parse_time("8999-12-31T23:59:59Z") == TIME_LATEST - timedelta(seconds=1)
    for outside in (
        "1969-12-31T23:59:59Z",
        "9000-01-01T00:00:00Z",
        "1970-01-01T00:00:00+01:00",  # 1969 in UTC
        "0001-01-01T00:00:00+01:00",  # the review's: below datetime.min in UTC
        "9999-12-31T23:59:59-14:00",  # above datetime.max in UTC
        "0001-01-01T00:00:00+14:00",
    ):
        with pytest.raises(ValueError, match="outside the times fleetc accepts"):
            parse_time(outside)


@UNIT
@given(text=TIMES)
def test_parse_time_returns_an_instant_in_range_or_raises_value_error(text: str) -> None:
    try:
        instant = parse_time(text)
    except ValueError as error:
        assert str(error).startswith(repr(text)), error
        return
    assert instant.utcoffset() is not None
    assert TIME_EARLIEST <= instant < TIME_LATEST


@UNIT
@given(instant=AWARE_TO_THE_MINUTE)
def test_aware_datetimes_over_the_whole_range_are_accepted_exactly_inside_it(instant: datetime) -> None:
    try:
        inside = TIME_EARLIEST <= instant < TIME_LATEST
    except OverflowError:  # pragma: no cover - CPython compares aware datetimes without overflowing
        inside = False
    if inside:
        assert parse_time(instant.isoformat()) == instant
    else:
        with pytest.raises(ValueError, match="outside the times fleetc accepts"):
            parse_time(instant.isoformat())


ZONES = ["Pacific/Kiritimati", "Etc/GMT+12", "Pacific/Chatham", "America/St_Johns", "UTC", "Australia/Lord_Howe"]
WINDOWS = st.builds(
    lambda days, start, hours, zone: Window(days=days, start=start, hours=hours, timezone=zone),
    st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1, max_size=7, unique=True),
    st.sampled_from(["00:00", "02:30", "23:59", "12:00"]),
    st.sampled_from([1, 6, 24, 167, 168]),
    st.sampled_from(ZONES),
)


@UNIT
@given(window=WINDOWS, instant=ACCEPTED)
def test_window_arithmetic_never_overflows_for_an_accepted_instant(window: Window, instant: datetime) -> None:
    """Look-back of 8 days, look-ahead of 15, local zones from -12 to +14: all inside datetime's range."""
    opening = next_opening(window, instant)
    assert opening >= instant
    assert is_open(window, instant) == (open_period(window, instant) is not None)


@UNIT
@given(expires=ACCEPTED, now=ACCEPTED)
def test_the_approval_gate_never_overflows_for_accepted_times(expires: datetime, now: datetime) -> None:
    spec = load_fleet(MINIMAL)
    approval = spec.approvals[0]
    approval = approval.model_copy(update={"spec": approval.spec.model_copy(update={"expires": expires.isoformat()})})
    targets = Targets(Version.parse("1.31.2"), Version.parse("3.5.16"), "img-2024.12")
    flaws = approval_flaws(approval, targets, ["ops@team-a.example"], now)
    assert (expires <= now) == any(f.startswith("expired at") for f in flaws)


@contextmanager
def minimal_with_expires(text: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fleetc-times-") as tmp:
        root = Path(tmp) / "fleet"
        shutil.copytree(MINIMAL, root)
        approval = root / "approvals" / "train.yaml"
        quoted = json.dumps(text)  # a JSON string is a YAML double-quoted scalar, every character escaped
        approval.write_text(
            approval.read_text().replace('expires: "2030-01-01T00:00:00Z"', f"expires: {quoted}"),
            encoding="utf-8",
        )
        yield root


@CLI
@given(text=TIMES)
def test_loader_reports_a_bad_expires_at_its_line(text: str) -> None:
    with minimal_with_expires(text) as root:
        try:
            spec = load_fleet(root)
        except FleetcError as error:
            messages = [str(d) for d in error.diagnostics]
            assert messages and all(m.startswith(f"{root}/approvals/train.yaml:10:") for m in messages), messages
            return
        expires = spec.approvals[0].spec.expires_at
        assert TIME_EARLIEST <= expires < TIME_LATEST


@pytest.fixture(scope="module")
def extreme_fleet() -> Iterator[Path]:
    """The example fleet with its windows moved to the zones farthest from UTC."""
    with tempfile.TemporaryDirectory(prefix="fleetc-times-") as tmp:
        root = Path(tmp) / "fleet"
        shutil.copytree(REPO / "fleet", root)
        for name, zone in (("eu-west-02.yaml", "Pacific/Kiritimati"), ("us-east-04.yaml", "Etc/GMT+12")):
            region = root / "regions" / name
            text = region.read_text()
            for original in ("Europe/Dublin", "America/New_York"):
                text = text.replace(f"timezone: {original}", f"timezone: {zone}")
            region.write_text(text)
        yield root


def run(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "120"})
    return result.exit_code, result.stderr, result.exception


@CLI
@given(text=TIMES)
def test_plan_now_is_exit_0_or_2_never_a_traceback(extreme_fleet: Path, text: str) -> None:
    code, err, exception = run("plan", "--fleet", str(extreme_fleet), "--live", LIVE, "--now", text, "--format", "json")
    assert exception is None or isinstance(exception, SystemExit), repr(exception)
    assert code in (0, 2), err
    if code == 2:
        assert err.startswith("--now: "), err


@CLI
@given(instant=ACCEPTED)
def test_plan_at_any_accepted_instant_plans(extreme_fleet: Path, instant: datetime) -> None:
    code, err, exception = run("plan", "--fleet", str(extreme_fleet), "--live", LIVE, "--now", instant.isoformat())
    assert (code, exception) == (0, None), err


@CLI
@given(text=TIMES)
def test_approve_expires_is_exit_0_or_2_and_writes_only_what_loads(text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="fleetc-times-") as tmp:
        fleet = Path(tmp) / "fleet"
        shutil.copytree(REPO / "fleet", fleet)
        args = ["approve", "eu-west-02/alpha-research", "--kubernetes", "1.31.2", "--by", "ops@lab-alpha.example"]
        code, err, exception = run(*args, "--expires", text, "--fleet", str(fleet))
        assert exception is None or isinstance(exception, SystemExit), repr(exception)
        written = fleet / "approvals" / "alpha-research-1-31-2.yaml"
        assert code in (0, 2), err
        if code == 0:
            expires = next(a for a in load_fleet(fleet).approvals if a.name == written.stem).spec.expires_at
            assert datetime.now(UTC) < expires < TIME_LATEST
        else:
            assert not written.exists()
            assert "--expires" in err
