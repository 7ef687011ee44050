"""Valid fleets: what loads, what it loads as, and where each object was written."""

from __future__ import annotations

import io
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.errors import Diagnostic, FleetcError, Pos
from fleetc.spec import source
from fleetc.spec.anchors import where
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.loader import load_fleet
from fleetc.spec.models import Document
from fleetc.versions import Version

HERE = Path(__file__).parent
MINIMAL = HERE / "valid" / "minimal"
EXAMPLE = HERE.parents[1] / "fleet"


def copy_minimal(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    shutil.copytree(MINIMAL, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    path.write_text(text.replace(old, new))


def documents(spec: FleetSpec) -> list[Document]:
    return [spec.fleet, *spec.tenants.values(), *spec.regions.values(), *spec.approvals]


def test_the_example_fleet_validates() -> None:
    result = CliRunner().invoke(app, ["validate", "--fleet", str(EXAMPLE)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "valid: 2 regions, 6 clusters, 12 node pools, 3 tenants, 2 approvals" in result.stderr


def test_the_minimal_fleet_loads() -> None:
    spec = load_fleet(MINIMAL)
    assert sorted(spec.tenants) == ["team-a", "team-b"]  # two documents of one file
    assert [(r, c.name) for r, c in spec.clusters()] == [("r1", "train"), ("r1", "serve")]
    assert [a.name for a in spec.approvals] == ["train-1-31-2"]
    serve = spec.cluster("r1/serve")
    assert serve is not None
    assert spec.targets(serve).kubernetes == Version(1, 30, 6)  # the pin wins over channel rapid
    assert [a.name for a in spec.addons(serve)] == ["cilium"]  # gpu-operator disabled
    assert spec.addons(serve)[0].values == {"kubeProxyReplacement": True, "hubble": {"enabled": True}}


def test_document_markers_and_empty_documents(tmp_path: Path) -> None:
    root = copy_minimal(tmp_path)
    tenants = (root / "tenants.yaml").read_text()
    (root / "tenants.yaml").write_text("%YAML 1.2\n---\n" + tenants.replace("---\n", "...\n---\n---\n") + "...\n")
    assert sorted(load_fleet(root).tenants) == ["team-a", "team-b"]


def test_any_nesting_of_directories_and_hidden_ones_skipped(tmp_path: Path) -> None:
    root = copy_minimal(tmp_path)
    deep = root / "sites" / "us" / "east" / "row-4"
    deep.mkdir(parents=True)
    (root / "regions" / "r1.yaml").rename(deep / "r1.yaml")
    (root / ".git").mkdir()
    (root / ".git" / "junk.yaml").write_text("not: [a fleet")  # would be a syntax error if read
    (root / ".draft.yaml").write_text("kind: Nonsense\n")
    spec = load_fleet(root)
    assert spec.regions == load_fleet(MINIMAL).regions
    assert where(spec.regions["r1"]) == Pos(str(deep / "r1.yaml"), 1, 1)


def test_anchors_aliases_and_merge_keys(tmp_path: Path) -> None:
    """Anchors defined at first use, aliased and merged, load to the same models as the spelled-out fleet."""
    root = copy_minimal(tmp_path)
    region = root / "regions" / "r1.yaml"
    edit(region, "        - name: gpu\n", "        - &gpu-pool\n          name: gpu\n")
    edit(
        region, "      upgrade:\n        approval: required\n", "      upgrade: &upgrade\n        approval: required\n"
    )
    edit(
        region,
        "      nodePools:\n        - name: cpu\n",
        "      nodePools:\n        - <<: *gpu-pool\n          name: gpu2\n          count: 8\n        - name: cpu\n",
    )
    spelled = copy_minimal(tmp_path / "spelled")
    edit(
        spelled / "regions" / "r1.yaml",
        "      nodePools:\n        - name: cpu\n",
        textwrap.indent(
            "nodePools:\n"
            "  - name: gpu2\n"
            "    instanceType: gpu8\n"
            "    count: 8\n"
            "    failureDomains: [rack-a, rack-b]\n"
            "    taints: [{key: nvidia.com/gpu, value: present, effect: NoSchedule}]\n"
            "    maxUnavailable: 2\n"
            "  - name: cpu\n",
            "      ",
        ),
    )
    edit(region, "      upgrade: {approval: automatic}\n", "      upgrade: *upgrade\n")
    edit(
        spelled / "regions" / "r1.yaml",
        "      upgrade: {approval: automatic}\n",
        "      upgrade:\n"
        "        approval: required\n"
        '        window: {days: [sat, sun], start: "02:00", hours: 6, timezone: UTC}\n',
    )
    spec, expected = load_fleet(root), load_fleet(spelled)
    assert spec.regions == expected.regions
    serve = spec.cluster("r1/serve")
    assert serve is not None
    merged = serve.node_pools[0]
    assert (merged.name, merged.count, merged.instance_type) == ("gpu2", 8, "gpu8")
    # merged keys point where the anchor wrote them, the overriding keys where they are written
    lines = region.read_text().splitlines()
    assert lines[where(merged, "instanceType").line - 1].strip() == "instanceType: gpu8"
    assert lines[where(merged, "count").line - 1].strip() == "count: 8"


def test_yaml_1_2_scalars(tmp_path: Path) -> None:
    """Unquoted 02:00 is a string (not 120 minutes, YAML 1.1 base 60); on/yes/NO are strings, not booleans."""
    root = copy_minimal(tmp_path)
    region = root / "regions" / "r1.yaml"
    edit(region, 'start: "02:00"', "start: 02:00")
    edit(
        region,
        "          count: 3\n",
        "          count: 3\n          labels: {enabled: on, ready: yes, country: NO, version: v1.2}\n",
    )
    edit(region, "        etcd: {replicas: 3, storageGiB: 64}\n", "        etcd: {replicas: 3, storageGiB: 0x40}\n")
    train = load_fleet(root).cluster("r1/train")
    assert train is not None
    assert train.upgrade.window is not None and train.upgrade.window.start == "02:00"
    assert train.node_pools[1].labels == {"enabled": "on", "ready": "yes", "country": "NO", "version": "v1.2"}
    assert train.control_plane.etcd.storage_gib == 64


def test_versions_with_a_v_prefix_are_accepted(tmp_path: Path) -> None:
    root = copy_minimal(tmp_path)
    edit(root / "fleet.yaml", 'stable: {kubernetes: "1.30.6"', 'stable: {kubernetes: "v1.30.6"')
    edit(root / "regions" / "r1.yaml", 'versions: {kubernetes: "1.30.6"}', "versions: {kubernetes: v1.30.6}")
    spec = load_fleet(root)
    for _, cluster in spec.clusters():
        assert spec.targets(cluster).kubernetes == Version(1, 30, 6)


def test_a_pool_scaled_to_zero_keeps_its_budget(tmp_path: Path) -> None:
    """count 0 with the default maxUnavailable (1) is valid: there is nothing to disrupt."""
    root = copy_minimal(tmp_path)
    edit(root / "regions" / "r1.yaml", "          count: 3\n          maxUnavailable: 1\n", "          count: 0\n")
    train = load_fleet(root).cluster("r1/train")
    assert train is not None and train.node_pools[1].count == 0


def test_snake_case_spellings_are_not_accepted_from_yaml(tmp_path: Path) -> None:
    """Python may build models by field name; YAML must use the spec's camelCase."""
    root = copy_minimal(tmp_path)
    edit(
        root / "regions" / "r1.yaml",
        "          instanceType: cpu8\n          count: 4\n",
        "          instance_type: cpu8\n          count: 4\n",
    )
    with pytest.raises(FleetcError) as caught:
        load_fleet(root)
    assert [d.message for d in caught.value.diagnostics] == [
        "unknown field 'instance_type'; did you mean 'instanceType'? (fields are camelCase)"
    ]


def test_positions_point_at_the_right_line() -> None:
    spec = load_fleet(MINIMAL)
    region_file = str(MINIMAL / "regions" / "r1.yaml")
    train, serve = spec.regions["r1"].spec.clusters
    assert where(train, "name") == Pos(region_file, 8, 7)
    assert where(serve, "name") == Pos(region_file, 29, 7)
    assert where(serve.node_pools[0], "maxUnavailable") == Pos(region_file, 43, 11)
    assert where(train.control_plane.etcd, "replicas") == Pos(region_file, 13, 16)
    assert where(train.node_pools[0], "failureDomains", 1) == Pos(region_file, 22, 36)
    assert where(spec.tenants["team-b"], "metadata", "name") == Pos(str(MINIMAL / "tenants.yaml"), 11, 3)
    assert where(spec.approvals[0].spec, "cluster") == Pos(str(MINIMAL / "approvals" / "train.yaml"), 6, 3)
    # a field not written points at the nearest written ancestor: the cluster's list item
    assert where(serve, "controlPlane", "replicas") == Pos(region_file, 29, 7)


def _dump(doc: Document) -> str:
    """A document as YAML the way a person would write it: camelCase, defaults left out."""
    data: dict[str, Any] = doc.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)  # YAML 1.2 on both sides: "1.30.6" and "02:00" survive
    yaml.default_flow_style = False
    yaml.dump(data, out)
    return out.getvalue()


@pytest.mark.parametrize("source", [MINIMAL, EXAMPLE], ids=["minimal", "example"])
def test_round_trip_dump_and_reload_gives_equal_models(source: Path, tmp_path: Path) -> None:
    spec = load_fleet(source)
    root = tmp_path / "dumped"
    root.mkdir()
    for i, doc in enumerate(documents(spec)):
        (root / f"{i:03d}-{doc.kind.lower()}.yaml").write_text(_dump(doc))
    again = load_fleet(root)
    assert documents(again) == documents(spec)
    # equal models, but each anchored where it now stands
    assert where(again.fleet).file == str(root / "000-fleet.yaml")


def test_models_compare_equal_wherever_they_were_written(tmp_path: Path) -> None:
    root = copy_minimal(tmp_path)
    edit(root / "tenants.yaml", "  name: team-a\n", "  # moved down a line\n  name: team-a\n")
    here, there = load_fleet(MINIMAL), load_fleet(root)
    assert there.tenants["team-a"] == here.tenants["team-a"]
    assert (
        where(there.tenants["team-a"], "metadata", "name").line
        == where(here.tenants["team-a"], "metadata", "name").line + 1
    )


def test_a_file_past_the_cheap_nesting_bound_still_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """12,000 brackets exceed the cheap bound, so the exact depth is measured, and it is shallow: the file loads."""
    measured: list[str] = []
    exact = source._nesting_ok

    def spy(text: str, display: str, errors: list[Diagnostic]) -> bool:
        measured.append(display)
        return exact(text, display, errors)

    monkeypatch.setattr(source, "_nesting_ok", spy)
    root = copy_minimal(tmp_path)
    matrix = ", ".join(["{a: [1]}"] * 6000)
    edit(root / "fleet.yaml", "            kubeProxyReplacement: true\n", f"            matrix: [{matrix}]\n")
    cilium = load_fleet(root).fleet.spec.bundles["base"].addons[0]
    assert cilium.values["matrix"][5999] == {"a": [1]}
    assert measured == [str(root / "fleet.yaml")]
