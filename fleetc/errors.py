"""User-facing diagnostics and exit codes.

Every problem with user input is a :class:`Diagnostic` that names
``file:line:col``; commands collect all of them and exit 2 at once, so users
fix a whole batch per run instead of one error at a time.

A problem that is not in any file (a directory that does not exist, no
kubeconfig, a checkout that is not a git repository) has no position and
prints as ``fleetc: message``: a made-up ``<kubeconfig>:1:1:`` would send
editors and scripts that jump to ``file:line:col`` to a file that is not there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import total_ordering
from pathlib import Path

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_INVALID = 2


@dataclass(frozen=True, order=True)
class Pos:
    """A 1-based position in a source file."""

    file: str
    line: int = 1
    col: int = 1
    # A name of the place that survives edits elsewhere in the file (``Region/r1/spec.clusters[c1]``):
    # what applied objects carry, so a comment line moving every line below applies nothing.
    anchor: str = field(default="", compare=False)

    def __str__(self) -> str:
        if self.line == 0 and self.anchor:  # read back from an applied object: no line is known
            return f"{self.file}#{self.anchor}"
        return f"{self.file}:{self.line}:{self.col}"

    @property
    def stable(self) -> str:
        """``file#anchor`` when the anchor is known, else ``file:line:col``: the form objects carry."""
        return f"{self.file}#{self.anchor}" if self.anchor else str(self)


# What a diagnostic without a position starts with.
NO_POSITION_PREFIX = "fleetc"


@total_ordering
@dataclass(frozen=True, eq=True)
class Diagnostic:
    """One error in user input, sortable by file then line then column.

    ``pos`` None: the problem is in no file (see the module docstring); such
    diagnostics sort before every positioned one, since they are about the
    run as a whole.
    """

    pos: Pos | None
    message: str

    def __str__(self) -> str:
        """``file:line:col: message`` (or ``fleetc: message``) on one line, whatever the user's text held.

        Messages quote keys and values from the input; a key with a line
        break or a control character in it must not split a diagnostic in two
        (scripts and editors read one diagnostic per line).
        """
        where = NO_POSITION_PREFIX if self.pos is None else str(self.pos)
        return one_line(f"{where}: {self.message}")

    def _key(self) -> tuple[bool, Pos, str]:
        return (self.pos is not None, self.pos or Pos(""), self.message)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Diagnostic):
            return NotImplemented
        return self._key() < other._key()


def one_line(text: str) -> str:
    """``text`` with every non-printable character (line breaks included) escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class FleetcError(Exception):
    """Invalid input or unusable state: carries every diagnostic of the run."""

    exit_code = EXIT_INVALID

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def fail(file: str | Path | None, message: str, line: int = 1, col: int = 1) -> FleetcError:
    """Build a one-diagnostic error (for problems that stop loading early).

    ``file`` None: the problem is in no file; ``message`` then names what it
    is about (a directory, a flag) itself.
    """
    pos = None if file is None else Pos(str(file), line, col)
    return FleetcError([Diagnostic(pos, message)])
