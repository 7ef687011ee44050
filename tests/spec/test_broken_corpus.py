"""The broken-fleet corpus: every case is ``fleetc validate`` run on a fleet with known faults.

Each directory under ``broken/`` is the minimal fleet (``valid/minimal``)
with one kind of fault (or, for ``many-errors-in-many-files``, many), and
an ``expected.txt`` holding the exact diagnostics, paths relative to the
case directory. The contract (docs/spec.md section 2, "Invalid input"): exit 2,
every error as ``file:LINE:COL: message``, all of them in one run, sorted by
file then line, nothing on stdout and nothing written. A problem of the
fleet directory as a whole (no ``*.yaml`` in it, no Fleet document) is in no
file: ``fleetc: message``, before the others.

Cases that cannot live in git (a missing directory, a 50 MB file) are
generated in ``tmp_path`` below.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.errors import EXIT_INVALID

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
MINIMAL = HERE / "valid" / "minimal"
CASES = sorted(p for p in BROKEN.iterdir() if p.is_dir())
DIAGNOSTIC = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")
NO_POSITION = re.compile(r"^fleetc: (?P<message>.+)$")

runner = CliRunner()


def validate(fleet: str) -> tuple[int, str, list[str]]:
    """Run ``fleetc validate --fleet`` in-process: exit code, stdout, stderr lines."""
    result = runner.invoke(app, ["validate", "--fleet", fleet])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is a bug of its own: show it
    return result.exit_code, result.stdout, result.stderr.splitlines()


def diagnostics_of(lines: list[str]) -> list[str]:
    """The diagnostic lines, checking the trailing "N errors; ..." summary a run with several prints."""
    if len(lines) > 1:
        assert re.match(rf"^{len(lines) - 1} errors; nothing was written or applied\.$", lines[-1]), lines[-1]
        return lines[:-1]
    return lines


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    for case in CASES:
        assert (case / "expected.txt").is_file(), f"{case.name} has no expected.txt"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = (case / "expected.txt").read_text().splitlines()
    before = tree_digest(case)
    monkeypatch.chdir(case)

    code, stdout, stderr = validate(".")

    assert code == EXIT_INVALID
    assert stdout == ""
    assert diagnostics_of(stderr) == expected
    assert tree_digest(case) == before, "validate must not change the fleet"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_expected_diagnostics_are_well_formed(case: Path) -> None:
    """Each line names file:line:col (1-based), says what is wrong and, after a ';', how to fix it."""
    expected = (case / "expected.txt").read_text().splitlines()
    assert expected, "a broken case must expect at least one diagnostic"
    keys = []
    for line in expected:
        unplaced = NO_POSITION.match(line)
        if unplaced:
            assert "; " in unplaced["message"], f"no fix given: {line}"
            assert not keys, "diagnostics without a position come first"
            continue
        match = DIAGNOSTIC.match(line)
        assert match, line
        assert int(match["line"]) >= 1 and int(match["col"]) >= 1
        assert "; " in match["message"], f"no fix given: {line}"
        file = match["file"]
        assert (case / file).is_file(), f"{file} is not a file of the case"
        keys.append((file, int(match["line"]), int(match["col"])))
    assert keys == sorted(keys), "diagnostics are sorted by file, then line, then column"


def test_missing_fleet_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = validate("no-such-fleet")
    assert (code, stdout) == (EXIT_INVALID, "")
    assert stderr == ["fleetc: fleet directory no-such-fleet does not exist; pass --fleet DIR"]


def test_fleet_path_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fleet.yaml").write_text("kind: Fleet\n")
    code, _, stderr = validate("fleet.yaml")
    assert code == EXIT_INVALID
    assert stderr == ["fleetc: fleet.yaml is not a directory; pass the folder holding the fleet's *.yaml files"]


def test_a_50_mb_file_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(MINIMAL, fleet)
    line = b"# padding: a comment line that is valid YAML, repeated until the file is large\n"
    with (fleet / "huge.yaml").open("wb") as out:
        out.write(line * (50 * 1024 * 1024 // len(line) + 1))
    monkeypatch.chdir(fleet)
    code, stdout, stderr = validate(".")
    assert (code, stdout) == (EXIT_INVALID, "")
    assert stderr == [
        "huge.yaml:1:1: file is 50.0 MiB, above the 16 MiB limit for one fleet file; split it into several files"
    ]


def test_the_console_script_prints_no_traceback(tmp_path: Path) -> None:
    """The real entry point, in its own process, on the case with the most errors."""
    case = BROKEN / "many-errors-in-many-files"
    done = subprocess.run(
        [sys.executable, "-m", "fleetc.cli.main", "validate", "--fleet", "."],
        cwd=case,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == EXIT_INVALID
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert diagnostics_of(done.stderr.splitlines()) == (case / "expected.txt").read_text().splitlines()
