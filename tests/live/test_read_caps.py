"""Nothing a server sends makes a read unbounded (over real HTTP, with caps shrunk so each test takes a second or two).

Each test is a server that would hang or exhaust a reader without caps: an
endless stream of fresh continue tokens, a body far larger than the cap,
bytes dripped slowly. The cluster (or, for the management cluster, the
region) must come out unknown, with a reason that names the cap and how to
raise it, and the reader must have stopped early: the server counts what it
managed to send before the client closed the connection.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleetc.live.assemble import assemble_region
from fleetc.live.facts import RegionLive
from fleetc.live.kubeapi import KubeOptions, fetch_region_lists
from fleetc.live.kubehttp import MiB, ReadCaps

from .fake_api import FakeApi, Fault, serve
from .objects import PREFIX, apiserver, etcd, node, pod

REGION = "us-east-04"
CLUSTERS = ("alpha",)
NODES = [node(f"n{i}") for i in range(6)]
SMALL = KubeOptions(
    timeout=2.0,
    attempts=2,
    backoff=0.01,
    max_backoff=0.02,
    limit=2,
    max_list_objects=20,  # 11 pages of 2
    max_response_bytes=1 * MiB,
    cluster_deadline=1.0,
    management_deadline=1.0,
)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with serve(FakeApi()) as fake:
        fake.add_control_plane("alpha", apiserver("alpha"), etcd("alpha"))
        fake.add_cluster("alpha", NODES, [pod("team", "job", "n0")])
        yield fake


def read(api: FakeApi, options: KubeOptions = SMALL) -> RegionLive:
    management, lists = fetch_region_lists(api.management_kubeconfig(), REGION, CLUSTERS, options=options)
    return assemble_region(REGION, CLUSTERS, management, lists, PREFIX)


def unknown_because(region: RegionLive, *reasons: str) -> str:
    alpha = region.cluster("alpha")
    assert not alpha.known and alpha.nodes is None, alpha
    text = "\n".join(alpha.problems)
    for reason in reasons:
        assert reason in text, text
    return text


def test_the_small_caps_read_a_healthy_cluster(api: FakeApi) -> None:
    """The caps below are tight, not broken: without a fault the same read succeeds."""
    assert read(api).cluster("alpha").known


def test_default_caps_allow_500000_objects_per_list_at_the_default_limit() -> None:
    options = KubeOptions()
    assert options.caps.max_pages(options.limit) == 1_001 and options.max_list_objects == 500_000
    assert options.max_response_bytes == 100 * MiB and options.cluster_deadline == 300.0
    assert ReadCaps(max_list_objects=10).max_pages(3) == 5  # ceil(10 / 3) pages, and a last one


def test_endless_fresh_continue_tokens_stop_at_the_page_cap(api: FakeApi) -> None:
    api.faults.append(Fault("/clusters/alpha/api/v1/nodes", "endless", times=10_000, items=0))
    text = unknown_because(read(api), "still more after 11 pages of 2", "KubeOptions.max_list_objects")
    assert "raise it if this cluster really needs more" in text
    assert len(api.paths("/clusters/alpha/api/v1/nodes")) == 11  # bounded: exactly the cap, then stop


def test_pages_fuller_than_asked_stop_at_the_object_cap(api: FakeApi) -> None:
    """A server that ignores ``limit`` and keeps sending objects: memory is bounded by objects, not just pages."""
    api.faults.append(Fault("/clusters/alpha/api/v1/pods", "endless", times=10_000, items=7))
    unknown_because(read(api), "more than 20 objects; stopped reading", "KubeOptions.max_list_objects")
    assert len(api.paths("/clusters/alpha/api/v1/pods")) == 3  # 7, 14, 21 > 20


def test_a_huge_body_is_not_read_past_the_cap(api: FakeApi) -> None:
    huge = Fault("/clusters/alpha/api/v1/nodes", "huge", size=64 * MiB)
    api.faults.append(huge)
    unknown_because(read(api), "went past 1,048,576 bytes", "KubeOptions.max_response_bytes", "lower KubeOptions.limit")
    assert huge.finished.wait(10), "the server is still sending: the client never closed the connection"
    # The client stopped at the cap: the server got out the cap plus what socket buffers held, not 64 MiB.
    assert huge.sent < 16 * MiB, huge.sent
    assert len(api.paths("/clusters/alpha/api/v1/nodes")) == 1  # past the cap is final: not retried


def test_an_announced_huge_body_is_refused_before_it_is_read(api: FakeApi) -> None:
    huge = Fault("/clusters/alpha/api/v1/nodes", "huge", size=64 * MiB, announce=True)
    api.faults.append(huge)
    unknown_because(read(api), "announces 67,108,864 bytes", "KubeOptions.max_response_bytes")
    assert huge.finished.wait(10)
    assert huge.sent < 16 * MiB, huge.sent


def test_a_huge_kubeconfig_secret_fails_the_cluster_not_the_region(api: FakeApi) -> None:
    huge = Fault("/secrets/alpha-kubeconfig", "huge", size=64 * MiB)
    api.faults.append(huge)
    region = read(api)
    assert not region.problems  # the management cluster's own reads were fine
    unknown_because(region, "secrets/alpha-kubeconfig: the response went past", "max_response_bytes")


def test_slow_dripping_pages_trip_the_cluster_deadline(api: FakeApi) -> None:
    """Each page arrives within the request timeout (0.4 s of 2 s), but the 3 node pages take longer than 1 s."""
    api.faults.append(Fault("/clusters/alpha/api/v1/nodes", "drip", times=100, seconds=0.4))
    text = unknown_because(
        read(api), "cluster alpha: the read did not finish within 1 s", "KubeOptions.cluster_deadline"
    )
    assert "none of it is used" in text
    assert len(api.paths("/clusters/alpha/api/v1/nodes")) <= 3  # cut off, not retried to the end


def test_dripping_without_the_deadline_would_have_finished(api: FakeApi) -> None:
    """The drip fault is slow, not broken: with room for it, the same read succeeds (so the deadline is what cut it)."""
    api.faults.append(Fault("/clusters/alpha/api/v1/nodes", "drip", times=100, seconds=0.05))
    roomy = KubeOptions(**{**SMALL.__dict__, "cluster_deadline": 30.0})
    assert read(api, roomy).cluster("alpha").known


def test_slow_management_cluster_trips_its_deadline_and_the_region_is_unknown(api: FakeApi) -> None:
    api.faults.append(Fault("/namespaces/cp-alpha/statefulsets/etcd", "drip", times=100, seconds=1.5))
    region = read(api)
    assert (
        region.problems and "management cluster of us-east-04: the read did not finish within 1 s" in region.problems[0]
    )
    assert "KubeOptions.management_deadline" in region.problems[0]
    assert not region.cluster("alpha").known
    assert api.paths("/clusters/alpha/api/v1/nodes") == []  # nothing read from a region whose management read failed


def test_repeated_continue_token_is_still_an_error(api: FakeApi) -> None:
    """Kept from before the caps: a server that loops on one token fails at the second sight of it."""
    api.faults.append(Fault("/clusters/alpha/api/v1/nodes", "loop", times=10_000))
    unknown_because(read(api), "the server returned a continue token it had returned before")
    assert len(api.paths("/clusters/alpha/api/v1/nodes")) == 2
