"""Opening a repository and naming a commit, with one wording for every failure."""

from __future__ import annotations

from pathlib import Path

import git

from fleetc.errors import FleetcError, fail

# What GitPython raises for a revision that names no commit.
BAD_REVISION = (git.BadName, git.BadObject, ValueError, git.GitCommandError)


def open_repository(path: Path) -> git.Repo | None:
    """The git repository holding ``path`` (searching parents), or None outside one."""
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def require_repository(path: Path, why: str) -> git.Repo:
    """The repository holding ``path``; FleetcError (exit 2) saying ``why`` one is needed."""
    repo = open_repository(path)
    if repo is None:
        raise fail(path, f"{path} is not inside a git repository; {why}")
    return repo


def working_tree(repo: git.Repo) -> Path | None:
    """The checkout's top directory, resolved; None for a bare repository."""
    if repo.bare or repo.working_tree_dir is None:
        return None
    return Path(repo.working_tree_dir).resolve()


def find_commit(repo: git.Repo, rev: str) -> git.Commit | None:
    """The commit ``rev`` names, or None."""
    try:
        return repo.commit(rev)
    except BAD_REVISION:
        return None


def require_commit(repo: git.Repo, rev: str, what: str = "") -> git.Commit:
    """The commit ``rev`` names; FleetcError (exit 2) otherwise."""
    commit = find_commit(repo, rev)
    if commit is None:
        where = repo.working_tree_dir or repo.git_dir
        raise not_a_commit(str(where), f"{what}{rev!r} is not a commit of {where}: pass a branch, tag or sha")
    return commit


def not_a_commit(where: str, message: str) -> FleetcError:
    return fail(where, message)
