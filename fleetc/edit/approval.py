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

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from fleetc.edit.yaml_docs import Chunk, YAMLError, dump, load, split_documents
from fleetc.errors import fail
from fleetc.spec.models import API_VERSION
from fleetc.versions import Version


@dataclass(frozen=True)
class ApprovalRequest:
    """What ``fleetc approve`` was asked to record."""

    name: str  # metadata.name
    cluster: str  # <region>/<name>
    kubernetes: Version
    approved_by: str
    expires: str  # ISO 8601 with zone
    node_image: str | None = None
    comment: str | None = None  # header comment of a new document ("Written by: ...")


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
        self.path.write_text(self.after, encoding="utf-8")

    def restore(self) -> None:
        """Put the file back as it was (remove it if the edit created it)."""
        if self.before is None:
            self.path.unlink(missing_ok=True)
        else:
            self.path.write_text(self.before, encoding="utf-8")


def edit_approval(path: Path, request: ApprovalRequest) -> ApprovalEdit:
    """The edit that records ``request`` in ``path``; FleetcError if the file cannot be edited safely."""
    if not path.exists():
        return ApprovalEdit(path, None, _new_document(request), Outcome.CREATED)
    try:
        before = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(path, f"cannot read {path}: {error}") from None
    chunks = split_documents(before)
    for index, chunk in enumerate(chunks):
        data = _load(path, chunk)
        if _matches(data, request):
            updated = _update(data, request)
            if not updated:
                return ApprovalEdit(path, before, before, Outcome.UNCHANGED)
            chunks[index] = Chunk(chunk.separator, dump(data))
            return ApprovalEdit(path, before, "".join(c.text for c in chunks), Outcome.UPDATED)
    joiner = "" if not before or before.endswith("\n") else "\n"
    after = before + joiner + ("---\n" if before.strip() else "") + _new_document(request)
    return ApprovalEdit(path, before, after, Outcome.APPENDED)


def _load(path: Path, chunk: Chunk) -> Any:
    try:
        return load(chunk.body)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1} of that document)" if mark is not None else ""
        raise fail(path, f"{path} is not valid YAML{where}; fix it before approving") from None


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
        if key == "nodeImage" and value is None:
            continue
        if str(spec.get(key)) != value or key not in spec:
            spec[key] = _quoted(key, value)
            changed = True
    return changed


def _spec_values(request: ApprovalRequest) -> dict[str, str | None]:
    return {
        "cluster": request.cluster,
        "kubernetes": str(request.kubernetes),
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
    document = CommentedMap()
    document["apiVersion"] = API_VERSION
    document["kind"] = "Approval"
    document["metadata"] = metadata
    document["spec"] = spec
    if request.comment:
        document.yaml_set_start_comment(request.comment)
    return dump(document)
