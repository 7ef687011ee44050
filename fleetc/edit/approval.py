"""Write an Approval document (docs/spec.md section 2) into a fleet file, keeping everything else.

An approval is the audit record of a customer's consent, so re-approving
(new expiry, new approver) updates the existing document in place: its
comments, key order and quoting survive and the git diff shows only the
changed values. A file's other documents are never re-serialised (see
:mod:`fleetc.edit.yaml_docs`). Computing an edit reads only; ``apply`` and
``restore`` are the two writes, so a caller can undo an edit that turns out
to make the fleet invalid.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from fleetc.edit.yaml_docs import Chunk, YAMLError, dump, load, split_documents
from fleetc.errors import Diagnostic, FleetcError, fail
from fleetc.spec.models import API_VERSION
from fleetc.spec.source import read_regular_file
from fleetc.versions import Version


@dataclass(frozen=True)
class ApprovalRequest:
    """What ``fleetc approve`` was asked to record."""

    name: str  # metadata.name
    cluster: str  # <region>/<name>
    kubernetes: Version | None
    approved_by: str
    expires: str  # ISO 8601 with zone
    node_image: str | None = None
    comment: str | None = None  # header comment of a new document ("Written by: ...")
    addons: tuple[tuple[str, str], ...] = ()  # disruptive add-ons approved: (name, exact chart version)


class Outcome(StrEnum):
    CREATED = "created"  # a new file
    APPENDED = "appended"  # a new document at the end of an existing file
    UPDATED = "updated"  # the matching document changed in place
    UNCHANGED = "unchanged"  # the matching document already says exactly this


@dataclass(frozen=True)
class ApprovalEdit:
    path: Path
    before: str | None  # the file's text before, None: it did not exist
    after: str
    outcome: Outcome

    def apply(self) -> None:
        if self.outcome is Outcome.UNCHANGED:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _write(self.path, self.after)

    def restore(self) -> None:
        """Put the file back as it was (remove it if the edit created it)."""
        if self.before is None:
            self.path.unlink(missing_ok=True)
        else:
            _write(self.path, self.before)


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` itself: never through a link that appeared since it was read."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        out.write(text)


def edit_approval(path: Path, request: ApprovalRequest) -> ApprovalEdit:
    """The edit that records ``request`` in ``path``; FleetcError if the file cannot be edited safely.

    The file is read like the loader reads fleet files: a regular file, not
    a link, at most MAX_FILE_BYTES (a FIFO here would block the command).
    """
    if not path.exists() and not path.is_symlink():
        return ApprovalEdit(path, None, _new_document(request), Outcome.CREATED)
    read = read_regular_file(path, str(path), follow_symlinks=False)
    if isinstance(read, Diagnostic):
        raise FleetcError([read])
    try:
        before = read.decode("utf-8")
    except UnicodeDecodeError:
        raise fail(path, "not UTF-8 text; save the file as UTF-8 before approving") from None
    # Edited with universal newlines (as Python reads text); ``before`` stays exact, for restore().
    text = before.replace("\r\n", "\n").replace("\r", "\n")
    chunks = split_documents(text)
    line = 1
    for index, chunk in enumerate(chunks):
        line += chunk.separator.count("\n")
        data = _load(path, chunk, line)
        line += chunk.body.count("\n")
        if _matches(data, request):
            updated = _update(data, request)
            if not updated:
                return ApprovalEdit(path, before, before, Outcome.UNCHANGED)
            chunks[index] = Chunk(chunk.separator, dump(data))
            return ApprovalEdit(path, before, "".join(c.text for c in chunks), Outcome.UPDATED)
    joiner = "" if not text or text.endswith("\n") else "\n"
    after = text + joiner + ("---\n" if text.strip() else "") + _new_document(request)
    return ApprovalEdit(path, before, after, Outcome.APPENDED)


def _load(path: Path, chunk: Chunk, first_line: int) -> Any:
    """One document's round-trip data; ``first_line``: where its body starts in the file."""
    try:
        return load(chunk.body)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        if mark is None:
            raise fail(path, "not valid YAML; fix it before approving") from None
        raise fail(path, "not valid YAML; fix it before approving", first_line + mark.line, mark.column + 1) from None


def _matches(data: Any, request: ApprovalRequest) -> bool:
    """The Approval of the same name, or one for the same cluster and version."""
    if not isinstance(data, Mapping) or data.get("kind") != "Approval":
        return False
    metadata = data.get("metadata")
    if isinstance(metadata, Mapping) and metadata.get("name") == request.name:
        return True
    spec = data.get("spec")
    if not isinstance(spec, Mapping):
        return False
    if request.kubernetes is None:
        return False  # an add-on approval is found by its name only
    version = Version.try_parse(spec.get("kubernetes"))
    return spec.get("cluster") == request.cluster and version == request.kubernetes


def _update(data: CommentedMap, request: ApprovalRequest) -> bool:
    """Set the requested values in place; True if anything changed.

    Keys that exist keep their place (and comments); missing ones are added
    in SPEC order. A ``nodeImage`` not given on the command line is kept:
    dropping it would silently widen what the customer approved.
    """
    spec = data.get("spec")
    if not isinstance(spec, CommentedMap):
        spec = CommentedMap()
        data["spec"] = spec
    changed = False
    for key, value in _spec_values(request).items():
        if key in ("nodeImage", "kubernetes") and value is None:
            continue
        if str(spec.get(key)) != value or key not in spec:
            spec[key] = _quoted(key, value)
            changed = True
    if request.addons:
        addons = spec.get("addons")
        if not isinstance(addons, CommentedMap):
            addons = CommentedMap()
        wanted = dict(request.addons)
        if any(str(addons.get(name)) != version for name, version in wanted.items()) or "addons" not in spec:
            for name, version in wanted.items():
                addons[name] = DoubleQuotedScalarString(version)
            spec["addons"] = addons
            changed = True
    return changed


def _spec_values(request: ApprovalRequest) -> dict[str, str | None]:
    return {
        "cluster": request.cluster,
        "kubernetes": str(request.kubernetes) if request.kubernetes is not None else None,
        "nodeImage": request.node_image,
        "approvedBy": request.approved_by,
        "expires": request.expires,
    }


def _quoted(key: str, value: str | None) -> Any:
    """Versions and times in double quotes, as the fleet writes them: never read as numbers or dates."""
    if key in ("kubernetes", "nodeImage", "expires") and value is not None:
        return DoubleQuotedScalarString(value)
    return value


def _new_document(request: ApprovalRequest) -> str:
    metadata = CommentedMap()
    metadata["name"] = request.name
    spec = CommentedMap()
    for key, value in _spec_values(request).items():
        if value is not None:
            spec[key] = _quoted(key, value)
        if key == "nodeImage" and request.addons:
            spec["addons"] = CommentedMap((n, DoubleQuotedScalarString(v)) for n, v in request.addons)
    document = CommentedMap()
    document["apiVersion"] = API_VERSION
    document["kind"] = "Approval"
    document["metadata"] = metadata
    document["spec"] = spec
    if request.comment:
        document.yaml_set_start_comment(request.comment)
    return dump(document)
