"""Commit one file fleetc wrote, and nothing else.

``fleetc approve --commit`` runs in a working tree where the person may have
other changes staged; ``git commit -- <path>`` (``--only``) records just
that path and leaves the index otherwise as it was, which a commit of the
whole index would not.

Everything that can be known to fail before the file is written is checked
first (:func:`prepare_commit`: a git checkout, the file inside its working
tree, not ignored, a committer identity), so that ``--commit`` outside a
checkout refuses without leaving an uncommitted file behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from fleetc.errors import FleetcError, fail
from fleetc.repo.repository import open_repository, require_repository


@dataclass(frozen=True)
class Committed:
    sha: str  # the new commit's hexsha
    branch: str | None  # None: detached HEAD


@dataclass(frozen=True)
class CommitTarget:
    """A file that can be committed once written: its repository and its path there."""

    path: Path
    top: Path  # the repository's working tree
    relative: str  # posix path below ``top``


def prepare_commit(path: Path) -> CommitTarget:
    """Check that ``path`` (which need not exist yet) can be committed alone; FleetcError if not."""
    start = path.parent
    while not start.exists() and start != start.parent:  # the approvals/ folder may not exist yet
        start = start.parent
    repo = open_repository(start)
    if repo is None:
        raise fail(None, f"--commit: {path} is not inside a git repository; run without --commit")
    with repo:
        top = repo.working_tree_dir
        if repo.bare or top is None:
            raise fail(None, "--commit: the repository is bare; run fleetc approve in a checkout")
        try:
            relative = path.resolve().relative_to(Path(top).resolve()).as_posix()
        except ValueError:
            raise fail(None, f"--commit: {path} is outside the working tree of {top}; run without --commit") from None
        try:
            repo.git.check_ignore("-q", "--", relative)
        except git.GitCommandError:
            pass  # exit 1: not ignored
        else:
            raise fail(
                None, f"--commit: {relative} is ignored by git (.gitignore); un-ignore it or run without --commit"
            )
        try:
            repo.git.var("GIT_COMMITTER_IDENT")
            repo.git.var("GIT_AUTHOR_IDENT")
        except git.GitCommandError:
            raise fail(
                None,
                "--commit: git has no identity to commit with; set git config user.name and user.email "
                "or run without --commit",
            ) from None
    return CommitTarget(path, Path(top), relative)


def commit_file(target: CommitTarget, message: str) -> Committed | None:
    """Commit the prepared file alone with ``message``; None if it has no change to commit. FleetcError on failure."""
    with require_repository(target.top, "--commit needs one") as repo:
        try:
            repo.git.add("--", target.relative)
            if not _changed(repo, target.relative):
                return None
            repo.git.commit("-m", message, "--", target.relative)
        except git.GitCommandError as error:
            raise _commit_error(target.path, error) from None
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
    return fail(None, f"--commit: git could not commit {path}: {hint}; the file is written, commit it by hand")
