"""Where a spec object was written: file, document and path inside it.

Cross-reference checks, the planner and policy rules all blame a
``file:line:col``; an anchor turns an object plus a sub-path into one.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from fleetc.errors import Pos
from fleetc.spec.source import Document, Path_


@dataclass(frozen=True)
class Anchor:
    """A document and the path of an object inside it."""

    document: Document
    path: Path_

    def pos(self, *sub: str | int) -> Pos:
        path = (*self.path, *sub)
        found = self.document.pos(path)
        return Pos(found.file, found.line, found.col, stable_path(self.document, path))


def stable_path(document: Document, path: Path_) -> str:
    """``Region/r1/spec.clusters[alpha-train].nodePools[h100]``: a place named by kinds, names and keys.

    List items with a ``name`` are named by it, so inserting a cluster before
    another does not rename the place of the other; items without one keep
    their index.
    """
    data = document.data
    kind = data.get("kind") if isinstance(data, dict) else None
    meta = data.get("metadata") if isinstance(data, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    parts = [f"{kind}/{name}/" if isinstance(kind, str) and isinstance(name, str) else f"{document.index}/"]
    value: object = data
    first = True
    for key in path:
        if isinstance(key, int):
            item = value[key] if isinstance(value, list) and 0 <= key < len(value) else None
            label = item.get("name") if isinstance(item, dict) else None
            parts.append(f"[{label}]" if isinstance(label, str) else f"[{key}]")
            value = item
        else:
            parts.append(key if first else f".{key}")
            value = value.get(key) if isinstance(value, dict) else None
        first = False
    return "".join(parts)


def anchor(model: BaseModel, document: Document, path: Path_) -> None:
    """Attach an anchor to ``model`` (a private attribute, not data).

    Writes pydantic's private-attribute dict directly: the loader anchors
    every object of the fleet, and ``__setattr__`` on a frozen model takes
    a slow path to allow it.
    """
    private = model.__pydantic_private__
    if private is not None and "_anchor" in private:
        private["_anchor"] = Anchor(document, path)
    else:
        model._anchor = Anchor(document, path)  # type: ignore[attr-defined]


def where(model: BaseModel, *sub: str | int) -> Pos:
    """Position of ``model`` (or a field below it); unknown objects point nowhere useful."""
    found: Anchor | None = getattr(model, "_anchor", None)
    if found is None:
        return Pos("<generated>")
    return found.pos(*sub)
