"""Split a multi-document YAML file into its documents' text, and round-trip one of them.

Re-serialising a whole file would reflow documents nobody asked fleetc to
touch (and ruamel.yaml's multi-document round trip moves comments around
``---``). Cutting the text at document separators first means an edit
changes only the bytes of the one document it is about.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

# A separator line: "---", optionally followed by a comment. "--- value" (a
# node on the separator line) is kept as part of the document's own text.
_SEPARATOR = re.compile(r"^---[ \t]*(?:#[^\n]*)?(?:\n|$)", re.MULTILINE)


@dataclass(frozen=True)
class Chunk:
    """One document's text: ``separator`` ("---\\n" or "") then ``body``."""

    separator: str
    body: str

    @property
    def text(self) -> str:
        return self.separator + self.body


def split_documents(text: str) -> list[Chunk]:
    """Chunks whose ``text`` joined is exactly ``text``."""
    chunks: list[Chunk] = []
    start = 0
    separator = ""
    for match in _SEPARATOR.finditer(text):
        before = text[start : match.start()]
        if chunks or separator or before:  # no empty chunk before a leading "---"
            chunks.append(Chunk(separator, before))
        separator = match.group(0)
        start = match.end()
    chunks.append(Chunk(separator, text[start:]))
    return chunks


def round_trip() -> YAML:
    """ruamel.yaml configured like the fleet's files: 2-space maps, ``- `` items indented under their key."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long comment or string
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load(body: str) -> Any:
    """Round-trip data of one document (None for an empty or comment-only one); YAMLError if broken."""
    return round_trip().load(body)


def dump(data: Any) -> str:
    buffer = io.StringIO()
    round_trip().dump(data, buffer)
    return buffer.getvalue()


__all__ = ["Chunk", "YAMLError", "dump", "load", "round_trip", "split_documents"]
