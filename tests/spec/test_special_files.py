"""Only regular files inside the fleet directory are read: links and special files are errors, never opened.

A pull request controls what ``fleet/`` holds, and CI runs ``fleetc validate``
on it. A link to /dev/zero would be read forever, a named pipe would block
forever, and a link to a committed file outside ``fleet/`` would count as
that file (an approval nobody wrote in the fleet). So each of these is an
error of the run (exit 2, ``path:1:1: ...``) and is not opened.

Runs that could hang or eat memory if this regressed (a FIFO, /dev/zero)
run the real CLI in a subprocess with a timeout and a memory limit, so a
regression fails the test instead of stalling the suite.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fleetc.errors import EXIT_INVALID, FleetcError
from fleetc.spec.loader import fleet_files, load_fleet

HERE = Path(__file__).parent
MINIMAL = HERE / "valid" / "minimal"
RULE = "fleetc reads only regular files inside the fleet directory"
TIMEOUT_S = 60
ALARM_S = 20  # one in-process load of the minimal fleet takes milliseconds
MEMORY_LIMIT = 2 * 1024**3  # far above a validate run, far below what reading /dev/zero takes


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def validate_in_subprocess(fleet: Path) -> subprocess.CompletedProcess[str]:
    """``fleetc validate`` in its own process: a hang is a timeout, a runaway read a MemoryError."""
    return subprocess.run(
        [sys.executable, "-m", "fleetc.cli.main", "validate", "--fleet", str(fleet)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
        preexec_fn=_limit_memory,
    )


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    target = tmp_path / "fleet"
    shutil.copytree(MINIMAL, target)
    return target


def diagnostics(fleet: Path) -> list[str]:
    with pytest.raises(FleetcError) as caught:
        load_fleet(fleet)
    return [str(d) for d in caught.value.diagnostics]


def test_symlink_to_dev_zero_is_refused_unread(fleet: Path) -> None:
    (fleet / "zero.yaml").symlink_to("/dev/zero")
    done = validate_in_subprocess(fleet)
    assert done.returncode == EXIT_INVALID, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"{fleet / 'zero.yaml'}:1:1: is a symlink (to '/dev/zero'); {RULE} and never follows links: "
        "replace the link with the file itself"
    ]


def test_symlink_to_a_fifo_does_not_hang(fleet: Path, tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    (fleet / "regions" / "pipe.yaml").symlink_to(pipe)
    done = validate_in_subprocess(fleet)
    assert done.returncode == EXIT_INVALID, done.stderr
    assert done.stderr.splitlines() == [
        f"{fleet / 'regions' / 'pipe.yaml'}:1:1: is a symlink (to {str(pipe)!r}); {RULE} and never follows links: "
        "replace the link with the file itself"
    ]


def test_a_fifo_placed_in_the_fleet_does_not_hang(fleet: Path) -> None:
    os.mkfifo(fleet / "tenants-pipe.yaml")
    done = validate_in_subprocess(fleet)
    assert done.returncode == EXIT_INVALID, done.stderr
    assert done.stderr.splitlines() == [
        f"{fleet / 'tenants-pipe.yaml'}:1:1: is a named pipe (FIFO), not a regular file; {RULE}: remove it"
    ]


def test_symlink_to_a_file_outside_the_fleet_is_refused(fleet: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "approval.yaml"
    outside.parent.mkdir()
    shutil.copy(fleet / "approvals" / "train.yaml", outside)
    (fleet / "approvals" / "train.yaml").unlink()
    (fleet / "approvals" / "train.yaml").symlink_to(outside)
    assert diagnostics(fleet) == [
        f"{fleet / 'approvals' / 'train.yaml'}:1:1: is a symlink (to {str(outside)!r}); {RULE} and never follows "
        "links: replace the link with the file itself"
    ]


def test_a_relative_symlink_to_a_file_inside_the_fleet_is_refused_too(fleet: Path) -> None:
    """Even a link that stays inside: one rule, no judging where a link leads."""
    (fleet / "again.yaml").symlink_to("tenants.yaml")
    assert diagnostics(fleet) == [
        f"{fleet / 'again.yaml'}:1:1: is a symlink (to 'tenants.yaml'); {RULE} and never follows links: "
        "replace the link with the file itself"
    ]


def test_dangling_symlink_is_refused(fleet: Path) -> None:
    (fleet / "gone.yaml").symlink_to("no-such-file.yaml")
    assert diagnostics(fleet) == [
        f"{fleet / 'gone.yaml'}:1:1: is a dangling symlink (to 'no-such-file.yaml', which does not exist); {RULE} "
        "and never follows links: remove the link, or replace it with the file itself"
    ]


def test_symlinked_directory_is_reported_not_descended(fleet: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-regions"
    other.mkdir()
    (other / "broken.yaml").write_text("this: [is not read\n")
    (fleet / "more").symlink_to(other, target_is_directory=True)
    assert diagnostics(fleet) == [
        f"{fleet / 'more'}:1:1: is a symlink to a directory ({str(other)!r}); {RULE} and never follows links: "
        "move the directory here instead of linking to it"
    ]
    assert fleet / "more" / "broken.yaml" not in fleet_files(fleet)


def test_a_socket_is_refused(tmp_path: Path) -> None:
    # AF_UNIX paths are short (108 bytes): a fleet right under /tmp
    with _short_fleet() as fleet, socket.socket(socket.AF_UNIX) as server:
        server.bind(str(fleet / "s.yaml"))
        assert diagnostics(fleet) == [f"{fleet / 's.yaml'}:1:1: is a socket, not a regular file; {RULE}: remove it"]


@contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in this (main) thread after ``seconds``, even inside a blocking open()."""
    import signal

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s: something blocked (a FIFO opened?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _short_fleet() -> Iterator[Path]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fl-", dir="/tmp") as tmp:
        root = Path(tmp) / "f"
        shutil.copytree(MINIMAL, root)
        yield root


def test_a_symlink_named_anything_is_refused_hidden_ones_are_skipped(fleet: Path) -> None:
    """Not only *.yaml: a linked README could be renamed later; hidden names are never read at all."""
    (fleet / "README.md").symlink_to("/etc/passwd")
    (fleet / ".editor.yaml").symlink_to("/dev/zero")
    assert [d.split(":1:1:")[0] for d in diagnostics(fleet)] == [str(fleet / "README.md")]


def test_the_fleet_argument_itself_may_be_a_symlink(fleet: Path, tmp_path: Path) -> None:
    """The user typed --fleet: it is followed; only what is below it must be regular."""
    link = tmp_path / "fleet-link"
    link.symlink_to(fleet, target_is_directory=True)
    assert sorted(load_fleet(link).tenants) == sorted(load_fleet(fleet).tenants)


def test_all_refused_entries_are_reported_in_one_run_with_the_fleet_errors(fleet: Path) -> None:
    (fleet / "a.yaml").symlink_to("/dev/zero")
    os.mkfifo(fleet / "regions" / "b.yaml")
    (fleet / "tenants.yaml").write_text((fleet / "tenants.yaml").read_text().replace("ops@team-a.example", "ops", 1))
    found = diagnostics(fleet)
    assert [d.split(":")[0] for d in found] == [
        str(fleet / "a.yaml"),
        str(fleet / "regions" / "b.yaml"),
        str(fleet / "tenants.yaml"),
    ]


def test_a_symlinked_approval_does_not_count_for_the_planner(tmp_path: Path) -> None:
    """The attack of the review: a link in fleet/approvals to a committed file elsewhere in the repository."""
    repo = tmp_path / "repo"
    shutil.copytree(MINIMAL, repo / "fleet")
    (repo / "docs").mkdir()
    shutil.move(repo / "fleet" / "approvals" / "train.yaml", repo / "docs" / "sample-approval.yaml")
    (repo / "fleet" / "approvals" / "train.yaml").symlink_to("../../docs/sample-approval.yaml")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "fleet"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    live = tmp_path / "live"
    (live / "r1").mkdir(parents=True)
    (live / "r1" / "management.json").write_text('{"kind": "List", "items": []}')
    done = subprocess.run(
        [sys.executable, "-m", "fleetc.cli.main", "plan", "--fleet", "fleet", "--live", str(live)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == EXIT_INVALID
    assert done.stdout == ""
    assert "fleet/approvals/train.yaml:1:1: is a symlink (to '../../docs/sample-approval.yaml')" in done.stderr


# ---------------------------------------------------------------- the class, on random placements

Maker = Callable[[Path, Path], None]


def _link_inside(path: Path, scratch: Path) -> None:
    path.symlink_to(MINIMAL / "tenants.yaml")


def _link_outside(path: Path, scratch: Path) -> None:
    target = scratch / "outside.yaml"
    target.write_text("apiVersion: fleetc.dev/v1alpha1\n")
    path.symlink_to(target)


def _dangling(path: Path, scratch: Path) -> None:
    path.symlink_to(scratch / "never-created.yaml")


def _dev_null(path: Path, scratch: Path) -> None:
    path.symlink_to("/dev/null")


def _linked_directory(path: Path, scratch: Path) -> None:
    target = scratch / "a-directory"
    target.mkdir(exist_ok=True)
    (target / "r9.yaml").write_text("kind: Region\n")
    path.symlink_to(target, target_is_directory=True)


def _fifo(path: Path, scratch: Path) -> None:
    os.mkfifo(path)


MAKERS: dict[str, Maker] = {
    "link to a fleet file": _link_inside,
    "link outside": _link_outside,
    "dangling link": _dangling,
    "link to /dev/null": _dev_null,
    "linked directory": _linked_directory,
    "fifo": _fifo,
}
NAMES = st.sampled_from(["x.yaml", "x.yml", "notes.txt", "x"])
PLACES = st.sampled_from(["", "regions", "approvals", "new/deeper"])


# No shrinking: should a regression block on a FIFO, the first example fails after the
# alarm and the test ends, rather than shrinking through many more blocked examples.
@settings(
    max_examples=60,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(kinds=st.lists(st.tuples(st.sampled_from(sorted(MAKERS)), PLACES, NAMES), min_size=1, max_size=4))
def test_every_link_or_special_file_is_one_diagnostic_at_its_path(kinds: list[tuple[str, str, str]]) -> None:
    """Whatever the kind, name and depth: one ``path:1:1`` diagnostic each, nothing else, nothing opened.

    In-process, under an alarm: a regression that opens a FIFO fails with
    TimeoutError instead of blocking the suite.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fleetc-special-") as tmp, _alarm(ALARM_S):
        root, scratch = Path(tmp) / "fleet", Path(tmp) / "scratch"
        shutil.copytree(MINIMAL, root)
        scratch.mkdir()
        expected = set()
        for index, (kind, place, name) in enumerate(kinds):
            folder = root / place
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{index}-{name}"
            MAKERS[kind](path, scratch)
            expected.add(f"{path}:1:1")
        found = diagnostics(root)
        assert {d.split(": ", 1)[0] for d in found} == expected
        assert all(RULE in d for d in found), found


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_an_unreadable_directory_is_an_error_not_a_skip(fleet: Path) -> None:
    """Its region files would silently be missing from the fleet."""
    locked = fleet / "regions"
    locked.chmod(0)
    try:
        found = diagnostics(fleet)
    finally:
        locked.chmod(0o755)
    assert f"fleetc: cannot list directory {locked}: Permission denied; make it readable" in found


def test_a_directory_tree_thousands_deep_is_walked_without_recursion(fleet: Path) -> None:
    chain = []
    deep = fleet
    try:
        for _ in range(1100):  # 2,200 characters: below PATH_MAX, above Python's recursion limit (1000)
            deep = deep / "d"
            deep.mkdir()  # one at a time: Path.mkdir(parents=True) itself recurses
            chain.append(deep)
        (deep / "x.yml").write_text("kind: Tenant\n")
        [found] = diagnostics(fleet)
        assert found.startswith(f"{deep / 'x.yml'}:1:1: fleet files must end in .yaml, this one is not loaded")
    finally:  # innermost first: shutil.rmtree (and so pytest's tmp_path cleanup) recurses too
        (deep / "x.yml").unlink(missing_ok=True)
        for directory in reversed(chain):
            directory.rmdir()


def test_files_come_in_a_stable_order_files_before_subdirectories(tmp_path: Path) -> None:
    for name in ("b/z.yaml", "b/a/y.yaml", "a.yaml", "c/x.yaml", "b.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert [p.relative_to(tmp_path).as_posix() for p in fleet_files(tmp_path)] == [
        "a.yaml",
        "b.yaml",
        "b/z.yaml",
        "b/a/y.yaml",
        "c/x.yaml",
    ]
