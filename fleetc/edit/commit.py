"""Commit one file fleetc wrote, and nothing else.

``fleetc approve --commit`` runs in a working tree where the person may have
other changes staged; ``git commit -- <path>`` (``--only``) records just
that path and leaves the index otherwise as it was, which a commit of the
whole index would not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from fleetc.errors import FleetcError, fail
from fleetc.repo.repository import open_repository


@dataclass(frozen=True)
class Committed:
    sha: str  # the new commit's hexsha
    branch: str | None  # None: detached HEAD


def commit_file(path: Path, message: str) -> Committed | None:
    """Commit ``path`` alone with ``message``; None if it has no change to commit. FleetcError on failure."""
    repo = open_repository(path.parent)
    if repo is None:
        raise fail(path, f"--commit: {path} is not inside a git repository")
    with repo:
        top = repo.working_tree_dir
        if top is None:
            raise fail(path, "--commit: the repository is bare; run fleetc approve in a checkout")
        relative = path.resolve().relative_to(Path(top).resolve()).as_posix()
        try:
            repo.git.add("--", relative)
            if not _changed(repo, relative):
                return None
            repo.git.commit("-m", message, "--", relative)
        except git.GitCommandError as error:
            raise _commit_error(path, error) from None
        branch = None if repo.head.is_detached else repo.active_branch.name
        return Committed(repo.head.commit.hexsha, branch)


def _changed(repo: git.Repo, relative: str) -> bool:
    """The staged file differs from HEAD (or there is no HEAD yet)."""
    if not repo.head.is_valid():
        return True
    return bool(repo.git.diff("--cached", "--name-only", "HEAD", "--", relative).strip())


def _commit_error(path: Path, error: git.GitCommandError) -> FleetcError:
    stderr = str(error.stderr or "").strip().removeprefix("stderr:").strip().strip("'").strip()
    hint = stderr.splitlines()[-1] if stderr else str(error)
    return fail(path, f"--commit: git could not commit {path}: {hint}; the file is written, commit it by hand")
