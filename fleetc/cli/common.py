"""Helpers every command shares: loading the fleet, reporting errors, exiting.

Commands never let a traceback reach the user for bad input: FleetcError
becomes its diagnostics on stderr and exit 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console

from fleetc.errors import EXIT_INVALID, FleetcError

T = TypeVar("T")

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True, highlight=False)

FLEET_OPTION = typer.Option(Path("fleet"), "--fleet", help="Directory holding the fleet's *.yaml files.")


def report(error: FleetcError) -> None:
    for diagnostic in error.diagnostics:
        stderr.print(str(diagnostic), markup=False)
    count = len(error.diagnostics)
    if count > 1:
        stderr.print(f"{count} errors; nothing was written or applied.", markup=False)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn FleetcError into diagnostics + exit 2 (docs/spec.md section 5)."""
    try:
        yield
    except FleetcError as error:
        report(error)
        raise typer.Exit(error.exit_code) from None


def guarded(func: Callable[[], T]) -> T:
    with user_errors():
        return func()


def load(fleet: Path):  # type: ignore[no-untyped-def]
    """Load and validate the fleet; exit 2 with every diagnostic on error."""
    from fleetc.spec.loader import load_fleet

    with user_errors():
        return load_fleet(fleet)


def emit(text: str) -> None:
    """Write command output to stdout verbatim (no rich markup interpretation)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


__all__ = ["EXIT_INVALID", "FLEET_OPTION", "emit", "guarded", "load", "report", "stderr", "stdout", "user_errors"]
