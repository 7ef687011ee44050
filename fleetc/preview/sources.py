"""The two sides of a preview: the fleet at a git revision, or in the working tree.

Revisions are read from git objects (``load_fleet_at``): no checkout, no
stash, the working tree and index are never touched, so a developer can
preview with uncommitted edits lying around. ``WORKTREE`` as the head
means the files on disk instead (what ``fleetc check`` sees), for a
preview before committing.

A side can be: valid (a spec), invalid (diagnostics), or *absent* (the
revision has no fleet directory: a PR that creates the fleet diffs against
nothing). A revision that does not exist is the caller's error: exit 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from fleetc.errors import Diagnostic, FleetcError
from fleetc.repo.fleet_at import fleet_tree
from fleetc.repo.repository import require_commit, require_repository
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.loader import ParseCache

WORKTREE = "WORKTREE"


@dataclass(frozen=True)
class Side:
    """One side of the diff: ``rev`` as the user wrote it, the commit it named."""

    rev: str
    commit: str | None  # full sha; None for the working tree
    spec: FleetSpec | None
    diagnostics: tuple[Diagnostic, ...] = ()
    absent: bool = False  # no fleet directory at this revision

    @property
    def label(self) -> str:
        if self.commit is None or self.commit.startswith(self.rev):
            return self.rev if self.commit is None else self.commit[:7]
        return f"{self.rev} ({self.commit[:7]})"

    @property
    def valid(self) -> bool:
        return self.spec is not None


def open_repository(repo_dir: Path) -> git.Repo:
    return require_repository(repo_dir, "preview compares two revisions")


def resolve(repo: git.Repo, rev: str) -> str:
    """The full sha ``rev`` names; FleetcError (exit 2) if it names no commit."""
    return str(require_commit(repo, rev).hexsha)


def load_side(repo: git.Repo, repo_dir: Path, rev: str, fleet_dir: str, cache: ParseCache | None = None) -> Side:
    """Load the fleet of one side; only a bad revision raises."""
    from fleetc.repo.fleet_at import load_fleet_at
    from fleetc.spec.loader import load_fleet

    if rev == WORKTREE:
        try:
            return Side(rev, None, load_fleet(repo_dir / fleet_dir))
        except FleetcError as error:
            return Side(rev, None, None, tuple(error.diagnostics))
    sha = resolve(repo, rev)
    if not _has_directory(repo, sha, repo_dir, fleet_dir):
        return Side(rev, sha, None, absent=True)
    try:
        return Side(rev, sha, load_fleet_at(repo_dir, sha, fleet_dir, cache))
    except FleetcError as error:
        return Side(rev, sha, None, tuple(error.diagnostics))


def _has_directory(repo: git.Repo, sha: str, repo_dir: Path, fleet_dir: str) -> bool:
    try:
        return fleet_tree(repo, repo.commit(sha), repo_dir, fleet_dir) is not None
    except FleetcError:
        return False
