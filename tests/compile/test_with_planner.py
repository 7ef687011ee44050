"""The compiler on a real plan: the example fleet against the example live snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fleetc.compile import compile_region
from fleetc.compile.graph import Kind
from fleetc.compile.node_pools import NODE_ACTIONS
from fleetc.live.read import read_live
from fleetc.plan.planner import plan

from .plans import ROOT, example_spec

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("region", ["us-east-04", "eu-west-02"])
def test_one_node_patch_per_node_step_and_versions_from_the_plan(region: str) -> None:
    spec = example_spec()
    live = read_live(str(ROOT / "examples" / "live"), spec.region_clusters(), spec.label_prefix)
    result = plan(spec, live, spec.approvals, NOW, region=region)
    graph = compile_region(spec, result, region, NOW)

    stepped = {(s.cluster, s.pool, s.target) for s in result.steps if s.action in NODE_ACTIONS}
    patched = {
        (n.cluster, n.parent.rsplit("/", 1)[-1] if n.parent else None, n.props["name"])
        for n in graph.of_kind(Kind.NODE_PATCH)
    }
    assert patched == stepped
    for cluster_id, cluster_plan in result.clusters.items():
        group = graph.nodes[f"{cluster_id}/control-plane"]
        expected = str(cluster_plan.control_plane_version) if cluster_plan.control_plane_version else None
        assert group.props["version"] == expected
