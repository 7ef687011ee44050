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
        return self.document.pos((*self.path, *sub))


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
