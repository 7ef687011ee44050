"""The Kubernetes API reader over real HTTP (tests/live/fake_api.py on 127.0.0.1).

Each failure test says in its name whether the reader RECOVERS (the fault is
transient and within the attempt budget: the facts are the same as without
it) or FAILS CLOSED (the cluster or region becomes unknown, with the reason,
and nothing is guessed).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetc.errors import FleetcError
from fleetc.live.assemble import assemble_region
from fleetc.live.export import export_snapshot
from fleetc.live.facts import RegionLive
from fleetc.live.kubeapi import KubeOptions, fetch_region_lists, read_kube
from fleetc.live.kubehttp import KubeHttp, RetryPolicy, _retry_after
from fleetc.live.read import read_live
from fleetc.live.snapshot import read_snapshot
from fleetc.live.wire import new_list

from .fake_api import FakeApi, Fault, serve
from .objects import PREFIX, apiserver, etcd, kube_list, node, pod

REGION = "us-east-04"
CLUSTERS = ("alpha", "fresh")
FAST = KubeOptions(timeout=0.4, attempts=3, backoff=0.01, max_backoff=0.05, limit=2)

NODES = [node(f"n{i}", pool="h100" if i < 4 else "cpu") for i in range(5)]
PODS = [
    pod("team", "train-0", "n0"),
    pod("team", "train-1", "n1", annotations={f"{PREFIX}/do-not-disrupt": "true"}),
    pod("kube-system", "cilium-a", "n2", owner="DaemonSet"),
    pod("team", "done", "n3", phase="Succeeded"),
    pod("team", "failed", "n3", phase="Failed"),
    pod("team", "serve", "n4", owner="ReplicaSet"),
    pod("team", "queued", None, phase="Pending"),
]


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with serve(FakeApi()) as fake:
        fake.add_control_plane("alpha", apiserver("alpha"), etcd("alpha"))
        fake.add_cluster("alpha", NODES, PODS)
        yield fake


def read(api: FakeApi, options: KubeOptions = FAST, clusters: tuple[str, ...] = CLUSTERS) -> RegionLive:
    management, lists = fetch_region_lists(api.management_kubeconfig(), REGION, clusters, options=options)
    return assemble_region(REGION, clusters, management, lists, PREFIX)


def expected() -> RegionLive:
    """The same cluster read from kubectl-format lists without any HTTP: the reference answer."""
    management = kube_list([apiserver("alpha"), etcd("alpha")])
    return assemble_region(REGION, CLUSTERS, management, {"alpha": kube_list(NODES + PODS)}, PREFIX)


def assert_unknown(region: RegionLive, cluster: str, *reasons: str) -> None:
    facts = region.cluster(cluster)
    assert not facts.known and facts.nodes is None, facts
    text = "\n".join(facts.problems)
    for reason in reasons:
        assert reason in text, text


# --- the normal case ---------------------------------------------------------


def test_reads_paginated_lists_into_the_same_facts_as_a_snapshot(api: FakeApi) -> None:
    region = read(api)
    assert region == expected()
    alpha = region.cluster("alpha")
    assert alpha.known and alpha.nodes is not None
    assert {n.name: n.busy for n in alpha.nodes} == {"n0": True, "n1": True, "n2": False, "n3": False, "n4": True}
    node_pages, pod_pages = api.paths("/clusters/alpha/api/v1/nodes"), api.paths("/clusters/alpha/api/v1/pods")
    assert len(node_pages) == 3 and all(q["limit"] == "2" for q in node_pages)  # 5 nodes, 2 per page
    assert "continue" not in node_pages[0] and all("continue" in q for q in node_pages[1:])
    assert all(q["fieldSelector"] == "status.phase!=Succeeded,status.phase!=Failed" for q in pod_pages)
    assert len(pod_pages) == 3  # the server dropped the 2 finished pods: 5 pods, 3 pages


def test_absent_control_plane_is_a_new_cluster_and_is_not_read_further(api: FakeApi) -> None:
    fresh = read(api).cluster("fresh")
    assert (fresh.exists, fresh.control_plane, fresh.nodes, fresh.problems) == (False, None, (), ())
    assert len(api.paths("/namespaces/cp-fresh/deployments/kube-apiserver")) == 1  # answered 404
    assert api.paths("/secrets/fresh-kubeconfig") == [] and api.paths("/clusters/fresh/api/v1/nodes") == []


def test_inline_kubeconfig_text_and_public_read_kube(api: FakeApi) -> None:
    region = read_kube(
        api.management_kubeconfig(), REGION, CLUSTERS, PREFIX, timeout=1, attempts=2, backoff=0.01, limit=3
    )
    assert region == expected()


def test_read_live_kube_with_a_kubeconfig_file(api: FakeApi, tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(api.management_kubeconfig())
    live = read_live("kube", {REGION: list(CLUSTERS)}, PREFIX, kubeconfig=str(config), options=FAST)
    assert live.region(REGION) == expected()


def test_works_from_inside_a_running_event_loop(api: FakeApi) -> None:
    """Pulumi runs programs inside an event loop: the sync entry point must still work there."""

    async def program() -> RegionLive:
        return read(api)

    assert asyncio.run(program()) == expected()


def test_export_writes_a_snapshot_that_reads_back_identically(api: FakeApi, tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []
    report = export_snapshot(
        api.management_kubeconfig(),
        {REGION: list(CLUSTERS)},
        PREFIX,
        tmp_path,
        options=FAST,
        progress=lambda region, cluster, outcome: seen.append((region, cluster)),
    )
    assert report.ok and sorted(seen) == [(REGION, "alpha"), (REGION, "fresh")]
    assert sorted(p.name for p in (tmp_path / REGION).iterdir()) == ["alpha.json", "management.json"]
    assert json.loads((tmp_path / REGION / "alpha.json").read_text())["kind"] == "List"
    assert read_snapshot(tmp_path, REGION, CLUSTERS, PREFIX) == expected()


def test_export_after_a_failure_leaves_no_stale_file(api: FakeApi, tmp_path: Path) -> None:
    """FAILS CLOSED: a cluster unreadable at export time is absent from the snapshot, so it reads as unknown."""
    export_snapshot(api.management_kubeconfig(), {REGION: list(CLUSTERS)}, PREFIX, tmp_path, options=FAST)
    api.faults.append(Fault("/clusters/alpha/api/v1/nodes", "status", times=99, status=500))
    report = export_snapshot(api.management_kubeconfig(), {REGION: list(CLUSTERS)}, PREFIX, tmp_path, options=FAST)
    assert not report.ok and "alpha.json not written" in report.problems[0]
    assert not (tmp_path / REGION / "alpha.json").exists()
    assert_unknown(read_snapshot(tmp_path, REGION, CLUSTERS, PREFIX), "alpha", "alpha.json not found")


# --- failures: recovers -------------------------------------------------------


def test_429_with_retry_after_recovers(api: FakeApi) -> None:
    api.faults.append(Fault("/clusters/alpha/api/v1/pods", "status", status=429, retry_after="1"))
    assert read(api) == expected()
    assert len(api.paths("/clusters/alpha/api/v1/pods")) == 3 + 1


def test_retry_after_is_respected_and_full_jitter_stays_under_the_ceiling() -> None:
    """The waits themselves (deterministic: seeded jitter), so no timing is measured in tests."""
    policy = RetryPolicy(attempts=5, backoff=1.0, max_backoff=3.0, max_retry_after=20.0)
    http = KubeHttp(client=None, name="x", policy=policy, rng=random.Random(7))  # type: ignore[arg-type]
    waits = [http._delay(attempt, None) for attempt in range(1, 200)]
    assert all(0 <= w <= 3.0 for w in waits) and len(set(waits)) > 100  # jittered, capped
    assert http._delay(1, 7.0) == 7.0  # the server asked for 7 s: never sooner
    assert http._delay(1, 500.0) == 20.0  # ... but bounded
    assert _retry_after("3") == 3.0 and _retry_after("soon") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: now


def test_500s_within_the_attempt_budget_recover(api: FakeApi) -> None:
    api.faults.append(Fault("/clusters/alpha/api/v1/nodes", "status", times=2, status=500))
    api.faults.append(Fault("/namespaces/cp-alpha/statefulsets/etcd", "status", times=2, status=503))
    assert read(api) == expected()


def test_slow_answer_past_the_client_timeout_recovers_on_retry(api: FakeApi) -> None:
    api.faults.append(Fault("/clusters/alpha/api/v1/pods", "sleep", seconds=1.0))
    assert read(api) == expected()


def test_connection_cut_mid_body_recovers_on_retry(api: FakeApi) -> None:
    api.faults.append(Fault("/clusters/alpha/api/v1/nodes", "cut", only_continue=True))
    assert read(api) == expected()


def test_invalid_json_body_recovers_on_retry(api: FakeApi) -> None:
    api.faults.append(Fault("/clusters/alpha/api/v1/pods", "garbage"))
    assert read(api) == expected()


def test_expired_continue_token_restarts_the_list_and_recovers(api: FakeApi) -> None:
    api.faults.append(Fault("/clusters/alpha/api/v1/pods", "expire", only_continue=True))
    assert read(api) == expected()
    pages = api.paths("/clusters/alpha/api/v1/pods")
    assert len(pages) == 3 + 2 and "continue" not in pages[2]  # page 1, expired page 2, then from the start


# --- failures: fails closed ---------------------------------------------------


def test_500s_beyond_the_attempt_budget_fail_closed(api: FakeApi) -> None:
    api.faults.append(Fault("/clusters/alpha/api/v1/pods", "status", times=99, status=500))
    region = read(api)
    assert_unknown(region, "alpha", "gave up after 3 attempts", "HTTP 500 (injected)")
    assert len(api.paths("/clusters/alpha/api/v1/pods")) == 3  # bounded: exactly the budget
    assert region.cluster("alpha").control_plane is not None  # what was read is kept; nodes unknown


def test_persistent_timeouts_fail_closed(api: FakeApi) -> None:
    api.faults.append(Fault("/clusters/alpha/api/v1/nodes", "sleep", times=2, seconds=0.6))
    region = read(api, KubeOptions(timeout=0.2, attempts=2, backoff=0.01, limit=2))
    assert_unknown(region, "alpha", "no complete answer within 0.2 s")


def test_persistently_cut_body_fails_closed(api: FakeApi) -> None:
    api.faults.append(Fault("/clusters/alpha/api/v1/nodes", "cut", times=3))
    assert_unknown(read(api), "alpha", "gave up after 3 attempts")


def test_persistently_invalid_json_fails_closed(api: FakeApi) -> None:
    api.faults.append(Fault("/clusters/alpha/api/v1/pods", "garbage", times=3))
    assert_unknown(read(api), "alpha", "not valid JSON")


def test_management_cluster_failure_fails_the_whole_region_closed(api: FakeApi) -> None:
    """A List missing one cluster's control plane would read as 'new cluster': the whole region is unknown."""
    api.faults.append(Fault("/namespaces/cp-fresh/deployments/kube-apiserver", "status", times=99, status=502))
    region = read(api)
    assert region.problems and "HTTP 502" in region.problems[0]
    for name in CLUSTERS:
        assert_unknown(region, name, "HTTP 502")


def test_wrong_token_fails_closed_without_retrying(api: FakeApi) -> None:
    management, lists = fetch_region_lists(api.management_kubeconfig("wrong"), REGION, CLUSTERS, options=FAST)
    region = assemble_region(REGION, CLUSTERS, management, lists, PREFIX)
    assert "HTTP 401" in region.problems[0] and "credentials" in region.problems[0]
    paths = [path for path, _ in api.requests]
    assert len(paths) == len(set(paths)) <= len(CLUSTERS)  # 401 is not transient: no path asked twice


def test_wrong_customer_token_fails_that_cluster_closed(api: FakeApi) -> None:
    api.add_cluster("alpha", NODES, PODS, token="stale")
    assert_unknown(read(api), "alpha", "cluster alpha", "HTTP 401")


def test_missing_kubeconfig_secret_fails_the_cluster_closed(api: FakeApi) -> None:
    del api.management["/mgmt/api/v1/namespaces/cp-alpha/secrets/alpha-kubeconfig"]
    assert_unknown(read(api), "alpha", "Secret cp-alpha/alpha-kubeconfig not found")


def test_garbled_kubeconfig_secret_fails_the_cluster_closed(api: FakeApi) -> None:
    api.management["/mgmt/api/v1/namespaces/cp-alpha/secrets/alpha-kubeconfig"]["data"]["value"] = "%%%"
    assert_unknown(read(api), "alpha", "not base64")


def test_unreachable_server_fails_closed(api: FakeApi) -> None:
    kubeconfig = api.management_kubeconfig().replace(api.url, "http://127.0.0.1:9")  # discard port: refused
    management, lists = fetch_region_lists(kubeconfig, REGION, CLUSTERS, options=FAST)
    region = assemble_region(REGION, CLUSTERS, management, lists, PREFIX)
    assert "ConnectError" in region.problems[0] and lists == {}


def test_unusable_kubeconfig_raises_fleetc_error(tmp_path: Path) -> None:
    with pytest.raises(FleetcError, match="no context named 'us-east-04'"):
        read_live(
            "kube",
            {REGION: ["a"], "eu-west-01": ["b"]},
            PREFIX,
            kubeconfig=json.dumps({"clusters": [], "contexts": []}) + "\n",
        )


def test_new_list_is_what_kubectl_prints() -> None:
    assert new_list([]) == {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": []}
