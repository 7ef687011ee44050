"""``fleetc render`` keeps what a gate holds: the HelmRelease keeps the chart version (and values) rendered before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from plan.builders import NOW
from plan.rollouts import GPU_OPERATOR, NEW_GPU, OLD_GPU, addon_approval, fleet, member, record, settled, state

from fleetc.compile import compile_region
from fleetc.plan.planner import plan
from fleetc.render import render_graph, write_region
from fleetc.spec.fleet import FleetSpec

CID = "r1/c1"
RELEASE = Path("r1/c1/management/helmrelease-gpu-operator.yaml")


def render(out: Path, spec: FleetSpec, applied: str, approvals: list[Any]) -> Any:
    rec = record(spec, CID, {GPU_OPERATOR: applied})
    graph = compile_region(spec, plan(spec, state(settled(CID, rec)), approvals, NOW), "r1", NOW)
    return write_region(out, "r1", render_graph(graph))


def chart_version(out: Path) -> str:
    docs = list(yaml.safe_load_all((out / RELEASE).read_text()))
    version: str = docs[1]["spec"]["chart"]["spec"]["version"]
    return version


def test_a_held_release_keeps_the_version_rendered_before_and_an_approved_one_moves(tmp_path: Path) -> None:
    old = fleet({"r1": [member("c1", approval="required")]}, gpu=OLD_GPU)
    render(tmp_path, old, OLD_GPU, [])
    assert chart_version(tmp_path) == OLD_GPU
    new = fleet({"r1": [member("c1", approval="required")]}, gpu=NEW_GPU)
    report = render(tmp_path, new, OLD_GPU, [])  # the bump is merged, no approval yet
    assert chart_version(tmp_path) == OLD_GPU and not report.warnings
    render(tmp_path, new, OLD_GPU, [addon_approval(CID)])
    assert chart_version(tmp_path) == NEW_GPU


def test_a_held_release_with_no_earlier_render_is_not_written_and_warns(tmp_path: Path) -> None:
    new = fleet({"r1": [member("c1", approval="required")]}, gpu=NEW_GPU)
    report = render(tmp_path, new, OLD_GPU, [])
    assert not (tmp_path / RELEASE).exists()
    assert any("helmrelease-gpu-operator.yaml: not rendered" in w for w in report.warnings)
