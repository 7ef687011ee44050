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
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import git

from fleetc.errors import fail
from fleetc.repo.repository import require_commit, require_repository, working_tree
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.loader import ParseCache, load_sources
from fleetc.spec.source import MAX_FILE_BYTES

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
    """(path below the fleet dir, bytes) of every *.yaml, in ``fleet_files`` order (see :func:`yaml_entries`)."""
    entries = list(yaml_entries(tree, here))
    with BlobReader(tree.repo) as reader:
        for entry in entries:
            yield entry.path, reader.read(entry.sha)


@dataclass(frozen=True)
class BlobEntry:
    """A *.yaml file of a tree, by name and object id: two sides with the same id hold the same bytes."""

    rel: str  # below the fleet dir, "/"-separated (a str: a PurePosixPath per file costs more than its read)
    sha: str  # hex object id

    @property
    def path(self) -> PurePosixPath:
        return PurePosixPath(self.rel)


def yaml_entries(tree: git.Tree, here: PurePosixPath) -> Iterator[BlobEntry]:
    """Every *.yaml below ``tree``, in ``fleet_files`` order: a directory's files by name, then its
    subdirectories by name; hidden names and symlinks skipped. One ``git ls-tree`` reads the tree
    objects, no file (walking them object by object costs more than the files a preview reads)."""
    listing = tree.repo.git.ls_tree("-r", "-z", tree.hexsha, stdout_as_string=False)
    assert isinstance(listing, bytes)
    found: list[tuple[tuple[tuple[int, str], ...], BlobEntry]] = []
    for record in listing.split(b"\0"):
        meta, tab, raw = record.partition(b"\t")
        fields = meta.split()
        if not tab or len(fields) != 3 or fields[1] != b"blob" or int(fields[0], 8) == SYMLINK_MODE:
            continue
        parts = raw.decode("utf-8", "surrogateescape").split("/")
        if not parts[-1].endswith(".yaml") or any(part.startswith(".") for part in parts):
            continue
        order = (*((1, d) for d in parts[:-1]), (0, parts[-1]))  # files before subdirectories, each by name
        found.append((order, BlobEntry("/".join((*here.parts, *parts)), fields[2].decode("ascii"))))
    for _, entry in sorted(found, key=lambda item: item[0]):
        yield entry


class BlobReader:
    """Blobs read through one ``git cat-file --batch`` process, one request at a time.

    One process for every file of a preview, not one per file. A request is
    answered before the next is written, so neither pipe can fill up and
    block. At most ``MAX_FILE_BYTES + 1`` bytes of a blob are kept (the rest
    is read and dropped): the loader reports a larger file as too big, and a
    pull request's giant blob does not land in memory.
    """

    def __init__(self, repo: git.Repo) -> None:
        self._process = subprocess.Popen(
            [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", "--git-dir", str(repo.git_dir), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def read(self, sha: str) -> bytes:
        """The bytes of blob ``sha`` (truncated past the loader's size limit); FleetcError if git has none."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(sha.encode("ascii") + b"\n")
            stdin.flush()
        except OSError as error:  # git ended (killed, or a repository it cannot read)
            raise fail(None, f"git cat-file stopped reading objects ({error}); check the repository") from None
        header = stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise fail(None, f"git cannot read object {sha} ({b' '.join(header).decode(errors='replace')})")
        size = int(header[2])
        kept = stdout.read(min(size, MAX_FILE_BYTES + 1))
        left = size - len(kept)
        while left > 0:  # bounded by the size git announced
            dropped = stdout.read(min(left, 1 << 20))
            if not dropped:
                break
            left -= len(dropped)
        stdout.read(1)  # the newline after the content
        return kept

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process.wait()
