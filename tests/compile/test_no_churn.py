"""Applied objects do not change when only positions change (a comment line at the top of a region file)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from fleetc.compile import compile_region
from fleetc.compile.graph import Kind
from fleetc.live.read import read_live
from fleetc.plan.planner import plan
from fleetc.spec.loader import load_fleet

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def compiled(fleet: Path) -> dict[str, object]:
    spec = load_fleet(fleet)
    live = read_live(str(REPO / "examples" / "live"), spec.region_clusters(), spec.label_prefix)
    result = plan(spec, live, spec.approvals, NOW)
    graph = compile_region(spec, result, "us-east-04", NOW)
    return {node.id: dict(node.props) for node in graph if node.kind is not Kind.REGION}


def test_a_comment_line_at_the_top_of_a_region_file_changes_no_applied_object(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(REPO / "fleet", fleet)
    before = compiled(fleet)
    region = fleet / "regions" / "us-east-04.yaml"
    region.write_text("# a comment that moves every line below it\n\n" + region.read_text())
    after = compiled(fleet)
    assert before == after


def test_the_source_still_names_the_place() -> None:
    spec = load_fleet(REPO / "fleet")
    live = read_live(str(REPO / "examples" / "live"), spec.region_clusters(), spec.label_prefix)
    graph = compile_region(spec, plan(spec, live, spec.approvals, NOW), "us-east-04", NOW)
    etcd = graph.get("us-east-04/alpha-train/control-plane/statefulset-etcd")
    assert etcd is not None and etcd.source is not None
    annotation = etcd.props["metadata"]["annotations"]["fleetc.dev/source"]
    assert annotation.endswith("#Region/us-east-04/spec.clusters[alpha-train].controlPlane.etcd"), annotation
    assert etcd.source.line > 1  # errors and previews keep the line
