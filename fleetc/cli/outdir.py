"""``--out DIR`` of the commands that write files (render, simulate), checked before any work.

A simulation runs for minutes and a render reads every cluster; finding out
afterwards that ``--out`` names a file, or a directory nobody may write,
throws that work away with a traceback. So the directory is created (or
found) and probed for writing first, and a problem is one line and exit 2.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from fleetc.cli.common import stderr
from fleetc.errors import EXIT_INVALID


def usable_out_dir(out: Path, flag: str = "--out") -> Path:
    """``out``, created if missing and known to be writable; exit 2 with one line otherwise."""
    if out.exists() and not out.is_dir():
        raise _refuse(f"{flag} {out}: exists and is not a directory; name a directory (it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        raise _refuse(f"{flag} {out}: cannot write there: {error.strerror or error}") from None
    return out


def write_failed(error: OSError, flag: str = "--out") -> typer.Exit:
    """A write that failed midway (disk full, a file in the way): one line, exit 2; the caller raises it."""
    where = f" {error.filename}" if error.filename else ""
    return _refuse(f"{flag}:{where}: cannot write: {error.strerror or error}")


def _refuse(message: str) -> typer.Exit:
    stderr.print(message, markup=False)
    return typer.Exit(EXIT_INVALID)
