"""Load every ``*.yaml`` below a fleet directory into a validated FleetSpec.

All problems of a run (YAML syntax, shapes, cross references) are collected
and raised together as one FleetcError sorted by file and line: a user with
ten typos fixes ten typos per run, not one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from fleetc.errors import Diagnostic, FleetcError, Pos, fail
from fleetc.spec.anchors import anchor
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.messages import message
from fleetc.spec.models import (
    API_VERSION,
    KINDS,
    ApprovalDoc,
    Cluster,
    Document,
    FleetDoc,
    RegionDoc,
    TenantDoc,
)
from fleetc.spec.source import Document as Source
from fleetc.spec.source import read_documents
from fleetc.spec.validate import check_references


def fleet_files(root: Path) -> list[Path]:
    """Every *.yaml below root, any nesting, in a stable order; hidden dirs skipped."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".yaml") and not f.startswith("."))
    return found


def load_fleet(root: Path) -> FleetSpec:
    """Load and validate the fleet in ``root``; raise FleetcError listing every problem."""
    if not root.exists():
        raise fail(root, f"fleet directory {root} does not exist; pass --fleet DIR")
    if not root.is_dir():
        raise fail(root, f"{root} is not a directory; pass the folder holding the fleet's *.yaml files")
    return load_sources(root, ((str(path), None, path) for path in fleet_files(root)))


def load_sources(root: Path, files: Iterable[tuple[str, bytes | None, Path]]) -> FleetSpec:
    """Load (display name, bytes or None to read from disk, path) triples.

    Used for the working tree and for git blobs (``fleetc preview``) alike.
    """
    errors: list[Diagnostic] = []
    documents: list[Source] = []
    seen_any = False
    for display, data, path in files:
        seen_any = True
        documents.extend(read_documents(path, display, errors, data))
    if not seen_any:
        raise fail(root, f"no *.yaml files under {root}; a fleet needs at least a kind: Fleet document")
    broken: set[str] = set()
    models = [m for m in (_validate(doc, errors, broken) for doc in documents) if m is not None]
    spec = _assemble(root, models, errors)
    if spec is not None:
        check_references(spec, errors, broken)
    if errors or spec is None:
        raise FleetcError(errors)
    return spec


def _known_fields() -> list[str]:
    """Every camelCase field name of the spec, for 'did you mean' hints."""
    names: set[str] = set()
    pending: list[type[Any]] = list(KINDS.values())
    seen: set[type[Any]] = set()
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
            for arg in _model_args(info.annotation):
                pending.append(arg)
    return sorted(names)


def _model_args(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_model_args(arg))
    return found


_FIELDS = _known_fields()


def _validate(doc: Source, errors: list[Diagnostic], broken: set[str]) -> Document | None:
    """Validate one document. Names of objects that failed go to ``broken``
    ("Tenant/x", "Region/r", "Cluster/r/c") so that references to them are not
    reported again as dangling."""
    data = doc.data
    if not isinstance(data, dict):
        errors.append(Diagnostic(doc.pos(()), "a fleetc document must be a mapping with apiVersion, kind, metadata, spec"))
        return None
    api_version = data.get("apiVersion")
    kind = data.get("kind")
    if api_version != API_VERSION:
        where = doc.pos(("apiVersion",))
        got = "missing" if api_version is None else repr(api_version)
        errors.append(Diagnostic(where, f"apiVersion is {got}; set apiVersion: {API_VERSION}"))
        return None
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        where = doc.pos(("kind",))
        kinds = ", ".join(KINDS)
        got = "missing" if kind is None else repr(kind)
        errors.append(Diagnostic(where, f"kind is {got}; use one of {kinds}"))
        return None
    raw_name = data.get("metadata", {}).get("name") if isinstance(data.get("metadata"), dict) else None
    clusters: list[tuple[int, Cluster]] = []
    if model is RegionDoc:
        data, clusters = _split_clusters(doc, data, str(raw_name), errors, broken)
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        _report(doc, exc, (), errors)
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
    hide the reference errors of its neighbours."""
    spec = data.get("spec")
    items = spec.get("clusters") if isinstance(spec, dict) else None
    if not isinstance(items, list):
        return data, []
    good: list[tuple[int, Cluster]] = []
    for index, item in enumerate(items):
        try:
            good.append((index, Cluster.model_validate(item)))
        except ValidationError as exc:
            _report(doc, exc, ("spec", "clusters", index), errors)
            name = item.get("name") if isinstance(item, dict) else None
            broken.add(f"Cluster/{region}/{name}")
    return {**data, "spec": {**spec, "clusters": []}}, good


def _report(doc: Source, exc: ValidationError, prefix: tuple[str | int, ...], errors: list[Diagnostic]) -> None:
    for error in exc.errors():
        loc = (*prefix, *error["loc"])
        errors.append(Diagnostic(doc.pos(loc), message(error, _FIELDS)))


def _anchor_tree(model: BaseModel, doc: Source, path: tuple[str | int, ...]) -> None:
    """Anchor every model object in the tree to its place in the source."""
    anchor(model, doc, path)
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = info.alias or name
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


def _assemble(root: Path, models: list[Document], errors: list[Diagnostic]) -> FleetSpec | None:
    from fleetc.spec.anchors import where

    fleets = [m for m in models if isinstance(m, FleetDoc)]
    if not fleets:
        if not errors:
            errors.append(Diagnostic(Pos(str(root)), "no kind: Fleet document found; add exactly one (SPEC.md section 2)"))
        return None
    for extra in fleets[1:]:
        errors.append(
            Diagnostic(where(extra, "kind"), f"a second kind: Fleet document; the fleet has exactly one (first at {where(fleets[0])})")
        )
    spec = FleetSpec(root=root, fleet=fleets[0])
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
                    f"duplicate {model.kind} name {model.name!r} (first at {where(first, 'metadata', 'name')}); rename one",
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
