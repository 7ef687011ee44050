"""``fleetc approve`` writes its arguments into a YAML file and a commit message: what it refuses, and when.

- No argument may hold a line break or another non-printable character
  (one check over every parameter; a newline in --node-image once forged an
  ``Approved-by:`` trailer).
- What approve accepts, the loader accepts: every run either writes a file
  that loads, or exits 2 having written nothing.
- Node images are Kubernetes label values (fleetc writes them as node label
  values).
- --commit that cannot work fails before the file is written.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.spec.loader import load_fleet

REPO = Path(__file__).resolve().parents[2]
BY = "ops@lab-alpha.example"
CLUSTER = "eu-west-02/alpha-research"
WRITTEN = Path("approvals") / "alpha-research-1-31-2.yaml"
VALID = {
    "CLUSTER": CLUSTER,
    "--kubernetes": "1.31.2",
    "--by": BY,
    "--node-image": "gpu-node-2024.12.0",
    "--expires": "2030-01-31T00:00:00Z",
    "--file": "approvals/alpha-research-1-31-2.yaml",  # relative to the fleet: made absolute below
}
LABEL_VALUE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def example_fleet() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fleetc-approve-") as tmp:
        fleet = Path(tmp) / "fleet"
        shutil.copytree(REPO / "fleet", fleet)
        yield fleet


@pytest.fixture
def fleet() -> Iterator[Path]:
    with example_fleet() as path:
        yield path


def approve(fleet: Path, args: dict[str, str], *extra: str) -> tuple[int, str]:
    argv = ["approve", args["CLUSTER"]]
    for flag, value in args.items():
        if flag != "CLUSTER":
            argv += [flag, str(fleet / value) if flag == "--file" else value]
    result = CliRunner().invoke(app, [*argv, *extra, "--fleet", str(fleet)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stderr


def digest(root: Path) -> str:
    found = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        found.update(str(path.relative_to(root)).encode())
        if path.is_file():
            found.update(path.read_bytes())
    return found.hexdigest()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def init_repo(repo: Path) -> None:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fleet")


def test_the_valid_arguments_are_accepted(fleet: Path) -> None:
    code, err = approve(fleet, VALID)
    assert code == 0, err
    assert (fleet / WRITTEN).is_file()


UNPRINTABLE = st.one_of(
    st.sampled_from(["\n", "\r", "\r\n", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\u200b", "\ufeff"]),
    st.characters(categories=["Cc", "Cf", "Zl", "Zp"]),
)


@SLOW
@given(flag=st.sampled_from(sorted(VALID)), bad=UNPRINTABLE, where=st.floats(0, 1))
def test_no_argument_may_hold_a_line_break_or_control_character(flag: str, bad: str, where: float) -> None:
    with example_fleet() as fleet:
        before = digest(fleet)
        value = VALID[flag]
        at = int(where * len(value))
        code, err = approve(fleet, {**VALID, flag: value[:at] + bad + value[at:]})
        assert code == 2
        assert digest(fleet) == before, "nothing written"
        if flag == "--file" and bad == "\x00":  # no path can hold a NUL: the CLI parser refuses it first
            assert "Invalid value for '--file'" in err
            return
        assert err.startswith(f"{flag}: "), err
        assert "holds a line break or control character" in err
        assert len(err.splitlines()) == 1, "one line per problem, whatever the argument held"


def test_a_newline_cannot_forge_a_commit_trailer(fleet: Path) -> None:
    init_repo(fleet.parent)
    head = git(fleet.parent, "rev-parse", "HEAD")
    forged = {**VALID, "--node-image": "gpu-node-2024.12.0\n\nApproved-by: ceo@lab-alpha.example"}
    code, err = approve(fleet, forged, "--commit")
    assert code == 2 and err.startswith("--node-image: ")
    assert git(fleet.parent, "rev-parse", "HEAD") == head
    assert git(fleet.parent, "status", "--porcelain") == ""


NODE_IMAGES = st.one_of(
    st.text(alphabet="abcXYZ019-_.", max_size=70),
    st.text(alphabet="ab1-._ /:@+~é", max_size=12),
    st.sampled_from(["", " ", "-img", "img-", "img.", "_img", "a" * 63, "a" * 64, "gpu-node:2024", "img/1"]),
)


@SLOW
@given(image=NODE_IMAGES)
def test_node_image_must_be_a_label_value_and_what_is_written_loads(image: str) -> None:
    with example_fleet() as fleet:
        before = digest(fleet)
        code, err = approve(fleet, {**VALID, "--node-image": image})
        stripped = image.strip()
        valid = bool(LABEL_VALUE.fullmatch(stripped)) and len(stripped) <= 63
        assert code == (0 if valid else 2), err
        if valid:
            written = next(a for a in load_fleet(fleet).approvals if a.name == WRITTEN.stem)
            assert written.spec.node_image == stripped
        else:
            assert digest(fleet) == before
            assert "--node-image" in err


ARGUMENTS = st.fixed_dictionaries(
    {
        "CLUSTER": st.sampled_from([CLUSTER, "alpha-research", "eu-west-02/", "/alpha-research", "us-east-04/x"]),
        "--kubernetes": st.sampled_from(["1.31.2", "v1.31.2", "1.31", "1.31.2.0", "01.31.2", "1.31.99999999999"]),
        "--by": st.sampled_from([BY, "ops@lab-alpha.example ", "nobody@lab-alpha.example", "ops"]),
        "--node-image": NODE_IMAGES,
        "--expires": st.sampled_from(
            ["2030-01-31T00:00:00Z", "2030-01-31T00:00:00", "2020-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00"]
        ),
    }
)


@SLOW
@given(args=ARGUMENTS)
def test_approve_writes_only_what_the_loader_accepts(args: dict[str, str]) -> None:
    """Exit 0 and a fleet that loads with the approval in it, or exit 2 and nothing written."""
    with example_fleet() as fleet:
        before = digest(fleet)
        code, err = approve(fleet, args)
        assert code in (0, 2), err
        if code == 0:
            spec = load_fleet(fleet)
            assert any(a.spec.cluster == CLUSTER and a.spec.approved_by == BY for a in spec.approvals)
        else:
            assert digest(fleet) == before


def test_a_bare_cluster_name_suggests_its_region(fleet: Path) -> None:
    code, err = approve(fleet, {**VALID, "CLUSTER": "alpha-research"})
    assert code == 2
    assert err.splitlines()[0] == "CLUSTER 'alpha-research': give its region too: eu-west-02/alpha-research"


def test_a_bare_cluster_name_in_several_regions_lists_them(fleet: Path) -> None:
    region = fleet / "regions" / "eu-west-02.yaml"
    region.write_text(region.read_text().replace("- name: beta-cpu\n", "- name: alpha-train\n"))
    code, err = approve(fleet, {**VALID, "CLUSTER": "alpha-train"})
    assert code == 2
    assert err.splitlines()[0] == (
        "CLUSTER 'alpha-train': there is a cluster of that name in 2 regions: "
        "eu-west-02/alpha-train, us-east-04/alpha-train; pick one"
    )


def test_a_misspelt_cluster_gets_a_did_you_mean(fleet: Path) -> None:
    code, err = approve(fleet, {**VALID, "CLUSTER": "eu-west-02/alpha-reserch"})
    assert code == 2
    assert "no such cluster in the fleet; did you mean eu-west-02/alpha-research?" in err


def test_commit_outside_a_git_checkout_fails_before_writing(fleet: Path) -> None:
    before = digest(fleet)
    code, err = approve(fleet, VALID, "--commit")
    assert code == 2
    assert err.splitlines() == [
        f"fleetc: --commit: {fleet / WRITTEN} is not inside a git repository; run without --commit"
    ]
    assert digest(fleet) == before


def test_commit_of_an_ignored_file_fails_before_writing(fleet: Path) -> None:
    (fleet.parent / ".gitignore").write_text("approvals/\n")
    init_repo(fleet.parent)
    before = digest(fleet)
    code, err = approve(fleet, VALID, "--commit")
    assert code == 2 and "is ignored by git" in err
    assert digest(fleet) == before


def test_the_commit_message_is_exactly_subject_and_two_trailers(fleet: Path) -> None:
    init_repo(fleet.parent)
    code, err = approve(fleet, VALID, "--commit")
    assert code == 0, err
    assert git(fleet.parent, "log", "-1", "--format=%B").rstrip("\n").splitlines() == [
        "approve eu-west-02/alpha-research kubernetes 1.31.2 node image gpu-node-2024.12.0",
        "",
        "Approved-by: ops@lab-alpha.example",
        "Expires: 2030-01-31T00:00:00Z",
    ]


def test_file_in_a_hidden_folder_is_refused(fleet: Path) -> None:
    code, err = approve(fleet, {**VALID, "--file": ".drafts/a.yaml"})
    assert code == 2 and "not in a hidden folder, or the approval would never be read" in err
    assert not (fleet / ".drafts").exists()


def test_help_shows_commit_as_a_flag_and_has_examples() -> None:
    result = CliRunner().invoke(app, ["approve", "--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    commit = next(line for line in result.stdout.splitlines() if "--commit" in line and "git" in line)
    assert "<bool>" not in commit and "BOOLEAN" not in commit
    assert "Examples:" in result.stdout
    assert "fleetc approve us-east-04/alpha-train --kubernetes 1.31.2 --by" in result.stdout
