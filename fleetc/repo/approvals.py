"""Which approvals count: only what is committed, judged by what is committed.

docs/spec.md section 2: from a git checkout an approval counts only when it is
present in the commit being deployed. A file written by ``fleetc approve``
but not committed (or edited after its commit) must not unlock an upgrade
from someone's workstation, because the pull request and the audit trail
would not show it. And what decides whether an approval counts -- the
tenant's approvers and the cluster's ``approval`` mode -- must be read at
that same commit: otherwise an uncommitted edit adding an approver to a
Tenant, or switching a cluster to ``automatic``, would unlock a committed
approval. So the fleet is read once more as of the commit (from git
objects, no checkout), and:

- an approval on disk counts only if the commit holds one of the same name
  with the same spec;
- the :class:`~fleetc.spec.fleet.ApprovalPolicy` (approvers, approval modes)
  is the committed fleet's;
- a commit whose fleet does not load counts no approval at all.

When the fleet directory has no change against ``HEAD`` at all (``git diff``
and ``git ls-files --others``, ignored files included), the committed fleet
*is* the one on disk and is not read twice.

Outside a git checkout there is no commit to compare with: every approval
on disk counts, with the fleet's own policy, and the notes say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import git

from fleetc.errors import FleetcError
from fleetc.repo.fleet_at import fleet_tree, yaml_blobs
from fleetc.repo.repository import find_commit, open_repository, working_tree
from fleetc.spec.anchors import where
from fleetc.spec.fleet import ApprovalPolicy, FleetSpec
from fleetc.spec.loader import load_sources
from fleetc.spec.models import ApprovalDoc

NOT_A_CHECKOUT = "not a git checkout: every approval on disk counts"


@dataclass(frozen=True)
class CommittedApprovals:
    """The approvals that count, the policy they are judged by, and why others do not count."""

    approvals: list[ApprovalDoc]
    policy: ApprovalPolicy
    notes: list[str] = field(default_factory=list)


def committed_approvals(spec: FleetSpec, rev: str = "HEAD") -> CommittedApprovals:
    """Approvals of ``spec`` that count at ``rev`` of ``spec.root``'s repository, in ``spec.approvals`` order."""
    repo = open_repository(spec.root)
    top = working_tree(repo) if repo is not None else None
    if repo is None or top is None:
        return CommittedApprovals(list(spec.approvals), ApprovalPolicy.of(spec), [NOT_A_CHECKOUT])
    with repo:
        commit = find_commit(repo, rev)
        if commit is None:
            note = f"{rev} is not a commit of {top}: no approval counts until one is committed"
            return CommittedApprovals([], ApprovalPolicy.of(spec), [note])
        if rev == "HEAD" and _unchanged(repo, top, spec.root):
            return CommittedApprovals(list(spec.approvals), ApprovalPolicy.of(spec))
        short = commit.hexsha[:12]
        try:
            committed = _fleet_at(repo, commit, spec.root)
        except FleetcError as error:
            first = error.diagnostics[0] if error.diagnostics else "no fleet"
            note = (
                f"the fleet as committed in {short} does not load ({first}): "
                "no approval counts until a valid fleet is committed"
            )
            return CommittedApprovals([], ApprovalPolicy.of(spec), [note])
    if committed is None:
        note = f"{spec.root} is not in commit {short}: no approval counts until it is committed"
        return CommittedApprovals([], ApprovalPolicy.of(spec), [note])
    return _judge(spec, committed, short)


def counted_approvals(spec: FleetSpec, rev: str = "HEAD") -> tuple[list[ApprovalDoc], list[str]]:
    """(approvals that count, notes on those that do not): :func:`committed_approvals` without the policy."""
    found = committed_approvals(spec, rev)
    return found.approvals, found.notes


def _judge(spec: FleetSpec, committed: FleetSpec, short: str) -> CommittedApprovals:
    by_name = {a.name: a for a in committed.approvals}
    committed_files = {
        where(doc).file for doc in [*committed.approvals, *committed.tenants.values(), *committed.regions.values()]
    }
    committed_files.add(where(committed.fleet).file)
    counted: list[ApprovalDoc] = []
    notes: list[str] = []
    for approval in spec.approvals:
        source = where(approval).file
        match = by_name.get(approval.name)
        if match is not None and match.spec == approval.spec:
            counted.append(approval)
        elif match is not None:
            notes.append(
                f"approval {approval.name} ({source}) differs from the one in commit {short}; "
                "commit the change to count"
            )
        elif source in committed_files:
            notes.append(f"approval {approval.name} is not committed in {source}; commit it to count")
        else:
            notes.append(f"approval {approval.name} ({source}) is not committed; commit it to count")
    return CommittedApprovals(counted, ApprovalPolicy.of(committed), notes)


def _fleet_at(repo: git.Repo, commit: git.Commit, root: Path) -> FleetSpec | None:
    """The fleet in ``root`` as of ``commit``, its files named as on disk; None if the commit lacks it."""
    from pathlib import PurePosixPath

    tree = fleet_tree(repo, commit, root, ".")
    if tree is None:
        return None
    files = [(str(root / rel), data, root / rel) for rel, data in yaml_blobs(tree, PurePosixPath())]
    return load_sources(root, files)


def _unchanged(repo: git.Repo, top: Path, root: Path) -> bool:
    """Nothing under ``root`` differs from HEAD: no tracked change (staged or not) and no other file."""
    try:
        relative = root.resolve().relative_to(top).as_posix() or "."
        if repo.git.diff("HEAD", "--name-only", "--", relative).strip():
            return False
        return not repo.git.ls_files("--others", "--", relative).strip()
    except (ValueError, git.GitCommandError):
        return False
