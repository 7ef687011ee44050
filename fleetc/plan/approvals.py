"""Approvals from git: only what is committed counts, and fleets at a revision.

SPEC.md section 2: from a git checkout an approval counts only when it is
present in the commit being deployed. A file written by ``fleetc approve``
but not committed (or edited after its commit) must not unlock an upgrade
from someone's workstation, because the PR and the audit trail would not
show it. So each approval on disk is compared with the document of the same
kind and name in its file *as committed* (read from the commit's tree, no
checkout): it counts only if that document has the same spec.

Outside a git checkout there is no commit to compare with: every approval on
disk counts, and the notes say so.

``load_fleet_at`` loads a whole fleet from a commit the same way, for
``fleetc preview`` (base and head of a pull request) without touching the
work tree.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import git

from fleetc.errors import Diagnostic, fail
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.loader import load_sources
from fleetc.spec.models import ApprovalDoc
from fleetc.spec.source import read_documents

NOT_A_CHECKOUT = "not a git checkout: every approval on disk counts"
_SYMLINK_MODE = 0o120000
_COMMIT_ERRORS = (git.BadName, git.BadObject, ValueError, git.GitCommandError)


def open_repo(path: Path) -> git.Repo | None:
    """The git repository holding ``path`` (searching parents), or None."""
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def counted_approvals(spec: FleetSpec, rev: str = "HEAD") -> tuple[list[ApprovalDoc], list[str]]:
    """(approvals that count, notes on those that do not), from ``spec.root``'s
    repository at ``rev``. Order follows ``spec.approvals``."""
    repo = open_repo(spec.root)
    if repo is None or repo.bare or repo.working_tree_dir is None:
        return list(spec.approvals), [NOT_A_CHECKOUT]
    with repo:
        try:
            commit = repo.commit(rev)
        except _COMMIT_ERRORS:
            notes = [f"{rev} is not a commit of {repo.working_tree_dir}: no approval counts until one is committed"]
            return [], notes
        top = Path(repo.working_tree_dir).resolve()
        committed = _CommittedFiles(commit, top)
        counted: list[ApprovalDoc] = []
        notes = []
        for approval in spec.approvals:
            note = committed.check(approval)
            if note is None:
                counted.append(approval)
            else:
                notes.append(note)
    return counted, notes


class _CommittedFiles:
    """Approval documents of files as committed, each file parsed once."""

    def __init__(self, commit: git.Commit, top: Path) -> None:
        self.commit = commit
        self.top = top
        self.short = commit.hexsha[:12]
        self.parsed: dict[str, list[ApprovalDoc] | None] = {}

    def check(self, approval: ApprovalDoc) -> str | None:
        """None if ``approval`` is in the commit as it is on disk, else why not."""
        source = _source_file(approval)
        if source is None:
            return f"approval {approval.name} has no source file; it does not count"
        documents = self.documents(source)
        if documents is None:
            return f"approval {approval.name} ({source}) is not committed; commit it to count"
        same_name = [doc for doc in documents if doc.name == approval.name]
        if not same_name:
            return f"approval {approval.name} is not committed in {source}; commit it to count"
        if any(doc.spec.model_dump() == approval.spec.model_dump() for doc in same_name):
            return None
        return (
            f"approval {approval.name} ({source}) differs from the one in commit {self.short}; "
            "commit the change to count"
        )

    def documents(self, source: str) -> list[ApprovalDoc] | None:
        """Approvals in ``source`` as committed; None: the file is not in the commit."""
        if source not in self.parsed:
            self.parsed[source] = self._read(source)
        return self.parsed[source]

    def _read(self, source: str) -> list[ApprovalDoc] | None:
        path = Path(source)
        absolute = (path if path.is_absolute() else Path.cwd() / path).resolve()
        try:
            inside = absolute.relative_to(self.top)
            blob = self.commit.tree / inside.as_posix()
        except (ValueError, KeyError):
            return None
        if blob.type != "blob":
            return None
        errors: list[Diagnostic] = []
        found: list[ApprovalDoc] = []
        for document in read_documents(path, source, errors, data=blob.data_stream.read()):
            parsed = _as_approval(document.data)
            if parsed is not None:
                found.append(parsed)
        return found


def _as_approval(data: Any) -> ApprovalDoc | None:
    if not isinstance(data, dict) or data.get("kind") != "Approval":
        return None
    try:
        return ApprovalDoc.model_validate(data)
    except ValueError:  # pydantic's ValidationError is a ValueError
        return None


def _source_file(approval: ApprovalDoc) -> str | None:
    found = getattr(approval, "_anchor", None)
    document = getattr(found, "document", None)
    file = getattr(document, "file", None)
    return file if isinstance(file, str) else None


def load_fleet_at(repo_dir: Path, rev: str, fleet_subdir: str) -> FleetSpec:
    """The fleet in ``fleet_subdir`` (relative to ``repo_dir``) as of commit
    ``rev``, read from git objects without a checkout. File names in
    diagnostics and anchors read ``repo_dir/fleet_subdir/...`` as in a
    checkout of that commit. Raises FleetcError for a missing repository,
    revision or directory, and for an invalid fleet, like ``load_fleet``."""
    repo = open_repo(repo_dir)
    if repo is None:
        raise fail(repo_dir, f"{repo_dir} is not inside a git repository; preview needs one")
    with repo:
        try:
            commit = repo.commit(rev)
        except _COMMIT_ERRORS:
            raise fail(repo_dir, f"{rev!r} is not a commit of {repo_dir}: pass a branch, tag or sha") from None
        prefix = PurePosixPath()
        if not repo.bare and repo.working_tree_dir is not None:
            top = Path(repo.working_tree_dir).resolve()
            prefix = PurePosixPath(repo_dir.resolve().relative_to(top).as_posix())
        where = posixpath.normpath((prefix / fleet_subdir).as_posix())
        if where == ".." or where.startswith("../"):
            raise fail(repo_dir / fleet_subdir, f"{fleet_subdir} is outside the repository")
        try:
            tree = commit.tree if where in ("", ".") else commit.tree / where
        except KeyError:
            raise fail(repo_dir / fleet_subdir, f"{fleet_subdir} does not exist in {rev}") from None
        if tree.type != "tree":
            raise fail(repo_dir / fleet_subdir, f"{fleet_subdir} is not a directory in {rev}")
        root = repo_dir / fleet_subdir
        files = [(str(root / rel), data, root / rel) for rel, data in _yaml_blobs(tree, PurePosixPath())]
    return load_sources(root, files)


def _yaml_blobs(tree: git.Tree, here: PurePosixPath) -> Iterator[tuple[PurePosixPath, bytes]]:
    """(path below the fleet dir, bytes) of every *.yaml, in ``fleet_files``
    order: a directory's files by name, then its subdirectories by name;
    hidden names skipped. Symlinks are skipped: their blob is a link target,
    not YAML."""
    visible = [item for item in tree if not item.name.startswith(".")]
    for blob in sorted((b for b in visible if b.type == "blob"), key=lambda b: b.name):
        if blob.name.endswith(".yaml") and blob.mode != _SYMLINK_MODE:
            yield here / blob.name, blob.data_stream.read()
    for sub in sorted((t for t in visible if t.type == "tree"), key=lambda t: t.name):
        yield from _yaml_blobs(sub, here / sub.name)
