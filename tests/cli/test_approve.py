"""``fleetc approve``: the file it writes, what it keeps, what it refuses, and --commit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.spec.loader import load_fleet

REPO = Path(__file__).resolve().parents[2]
LAB_ALPHA = "ops@lab-alpha.example"
RESEARCH = ("eu-west-02/alpha-research", "--kubernetes", "1.31.2", "--by", LAB_ALPHA)


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A copy of the example fleet, outside any git repository."""
    target = tmp_path / "fleet"
    shutil.copytree(REPO / "fleet", target)
    return target


def approve(fleet: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["approve", *args, "--fleet", str(fleet)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout


def test_new_approval_file_is_valid_and_names_the_exact_target(fleet: Path) -> None:
    code, err = approve(
        fleet, "eu-west-02/alpha-research", "--kubernetes", "v1.31.2", "--by", LAB_ALPHA,
        "--node-image", "gpu-node-2024.12.0", "--expires", "2027-01-31T00:00:00+01:00",
    )  # fmt: skip
    assert code == 0, err
    path = fleet / "approvals" / "alpha-research-1-31-2.yaml"
    assert path.read_text() == (
        "# Written by: fleetc approve eu-west-02/alpha-research --kubernetes 1.31.2 --by ops@lab-alpha.example "
        "--node-image gpu-node-2024.12.0\n"
        "apiVersion: fleetc.dev/v1alpha1\n"
        "kind: Approval\n"
        "metadata:\n"
        "  name: alpha-research-1-31-2\n"
        "spec:\n"
        "  cluster: eu-west-02/alpha-research\n"
        '  kubernetes: "1.31.2"\n'
        '  nodeImage: "gpu-node-2024.12.0"\n'
        "  approvedBy: ops@lab-alpha.example\n"
        '  expires: "2027-01-30T23:00:00Z"\n'
    )
    written = [a for a in load_fleet(fleet).approvals if a.name == "alpha-research-1-31-2"]
    assert [a.spec.cluster for a in written] == ["eu-west-02/alpha-research"]
    assert "counts once committed" in err


def test_default_expiry_is_two_weeks(fleet: Path) -> None:
    code, err = approve(fleet, "eu-west-02/alpha-research", "--kubernetes", "1.31.2", "--by", LAB_ALPHA)
    assert code == 0, err
    approval = next(a for a in load_fleet(fleet).approvals if a.name == "alpha-research-1-31-2")
    from datetime import UTC, datetime, timedelta

    left = approval.spec.expires_at - datetime.now(UTC)
    assert timedelta(days=13, hours=23) < left <= timedelta(days=14)
    assert approval.spec.node_image is None


EXISTING = """\
# Approvals of lab-alpha, kept together.
# Ticket: CHG-4711
apiVersion: fleetc.dev/v1alpha1
kind: Approval
metadata:
  name: alpha-research-1-31-2
spec:
  # which cluster
  cluster: eu-west-02/alpha-research   # EU research
  approvedBy: someone-else@lab-alpha.example
  kubernetes: '1.31.2'
  expires: "2026-12-01T00:00:00Z"  # short on purpose
---
# An older approval; must stay byte for byte.
apiVersion:   fleetc.dev/v1alpha1
kind: Approval
metadata: {name: alpha-train-old}
spec:
  cluster: us-east-04/alpha-train
  kubernetes: "1.31.2"
  approvedBy: ml-infra-oncall@lab-alpha.example      # odd spacing kept
  expires: "2026-12-24T00:00:00Z"
"""


def test_existing_document_is_updated_in_place_with_comments_and_order(fleet: Path) -> None:
    path = fleet / "approvals" / "lab-alpha.yaml"
    path.write_text(EXISTING.replace("someone-else@", "ml-infra-oncall@"))
    code, err = approve(
        fleet, "eu-west-02/alpha-research", "--kubernetes", "1.31.2", "--by", LAB_ALPHA,
        "--expires", "2027-02-01T00:00:00Z", "--file", str(path),
    )  # fmt: skip
    assert code == 0, err
    after = path.read_text()
    first, second = after.split("---\n")
    assert second == EXISTING.split("---\n")[1]  # the other document is untouched
    assert first.splitlines() == [
        "# Approvals of lab-alpha, kept together.",
        "# Ticket: CHG-4711",
        "apiVersion: fleetc.dev/v1alpha1",
        "kind: Approval",
        "metadata:",
        "  name: alpha-research-1-31-2",
        "spec:",
        "  # which cluster",
        "  cluster: eu-west-02/alpha-research   # EU research",
        "  approvedBy: ops@lab-alpha.example",  # changed, in its place
        "  kubernetes: '1.31.2'",  # unchanged value: quoting kept
        '  expires: "2027-02-01T00:00:00Z"  # short on purpose',  # changed, comment kept
    ]
    assert "updated" in err


def test_same_approval_twice_changes_nothing(fleet: Path) -> None:
    args = (*RESEARCH, "--expires", "2027-02-01T00:00:00Z")
    assert approve(fleet, *args)[0] == 0
    path = fleet / "approvals" / "alpha-research-1-31-2.yaml"
    before = path.read_text()
    code, err = approve(fleet, *args)
    assert (code, path.read_text()) == (0, before)
    assert "unchanged" in err


def test_reapproving_an_example_approval_keeps_its_header_and_node_image(fleet: Path) -> None:
    path = fleet / "approvals" / "alpha-train-1-31-2.yaml"
    before = path.read_text().splitlines()
    code, err = approve(
        fleet, "us-east-04/alpha-train", "--kubernetes", "1.31.2", "--by", "ml-infra-oncall@lab-alpha.example",
        "--expires", "2027-03-01T00:00:00Z",
    )  # fmt: skip
    assert code == 0, err
    after = path.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        ("  approvedBy: ops@lab-alpha.example", "  approvedBy: ml-infra-oncall@lab-alpha.example"),
        ('  expires: "2026-12-31T00:00:00Z"', '  expires: "2027-03-01T00:00:00Z"'),
    ]


def test_an_approver_of_another_tenant_is_refused_with_the_list(fleet: Path) -> None:
    code, err = approve(fleet, "eu-west-02/beta-cpu", "--kubernetes", "1.31.2", "--by", LAB_ALPHA)
    assert code == 2
    assert "not one of tenant lab-beta's approvers" in err
    assert "platform@lab-beta.example, jkim@lab-beta.example" in err
    assert not (fleet / "approvals" / "beta-cpu-1-31-2.yaml").exists()


def test_unknown_cluster_bad_version_and_past_expiry_are_all_reported(fleet: Path) -> None:
    before = sorted(p.name for p in (fleet / "approvals").iterdir())
    past = "2020-01-01T00:00Z"
    code, err = approve(fleet, "alpha-train", "--kubernetes", "1.31", "--by", LAB_ALPHA, "--expires", past)
    assert code == 2
    assert "CLUSTER 'alpha-train': give its region too: us-east-04/alpha-train" in err
    assert "--kubernetes: '1.31' is not a version" in err
    assert "already past" in err
    assert sorted(p.name for p in (fleet / "approvals").iterdir()) == before


def test_file_outside_the_fleet_is_refused(fleet: Path, tmp_path: Path) -> None:
    code, err = approve(
        fleet, "eu-west-02/alpha-research", "--kubernetes", "1.31.2", "--by", LAB_ALPHA,
        "--file", str(tmp_path / "elsewhere.yaml"),
    )  # fmt: skip
    assert code == 2 and "inside the fleet directory" in err
    assert not (tmp_path / "elsewhere.yaml").exists()


def test_a_cluster_name_too_long_for_the_approval_name_gets_a_shortened_valid_one(fleet: Path) -> None:
    region = fleet / "regions" / "eu-west-02.yaml"
    long_name = "infer-eu-" + "x" * 50  # a valid cluster name; "<name>-1-30-6" would be 66 characters
    region.write_text(region.read_text().replace("name: infer-eu\n", f"name: {long_name}\n"))
    code, err = approve(
        fleet, f"eu-west-02/{long_name}", "--kubernetes", "1.30.6", "--by", "sre-leads@infer-co.example",
    )  # fmt: skip
    assert code == 0, err
    approval = next(a for a in load_fleet(fleet).approvals if a.spec.cluster == f"eu-west-02/{long_name}")
    assert len(approval.name) == 63 and approval.name.startswith("infer-eu-xxx") and approval.name.endswith("-1-30-6")
    assert (fleet / "approvals" / f"{approval.name}.yaml").is_file()


def test_an_approval_name_already_in_another_file_is_refused_before_writing(fleet: Path) -> None:
    """The loader refuses two approvals of one name: so does approve, up front, writing nothing."""
    other = fleet / "approvals" / "elsewhere.yaml"
    code, err = approve(
        fleet, "us-east-04/alpha-train", "--kubernetes", "1.31.2", "--by", "ml-infra-oncall@lab-alpha.example",
        "--file", str(other),
    )  # fmt: skip
    assert code == 2
    assert "an approval named alpha-train-1-31-2 is already in" in err and "leave out --file" in err
    assert not other.exists()


def test_commit_records_only_the_approval_file(fleet: Path) -> None:
    repo = fleet.parent
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fleet")
    tenants = fleet / "tenants.yaml"
    tenants.write_text(tenants.read_text() + "# staged, not to be committed by approve\n")
    git(repo, "add", "fleet/tenants.yaml")

    args = (*RESEARCH, "--expires", "2027-01-01T00:00:00Z")
    code, err = approve(fleet, *args, "--commit")
    assert code == 0, err
    assert git(repo, "log", "-1", "--format=%s").strip() == "approve eu-west-02/alpha-research kubernetes 1.31.2"
    committed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert committed == ["fleet/approvals/alpha-research-1-31-2.yaml"]
    assert git(repo, "diff", "--cached", "--name-only").split() == ["fleet/tenants.yaml"]  # still staged
    assert "committed" in err

    code, err = approve(fleet, *args, "--commit")
    assert code == 0 and "nothing to commit" in err
