"""``fleetc live export`` against the example fleet and the fake API over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.live.snapshot import read_snapshot
from fleetc.spec.loader import load_fleet

from .fake_api import FakeApi, Fault, serve
from .objects import apiserver, etcd, kubeconfig_with, node, pod
from .plugins import V1, write_plugin

FLEET = Path(__file__).resolve().parents[2] / "fleet"
REGION = "us-east-04"


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[tuple[FakeApi, Path, list[str]]]:
    """The example fleet's region: its first cluster exists live, the others are new."""
    spec = load_fleet(FLEET)
    clusters = [cluster.name for cluster in spec.regions[REGION].spec.clusters]
    with serve(FakeApi()) as api:
        first = clusters[0]
        api.add_control_plane(first, apiserver(first), etcd(first))
        api.add_cluster(first, [node("n1"), node("n2")], [pod("t", "job", "n1")])
        config = tmp_path / "kubeconfig"
        config.write_text(api.management_kubeconfig())
        yield api, config, clusters


def export(config: Path, out: Path, *extra: str) -> tuple[int, str]:
    args = ["live", "export", "--kubeconfig", str(config), "--out", str(out), "--fleet", str(FLEET), *extra]
    result = CliRunner().invoke(app, [*args, "--timeout", "2", "--attempts", "2"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_export_writes_the_region_and_exits_0(scene: tuple[FakeApi, Path, list[str]], tmp_path: Path) -> None:
    _, config, clusters = scene
    code, output = export(config, tmp_path / "snap", "--region", REGION)
    assert code == 0, output
    assert f"{REGION}/management.json (2 objects" in output and f"{clusters[0]}.json (3 objects" in output
    region = read_snapshot(tmp_path / "snap", REGION, clusters, "fleet.gpu-cloud.io")
    assert region.cluster(clusters[0]).known
    assert all(not region.cluster(name).exists and region.cluster(name).nodes == () for name in clusters[1:])


def test_export_with_an_unreadable_cluster_exits_2_and_says_why(
    scene: tuple[FakeApi, Path, list[str]], tmp_path: Path
) -> None:
    api, config, clusters = scene
    api.faults.append(Fault(f"/clusters/{clusters[0]}/api/v1/pods", "status", times=9, status=503))
    code, output = export(config, tmp_path / "snap", "--region", REGION)
    assert code == 2 and "HTTP 503" in output and "1 reads failed" in output


def test_unknown_region_and_missing_kubeconfig_exit_2_without_traceback(
    scene: tuple[FakeApi, Path, list[str]], tmp_path: Path
) -> None:
    _, config, _ = scene
    code, output = export(config, tmp_path / "snap", "--region", "mars-01")
    assert code == 2 and "no such region" in output and "Traceback" not in output
    code, output = export(tmp_path / "absent", tmp_path / "snap", "--region", REGION)
    assert code == 2 and "cannot read kubeconfig" in output and "Traceback" not in output


def test_a_kubeconfig_secret_with_an_exec_plugin_is_reported_and_not_run(
    scene: tuple[FakeApi, Path, list[str]], tmp_path: Path
) -> None:
    api, config, clusters = scene
    marker = tmp_path / "ran"
    plugin = write_plugin(tmp_path / "plugin.sh", marker=marker)
    user = {"exec": {"apiVersion": V1, "command": str(plugin)}}
    api.put_cluster_kubeconfig(clusters[0], kubeconfig_with(f"{api.url}/clusters/{clusters[0]}", user))
    code, output = export(config, tmp_path / "snap", "--region", REGION)
    assert not marker.exists()
    assert code == 2 and "exec is refused in a kubeconfig read from a cluster" in output, output
    assert f"Secret cp-{clusters[0]}/{clusters[0]}-kubeconfig" in output
    assert not (tmp_path / "snap" / REGION / f"{clusters[0]}.json").exists()


def test_a_broken_kubeconfig_file_exits_2_with_its_line_and_column(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: 42\n"
        "clusters: [{name: c, cluster: {server: 'https://k.example'}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
    )
    code, output = export(config, tmp_path / "snap", "--region", REGION)
    assert code == 2 and "Traceback" not in output
    squashed = "".join(output.split())  # the console may wrap long lines anywhere there is a space
    assert "".join(f"{config}:5:5: user 'u': token must be a string".split()) in squashed, output
