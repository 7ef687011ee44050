"""The fleetc-cluster ConfigMap read back (docs/spec.md 6.4): from a snapshot, from the API, malformed parts unknown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fleetc.live.parse import index_management
from fleetc.live.records import applied_record, rolled_out_from_json, rolled_out_to_json

from .objects import PREFIX, apiserver, etcd, kube_list, node, pod

ROLLED = {"kubernetes": "1.31.2", "etcd": "3.5.16", "nodeImage": "img-3", "addons": {"cilium": "1.16.3"},
          "addonValues": {"cilium": "ab12"}, "controlPlane": "cafe", "at": "2026-11-24T01:00:00Z"}  # fmt: skip


def configmap(cluster: str, data: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "fleetc-cluster", "namespace": f"cp-{cluster}"},
        "data": data,
    }


def good_data() -> dict[str, str]:
    return {
        "addons": json.dumps({"cilium": "1.16.3", "gpu-operator": "v24.9.0"}),
        "addonValues": json.dumps({"cilium": "ab12", "gpu-operator": "cd34"}),
        "controlPlane": "cafe",
        "rolledOut": json.dumps(ROLLED),
        "tenant": "t",  # further keys are read by nobody
    }


def test_a_record_reads_every_part_by_name() -> None:
    record = applied_record(index_management([configmap("a", good_data())]), "a")
    assert record.unknown == {}
    assert record.addons == {"cilium": "1.16.3", "gpu-operator": "v24.9.0"}
    assert record.addon_values == {"cilium": "ab12", "gpu-operator": "cd34"}
    assert record.control_plane == "cafe"
    assert record.rolled_out is not None and record.rolled_out.at == datetime(2026, 11, 24, 1, tzinfo=UTC)
    assert rolled_out_to_json(record.rolled_out) == ROLLED  # what the compiler writes reads back the same


def test_no_configmap_is_an_absent_record_and_another_clusters_is_not_this_ones() -> None:
    record = applied_record(index_management([configmap("b", good_data())]), "a")
    assert (record.addons, record.rolled_out, record.control_plane, dict(record.unknown)) == (None, None, None, {})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("addons", "{not json"),
        ("addons", json.dumps(["cilium"])),
        ("addons", json.dumps({"cilium": 1})),
        ("addonValues", json.dumps({"cilium": None})),
        ("rolledOut", json.dumps({"kubernetes": "1.31.2"})),  # no at
        ("rolledOut", json.dumps({**ROLLED, "at": "yesterday"})),
        ("rolledOut", json.dumps({**ROLLED, "at": "2026-11-24T01:00:00"})),  # no zone
        ("rolledOut", json.dumps({**ROLLED, "addons": {"cilium": 3}})),
        ("rolledOut", "[" * 100_000),  # deep nesting: never a RecursionError
        ("controlPlane", ""),
    ],
)
def test_a_malformed_part_is_unknown_with_a_reason_and_the_other_parts_still_read(key: str, value: str) -> None:
    data = {**good_data(), key: value}
    record = applied_record(index_management([configmap("a", data)]), "a")
    assert set(record.unknown) == {key}
    assert "cp-a/ConfigMap fleetc-cluster" in record.unknown[key]
    others = {"addons": record.addons, "addonValues": record.addon_values, "rolledOut": record.rolled_out}
    assert all(value is not None for name, value in others.items() if name != key)


def test_data_that_is_not_an_object_makes_every_part_unknown() -> None:
    record = applied_record(index_management([configmap("a", ["x"])]), "a")
    assert set(record.unknown) == {"addons", "addonValues", "controlPlane", "rolledOut"}


def test_rolled_out_json_round_trips_and_rejects_what_is_not_one() -> None:
    parsed = rolled_out_from_json(ROLLED)
    assert not isinstance(parsed, str) and rolled_out_to_json(parsed) == ROLLED
    assert isinstance(rolled_out_from_json("x"), str)
    assert isinstance(rolled_out_from_json({**ROLLED, "nodeImage": 3}), str)


def test_a_snapshot_management_list_carries_the_record(tmp_path: Path) -> None:
    """Exported with ``kubectl get configmaps -A -l app.kubernetes.io/managed-by=fleetc`` into the same List."""
    from fleetc.live.snapshot import read_snapshot

    region = tmp_path / "r"
    region.mkdir()
    items = [apiserver("a"), etcd("a"), configmap("a", good_data())]
    (region / "management.json").write_text(json.dumps(kube_list(items)))
    customer = kube_list([node("n0"), pod("kube-system", "c", "n0", owner="DaemonSet")])
    (region / "a.json").write_text(json.dumps(customer))
    cluster = read_snapshot(tmp_path, "r", ("a",), PREFIX).cluster("a")
    assert cluster.known, cluster.problems
    assert cluster.record is not None and cluster.record.addons == {"cilium": "1.16.3", "gpu-operator": "v24.9.0"}


def test_the_api_reader_gets_the_record_over_http() -> None:
    from fleetc.live.assemble import assemble_region
    from fleetc.live.kubeapi import KubeOptions, fetch_region_lists

    from .fake_api import FakeApi, serve

    with serve(FakeApi()) as api:
        api.add_control_plane("a", apiserver("a"), etcd("a"))
        api.add_cluster("a", [node("n0")], [pod("kube-system", "cilium-n0", "n0", owner="DaemonSet")])
        api.management["/mgmt/api/v1/namespaces/cp-a/configmaps/fleetc-cluster"] = configmap("a", good_data())
        api.add_control_plane("b", apiserver("b"), etcd("b"))
        api.add_cluster("b", [node("m0")], [pod("kube-system", "cilium-m0", "m0", owner="DaemonSet")])
        options = KubeOptions(timeout=1.0, attempts=2, backoff=0.01, max_backoff=0.02)
        management, lists = fetch_region_lists(api.management_kubeconfig(), "r", ("a", "b"), options=options)
    region = assemble_region("r", ("a", "b"), management, lists, PREFIX)  # type: ignore[arg-type]
    a, b = region.cluster("a"), region.cluster("b")
    assert a.known and b.known, (a.problems, b.problems)
    assert a.record is not None and a.record.control_plane == "cafe" and a.record.rolled_out is not None
    assert b.record is not None and b.record.addons is None and not b.record.unknown  # 404: absent, not unknown
