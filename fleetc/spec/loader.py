"""Load every ``*.yaml`` below a fleet directory into a validated FleetSpec.

All problems of a run (YAML syntax, shapes, cross references) are collected
and raised together as one FleetcError sorted by file and line: a user with
ten typos fixes ten typos per run, not one.

Only regular files and directories below the fleet directory are read: a
symlink (to a file, a directory, or nothing), a named pipe, a socket or a
device there is an error of the run and is never opened. In CI the fleet
directory is a pull request's content, and a link could point at
/dev/zero (read forever), a FIFO (block forever) or a committed file outside
the fleet (counted as if it were an approval). The ``--fleet`` path itself
may be a link: the user typed it.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from fleetc.errors import Diagnostic, FleetcError, Pos, fail
from fleetc.memory import gc_paused
from fleetc.spec.anchors import anchor, where
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.messages import describe, fields_at, message
from fleetc.spec.models import (
    API_VERSION,
    KINDS,
    UNION_TAGS,
    ApprovalDoc,
    Cluster,
    Document,
    FleetDoc,
    FleetSpecBody,
    Metadata,
    RegionDoc,
    TenantDoc,
)
from fleetc.spec.salvage import salvage_cluster
from fleetc.spec.source import Document as Source
from fleetc.spec.source import FileRead, not_a_regular_file, read_file
from fleetc.spec.validate import NO_FLEET, UNREAD, check_references

# Spellings a YAML file is found under but that the spec does not load:
# silently skipping one would drop a whole region from the fleet.
_NEAR_MISS_SUFFIXES = (".yml", ".YAML", ".YML", ".Yaml")


def fleet_files(root: Path) -> list[Path]:
    """Every *.yaml below root, any nesting, in a stable order; hidden names skipped.

    Regular files only: links and special files are not fleet files (see
    :func:`load_fleet`, which reports them).
    """
    return [entry.path for entry in _walk(root) if entry.regular and entry.path.suffix == ".yaml"]


@dataclass(frozen=True)
class _Entry:
    """A name found below the fleet directory: a regular file, or something that is not read."""

    path: Path
    mode: int | None = None  # st_mode of a symlink or special file
    unreadable: str | None = None  # a directory that could not be listed: why

    @property
    def regular(self) -> bool:
        return self.mode is None and self.unreadable is None


def _walk(root: Path) -> Iterator[_Entry]:
    """Regular files below ``root``, a directory's files by name before its subdirectories by name.

    Never follows a link and never descends into a linked directory: links
    and special files are yielded with their mode, for the caller to report.
    Hidden names (``.git``) are skipped. Bounded: without following links a
    directory tree has no cycles; iterative, so a hostile tree thousands of
    directories deep is no RecursionError.
    """
    pending = [root]  # a stack: the subtree of a directory is done before its next sibling
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted((e for e in listing if not e.name.startswith(".")), key=lambda e: e.name)
        except OSError as error:  # its files would be missing from the fleet: an error, not a skip
            yield _Entry(directory, unreadable=error.strerror or str(error))
            continue
        subdirectories = []
        for entry in entries:
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                continue  # vanished since the listing
            path = directory / entry.name
            if stat.S_ISDIR(mode):
                subdirectories.append(path)
            elif stat.S_ISREG(mode):
                yield _Entry(path)
            else:
                yield _Entry(path, mode)
        pending.extend(reversed(subdirectories))


def load_fleet(root: Path) -> FleetSpec:
    """Load and validate the fleet in ``root``; raise FleetcError listing every problem."""
    if not root.exists():
        raise fail(None, f"fleet directory {root} does not exist; pass --fleet DIR")
    if not root.is_dir():
        raise fail(None, f"{root} is not a directory; pass the folder holding the fleet's *.yaml files")
    files: list[tuple[str, bytes | None, Path]] = []
    refused: list[Diagnostic] = []  # not read: any of them may define names the read files refer to
    for entry in _walk(root):
        path = entry.path
        if entry.unreadable is not None:
            text = f"cannot list directory {path}: {entry.unreadable}; make it readable"
            refused.append(Diagnostic(None, text))
        elif entry.mode is not None:
            refused.append(Diagnostic(Pos(str(path)), not_a_regular_file(path, entry.mode, inside_fleet=True)))
        elif path.suffix == ".yaml":
            files.append((str(path), None, path))
        elif path.name.endswith(_NEAR_MISS_SUFFIXES):
            refused.append(
                Diagnostic(
                    Pos(str(path)),
                    f"fleet files must end in .yaml, this one is not loaded; rename it to {path.stem}.yaml",
                )
            )
    try:
        spec = load_sources(root, files, follow_symlinks=False, incomplete=bool(refused))
    except FleetcError as error:
        raise FleetcError([*error.diagnostics, *refused]) from None
    if refused:
        raise FleetcError(refused)
    return spec


@dataclass
class ParseCache:
    """Files parsed and documents validated once, for loads of several revisions of one fleet.

    ``fleetc preview`` loads the base and the head of a pull request; nearly
    every file is the same blob on both sides, and its documents are frozen
    models, so the second load parses and validates only what changed. Keyed
    by file name and content: a file is the same only when both are.
    """

    files: dict[tuple[str, bytes], tuple[FileRead, list[Diagnostic]]] = field(default_factory=dict)
    models: dict[int, tuple[Document | None, list[Diagnostic], set[str]]] = field(default_factory=dict)

    def read(self, path: Path, display: str, data: bytes) -> tuple[FileRead, list[Diagnostic]]:
        """The parsed file and its diagnostics, parsed on first use: a later :func:`load_sources` given
        this cache and the same (name, bytes) does not parse it again. ``fleetc preview`` reads the
        documents of changed files first to decide which other files the change can reach."""
        key = (display, hashlib.sha256(data).digest())
        found = self.files.get(key)
        if found is None:
            local: list[Diagnostic] = []
            found = (read_file(path, display, local, data, follow_symlinks=False), local)
            self.files[key] = found
        return found


def load_sources(
    root: Path,
    files: Iterable[tuple[str, bytes | None, Path]],
    *,
    follow_symlinks: bool = False,
    incomplete: bool = False,
    cache: ParseCache | None = None,
) -> FleetSpec:
    """Load (display name, bytes or None to read from disk, path) triples.

    Used for the working tree and for git blobs (``fleetc preview``) alike.
    Files read from disk must be regular files, not links (unless
    ``follow_symlinks``). ``incomplete``: some files were not read at all
    (a link, a ``.yml`` file, a directory that cannot be listed: already
    reported), so names they may define are not reported as dangling.
    """
    with gc_paused():
        return _load_sources(root, files, follow_symlinks, incomplete, cache)


def _load_sources(
    root: Path,
    files: Iterable[tuple[str, bytes | None, Path]],
    follow_symlinks: bool,
    incomplete: bool,
    cache: ParseCache | None,
) -> FleetSpec:
    errors: list[Diagnostic] = []
    documents: list[Source] = []
    seen_any = False
    broken: set[str] = {UNREAD} if incomplete else set()
    for display, data, path in files:
        seen_any = True
        read = _read_cached(cache, path, display, data, errors, follow_symlinks)
        documents.extend(read.documents)
        if not read.complete:
            broken.add(UNREAD)
    if not seen_any:
        raise fail(None, f"no *.yaml files under {root}; a fleet needs at least a kind: Fleet document")
    models = [m for m in (_validate_cached(cache, doc, errors, broken) for doc in documents) if m is not None]
    fleet_written = any(isinstance(d.data, dict) and d.data.get("kind") == "Fleet" for d in documents)
    spec = _assemble(root, models, errors, fleet_written)
    if spec.fleet is _NO_FLEET:
        broken.add(NO_FLEET)
    check_references(spec, errors, broken)
    if errors:
        raise FleetcError(errors)
    return spec


def _read_cached(
    cache: ParseCache | None,
    path: Path,
    display: str,
    data: bytes | None,
    errors: list[Diagnostic],
    follow_symlinks: bool,
) -> FileRead:
    """:func:`read_file`, once per (name, content) when a cache is given (only for bytes already read)."""
    if cache is None or data is None:
        return read_file(path, display, errors, data, follow_symlinks=follow_symlinks)
    read, found = cache.read(path, display, data)  # bytes given: follow_symlinks plays no part
    errors.extend(found)
    return read


def _validate_cached(
    cache: ParseCache | None, doc: Source, errors: list[Diagnostic], broken: set[str]
) -> Document | None:
    """:func:`_validate`, once per parsed document when a cache is given (its errors replayed)."""
    if cache is None:
        return _validate(doc, errors, broken)
    found = cache.models.get(id(doc))  # the cache holds the document, so its id is not reused
    if found is None:
        local: list[Diagnostic] = []
        marks: set[str] = set()
        found = (_validate(doc, local, marks), local, marks)
        cache.models[id(doc)] = found
    errors.extend(found[1])
    broken.update(found[2])
    return found[0]


def _validate(doc: Source, errors: list[Diagnostic], broken: set[str]) -> Document | None:
    """Validate one document. Names of objects that failed go to ``broken``
    ("Tenant/x", "Region/r", "Cluster/r/c") so that references to them are not
    reported again as dangling."""
    data = doc.data
    if not isinstance(data, dict):
        errors.append(
            Diagnostic(
                doc.pos(()),
                f"this document is {describe(data)}, not a mapping; a fleetc document is a mapping "
                "with apiVersion, kind, metadata and spec",
            )
        )
        return None
    api_version = data.get("apiVersion")
    kind = data.get("kind")
    model = KINDS.get(kind) if isinstance(kind, str) else None
    metadata = data.get("metadata")
    raw_name = metadata.get("name") if isinstance(metadata, dict) else None
    if api_version != API_VERSION:
        got = "missing" if api_version is None else describe(api_version)
        errors.append(Diagnostic(doc.pos(("apiVersion",)), f"apiVersion is {got}; set apiVersion: {API_VERSION}"))
    if model is None:
        kinds = ", ".join(KINDS)
        got = "missing" if kind is None else describe(kind)
        errors.append(Diagnostic(doc.pos(("kind",)), f"kind is {got}; use one of {kinds}"))
    if model is None or api_version != API_VERSION:
        broken.add(f"{kind}/{raw_name}")
        return None
    clusters: list[tuple[int, Cluster]] = []
    if model is RegionDoc:
        data, clusters = _split_clusters(doc, data, str(raw_name), errors, broken)
    try:
        result = model.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        _report(doc, exc, model, (), errors)
        broken.add(f"{kind}/{raw_name}")
        return None
    if isinstance(result, RegionDoc) and clusters:
        spec = result.spec.model_copy(update={"clusters": [c for _, c in clusters]})
        result = result.model_copy(update={"spec": spec})
    _anchor_tree(result, doc, ())
    for index, cluster in clusters:  # anchored at their place in the file
        _anchor_tree(cluster, doc, ("spec", "clusters", index))
    return result


def _split_clusters(
    doc: Source, data: dict[str, Any], region: str, errors: list[Diagnostic], broken: set[str]
) -> tuple[dict[str, Any], list[tuple[int, Cluster]]]:
    """Validate a region's clusters one by one: a typo in one cluster must not
    hide the reference errors of its neighbours, nor its own other errors
    (a cluster that fails is checked again without its broken parts, see
    :mod:`fleetc.spec.salvage`)."""
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return data, []
    items = spec.get("clusters")
    if not isinstance(items, list):
        return data, []
    checked: list[tuple[int, Cluster]] = []
    for index, item in enumerate(items):
        try:
            checked.append((index, Cluster.model_validate(item, by_alias=True, by_name=False)))
        except ValidationError as exc:
            _report(doc, exc, Cluster, ("spec", "clusters", index), errors)
            name = item.get("name") if isinstance(item, dict) else None
            broken.add(f"Cluster/{region}/{name}")
            salvaged = salvage_cluster(item, [tuple(e["loc"]) for e in exc.errors()])
            if salvaged is not None:
                checked.append((index, salvaged))
    return {**data, "spec": {**spec, "clusters": []}}, checked


def _report(
    doc: Source,
    exc: ValidationError,
    model: type[BaseModel],
    prefix: tuple[str | int, ...],
    errors: list[Diagnostic],
) -> None:
    found = exc.errors()
    # A misspelt required field is one mistake, not two: when an unknown
    # field next to it is a near miss of its name, "did you mean" says it all.
    unknown: dict[tuple[str | int, ...], list[str]] = {}
    for error in found:
        if error["type"] == "extra_forbidden" and error["loc"]:
            unknown.setdefault(tuple(error["loc"][:-1]), []).append(str(error["loc"][-1]))
    for error in found:
        local = tuple(part for part in error["loc"] if part not in UNION_TAGS)
        if error["type"] == "missing" and local and _near_miss(str(local[-1]), unknown.get(local[:-1], [])):
            continue
        loc = (*prefix, *local)
        known = fields_at(model, local[:-1]) if error["type"] == "extra_forbidden" else None
        text = message(error, known or [], raw=doc.raw.get(loc), loc=loc)
        errors.append(Diagnostic(doc.pos(loc), text))


def _near_miss(name: str, written: list[str]) -> bool:
    """True when one of the unknown ``written`` fields is a misspelling of ``name``."""
    if any(to_camel(w) == name for w in written):
        return True
    return bool(difflib.get_close_matches(name, written, n=1, cutoff=0.7))


def _anchor_tree(model: BaseModel, doc: Source, path: tuple[str | int, ...]) -> None:
    """Anchor every model object in the tree to its place in the source."""
    anchor(model, doc, path)
    for name, key in _yaml_names(type(model)):
        value = model.__dict__[name]
        if isinstance(value, BaseModel):
            _anchor_tree(value, doc, (*path, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _anchor_tree(item, doc, (*path, key, i))
        elif isinstance(value, dict):
            for k, item in value.items():
                if isinstance(item, BaseModel):
                    _anchor_tree(item, doc, (*path, key, k))


@cache
def _yaml_names(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(Python name, YAML name) of every field: computed once per model class."""
    return tuple((name, info.alias or name) for name, info in model.model_fields.items())


# Stands in for a Fleet that is missing or failed to validate, so that the
# checks not needing it (tenants, budgets, duplicates) still report in the
# same run. Never returned to callers: its absence is always an error.
_NO_FLEET = FleetDoc.model_construct(
    api_version="fleetc.dev/v1alpha1",
    kind="Fleet",
    metadata=Metadata.model_construct(name="missing", labels={}, annotations={}),
    spec=FleetSpecBody.model_construct(
        label_prefix="fleetc.dev", freeze=False, channels={}, instance_types={}, bundles={}
    ),
)


def _assemble(root: Path, models: list[Document], errors: list[Diagnostic], fleet_written: bool) -> FleetSpec:
    """Index the documents by kind and name; duplicates are errors.

    ``fleet_written``: some document says ``kind: Fleet`` (even if it failed
    to validate); only when none does is a missing Fleet reported. Without
    a valid Fleet the result holds a stand-in (``_NO_FLEET``).
    """
    fleets = [m for m in models if isinstance(m, FleetDoc)]
    if not fleets and (not fleet_written or not errors):
        errors.append(
            Diagnostic(
                None,
                f"no kind: Fleet document found under {root}; add exactly one (channels, instanceTypes, bundles)",
            )
        )
    for extra in fleets[1:]:
        errors.append(
            Diagnostic(
                where(extra, "kind"),
                f"a second kind: Fleet document; a fleet has exactly one (first at {where(fleets[0], 'kind')}), "
                "merge them and delete this one",
            )
        )
    spec = FleetSpec(root=root, fleet=fleets[0] if fleets else _NO_FLEET)
    named: dict[str, dict[str, Document]] = {"Tenant": {}, "Region": {}, "Approval": {}}
    for model in models:
        if isinstance(model, FleetDoc):
            continue
        seen = named[model.kind]
        first = seen.get(model.name)
        if first is not None:
            errors.append(
                Diagnostic(
                    where(model, "metadata", "name"),
                    f"duplicate {model.kind} name {model.name!r} (first at {where(first, 'metadata', 'name')}); "
                    "rename one",
                )
            )
            continue
        seen[model.name] = model
        if isinstance(model, TenantDoc):
            spec.tenants[model.name] = model
        elif isinstance(model, RegionDoc):
            spec.regions[model.name] = model
        elif isinstance(model, ApprovalDoc):
            spec.approvals.append(model)
    return spec
