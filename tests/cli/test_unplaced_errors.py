"""Errors that are in no file print as ``fleetc: message``, never with a made-up ``<kubeconfig>:1:1:``.

Editors and scripts jump to ``file:line:col``; a position in a file that
does not exist (``<kubeconfig>``, a missing directory) sends them nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.errors import Diagnostic, FleetcError, Pos, fail

REPO = Path(__file__).resolve().parents[2]
FAKE_POSITION = re.compile(r"^<[^>]*>:\d+:\d+:|^[^:\n]*:1:1: (fleet directory|live snapshot directory|--)")


def test_a_diagnostic_without_position_prints_as_fleetc() -> None:
    assert str(Diagnostic(None, "no kubeconfig; pass --kubeconfig")) == "fleetc: no kubeconfig; pass --kubeconfig"
    assert str(fail(None, "line\nbreak").diagnostics[0]) == "fleetc: line\\nbreak"


def test_unplaced_diagnostics_sort_first_then_by_file_line_col() -> None:
    found = FleetcError(
        [
            Diagnostic(Pos("b.yaml", 2, 1), "b"),
            Diagnostic(None, "z"),
            Diagnostic(Pos("a.yaml", 9, 9), "a"),
            Diagnostic(None, "m"),
            Diagnostic(Pos("b.yaml", 1, 5), "c"),
        ]
    )
    assert [str(d) for d in found.diagnostics] == [
        "fleetc: m",
        "fleetc: z",
        "a.yaml:9:9: a",
        "b.yaml:1:5: c",
        "b.yaml:2:1: b",
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["plan", "--live", "kube"], "fleetc: --live kube needs the management cluster's kubeconfig"),
        (["live", "export", "--out", "snap"], "fleetc: no kubeconfig: pass --kubeconfig PATH or set $KUBECONFIG"),
        (["live", "export", "--out", "snap", "--region", "mars"], "fleetc: --region mars: no such region"),
        (["validate", "--fleet", "no-such-dir"], "fleetc: fleet directory no-such-dir does not exist"),
        (["plan", "--live", "no-such-dir"], "fleetc: live snapshot directory no-such-dir does not exist"),
    ],
)
def test_run_level_errors_have_no_fake_position(
    args: list[str], expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    fleet = [] if "--fleet" in args else ["--fleet", str(REPO / "fleet")]
    result = CliRunner().invoke(app, [*args, *fleet], env={"KUBECONFIG": "", "HOME": str(tmp_path)})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(expected), lines
    assert not [line for line in lines if FAKE_POSITION.match(line)]
