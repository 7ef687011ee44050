"""fleetc.versions: strict parsing for the spec, lenient parsing for live data, minor arithmetic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetc.versions import Version

PARTS = st.integers(min_value=0, max_value=10**6)
VERSIONS = st.builds(Version, PARTS, PARTS, PARTS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.30.6", Version(1, 30, 6)),
        ("v1.30.6", Version(1, 30, 6)),
        ("0.0.0", Version(0, 0, 0)),
        ("3.5.16", Version(3, 5, 16)),
        ("10.200.3000", Version(10, 200, 3000)),
    ],
)
def test_parse(text: str, expected: Version) -> None:
    assert Version.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    ["1.30", "latest", "", "1", "1.30.6.1", "V1.30.6", "vv1.30.6", "1.030.6", "01.30.6", "1.30.06", "1.30.x", "-1.0.0",
     "1.30.6-rc.1", "1.30.6+k3s1", "1..6", "a.b.c", "1.30.6 extra"],
)  # fmt: skip
def test_parse_rejects_anything_but_major_minor_patch(text: str) -> None:
    with pytest.raises(ValueError, match="is not a version"):
        Version.parse(text)


def test_parse_error_says_how_to_write_a_version() -> None:
    with pytest.raises(ValueError) as caught:
        Version.parse("1.30")
    assert str(caught.value) == "'1.30' is not a version: write MAJOR.MINOR.PATCH, e.g. \"1.30.6\""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v1.30.6+k3s1", Version(1, 30, 6)),
        ("v1.31.2-eks-7f9249a", Version(1, 31, 2, ("eks-7f9249a",))),  # SemVer: a pre-release, not 1.31.2
        ("v1.31.2-rc.1", Version(1, 31, 2, ("rc", 1))),
        ("1.29.10", Version(1, 29, 10)),
        ("registry.k8s.io/kube-apiserver:v1.30.6", None),
        ("v1.30", None),
        ("", None),
        (None, None),
        (1.3, None),
    ],
)
def test_try_parse_is_lenient_for_live_data(text: object, expected: Version | None) -> None:
    assert Version.try_parse(text) == expected


@given(VERSIONS)
def test_str_parse_round_trip(version: Version) -> None:
    assert Version.parse(str(version)) == version
    assert Version.parse(f"v{version}") == version
    assert Version.try_parse(f"v{version}+build.1") == version


@given(VERSIONS, VERSIONS)
def test_order_is_numeric_not_textual(a: Version, b: Version) -> None:
    assert (a < b) == ((a.major, a.minor, a.patch) < (b.major, b.minor, b.patch))


def test_order_examples() -> None:
    assert Version.parse("1.9.0") < Version.parse("1.10.0") < Version.parse("1.10.1") < Version.parse("2.0.0")


@given(st.integers(0, 100), st.integers(0, 1000), st.integers(0, 1000), PARTS, PARTS)
def test_minors_to_within_a_major(major: int, minor_a: int, minor_b: int, patch_a: int, patch_b: int) -> None:
    a, b = Version(major, minor_a, patch_a), Version(major, minor_b, patch_b)
    assert a.minors_to(b) == minor_b - minor_a == -b.minors_to(a)
    assert a.same_minor(b) == (minor_a == minor_b)


@given(VERSIONS, VERSIONS)
def test_minors_to_across_majors_reads_as_a_skip(a: Version, b: Version) -> None:
    """Across a major boundary the distance is undefined; it must never look like a one-minor step."""
    if a.major < b.major:
        assert a.minors_to(b) > 1 and b.minors_to(a) < -1
    elif a.major == b.major:
        assert a.minors_to(b) == b.minor - a.minor


def test_minors_to_examples() -> None:
    assert Version(1, 30, 6).minors_to(Version(1, 31, 0)) == 1
    assert Version(1, 30, 6).minors_to(Version(1, 32, 0)) == 2
    assert Version(1, 31, 2).minors_to(Version(1, 29, 10)) == -2
    assert Version(1, 30, 6).minors_to(Version(1, 30, 0)) == 0
    assert Version(1, 30, 6).minors_to(Version(2, 0, 0)) == 1000
