"""The two sides of a preview: the fleet at a git revision, or in the working tree.

Revisions are read from git objects (``load_fleet_at``): no checkout, no
stash, the working tree and index are never touched, so a developer can
preview with uncommitted edits lying around. ``WORKTREE`` as the head
means the files on disk instead (what ``fleetc check`` sees), for a
preview before committing.

A side can be: valid (a spec), invalid (diagnostics), or *absent* (the
revision has no fleet directory: a PR that creates the fleet diffs against
nothing). A revision that does not exist is the caller's error: exit 2.

Two revisions are read together (:func:`load_sides`): the files whose
object ids differ, and the unchanged files the change can reach
(:mod:`fleetc.preview.reach`), are loaded; each side's FleetSpec then holds
those files' documents, in the fleet's file order. Everything the preview
shows (diff, scope, plan, compile, policy) needs no other document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import git

from fleetc.errors import Diagnostic, FleetcError
from fleetc.preview.progress import Progress, tracked
from fleetc.preview.reach import Reach, reached_files
from fleetc.repo.fleet_at import BlobReader, fleet_tree, yaml_entries
from fleetc.repo.repository import require_commit, require_repository
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.loader import ParseCache, load_sources

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


def load_sides(
    repo: git.Repo,
    repo_dir: Path,
    base_rev: str,
    head_rev: str,
    fleet_dir: str,
    *,
    whole: bool = False,
    progress: Progress | None = None,
) -> tuple[Side, Side, Reach | None]:
    """Base and head, each loaded from the files the change reaches (every file if ``whole``).

    The Reach is None when both sides were loaded whole the old way (head in
    the working tree, or a side without a fleet directory); its ``files``
    are None when the change reaches every file (the Fleet document changed,
    or ``whole``). Only a bad revision raises.
    """
    cache = ParseCache()  # most files are the same blob on both sides: parsed once
    base_sha = resolve(repo, base_rev)
    head_sha = None if head_rev == WORKTREE else resolve(repo, head_rev)
    base_tree = _tree(repo, base_sha, repo_dir, fleet_dir)
    head_tree = None if head_sha is None else _tree(repo, head_sha, repo_dir, fleet_dir)
    if head_sha is None or base_tree is None or head_tree is None:
        head = load_side(repo, repo_dir, head_rev, fleet_dir, cache)
        return load_side(repo, repo_dir, base_rev, fleet_dir, cache), head, None
    root = repo_dir / fleet_dir
    entries = {
        side: {e.rel: e.sha for e in yaml_entries(tree, PurePosixPath())}
        for side, tree in (("base", base_tree), ("head", head_tree))
    }
    with BlobReader(repo) as reader:
        blobs: dict[str, bytes] = {}

        def data(sha: str) -> bytes:
            found = blobs.get(sha)
            if found is None:
                found = blobs[sha] = reader.read(sha)
            return found

        def documents(_side: str, rel: str, sha: str) -> list[Any]:
            read, _ = cache.read(root / rel, str(root / rel), data(sha))
            return [doc.data for doc in read.documents]

        if whole:
            reach = Reach.everything(entries["base"], entries["head"])
        else:
            reach = reached_files(entries["base"], entries["head"], data, documents)
        sides = _load_both(root, entries, (base_rev, base_sha), (head_rev, head_sha), reach, data, cache, progress)
        if reach.files is not None and not (sides[0].valid and sides[1].valid):
            # An error's hints name what the whole fleet defines ("did you mean", "use a known one"), and an
            # invalid base puts every region in scope: the sides are loaded whole, as the user expects them.
            reach = Reach.everything(entries["base"], entries["head"])
            sides = _load_both(root, entries, (base_rev, base_sha), (head_rev, head_sha), reach, data, cache, progress)
    return sides[0], sides[1], reach


def _load_both(
    root: Path,
    entries: dict[str, dict[str, str]],
    base: tuple[str, str],
    head: tuple[str, str],
    reach: Reach,
    data: Callable[[str], bytes],
    cache: ParseCache,
    progress: Progress | None,
) -> tuple[Side, Side]:
    sides = []
    for (rev, sha), side in ((base, "base"), (head, "head")):
        chosen = [(rel, blob) for rel, blob in entries[side].items() if reach.files is None or rel in reach.files]
        if not chosen:  # nothing reached on this side: load it whole (an empty load is an error of its own)
            chosen = list(entries[side].items())
        files = _files(root, chosen, data)
        if reach.files is None:
            files = tracked(files, progress, f"reading {side} {rev}", len(chosen))
        sides.append(_loaded(rev, sha, root, files, cache))
    return sides[0], sides[1]


def _files(
    root: Path, chosen: list[tuple[str, str]], data: Callable[[str], bytes]
) -> Iterator[tuple[str, bytes | None, Path]]:
    for rel, sha in chosen:
        yield str(root / rel), data(sha), root / rel


def _loaded(rev: str, sha: str, root: Path, files: Iterator[tuple[str, bytes | None, Path]], cache: ParseCache) -> Side:
    try:
        return Side(rev, sha, load_sources(root, files, cache=cache))
    except FleetcError as error:
        return Side(rev, sha, None, tuple(error.diagnostics))


def _tree(repo: git.Repo, sha: str, repo_dir: Path, fleet_dir: str) -> git.Tree | None:
    try:
        return fleet_tree(repo, repo.commit(sha), repo_dir, fleet_dir)
    except FleetcError:
        return None


def _has_directory(repo: git.Repo, sha: str, repo_dir: Path, fleet_dir: str) -> bool:
    try:
        return fleet_tree(repo, repo.commit(sha), repo_dir, fleet_dir) is not None
    except FleetcError:
        return False
