"""``fleetc preview`` on real commits of a temporary repository.

Each test makes one kind of change a pull request makes, commits it, and
checks the fleet diff entries, the resource diff counts and the rendered
markdown/json. The CLI is driven through typer's runner from inside the
repository, as CI would run it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.live.facts import ClusterLive, ControlPlaneFacts, LiveState, NodeFacts, RegionLive
from fleetc.preview.build import build_preview
from fleetc.preview.fleet_diff import FleetChange
from fleetc.preview.render_json import to_dict
from fleetc.preview.render_markdown import to_markdown
from fleetc.versions import Version

from .fleetrepo import APPROVAL, BATCH, FLEET, INFER, TRAIN, FleetRepo, region

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def repo(tmp_path: Path) -> FleetRepo:
    fleet = FleetRepo(tmp_path / "repo")
    fleet.initial()
    return fleet


@pytest.fixture
def inside(repo: FleetRepo) -> Iterator[Path]:
    """Run with the repository as the working directory (relative file names, like CI)."""
    before = Path.cwd()
    os.chdir(repo.root)
    try:
        yield repo.root
    finally:
        os.chdir(before)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["preview", *args])
    return result.exit_code, result.stdout


def changes(preview_json: dict[str, object], category: str) -> list[dict[str, str]]:
    fleet = preview_json["fleet"]
    assert isinstance(fleet, dict)
    return [c for c in fleet["changes"] if c["category"] == category]


def test_channel_bump(repo: FleetRepo, inside: Path) -> None:
    repo.commit(
        "bump stable",
        {"fleet/fleet.yaml": FLEET.replace('stable: {kubernetes: "1.30.6"', 'stable: {kubernetes: "1.31.2"')},
    )
    code, out = cli("--base", "HEAD~1", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert changes(result, "channel") == [
        {"category": "channel", "subject": "stable", "action": "kubernetes bumped", "detail": "1.30.6 → 1.31.2"}
    ]
    assert changes(result, "version") == [
        {
            "category": "version",
            "subject": "r1/batch",
            "action": "kubernetes bumped",
            "detail": "1.30.6 → 1.31.2, channel stable bumped",
        }
    ]
    resources = result["resources"]
    assert resources["summary"] == {"create": 0, "update": 3, "delete": 0}
    assert resources["byType"] == {
        "ConfigMap": {"create": 0, "update": 2, "delete": 0},
        "TenantControlPlane": {"create": 0, "update": 1, "delete": 0},
    }
    tcp = next(c for c in resources["changes"] if c["id"] == "r1/batch/control-plane/tenantcontrolplane-batch")
    assert tcp["fields"] == ["spec.kubernetes.version"]
    # the rapid-channel cluster is untouched
    assert not any(c["id"].startswith("r1/train/") for c in resources["changes"])


def test_pin_is_named_as_the_cause(repo: FleetRepo) -> None:
    pinned = TRAIN.replace("channel: rapid\n", 'channel: rapid\n      versions: {kubernetes: "1.30.6"}\n')
    head = repo.commit("hold train", {"fleet/regions/r1.yaml": region(pinned, BATCH)})
    result = build_preview(repo.root, "HEAD~1", head)
    assert result.fleet is not None
    assert FleetChange("version", "r1/train", "kubernetes changed", "1.31.2 → 1.30.6, pinned") in result.fleet


def test_new_cluster(repo: FleetRepo, inside: Path) -> None:
    repo.commit("infer", {"fleet/regions/r1.yaml": region(TRAIN, BATCH, INFER)})
    code, out = cli("--base", "HEAD~1", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert [(c["subject"], c["action"]) for c in changes(result, "cluster")] == [("r1/infer", "added")]
    resources = result["resources"]
    created = {t: row["create"] for t, row in resources["byType"].items()}
    assert created == {
        "Certificate": 4,  # the etcd CA, server, peer, root client
        "ConfigMap": 4,  # fleetc-cluster, etcd-scripts, audit-policy, nodepool-gpu
        "CronJob": 3,  # etcd members, defrag, snapshot
        "DataStore": 1,
        "HelmRelease": 4,  # a GPU cluster: the bundle's gpu-only add-on included; in the same run (one pulumi up)
        "Issuer": 2,  # self-signed, the etcd CA
        "Job": 1,  # the encryption key
        "Namespace": 1,
        "PersistentVolumeClaim": 1,  # etcd snapshots
        "PodDisruptionBudget": 2,  # etcd, the control-plane pods
        "PodMonitor": 1,  # konnectivity-server (fleetc.compile.monitoring)
        "PrometheusRule": 1,
        "Provider": 1,
        "Role": 1,
        "RoleBinding": 1,
        "Service": 1,  # etcd (Kamaji makes the apiserver's)
        "ServiceAccount": 1,
        "ServiceMonitor": 2,  # etcd, kube-apiserver
        "StatefulSet": 1,
        "TenantControlPlane": 1,
    }
    assert resources["summary"] == {"create": sum(created.values()), "update": 0, "delete": 0}
    assert all(c["id"].startswith("r1/infer/") for c in resources["changes"])


def test_resized_pool(repo: FleetRepo) -> None:
    head = repo.commit("grow", {"fleet/regions/r1.yaml": region(TRAIN.replace("count: 40", "count: 60"), BATCH)})
    result = build_preview(repo.root, "HEAD~1", head)
    assert result.fleet == (FleetChange("pool", "r1/train/gpu", "resized", "40 → 60 nodes"),)
    assert result.resources is not None
    assert [(c.op, c.id, c.fields) for c in result.resources.meaningful] == [
        ("update", "r1/train/pools/gpu/configmap-nodepool-gpu", ("data.count",))
    ]


def test_addon_repinned_in_the_bundle(repo: FleetRepo, inside: Path) -> None:
    repo.commit("cilium", {"fleet/fleet.yaml": FLEET.replace('version: "1.16.3"', 'version: "1.16.4"')})
    code, out = cli("--base", "HEAD~1", "--format", "markdown")
    assert code == 0
    result = build_preview(Path("."), "HEAD~1", "HEAD")
    assert result.fleet == (
        FleetChange("addon", "cilium", "re-pinned", "1.16.3 → 1.16.4; 2 clusters: r1/batch, r1/train"),
    )
    assert result.resources is not None
    # the two releases, and the two fleetc-cluster ConfigMaps that record the version applied (docs/spec.md 6.4)
    assert result.resources.counts() == {"create": 0, "update": 4, "delete": 0}
    assert {c.fields for c in result.resources.meaningful} == {("version",), ("data.addons",)}
    # the PR comment: one-screen summary table first, details folded
    first = out.splitlines()[0]
    assert first.startswith("### ✅ fleetc preview: HEAD~1 (") and first.endswith("policy passed")
    assert "| **Fleet** | add-ons: 1 re-pinned |" in out
    assert "| **Resources** | 0 to create, 4 to update, 0 to delete |" in out
    assert out.index("| **Policy** |") < out.index("<details>")
    assert out.count("<details>") == out.count("</details>") == 5
    assert "~ r1/train/addons/cilium (HelmRelease: version)" in out
    # the rollout: per cluster what changes and what gates it (the approval of a disruptive add-on)
    assert result.rollout and {c.cluster for c in result.rollout} == {"r1/batch", "r1/train"}
    train = next(c for c in result.rollout if c.cluster == "r1/train")
    assert train.changes == ("cilium 1.16.4",) and "approval of cilium 1.16.4" in train.gated


def _live(apiserver: str = "1.30.6") -> LiveState:
    cp = ControlPlaneFacts(Version.parse(apiserver), True, 3, Version.parse("3.5.16"), True)

    def nodes(pool: str, count: int, image: str) -> tuple[NodeFacts, ...]:
        return tuple(
            NodeFacts(f"{pool}-{i}", pool, "a", Version.parse(apiserver), image, True, False, False)
            for i in range(count)
        )

    clusters = {
        "train": ClusterLive("r1/train", True, cp, nodes("gpu", 4, "img-2024.11")),
        "batch": ClusterLive("r1/batch", True, cp, nodes("cpu", 2, "img-2024.11")),
    }
    return LiveState({"r1": RegionLive("r1", clusters)})


def test_approval_added(repo: FleetRepo) -> None:
    head = repo.commit("approve", {"fleet/approvals/train.yaml": APPROVAL})
    static = build_preview(repo.root, "HEAD~1", head)
    assert static.fleet is not None
    assert [(c.category, c.subject, c.action) for c in static.fleet] == [("approval", "train-1-31-2", "added")]
    assert "r1/train: kubernetes 1.31.2, by ops@t.example" in static.fleet[0].detail
    # end states are equal: the approval changes when, not what
    assert static.resources is not None and static.resources.changes == ()
    assert static.plan is None

    seen: list[Mapping[str, Sequence[str]]] = []

    def reader(source: str, regions: Mapping[str, Sequence[str]], prefix: str) -> LiveState:
        seen.append(regions)
        assert (source, prefix) == ("snapshot", "fleet.test")
        return _live()

    live = build_preview(repo.root, "HEAD~1", head, live="snapshot", read_live=reader, now=NOW)
    assert seen == [{"r1": ["train", "batch"]}]
    assert live.plan is not None
    steps = [(s.cluster, s.action.value, s.target) for s in live.plan.steps]
    assert ("r1/train", "upgrade-control-plane", "1.31.2") in steps
    assert live.resources is not None
    updated = {c.id for c in live.resources.meaningful if c.op == "update"}
    assert "r1/train/control-plane/tenantcontrolplane-train" in updated
    # the plan and live-only rules appear in the report
    text = to_markdown(live)
    assert "Plan for head: " in text and "steps now" in text
    # what merging changes in the next step, per cluster (operating 5)
    delta = to_dict(live)["planDelta"]
    [train] = [d for d in delta if d["cluster"] == "r1/train"]
    assert "upgrade-control-plane 1.31.2" in train["stepsAdded"] and "approval-required" in train["blockedRemoved"]
    assert "Plan delta: " in text
    assert live.policy is not None and live.policy.not_evaluated == ()


def test_json_shape(repo: FleetRepo) -> None:
    head = repo.commit("grow", {"fleet/regions/r1.yaml": region(TRAIN.replace("count: 40", "count: 48"), BATCH)})
    data = to_dict(build_preview(repo.root, "HEAD~1", head))
    assert set(data) == {
        "base",
        "head",
        "basis",
        "fleet",
        "resources",
        "plan",
        "planNote",
        "policy",
        "planDelta",
        "rollout",
        "notes",
        "exitCode",
    }
    assert data["rollout"] == {"clusters": [], "firstWaves": {}}  # more nodes is no change of revision
    assert data["head"]["commit"] == head and data["base"]["valid"] is True
    assert data["basis"] == "target" and data["plan"] is None and "--live" in data["planNote"]
    assert set(data["resources"]) == {"summary", "sourceOnlyUpdates", "byType", "changes"}
    assert data["policy"]["passed"] is True and data["exitCode"] == 0
    assert data["policy"]["notEvaluated"] == ["kubelet-skew-live", "cp-one-minor-step"]


def test_mandatory_violation_in_head_exits_1(repo: FleetRepo, inside: Path) -> None:
    repo.commit(
        "one apiserver",
        {"fleet/regions/r1.yaml": region(TRAIN.replace("replicas: 3, etcd", "replicas: 1, etcd"), BATCH)},
    )
    code, out = cli("--base", "HEAD~1")
    assert code == 1
    assert "fleet/regions/r1.yaml:" in out and "[mandatory] cp-ha-apiservers: r1/train:" in out


def test_invalid_head_exits_2_with_its_diagnostics(repo: FleetRepo, inside: Path) -> None:
    repo.commit("typo", {"fleet/regions/r1.yaml": region(TRAIN.replace("count: 40", "count: forty"), BATCH)})
    result = CliRunner().invoke(app, ["preview", "--base", "HEAD~1", "--format", "markdown"])
    assert result.exit_code == 2
    assert "head is not a valid fleet" in result.stdout
    assert "fleet/regions/r1.yaml:" in result.stdout  # the diagnostics are in the PR comment
    assert "fleet/regions/r1.yaml:" in result.stderr


def test_invalid_base_still_shows_head(repo: FleetRepo) -> None:
    broken = repo.commit("typo", {"fleet/regions/r1.yaml": region(TRAIN.replace("count: 40", "count: forty"), BATCH)})
    head = repo.commit("fix", {"fleet/regions/r1.yaml": region(TRAIN, BATCH)})
    result = build_preview(repo.root, broken, head)
    assert result.exit_code == 0
    assert result.fleet is None and result.policy is not None
    assert any("not a valid fleet" in note for note in result.notes)
    assert "Base is not a valid fleet" in to_markdown(result)


def test_base_without_a_fleet_diffs_against_nothing(tmp_path: Path) -> None:
    fleet = FleetRepo(tmp_path / "new")
    empty = fleet.commit("readme", {"README.md": "fleet coming\n"})
    head = fleet.initial()
    result = build_preview(fleet.root, empty, head)
    assert result.base.absent and result.fleet is not None
    assert {(c.category, c.subject) for c in result.fleet if c.action == "added"} >= {
        ("cluster", "r1/train"),
        ("cluster", "r1/batch"),
        ("region", "r1"),
        ("tenant", "t"),
    }
    assert result.resources is not None and result.resources.counts()["delete"] == 0


def test_bad_revision_exits_2(repo: FleetRepo, inside: Path) -> None:
    result = CliRunner().invoke(app, ["preview", "--base", "no-such-branch"])
    assert result.exit_code == 2
    assert "'no-such-branch' is not a commit" in result.stderr


def test_dirty_working_tree_is_left_alone(repo: FleetRepo, inside: Path) -> None:
    repo.commit("grow", {"fleet/regions/r1.yaml": region(TRAIN.replace("count: 40", "count: 44"), BATCH)})
    dirty = region(TRAIN.replace("count: 40", "count: 99"), BATCH)
    repo.write({"fleet/regions/r1.yaml": dirty, "fleet/scratch.yaml": "not: [valid"})
    status = repo.repo.git.status("--porcelain")
    index = (repo.root / ".git" / "index").read_bytes()

    code, out = cli("--base", "HEAD~1", "--format", "json")
    assert code == 0
    assert changes(json.loads(out), "pool")[0]["detail"] == "40 → 44 nodes"  # HEAD, not the dirty file
    assert repo.repo.git.status("--porcelain") == status
    assert (repo.root / "fleet/regions/r1.yaml").read_text() == dirty
    assert (repo.root / ".git" / "index").read_bytes() == index

    # WORKTREE previews the files on disk, the broken scratch file included
    code, _ = cli("--base", "HEAD", "--head", "WORKTREE")
    assert code == 2
    repo.write({"fleet/scratch.yaml": None})
    code, out = cli("--base", "HEAD", "--head", "WORKTREE", "--format", "json")
    assert code == 0 and changes(json.loads(out), "pool")[0]["detail"] == "44 → 99 nodes"


def test_findings_are_marked_new_or_already_there(repo: FleetRepo) -> None:
    """Operating 5: a preview says which policy findings the pull request brings and which it inherits."""
    one = region(TRAIN.replace("replicas: 3, etcd", "replicas: 1, etcd"), BATCH)
    repo.commit("one apiserver", {"fleet/regions/r1.yaml": one})
    inherited = build_preview(
        repo.root, "HEAD~1", repo.commit("grow", {"fleet/regions/r1.yaml": one.replace("count: 40", "count: 48")})
    )
    assert inherited.policy is not None and inherited.policy.violations
    assert not any(inherited.is_new(v) for v in inherited.policy.violations if v.rule == "cp-ha-apiservers")
    assert "(already on base)" in to_markdown(inherited)
    brought = build_preview(repo.root, "HEAD~2", "HEAD~1")
    assert brought.policy is not None
    assert [v.rule for v in brought.policy.violations if brought.is_new(v)] == ["cp-ha-apiservers"]
    assert to_dict(brought)["policy"]["violations"][0]["new"] is True
