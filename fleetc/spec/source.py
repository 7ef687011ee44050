"""YAML documents as plain data plus the source position of every key and item.

Loading goes through libyaml's C composer (PyYAML) with no implicit
resolvers: nodes keep their line/column marks and cost a fraction of a
round-trip parse (DESIGN.md measures 0.4 s vs 8.6 s per 100k lines).
Plain scalars are then resolved with the YAML 1.2 core schema, the schema
ruamel.yaml and editors use, so ``start: 02:00`` stays a string and ``on``
is not a boolean. The round-trip loader is kept for files fleetc edits.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fleetc.errors import Diagnostic, Pos

try:  # libyaml ships in PyYAML's wheels; the pure parser is a slow fallback
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on the wheel installed
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


_PLAIN_TAG = "tag:fleetc.dev:plain"


class _Loader(_Parser, yaml.resolver.BaseResolver):  # type: ignore[misc]
    """Composes nodes only; plain scalars are tagged for YAML 1.2 resolution later."""

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        yaml.resolver.BaseResolver.__init__(self)

    def resolve(self, kind: type, value: object, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN_TAG
        return str(yaml.resolver.BaseResolver.resolve(self, kind, value, implicit))

MAX_FILE_BYTES = 16 * 1024 * 1024

Path_ = tuple[str | int, ...]

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_BOOL_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class Document:
    """One YAML document: its data and where each key/item came from."""

    file: str
    index: int  # position among the file's documents
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def pos(self, path: Path_) -> Pos:
        """Position of ``path``, or of its nearest ancestor that exists."""
        probe = tuple(path)
        while True:
            found = self.positions.get(probe)
            if found is not None:
                return Pos(self.file, found[0], found[1])
            if not probe:
                return Pos(self.file, 1, 1)
            probe = probe[:-1]


def _resolve_plain(value: str) -> Any:
    """YAML 1.2 core schema resolution of a plain (unquoted) scalar."""
    if _NULL.match(value):
        return None
    if _BOOL_TRUE.match(value):
        return True
    if _BOOL_FALSE.match(value):
        return False
    if _INT.match(value):
        return int(value)
    if _INT_OCT.match(value):
        return int(value[2:], 8)
    if _INT_HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return -math.inf if value.startswith("-") else math.inf
    if _NAN.match(value):
        return math.nan
    return value


_EXPLICIT = {
    "tag:yaml.org,2002:int": int,
    "tag:yaml.org,2002:float": float,
    "tag:yaml.org,2002:bool": lambda v: _resolve_plain(v) if v.lower() in ("true", "false") else v,
    "tag:yaml.org,2002:null": lambda v: None,
}


class _Builder:
    """Turns a composed node tree into data, recording positions as it goes."""

    def __init__(self, doc: Document, errors: list[Diagnostic]) -> None:
        self.doc = doc
        self.errors = errors

    def mark(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def error(self, node: yaml.Node, message: str) -> None:
        line, col = self.mark(node)
        self.errors.append(Diagnostic(Pos(self.doc.file, line, col), message))

    def build(self, node: yaml.Node, path: Path_, depth: int = 0) -> Any:
        if depth > 64:
            self.error(node, "nesting deeper than 64 levels; flatten this value")
            return None
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, child in enumerate(node.value):
                child_path = (*path, i)
                self.doc.positions[child_path] = self.mark(child)
                items.append(self.build(child, child_path, depth + 1))
            return items
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        self.error(node, f"unsupported YAML node {type(node).__name__}")  # pragma: no cover
        return None

    def scalar(self, node: yaml.ScalarNode) -> Any:
        value: str = node.value
        if node.tag == _PLAIN_TAG:
            return _resolve_plain(value)
        if node.tag == _STR_TAG:
            return value
        if node.tag in _EXPLICIT:
            try:
                return _EXPLICIT[node.tag](value)
            except ValueError:
                self.error(node, f"{value!r} is not a valid {node.tag.rsplit(':', 1)[-1]}")
                return value
        self.error(node, f"YAML tag {node.tag} is not supported here; remove it")
        return value

    def mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG or (key_node.tag == _PLAIN_TAG and key_node.value == "<<"):
                for source in value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]:
                    built = self.build(source, (*path, "<<"), depth + 1)
                    if isinstance(built, dict):
                        merged = {**built, **merged}
                    else:
                        self.error(value_node, "a merge key (<<) needs a mapping or a list of mappings")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, "mapping keys must be plain strings")
                continue
            key = self.scalar(key_node)
            if not isinstance(key, str):
                key = key_node.value  # keys are names: ``1: x`` means the key "1"
            if key in result:
                self.error(key_node, f"duplicate key {key!r}; a key may appear once per mapping, remove one")
                continue
            child_path = (*path, key)
            self.doc.positions[child_path] = self.mark(key_node)
            result[key] = self.build(value_node, child_path, depth + 1)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result


def read_documents(path: Path, display: str, errors: list[Diagnostic], data: bytes | None = None) -> list[Document]:
    """Parse every document of one YAML file; problems go to ``errors``.

    ``data`` lets callers pass file bytes read elsewhere (a git blob).
    A file that cannot be read at all yields no documents and one diagnostic.
    """
    if data is None:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                errors.append(_too_big(display, size))
                return []
            data = path.read_bytes()
        except OSError as exc:
            errors.append(Diagnostic(Pos(display), f"cannot read file: {exc.strerror or exc}"))
            return []
    elif len(data) > MAX_FILE_BYTES:
        errors.append(_too_big(display, len(data)))
        return []
    if b"\x00" in data[:8192]:
        errors.append(Diagnostic(Pos(display), "binary file, not YAML; remove it from the fleet directory"))
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        errors.append(Diagnostic(Pos(display, line), "not UTF-8 text; save the file as UTF-8"))
        return []
    if not text.strip():
        errors.append(Diagnostic(Pos(display), "empty file; add a fleetc document or delete the file"))
        return []
    documents: list[Document] = []
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            doc = Document(display, index, None)
            if node is None:
                continue
            doc.positions[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
            doc.data = _Builder(doc, errors).build(node, ())
            if doc.data is None:
                continue  # an empty document between two '---'
            documents.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        errors.append(Diagnostic(Pos(display, line, col), f"YAML syntax error: {problem}; fix the YAML here"))
    except yaml.YAMLError as exc:  # reader errors (control characters...)
        errors.append(Diagnostic(Pos(display), f"YAML error: {exc}"))
    return documents


def _too_big(display: str, size: int) -> Diagnostic:
    return Diagnostic(
        Pos(display),
        f"file is {size / 1024 / 1024:.1f} MiB, above the {MAX_FILE_BYTES // 1024 // 1024} MiB limit "
        "for one fleet file; split it into several files",
    )
