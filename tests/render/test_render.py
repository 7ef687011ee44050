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
from fleetc.compile.objects import keep_live_paths, kube_object
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
    assert len(on_disk) == len(leaves) == len(report.written)  # complete output, also on a first render
    assert len(report.notes) == len(kept) and not report.warnings
    by_path = {tmp_path / Path(*f.path.parts): f for f in files}
    for path in on_disk:
        assert path.read_text().startswith(HEADER)
        node = graph.nodes[by_path[path].node_id]
        documents = load(path)
        cluster = path.relative_to(tmp_path / region).parts[0]
        if node.cluster is None:  # the management cluster's own batteries (fleetc.compile.management)
            assert path.parent == tmp_path / region / "_management"
        else:
            assert node.cluster == f"{region}/{cluster}"
        if node.kind is Kind.MANIFEST:
            assert path.parent.name in ("management", "_management")
            expected = kube_object(node)
            for field in keep_live_paths(node):  # nothing to keep them from: left out, so they stay as live
                *parents, last = field.split(".")
                holder = expected
                for key in parents:
                    holder = holder[key]
                holder.pop(last, None)  # a kept field the compiler cannot vouch for is not even stated
            assert documents == [expected]
        elif node.kind is Kind.HELM_RELEASE:
            assert path.name == f"helmrelease-{node.props['name']}.yaml"
            repository, release = documents
            assert (repository["kind"], release["kind"]) == ("HelmRepository", "HelmRelease")
            assert repository["spec"]["url"] == node.props["repository"]
            chart = release["spec"]["chart"]["spec"]
            assert (chart["chart"], chart["version"]) == (node.props["chart"], node.props["version"])
            assert release["spec"]["values"] == node.props["values"]
            assert release["spec"]["targetNamespace"] == node.props["namespace"]
            if node.cluster is None:  # installed into the cluster Flux runs in: no kubeConfig
                assert "kubeConfig" not in release["spec"] and release["metadata"]["namespace"] == "flux-system"
            else:
                assert path.parent.name == "management"
                # Kamaji's admin kubeconfig, the variant whose server is the apiserver's Service (Flux runs in the
                # management cluster); examples/live keeps beta-cpu in the earlier form: the Cluster API Secret
                secret_ref = {"name": f"{cluster}-admin-kubeconfig", "key": "admin.svc"}
                if cluster == "beta-cpu":
                    secret_ref = {"name": f"{cluster}-kubeconfig", "key": "value"}
                assert release["spec"]["kubeConfig"]["secretRef"] == secret_ref
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


def test_a_checkpoint_request_renders_as_a_partial_pod(graphs: dict[str, DesiredGraph], tmp_path: Path) -> None:
    spec = example_spec()
    step = Step("us-east-04/beta-train", Action.REQUEST_CHECKPOINT, "n7", pool="gb200", pods=("ml/w-0",))
    graph = compile_region(spec, make_plan(spec, "us-east-04", steps=(step,)), "us-east-04", NOW)
    write_region(tmp_path, "us-east-04", render_graph(graph))
    [path] = tmp_path.glob("us-east-04/beta-train/cluster/pod-*.yaml")
    [pod] = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert (pod["kind"], pod["metadata"]["name"], pod["metadata"]["namespace"]) == ("Pod", "w-0", "ml")
    assert set(pod) == {"apiVersion", "kind", "metadata"}  # annotations only: the pod's spec is never written
    assert f"{spec.label_prefix}/upgrade-requested" in pod["metadata"]["annotations"]


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
    apiserver = tmp_path / region / "beta-train" / "management" / "tenantcontrolplane-beta-train.yaml"
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


def test_keep_live_object_without_a_previous_render_is_written_without_those_fields(tmp_path: Path) -> None:
    """A field the manifest does not state is one the GitOps tool leaves as live; a placeholder would not be."""
    spec = example_spec()
    region, cluster = "us-east-04", "us-east-04/alpha-train"
    graph = compile_region(spec, make_plan(spec, overrides={cluster: behind(spec, cluster)}), region, NOW)
    report = write_region(tmp_path, region, render_graph(graph))
    pool = tmp_path / region / "alpha-train" / "management" / "configmap-nodepool-h100.yaml"
    (obj,) = load(pool)
    assert "image" not in obj["data"] and "kubernetes" not in obj["data"]
    assert obj["data"]["count"] == "512"  # everything else is rendered
    assert obj["metadata"]["annotations"]["fleetc.dev/keep-live"] == "data.image,data.kubernetes"
    assert any(str(pool) in note for note in report.notes) and not report.warnings
    assert pool in report.written
    # The next render keeps them absent (nothing to keep), until the control plane is at its target.
    again = write_region(tmp_path, region, render_graph(graph))
    assert pool in again.unchanged and not again.notes
    ready = write_region(tmp_path, region, render_graph(compile_region(spec, make_plan(spec), region, NOW)))
    assert pool in ready.written and load(pool)[0]["data"]["image"] == "gpu-node-2024.12.0"


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


def test_cli_render_exits_2_when_an_object_was_not_rendered(tmp_path: Path) -> None:
    out = tmp_path / "out"
    pool = out / "us-east-04" / "alpha-train" / "management" / "configmap-nodepool-h100.yaml"
    pool.parent.mkdir(parents=True)
    pool.write_text(f"{HEADER}\n: not yaml: [\n")
    result = render_cli(out, "--region", "us-east-04")
    assert result.exit_code == 2, result.output
    assert f"warning: {pool}: not rendered" in result.stderr and "1 not rendered" in result.stderr
    assert (out / "us-east-04" / "beta-train" / "management" / "statefulset-etcd.yaml").exists()  # the rest is


def render_cli(out: Path, *extra: str) -> Any:
    args = ["render", "--out", str(out), "--live", str(ROOT / "examples" / "live"), "--fleet", str(ROOT / "fleet")]
    return CliRunner().invoke(app, [*args, "--now", "2026-11-25T15:00:00Z", *extra])


def test_cli_first_render_is_complete_and_exits_0(tmp_path: Path) -> None:
    result = render_cli(tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "not written" not in result.stderr and "warning" not in result.stderr
    assert "note: " in result.stderr and "written without data.image, data.kubernetes" in result.stderr
    assert (tmp_path / "out" / "us-east-04" / "alpha-train" / "management" / "configmap-nodepool-h100.yaml").exists()


def test_cli_render_out_is_an_existing_file(tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    out.write_text("mine\n")
    result = render_cli(out)
    assert result.exit_code == 2  # SystemExit, not a traceback (that would be exit 1)
    assert (
        result.stderr.strip()
        == f"--out {out}: exists and is not a directory; name a directory (it is created if missing)"
    )
    assert out.read_text() == "mine\n"


@pytest.mark.parametrize("where", ["under-a-file", "read-only"])
def test_cli_render_out_cannot_be_written(tmp_path: Path, where: str) -> None:
    if where == "under-a-file":
        (tmp_path / "file").write_text("")
        out = tmp_path / "file" / "out"
    else:
        out = Path("/proc/fleetc-render-test")  # no directory can be made there, not even by root
    result = render_cli(out)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"--out {out}: cannot write there: ")


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
    result = CliRunner().invoke(app, ["render", "--out", str(tmp_path / "out"), "--fleet", str(ROOT / "fleet")])
    assert result.exit_code == 2
    assert "--live is required" in result.stderr and "--live kube" in result.stderr
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_new_cluster_renders_whole_in_one_go(tmp_path: Path) -> None:
    """docs/spec.md 6.1 in render: control plane, datastore, PKI requests and the add-ons, all in the first render."""
    spec = example_spec()
    cluster = "us-east-04/alpha-train"
    graph = compile_region(spec, make_plan(spec, overrides={cluster: {"phase": "new"}}), "us-east-04", NOW)
    write_region(tmp_path, "us-east-04", render_graph(graph))
    files = {p.name for p in (tmp_path / "us-east-04" / "alpha-train" / "management").iterdir()}
    assert {
        "tenantcontrolplane-alpha-train.yaml",
        "datastore-cp-alpha-train-etcd.yaml",
        "certificate-etcd-server.yaml",
        "statefulset-etcd.yaml",
        "helmrelease-cilium.yaml",
    } <= files
    _, release = load(tmp_path / "us-east-04" / "alpha-train" / "management" / "helmrelease-cilium.yaml")
    assert release["spec"]["kubeConfig"]["secretRef"] == {"name": "alpha-train-admin-kubeconfig", "key": "admin.svc"}


def test_cli_render_writes_the_batteries_and_the_flags_leave_them_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render_cli(out).exit_code == 0
    batteries = out / "us-east-04" / "_management"
    assert sorted(p.name for p in batteries.iterdir()) == [
        "helmrelease-cert-manager.yaml",
        "helmrelease-kamaji.yaml",
        "servicemonitor-kamaji.yaml",
    ]
    monitors = sorted(p.name for p in (out / "us-east-04" / "alpha-train" / "management").glob("*monitor*"))
    assert monitors == [
        "podmonitor-konnectivity-server.yaml",
        "servicemonitor-etcd.yaml",
        "servicemonitor-kube-apiserver.yaml",
    ]
    # a re-render with every battery managed elsewhere removes what the first one wrote
    result = render_cli(out, "--no-kamaji", "--no-cert-manager", "--no-monitoring")
    assert result.exit_code == 0, result.output
    assert not batteries.exists()
    assert not list(out.rglob("*monitor*.yaml")) and not list(out.rglob("prometheusrule-*.yaml"))
    result = render_cli(out, "--no-cert-manager")
    kamaji = yaml.safe_load_all((batteries / "helmrelease-kamaji.yaml").read_text())
    assert result.exit_code == 0 and "dependsOn" not in list(kamaji)[1]["spec"]
