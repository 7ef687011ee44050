"""The fleet as of a commit, read from git objects without a checkout.

``fleetc preview`` compares two revisions of a pull request, and the
approval gate needs the fleet as committed, both without touching the work
tree (it may be dirty). Files are taken in ``fleet_files`` order and named
``repo_dir/fleet_subdir/...`` as in a checkout of that commit, so
diagnostics and anchors read the same as on disk. Symlinks are never read:
a link's blob is its target path, not YAML, and a link could point anywhere.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import git

from fleetc.errors import fail
from fleetc.repo.repository import require_commit, require_repository, working_tree
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.loader import ParseCache, load_sources

SYMLINK_MODE = 0o120000


def fleet_tree(repo: git.Repo, commit: git.Commit, repo_dir: Path, fleet_subdir: str) -> git.Tree | None:
    """The tree of ``repo_dir/fleet_subdir`` in ``commit``; None if the commit has no such directory.

    FleetcError when the path leaves the repository.
    """
    prefix = PurePosixPath()
    top = working_tree(repo)
    if top is not None:
        try:
            prefix = PurePosixPath(repo_dir.resolve().relative_to(top).as_posix())
        except ValueError:
            raise fail(repo_dir, f"{repo_dir} is outside the repository {top}") from None
    where = posixpath.normpath((prefix / fleet_subdir).as_posix())
    if where == ".." or where.startswith("../"):
        raise fail(repo_dir / fleet_subdir, f"{fleet_subdir} is outside the repository")
    try:
        tree = commit.tree if where in ("", ".") else commit.tree / where
    except KeyError:
        return None
    return tree if tree.type == "tree" else None


def load_fleet_at(repo_dir: Path, rev: str, fleet_subdir: str, cache: ParseCache | None = None) -> FleetSpec:
    """The fleet in ``fleet_subdir`` (relative to ``repo_dir``) as of ``rev``.

    Raises FleetcError for a missing repository, revision or directory, and
    for an invalid fleet, like ``load_fleet``.
    """
    repo = require_repository(repo_dir, "reading a fleet at a revision needs one")
    with repo:
        commit = require_commit(repo, rev)
        tree = fleet_tree(repo, commit, repo_dir, fleet_subdir)
        if tree is None:
            raise fail(repo_dir / fleet_subdir, f"{fleet_subdir} does not exist in {rev} (or is not a directory)")
        root = repo_dir / fleet_subdir
        files = [(str(root / rel), data, root / rel) for rel, data in yaml_blobs(tree, PurePosixPath())]
    return load_sources(root, files, cache=cache)


def yaml_blobs(tree: git.Tree, here: PurePosixPath) -> Iterator[tuple[PurePosixPath, bytes]]:
    """(path below the fleet dir, bytes) of every *.yaml, in ``fleet_files`` order: a directory's files
    by name, then its subdirectories by name; hidden names and symlinks skipped."""
    visible = [item for item in tree if not item.name.startswith(".")]
    for blob in sorted((b for b in visible if b.type == "blob"), key=lambda b: b.name):
        if blob.name.endswith(".yaml") and blob.mode != SYMLINK_MODE:
            yield here / blob.name, blob.data_stream.read()
    for sub in sorted((t for t in visible if t.type == "tree"), key=lambda t: t.name):
        yield from yaml_blobs(sub, here / sub.name)
