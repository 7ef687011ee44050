"""Approvals count only as committed; fleets load from a commit without a checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fleetc.errors import FleetcError
from fleetc.repo.approvals import NOT_A_CHECKOUT, counted_approvals
from fleetc.repo.fleet_at import load_fleet_at
from fleetc.spec.loader import load_fleet
from fleetc.spec.models import ApprovalDoc

FLEET = """\
apiVersion: fleetc.dev/v1alpha1
kind: Fleet
metadata: {name: f}
spec:
  channels:
    rapid: {kubernetes: "1.31.2", etcd: "3.5.16", nodeImage: img-new}
  instanceTypes:
    cpu: {gpus: 0, cpus: 8, memoryGiB: 32}
"""
TENANT = """\
apiVersion: fleetc.dev/v1alpha1
kind: Tenant
metadata: {name: t}
spec: {approvers: [ops@t.example]}
"""
REGION = """\
apiVersion: fleetc.dev/v1alpha1
kind: Region
metadata: {name: r1}
spec:
  failureDomains: [a]
  clusters:
    - name: c1
      tenant: t
      channel: rapid
      nodePools: [{name: p, instanceType: cpu, count: %d, maxUnavailable: 1}]
"""


def approval_yaml(name: str, kubernetes: str = "1.31.2") -> str:
    return f"""\
apiVersion: fleetc.dev/v1alpha1
kind: Approval
metadata: {{name: {name}}}
spec:
  cluster: r1/c1
  kubernetes: "{kubernetes}"
  approvedBy: ops@t.example
  expires: "2030-01-01T00:00:00Z"
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with a committed fleet in fleet/ and one committed approval."""
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.name", "Test")
    git(tmp_path, "config", "user.email", "test@example.com")
    git(tmp_path, "config", "commit.gpgsign", "false")
    fleet = tmp_path / "fleet"
    write(fleet / "fleet.yaml", FLEET)
    write(fleet / "tenants.yaml", TENANT)
    write(fleet / "regions" / "r1.yaml", REGION % 3)
    write(fleet / "approvals" / "committed.yaml", approval_yaml("committed"))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "fleet")
    return tmp_path


def names(approvals: list[ApprovalDoc]) -> list[str]:
    return [a.name for a in approvals]


def test_committed_approval_counts(repo: Path) -> None:
    counted, notes = counted_approvals(load_fleet(repo / "fleet"))
    assert names(counted) == ["committed"] and notes == []


def test_uncommitted_approval_file_does_not_count(repo: Path) -> None:
    write(repo / "fleet" / "approvals" / "new.yaml", approval_yaml("new"))
    counted, notes = counted_approvals(load_fleet(repo / "fleet"))
    assert names(counted) == ["committed"]
    [note] = notes
    assert "approval new" in note and "is not committed; commit it to count" in note


def test_approval_edited_after_its_commit_does_not_count(repo: Path) -> None:
    write(repo / "fleet" / "approvals" / "committed.yaml", approval_yaml("committed", "1.31.3"))
    counted, notes = counted_approvals(load_fleet(repo / "fleet"))
    assert counted == []
    assert "differs from the one in commit" in notes[0]


def test_reformatted_but_identical_approval_still_counts(repo: Path) -> None:
    text = approval_yaml("committed").replace('"1.31.2"', "'1.31.2'") + "# a comment\n"
    write(repo / "fleet" / "approvals" / "committed.yaml", text)
    counted, _ = counted_approvals(load_fleet(repo / "fleet"))
    assert names(counted) == ["committed"]


def test_approval_added_to_a_committed_file_does_not_count(repo: Path) -> None:
    path = repo / "fleet" / "approvals" / "committed.yaml"
    write(path, path.read_text() + "---\n" + approval_yaml("second"))
    counted, notes = counted_approvals(load_fleet(repo / "fleet"))
    assert names(counted) == ["committed"]
    assert "approval second is not committed" in notes[0]


def test_rev_selects_the_commit(repo: Path) -> None:
    write(repo / "fleet" / "approvals" / "new.yaml", approval_yaml("new"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "approve")
    spec = load_fleet(repo / "fleet")
    assert names(counted_approvals(spec)[0]) == ["committed", "new"]
    assert names(counted_approvals(spec, "HEAD~1")[0]) == ["committed"]


def test_relative_fleet_path_from_the_repo_root(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    counted, notes = counted_approvals(load_fleet(Path("fleet")))
    assert names(counted) == ["committed"] and notes == []


def test_unknown_revision_counts_nothing(repo: Path) -> None:
    counted, notes = counted_approvals(load_fleet(repo / "fleet"), "no-such-branch")
    assert counted == [] and "no-such-branch is not a commit" in notes[0]


def test_outside_git_every_approval_counts(tmp_path: Path) -> None:
    fleet = tmp_path / "plain"
    write(fleet / "fleet.yaml", FLEET)
    write(fleet / "tenants.yaml", TENANT)
    write(fleet / "regions" / "r1.yaml", REGION % 3)
    write(fleet / "a.yaml", approval_yaml("loose"))
    counted, notes = counted_approvals(load_fleet(fleet))
    assert names(counted) == ["loose"] and notes == [NOT_A_CHECKOUT]


def test_load_fleet_at_reads_the_commit_not_the_work_tree(repo: Path) -> None:
    write(repo / "fleet" / "regions" / "r1.yaml", REGION % 5)
    write(repo / "fleet" / "approvals" / "new.yaml", approval_yaml("new"))
    spec = load_fleet_at(repo, "HEAD", "fleet")
    [(_, c1)] = list(spec.clusters())
    assert c1.node_pools[0].count == 3
    assert names(spec.approvals) == ["committed"]
    assert spec.root == repo / "fleet"
    # anchors name the files as in a checkout, so diagnostics point somewhere useful
    assert spec.approvals[0]._anchor.document.file == str(repo / "fleet" / "approvals" / "committed.yaml")


def test_load_fleet_at_an_older_revision(repo: Path) -> None:
    write(repo / "fleet" / "regions" / "r1.yaml", REGION % 5)
    git(repo, "commit", "-q", "-am", "grow")
    assert next(load_fleet_at(repo, "HEAD", "fleet").clusters())[1].node_pools[0].count == 5
    assert next(load_fleet_at(repo, "HEAD~1", "fleet").clusters())[1].node_pools[0].count == 3


def test_load_fleet_at_skips_hidden_and_non_yaml_files(repo: Path) -> None:
    write(repo / "fleet" / ".hidden" / "broken.yaml", "not: [valid")
    write(repo / "fleet" / ".broken.yaml", "not: [valid")
    write(repo / "fleet" / "README.md", "# notes")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "noise")
    assert list(load_fleet_at(repo, "HEAD", "fleet").regions) == ["r1"]


def test_load_fleet_at_from_a_subdirectory_of_the_repository(repo: Path) -> None:
    spec = load_fleet_at(repo / "fleet", "HEAD", "regions/..")
    assert list(spec.regions) == ["r1"]
    assert spec.root == repo / "fleet" / "regions" / ".."
    with pytest.raises(FleetcError, match="outside the repository"):
        load_fleet_at(repo / "fleet", "HEAD", "../..")


def test_load_fleet_at_reports_invalid_yaml_with_its_position(repo: Path) -> None:
    write(repo / "fleet" / "regions" / "r1.yaml", REGION.replace("count: %d", "count: -1"))
    git(repo, "commit", "-q", "-am", "break")
    with pytest.raises(FleetcError) as error:
        load_fleet_at(repo, "HEAD", "fleet")
    assert str(repo / "fleet" / "regions" / "r1.yaml") + ":10:" in str(error.value)


@pytest.mark.parametrize(
    ("rev", "subdir", "message"),
    [("nope", "fleet", "'nope' is not a commit"), ("HEAD", "missing", "missing does not exist in HEAD")],
)
def test_load_fleet_at_names_a_bad_revision_or_directory(repo: Path, rev: str, subdir: str, message: str) -> None:
    with pytest.raises(FleetcError, match=message):
        load_fleet_at(repo, rev, subdir)


def test_load_fleet_at_outside_git(tmp_path: Path) -> None:
    with pytest.raises(FleetcError, match="not inside a git repository"):
        load_fleet_at(tmp_path, "HEAD", "fleet")


# ----------------------------------------------------------------- the policy is read at the same commit (hardening 17)


def plan_of(repo: Path) -> list[tuple[str, str]]:
    """What the real pipeline would do with the working tree: (reason, detail) of the approval gate, if closed."""
    from datetime import UTC, datetime

    from fleetc.live.facts import ClusterLive, ControlPlaneFacts, LiveState, NodeFacts, RegionLive
    from fleetc.plan.planner import plan
    from fleetc.repo.approvals import committed_approvals
    from fleetc.versions import Version

    spec = load_fleet(repo / "fleet")
    nodes = tuple(NodeFacts(f"n{i}", "p", "a", Version(1, 30, 6), "img-old", True, False, False) for i in range(3))
    cp = ControlPlaneFacts(Version(1, 30, 6), True, 3, Version(3, 5, 16), True)
    state = LiveState({"r1": RegionLive("r1", {"c1": ClusterLive("r1/c1", True, cp, nodes)})})
    committed = committed_approvals(spec)
    result = plan(spec, state, committed.approvals, datetime(2026, 1, 1, tzinfo=UTC), policy=committed.policy)
    return [(str(b.reason), b.detail) for b in result.blocked if b.reason == "approval-required"]


def test_an_uncommitted_approver_does_not_make_a_committed_approval_count(repo: Path) -> None:
    approval = approval_yaml("by-eve").replace("ops@t.example", "eve@t.example")
    write(repo / "fleet" / "approvals" / "by-eve.yaml", approval)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "eve approves")
    write(
        repo / "fleet" / "regions" / "r1.yaml",
        (REGION % 3).replace("channel: rapid", "channel: rapid\n      upgrade: {approval: required}"),
    )
    git(repo, "commit", "-qam", "c1 needs approval")
    (repo / "fleet" / "approvals" / "committed.yaml").unlink()
    git(repo, "commit", "-qam", "only eve's approval left")
    assert plan_of(repo)  # eve is no approver: gated
    write(repo / "fleet" / "tenants.yaml", TENANT.replace("[ops@t.example]", "[ops@t.example, eve@t.example]"))
    [(_, detail)] = plan_of(repo)  # added on disk only: still gated, and the detail says why
    assert "only in uncommitted changes" in detail
    git(repo, "commit", "-qam", "eve becomes an approver")
    assert plan_of(repo) == []  # committed: counts


def test_an_uncommitted_switch_to_automatic_unlocks_nothing(repo: Path) -> None:
    required = (REGION % 3).replace("channel: rapid", "channel: rapid\n      upgrade: {approval: required}")
    write(repo / "fleet" / "regions" / "r1.yaml", required)
    (repo / "fleet" / "approvals" / "committed.yaml").unlink()
    git(repo, "commit", "-qam", "c1 needs approval, none given")
    assert plan_of(repo)
    write(repo / "fleet" / "regions" / "r1.yaml", required.replace("approval: required", "approval: automatic"))
    [(_, detail)] = plan_of(repo)
    assert "approval: required as committed" in detail
    git(repo, "commit", "-qam", "automatic")
    assert plan_of(repo) == []


def test_a_committed_fleet_that_does_not_load_counts_no_approval(repo: Path) -> None:
    write(repo / "fleet" / "tenants.yaml", "kind: [")
    git(repo, "commit", "-qam", "broken")
    write(repo / "fleet" / "tenants.yaml", TENANT)  # fixed on disk only
    counted, notes = counted_approvals(load_fleet(repo / "fleet"))
    assert counted == [] and "does not load" in notes[0]


def test_an_approval_behind_a_committed_symlink_does_not_count(repo: Path) -> None:
    outside = repo / "elsewhere.yaml"
    write(outside, approval_yaml("linked"))
    (repo / "fleet" / "approvals" / "linked.yaml").symlink_to(outside)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a link")
    (repo / "fleet" / "approvals" / "linked.yaml").unlink()
    write(repo / "fleet" / "approvals" / "linked.yaml", approval_yaml("linked"))  # the same text, as a file
    counted, notes = counted_approvals(load_fleet(repo / "fleet"))
    assert names(counted) == ["committed"] and "approval linked" in notes[0]


def test_a_clean_checkout_is_not_read_twice(repo: Path) -> None:
    """With nothing changed under fleet/, the fleet on disk is the committed one (and an ignored file is a change)."""
    counted, notes = counted_approvals(load_fleet(repo / "fleet"))
    assert names(counted) == ["committed"] and notes == []
    write(repo / ".gitignore", "fleet/approvals/ignored.yaml\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore")
    write(repo / "fleet" / "approvals" / "ignored.yaml", approval_yaml("ignored"))
    counted, notes = counted_approvals(load_fleet(repo / "fleet"))
    assert names(counted) == ["committed"] and "approval ignored" in notes[0]


def test_check_flags_an_approver_and_their_approval_in_one_change(repo: Path) -> None:
    """Hardening 17: adding an approver and an approval they signed in one pull request is a policy finding."""
    from typer.testing import CliRunner

    from fleetc.cli.main import app

    write(repo / "fleet" / "tenants.yaml", TENANT.replace("[ops@t.example]", "[ops@t.example, eve@t.example]"))
    write(repo / "fleet" / "approvals" / "eve.yaml", approval_yaml("eve").replace("ops@t.example", "eve@t.example"))
    fleet = str(repo / "fleet")
    flagged = CliRunner().invoke(app, ["check", "--fleet", fleet, "--base", "HEAD", "--format", "json"])
    assert flagged.exit_code == 1, flagged.output
    assert "approval-by-new-approver" in flagged.stdout and "eve@t.example" in flagged.stdout
    git(repo, "add", "fleet/tenants.yaml")
    git(repo, "commit", "-qm", "eve becomes an approver")  # the approver lands first, on its own
    separate = CliRunner().invoke(app, ["check", "--fleet", fleet, "--base", "HEAD", "--format", "json"])
    assert "approval-by-new-approver" not in separate.stdout
