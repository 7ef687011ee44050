"""A live control plane of the earlier form (Deployment kube-apiserver) is never upgraded or replaced by fleetc."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fleetc.compile import compile_region
from fleetc.live.read import read_live
from fleetc.plan.model import Action, Reason
from fleetc.plan.planner import plan
from fleetc.repo.approvals import counted_approvals

from .plans import example_spec, with_cluster

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
EARLIER = "eu-west-02/beta-cpu"  # examples/live keeps it in the earlier form


def test_a_due_upgrade_of_an_earlier_form_cluster_is_halted_and_nothing_is_replaced() -> None:
    spec = with_cluster(example_spec(), "eu-west-02", "beta-cpu", channel="rapid")  # 1.30.6 -> 1.31.2 is due
    live = read_live(
        str(ROOT / "examples" / "live"), {"eu-west-02": spec.region_clusters()["eu-west-02"]}, spec.label_prefix
    )
    assert live.regions["eu-west-02"].cluster("beta-cpu").control_plane.earlier_form  # type: ignore[union-attr]
    approvals, _ = counted_approvals(spec)
    result = plan(spec, live, approvals, NOW, region="eu-west-02")
    assert not [s for s in result.steps if s.cluster == EARLIER and s.action is Action.UPGRADE_CONTROL_PLANE]
    [halt] = [b for b in result.blocked if b.cluster == EARLIER and b.reason is Reason.HALTED]
    assert "earlier form" in halt.detail and "migrate" in halt.detail
    graph = compile_region(spec, result, "eu-west-02", NOW)
    apiserver = graph.nodes[f"{EARLIER}/control-plane/deployment-kube-apiserver"]
    assert apiserver.props["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v1.30.6")
    assert f"{EARLIER}/control-plane/tenantcontrolplane-beta-cpu" not in graph.nodes
    assert "eu-west-02/infer-eu/control-plane/tenantcontrolplane-infer-eu" in graph.nodes  # Kamaji form alongside
