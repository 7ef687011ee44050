"""fleetc render: the graph as files that parse as Kubernetes objects, keep-live, stale files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from compile.plans import ROOT, behind, example_spec, make_plan
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.compile import compile_region
from fleetc.compile.graph import DesiredGraph, Kind
from fleetc.compile.objects import kube_object
from fleetc.live.read import read_live
from fleetc.plan.model import Action, Step
from fleetc.plan.planner import plan
from fleetc.render import render_graph, write_region
from fleetc.render.write import HEADER

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
REGIONS = ["us-east-04", "eu-west-02"]


@pytest.fixture(scope="module")
def graphs() -> dict[str, DesiredGraph]:
    """The example fleet against the example snapshot, as `fleetc render` compiles it."""
    spec = example_spec()
    live = read_live(str(ROOT / "examples" / "live"), spec.region_clusters(), spec.label_prefix)
    result = plan(spec, live, spec.approvals, NOW)
    return {region: compile_region(spec, result, region, NOW) for region in REGIONS}


def load(path: Path) -> list[dict[str, Any]]:
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    for doc in documents:
        assert isinstance(doc, dict)
        assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"], path
    return documents


@pytest.mark.parametrize("region", REGIONS)
def test_every_leaf_becomes_one_file_of_kubernetes_objects(
    graphs: dict[str, DesiredGraph], region: str, tmp_path: Path
) -> None:
    graph = graphs[region]
    files = render_graph(graph)
    report = write_region(tmp_path, region, files)
    leaves = [n for n in graph if n.kind in (Kind.MANIFEST, Kind.HELM_RELEASE, Kind.NODE_PATCH)]
    assert sorted(f.node_id for f in files) == sorted(n.id for n in leaves)
    kept = {f.node_id for f in files if f.keep_live}
    on_disk = sorted(tmp_path.rglob("*.yaml"))
    assert len(on_disk) == len(leaves) - len(kept) == len(report.written)  # kept objects need an earlier render
    by_path = {tmp_path / Path(*f.path.parts): f for f in files}
    for path in on_disk:
        assert path.read_text().startswith(HEADER)
        node = graph.nodes[by_path[path].node_id]
        documents = load(path)
        cluster = path.relative_to(tmp_path / region).parts[0]
        assert node.cluster == f"{region}/{cluster}"
        if node.kind is Kind.MANIFEST:
            assert path.parent.name == "management"
            assert documents == [kube_object(node)]
        elif node.kind is Kind.HELM_RELEASE:
            assert path.parent.name == "management" and path.name == f"helmrelease-{node.props['name']}.yaml"
            repository, release = documents
            assert (repository["kind"], release["kind"]) == ("HelmRepository", "HelmRelease")
            assert repository["spec"]["url"] == node.props["repository"]
            chart = release["spec"]["chart"]["spec"]
            assert (chart["chart"], chart["version"]) == (node.props["chart"], node.props["version"])
            assert release["spec"]["values"] == node.props["values"]
            assert release["spec"]["targetNamespace"] == node.props["namespace"]
            assert release["spec"]["kubeConfig"]["secretRef"] == {"name": f"{cluster}-kubeconfig", "key": "value"}
            assert release["metadata"]["namespace"] == f"cp-{cluster}"
        else:
            assert path.parent.name == "cluster"
            (obj,) = documents
            assert obj["kind"] == "Node" and obj["metadata"]["name"] == node.props["name"]
            assert obj["metadata"].get("labels", {}) == node.props["labels"]
            assert obj["spec"]["taints"] == node.props["taints"]
            assert obj["spec"].get("unschedulable") == node.props["unschedulable"]
            annotations = obj["metadata"]["annotations"]
            assert annotations["kustomize.toolkit.fluxcd.io/prune"] == "disabled"  # never delete a Node
            assert not any(key.startswith("pulumi.com/") for key in annotations)


def test_the_example_renders_node_patches(graphs: dict[str, DesiredGraph], tmp_path: Path) -> None:
    write_region(tmp_path, "us-east-04", render_graph(graphs["us-east-04"]))
    assert list(tmp_path.glob("us-east-04/*/cluster/node-*.yaml"))


def test_rendering_twice_changes_nothing(graphs: dict[str, DesiredGraph], tmp_path: Path) -> None:
    files = render_graph(graphs["us-east-04"])
    first = write_region(tmp_path, "us-east-04", files)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.yaml")}
    second = write_region(tmp_path, "us-east-04", files)
    assert first.written and not second.written and not second.removed
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.yaml")} == before


def test_stale_files_are_removed_only_in_the_region(tmp_path: Path) -> None:
    spec = example_spec()
    region = "us-east-04"
    cordon = Step(f"{region}/beta-train", Action.CORDON, "gone-node", pool="gb200")
    write_region(tmp_path, region, render_graph(compile_region(spec, make_plan(spec, steps=(cordon,)), region, NOW)))
    stale = tmp_path / region / "beta-train" / "cluster" / "node-gone-node.yaml"
    assert stale.exists()
    mine = tmp_path / region / "beta-train" / "kustomization.yaml"  # hand-written: no fleetc header
    mine.write_text("resources: []\n")
    other = tmp_path / "eu-west-02" / "x" / "management" / "old.yaml"
    other.parent.mkdir(parents=True)
    other.write_text(f"{HEADER}\n")
    report = write_region(tmp_path, region, render_graph(compile_region(spec, make_plan(spec), region, NOW)))
    assert report.removed == [stale]
    assert not stale.parent.exists()  # empty folders go too
    assert mine.exists() and other.exists()


def test_keep_live_fields_come_from_the_previous_render(tmp_path: Path) -> None:
    spec = example_spec()
    region, cluster = "us-east-04", "us-east-04/beta-train"
    at_target = compile_region(spec, make_plan(spec), region, NOW)
    write_region(tmp_path, region, render_graph(at_target))
    pool = tmp_path / region / "beta-train" / "management" / "configmap-nodepool-gb200.yaml"
    apiserver = tmp_path / region / "beta-train" / "management" / "deployment-kube-apiserver.yaml"
    before_pool, before_api = load(pool)[0], load(apiserver)[0]
    assert before_pool["data"]["image"] == "gpu-node-2024.12.0"

    unknown = {"phase": "unknown", "control_plane_version": None, "etcd_version": None, "live_version": None}
    held = compile_region(spec, make_plan(spec, overrides={cluster: unknown}), region, NOW)
    report = write_region(tmp_path, region, render_graph(held))
    after_pool, after_api = load(pool)[0], load(apiserver)[0]
    assert after_pool["data"]["image"] == "gpu-node-2024.12.0"  # kept, not the IR's empty placeholder
    assert after_pool["metadata"]["annotations"]["fleetc.dev/keep-live"] == "data.image,data.kubernetes"
    assert after_api["spec"] == before_api["spec"]  # the whole spec, as the last render wrote it
    assert not report.warnings


def test_keep_live_object_without_a_previous_render_is_not_written(tmp_path: Path) -> None:
    spec = example_spec()
    region, cluster = "us-east-04", "us-east-04/alpha-train"
    graph = compile_region(spec, make_plan(spec, overrides={cluster: behind(spec, cluster)}), region, NOW)
    report = write_region(tmp_path, region, render_graph(graph))
    pool = tmp_path / region / "alpha-train" / "management" / "configmap-nodepool-h100.yaml"
    assert not pool.exists()
    assert any(str(pool) in warning for warning in report.warnings)
    assert (tmp_path / region / "alpha-train" / "management" / "deployment-kube-apiserver.yaml").exists()


def test_unreadable_previous_file_is_left_alone(tmp_path: Path) -> None:
    spec = example_spec()
    region, cluster = "us-east-04", "us-east-04/alpha-train"
    pool = tmp_path / region / "alpha-train" / "management" / "configmap-nodepool-h100.yaml"
    pool.parent.mkdir(parents=True)
    pool.write_text(f"{HEADER}\n: not yaml: [\n")
    graph = compile_region(spec, make_plan(spec, overrides={cluster: behind(spec, cluster)}), region, NOW)
    report = write_region(tmp_path, region, render_graph(graph))
    assert pool.read_text() == f"{HEADER}\n: not yaml: [\n"
    assert report.kept == [pool] and report.warnings


def test_cli_render(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "render",
            "--out",
            str(out),
            "--live",
            str(ROOT / "examples" / "live"),
            "--fleet",
            str(ROOT / "fleet"),
            "--region",
            "eu-west-02",
            "--now",
            "2026-11-25T15:00:00Z",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["eu-west-02"]
    assert (out / "eu-west-02" / "beta-cpu" / "management" / "statefulset-etcd.yaml").exists()


def test_cli_render_needs_live(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["render", "--out", str(tmp_path), "--fleet", str(ROOT / "fleet")])
    assert result.exit_code == 2
