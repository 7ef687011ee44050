"""Snapshot directory -> RegionLive: what is known, what is new, and what is unknown (with why)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleetc.errors import EXIT_INVALID, FleetcError
from fleetc.live.facts import RegionLive
from fleetc.live.read import read_live
from fleetc.live.snapshot import read_snapshot
from fleetc.versions import Version

from .objects import PREFIX, apiserver, etcd, kube_list, node, pod

REGION = "us-east-04"


def write(directory: Path, name: str, content: object) -> Path:
    path = directory / REGION / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return path


def healthy(directory: Path) -> None:
    write(directory, "management.json", kube_list([apiserver("alpha"), etcd("alpha")]))
    write(directory, "alpha.json", kube_list([node("n1"), node("n2"), pod("t", "job", "n1")]))


def read(directory: Path, clusters: tuple[str, ...] = ("alpha", "fresh")) -> RegionLive:
    return read_snapshot(directory, REGION, clusters, PREFIX)


def assert_all_unknown(region: RegionLive, clusters: tuple[str, ...], reason: str) -> None:
    assert region.problems and reason in region.problems[0], region.problems
    for name in clusters:
        cluster = region.cluster(name)
        assert not cluster.known and cluster.control_plane is None and cluster.nodes is None
        assert reason in cluster.problems[0]


def test_existing_and_new_clusters(tmp_path: Path) -> None:
    healthy(tmp_path)
    region = read(tmp_path)
    alpha = region.cluster("alpha")
    assert alpha.cluster == f"{REGION}/alpha" and alpha.exists and alpha.known
    assert alpha.control_plane is not None and alpha.control_plane.apiserver_version == Version(1, 30, 6)
    assert alpha.nodes is not None and [(n.name, n.busy) for n in alpha.nodes] == [("n1", True), ("n2", False)]
    fresh = region.cluster("fresh")  # no control plane, no file: a cluster to create
    assert (fresh.exists, fresh.control_plane, fresh.nodes, fresh.problems) == (False, None, (), ())
    assert fresh.known is False  # control_plane None: the planner sees it via exists=False
    assert region.problems == ()


def test_missing_management_file_makes_every_cluster_unknown(tmp_path: Path) -> None:
    write(tmp_path, "alpha.json", kube_list([node("n1")]))
    region = read(tmp_path)
    assert_all_unknown(region, ("alpha", "fresh"), "management.json not found")
    assert "fleetc live export" in region.problems[0]


def test_broken_json_management_makes_every_cluster_unknown(tmp_path: Path) -> None:
    write(tmp_path, "management.json", b'{"kind": "List", "items": [')
    assert_all_unknown(read(tmp_path), ("alpha", "fresh"), "not valid JSON")


def test_management_that_is_not_a_list_makes_every_cluster_unknown(tmp_path: Path) -> None:
    write(tmp_path, "management.json", apiserver("alpha"))  # `kubectl get deploy x -o json`: one object
    assert_all_unknown(read(tmp_path), ("alpha",), "is not a kubectl List (kind is 'Deployment')")
    write(tmp_path, "management.json", [apiserver("alpha")])
    assert_all_unknown(read(tmp_path), ("alpha",), "the top level is an array")
    write(tmp_path, "management.json", {"kind": "List", "items": {"a": 1}})
    assert_all_unknown(read(tmp_path), ("alpha",), "items is an object")


def test_malformed_item_in_management_makes_the_region_unknown(tmp_path: Path) -> None:
    write(tmp_path, "management.json", kube_list([apiserver("alpha"), etcd("alpha"), "garbage"]))
    assert_all_unknown(read(tmp_path), ("alpha", "fresh"), "item 2 is not an object")


def test_management_file_unreadable(tmp_path: Path) -> None:
    (tmp_path / REGION / "management.json").mkdir(parents=True)
    assert_all_unknown(read(tmp_path), ("alpha",), "cannot read")


def test_missing_cluster_file_with_control_plane_is_unknown_nodes(tmp_path: Path) -> None:
    healthy(tmp_path)
    (tmp_path / REGION / "alpha.json").unlink()
    alpha = read(tmp_path).cluster("alpha")
    assert alpha.exists and alpha.control_plane is not None and alpha.nodes is None and not alpha.known
    assert "alpha.json not found although the control plane exists" in alpha.problems[-1]


def test_broken_cluster_file_is_unknown_nodes_other_clusters_unaffected(tmp_path: Path) -> None:
    write(tmp_path, "management.json", kube_list([apiserver("alpha"), etcd("alpha"), apiserver("beta"), etcd("beta")]))
    write(tmp_path, "alpha.json", b'{"kind": "List", "items": [{"kind": "Node", "metadata": {"name": "n1"')
    write(tmp_path, "beta.json", kube_list([node("b1"), pod("kube-system", "cilium-b1", "b1", owner="DaemonSet")]))
    region = read(tmp_path, ("alpha", "beta"))
    assert region.cluster("alpha").nodes is None and "not valid JSON" in region.cluster("alpha").problems[-1]
    assert region.cluster("beta").known


def test_malformed_item_in_cluster_file_is_unknown_nodes(tmp_path: Path) -> None:
    healthy(tmp_path)
    write(tmp_path, "alpha.json", kube_list([node("n1"), {"kind": "Pod", "metadata": {"namespace": "t"}}]))
    alpha = read(tmp_path).cluster("alpha")
    assert alpha.nodes is None and "has no metadata.name" in alpha.problems[-1]


def test_nodes_without_a_control_plane_are_unknown_not_new(tmp_path: Path) -> None:
    healthy(tmp_path)
    write(tmp_path, "fresh.json", kube_list([node("x1"), pod("kube-system", "cilium-x1", "x1", owner="DaemonSet")]))
    fresh = read(tmp_path).cluster("fresh")
    assert fresh.nodes is None and "no control plane in cp-fresh" in fresh.problems[0]


def test_empty_cluster_file_without_control_plane_is_new(tmp_path: Path) -> None:
    healthy(tmp_path)
    write(tmp_path, "fresh.json", kube_list([]))
    fresh = read(tmp_path).cluster("fresh")
    assert (fresh.exists, fresh.nodes, fresh.problems) == (False, (), ())


def test_control_plane_problems_make_the_cluster_unknown(tmp_path: Path) -> None:
    healthy(tmp_path)
    write(tmp_path, "management.json", kube_list([apiserver("alpha", image="kube-apiserver:latest"), etcd("alpha")]))
    alpha = read(tmp_path).cluster("alpha")
    assert not alpha.known and alpha.problems[0].startswith("control plane: cp-alpha/kube-apiserver")


def test_read_live_rejects_a_missing_snapshot_directory(tmp_path: Path) -> None:
    with pytest.raises(FleetcError) as caught:
        read_live(str(tmp_path / "nope"), {REGION: ["alpha"]}, PREFIX)
    assert caught.value.exit_code == EXIT_INVALID
    assert "does not exist" in str(caught.value) and "--live kube" in str(caught.value)


def test_read_live_kube_without_any_kubeconfig_is_unusable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(FleetcError) as caught:
        read_live("kube", {REGION: ["alpha"]}, PREFIX)
    assert "--kubeconfig" in str(caught.value)


def test_read_live_kube_with_unreadable_or_invalid_kubeconfig_is_unusable(tmp_path: Path) -> None:
    with pytest.raises(FleetcError, match="cannot read kubeconfig"):
        read_live("kube", {REGION: ["alpha"]}, PREFIX, kubeconfig=str(tmp_path / "absent.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("clusters: [\n")
    with pytest.raises(FleetcError, match="not a usable kubeconfig"):
        read_live("kube", {REGION: ["alpha"]}, PREFIX, kubeconfig=str(bad))


def test_read_live_from_a_snapshot(tmp_path: Path) -> None:
    healthy(tmp_path)
    live = read_live(str(tmp_path), {REGION: ["alpha", "fresh"]}, PREFIX)
    assert live.region(REGION).cluster("alpha").known
    assert live.region("elsewhere").problems  # never read: unknown
