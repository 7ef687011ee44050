"""``fleetc plan --format prometheus`` and the Grafana dashboard that reads it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.plan.model import Blocked, ClusterPlan, Plan, PoolStatus, Reason
from fleetc.report.plan_prometheus import METRICS, escape_label, to_prometheus
from fleetc.versions import Version

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-25T15:00:00Z"
DASHBOARD = ROOT / "dashboards" / "fleetc-rollouts.json"


@pytest.fixture(scope="module")
def example() -> str:
    args = ["plan", "--fleet", str(ROOT / "fleet"), "--live", str(ROOT / "examples" / "live"), "--now", NOW]
    result = CliRunner().invoke(app, [*args, "--format", "prometheus"])
    assert result.exit_code == 0, result.output
    return result.stdout


def families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(text: str, name: str, **labels: str) -> float:
    matches = [s.value for s in families(text)[name].samples if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matches) == 1, (name, labels, matches)
    return float(matches[0])


def test_every_family_has_help_and_type_and_parses(example: str) -> None:
    parsed = families(example)
    assert list(parsed) == list(METRICS)
    for name, family in parsed.items():
        assert family.type == "gauge" and family.documentation == METRICS[name]
    for name in METRICS:
        assert f"# HELP {name} " in example and f"# TYPE {name} gauge" in example


def test_the_example_story(example: str) -> None:
    """The numbers of tests/cli/golden/plan.txt, as metrics."""
    assert value(example, "fleetc_plan_timestamp_seconds") == datetime(2026, 11, 25, 15, tzinfo=UTC).timestamp()
    assert value(example, "fleetc_cluster_phase", cluster="us-east-04/beta-train", phase="nodes") == 1
    assert value(example, "fleetc_cluster_phase", cluster="us-east-04/beta-train", phase="blocked") == 0
    phases = [s for s in families(example)["fleetc_cluster_phase"].samples if s.value == 1]
    assert len(phases) == 6  # one phase per cluster
    gb200 = {"cluster": "us-east-04/beta-train", "pool": "gb200"}
    assert value(example, "fleetc_pool_nodes", **gb200, state="total") == 256
    assert value(example, "fleetc_pool_nodes", **gb200, state="at_target") == 97
    assert value(example, "fleetc_pool_nodes", **gb200, state="unavailable") == 8
    assert value(example, "fleetc_pool_nodes", **gb200, state="busy") == 206
    assert value(example, "fleetc_pool_nodes", **gb200, state="waiting") == 142
    assert value(example, "fleetc_pool_max_unavailable", **gb200) == 12
    assert value(example, "fleetc_steps", cluster="us-east-04/beta-train", action="cordon") == 4
    assert value(example, "fleetc_steps", cluster="us-east-04/beta-train", action="upgrade-control-plane") == 0
    assert value(example, "fleetc_blocked", cluster="us-east-04/infer-east", reason="outside-window") == 1
    assert value(example, "fleetc_blocked", cluster="eu-west-02/beta-cpu", reason="busy") == 0  # zeros are series too
    assert sum(s.value for s in families(example)["fleetc_blocked"].samples) == 5
    assert sum(s.value for s in families(example)["fleetc_steps"].samples) == 13
    info = families(example)["fleetc_cluster_info"].samples
    assert {"cluster": "us-east-04/alpha-train", "live_version": "1.31.2", "target": "1.31.2"}.items() <= next(
        s.labels for s in info if s.labels["cluster"] == "us-east-04/alpha-train"
    ).items()
    assert families(example)["fleetc_oldest_pending_node_age_seconds"].samples == []


@pytest.mark.parametrize("nasty", ['a"b', "back\\slash", "new\nline", 'all"\\\n'])
def test_label_values_are_escaped(nasty: str) -> None:
    cid = f"r1/{nasty}"
    plan = Plan(
        blocked=(Blocked(cid, Reason.HALTED, "x", pool=nasty),),
        clusters={
            cid: ClusterPlan(
                cid, "blocked", Version(1, 31, 2), nasty, None, None, None, (PoolStatus(nasty, 3, 1, 1, 1, 0),)
            )
        },
    )
    text = to_prometheus(plan, datetime(2026, 1, 1, tzinfo=UTC))
    parsed = families(text)
    assert value(text, "fleetc_blocked", cluster=cid, reason="halted") == 1
    assert value(text, "fleetc_pool_nodes", cluster=cid, pool=nasty, state="total") == 3
    assert any(s.labels.get("node_image") == nasty for s in parsed["fleetc_cluster_info"].samples)
    assert "\n" not in escape_label(nasty)


def test_an_empty_plan_is_still_valid_exposition() -> None:
    text = to_prometheus(Plan(), datetime(2026, 1, 1, tzinfo=UTC))
    assert list(families(text)) == list(METRICS)


# ---------------------------------------------------------------- dashboard


def exprs(node: Any) -> list[str]:
    """Every PromQL expression in the dashboard: panel targets and template variable queries."""
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        if isinstance(node.get("definition"), str):
            found.append(node["definition"])
        return found + [e for key, v in node.items() if key not in ("expr", "definition") for e in exprs(v)]
    if isinstance(node, list):
        return [e for v in node for e in exprs(v)]
    return []


def test_dashboard_reads_only_metrics_fleetc_emits(example: str) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    found = exprs(dashboard)
    assert len(found) >= len(dashboard["panels"])
    labels = {name: set() for name in METRICS}
    for family in text_string_to_metric_families(example):
        for sample in family.samples:
            labels[family.name] |= set(sample.labels)
    used = set()
    for expr in found:
        names = set(re.findall(r"\bfleetc_[a-z_]+\b", expr))
        assert names, expr
        assert names <= set(METRICS), (expr, names - set(METRICS))
        used |= names
        for name, selector in re.findall(r"\b(fleetc_[a-z_]+)\{([^}]*)\}", expr):
            for label in re.findall(r"([a-z_]+)\s*(?:=~|!=|!~|=)", selector):
                assert label in labels[name], (expr, label)
        for grouping in re.findall(r"\b(?:by|ignoring|on)\s*\(([^)]*)\)", expr):
            for label in (g.strip() for g in grouping.split(",")):
                assert any(label in labels[name] for name in names), (expr, label)
    assert {"fleetc_cluster_phase", "fleetc_pool_nodes", "fleetc_blocked", "fleetc_steps"} <= used


def test_every_panel_has_a_query_and_a_description() -> None:
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
        assert panel["description"], panel["title"]


def test_oldest_pending_node_age_comes_from_pending_since() -> None:
    cid = "r1/c1"
    since = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
    pools = (PoolStatus("gpu", 10, 2, 1, 2, 5, pending_since=since), PoolStatus("cpu", 3, 3, 0, 1, 0))
    plan = Plan(clusters={cid: ClusterPlan(cid, "nodes", Version(1, 31, 2), "img", None, None, None, pools)})
    text = to_prometheus(plan, datetime(2026, 1, 1, 9, 30, tzinfo=UTC))
    [sample] = families(text)["fleetc_oldest_pending_node_age_seconds"].samples
    assert sample.labels == {"cluster": cid, "pool": "gpu"} and sample.value == 3.5 * 3600  # no sample for cpu
