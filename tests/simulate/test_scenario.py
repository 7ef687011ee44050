"""Scenario files: valid examples load; invalid ones name file:line:col and exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fleetc.errors import FleetcError
from fleetc.simulate.run import simulate
from fleetc.simulate.scenario import capped_lognormal_mean, capped_lognormal_mu, load_scenario
from fleetc.simulate.world import build_world

from .helpers import scenario_data, write_fleet, write_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


@pytest.mark.parametrize("name", ["standard.yaml", "large.yaml", "checkpoint.yaml"])
def test_examples_load(name: str) -> None:
    scenario = load_scenario(EXAMPLES / name)
    assert scenario.spec.synthetic is not None
    assert scenario.spec.timing.pulumi_up_minutes == 15


def test_checkpoint_example_is_the_standard_one_with_checkpointing_jobs() -> None:
    standard, checkpoint = (load_scenario(EXAMPLES / n).spec for n in ("standard.yaml", "checkpoint.yaml"))
    jobs = checkpoint.jobs
    assert jobs.checkpointable is not None and jobs.checkpointable.fraction == 0.5
    assert jobs.checkpointable.interval_hours == 6
    assert checkpoint.checkpoint_request is not None and checkpoint.checkpoint_request.enabled
    exclude: Any = {"jobs": {"checkpointable"}, "checkpoint_request": True}
    assert checkpoint.model_dump(exclude=exclude) == standard.model_dump(exclude=exclude)


def _errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(FleetcError) as raised:
        load_scenario(path)
    return [str(d) for d in raised.value.diagnostics]


def test_unknown_field_and_wrong_type_are_reported_with_positions(tmp_path: Path) -> None:
    import yaml

    data = scenario_data()
    data["spec"]["timing"]["reimageMinuts"] = 45
    data["spec"]["horizonDays"] = "ten"
    text = yaml.safe_dump(data, sort_keys=False)
    errors = _errors(tmp_path, text)
    lines = text.splitlines()
    typo = next(i for i, line in enumerate(lines, 1) if "reimageMinuts" in line)
    horizon = next(i for i, line in enumerate(lines, 1) if "horizonDays" in line)
    assert any(e.startswith(f"{tmp_path / 'bad.yaml'}:{typo}:") and "reimageMinuts" in e for e in errors)
    assert any(e.startswith(f"{tmp_path / 'bad.yaml'}:{horizon}:") and "horizonDays" in e for e in errors)


def test_rules_across_fields(tmp_path: Path) -> None:
    import yaml

    data = scenario_data(max_unavailable=9)
    data["spec"]["fleet"] = [{"cluster": "r1/train"}]
    data["spec"]["jobs"]["duration"]["meanHours"] = 100
    data["spec"]["to"]["kubernetes"] = "1.29.0"
    errors = _errors(tmp_path, yaml.safe_dump(data, sort_keys=False))
    text = "\n".join(errors)
    assert "exactly one of 'synthetic'" in text
    assert "meanHours 100" in text
    assert "not an upgrade" in text
    assert "maxUnavailable 9 gives 9 of 4 nodes" in text
    assert all(e.count(":") >= 3 for e in errors)  # file:line:col: message


def test_yaml_syntax_error_has_a_position(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "apiVersion: fleetc.dev/v1alpha1\nkind: Scenario\nspec: [\n")
    assert errors and ":" in errors[0] and "YAML syntax error" in errors[0]


def test_unknown_instance_type_blames_the_scenario_line(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path)
    data = scenario_data()
    data["spec"]["synthetic"]["pools"][0]["instanceType"] = "gpu9"
    scenario = write_scenario(tmp_path, data)
    with pytest.raises(FleetcError) as raised:
        build_world(scenario, fleet)
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.pos.file.endswith("scenario.yaml") and diagnostic.pos.line > 1
    assert "gpu9" in diagnostic.message and "gpu8" in diagnostic.message


def test_fleet_slice_overrides_gates_and_keeps_sizes(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path)  # its cluster is paused, needs approval and has a window
    data = scenario_data()
    del data["spec"]["synthetic"]
    data["spec"]["fleet"] = [{"cluster": "r1/train", "pools": ["gpu"]}]
    scenario = write_scenario(tmp_path, data)
    world = build_world(scenario, fleet)
    ((region, cluster),) = list(world.spec.clusters())
    assert (region, cluster.name) == ("r1", "train")
    assert [p.name for p in cluster.node_pools] == ["gpu"]
    assert cluster.upgrade.approval == "automatic" and not cluster.upgrade.paused and cluster.upgrade.window is None
    assert world.spec.targets(cluster).node_image == "img-b"
    result = simulate(scenario, fleet, strategies=["fleetc"]).results["fleetc"]
    # 6 nodes, maxUnavailable 2 (from the fleet): 3 waves of 75 min after the first run at 00:30
    assert result.makespan == (30 + 60 + 2 * 75) * 60
    assert result.violations.total() == 0


def test_fleet_slice_names_unknown_cluster_and_pool(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path)
    data = scenario_data()
    del data["spec"]["synthetic"]
    data["spec"]["fleet"] = [{"cluster": "r1/nope"}, {"cluster": "r1/train", "pools": ["gpu", "cpu"]}]
    scenario = write_scenario(tmp_path, data)
    with pytest.raises(FleetcError) as raised:
        build_world(scenario, fleet)
    messages = [d.message for d in raised.value.diagnostics]
    assert any("'r1/nope' is not in the fleet" in m for m in messages)
    assert any("no pool 'cpu'" in m for m in messages)


def test_capped_lognormal_mean_is_solved() -> None:
    mu = capped_lognormal_mu(72, 1.3, 504)
    assert capped_lognormal_mean(mu, 1.3, 504) == pytest.approx(72, rel=1e-9)
