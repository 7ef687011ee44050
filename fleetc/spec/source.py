"""YAML documents as plain data plus the source position of every key and item.

Loading goes through libyaml's C composer (PyYAML) with no implicit
resolvers: nodes keep their line/column marks and cost a fraction of a
round-trip parse (DESIGN.md measures 0.4 s vs 8.6 s per 100k lines).
Plain scalars are then resolved with the YAML 1.2 core schema, the schema
ruamel.yaml and editors use, so ``start: 02:00`` stays a string and ``on``
is not a boolean. The round-trip loader is kept for files fleetc edits.

The reader is the first thing that sees untrusted bytes (a pull request's
files in CI), so it never lets a malformed file turn into a crash or a hang:
deep nesting is measured before libyaml's recursive C composer sees it
(that composer overflows the C stack at some ten thousand levels and is
quadratic long before), and aliases have an expansion budget (a "billion
laughs" or a self-referencing alias is a diagnostic, not an OOM kill).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import BaseConstructor
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from fleetc.errors import Diagnostic, Pos

try:  # libyaml ships in PyYAML's wheels; the pure parser is a slow fallback
    from yaml import _yaml

    _Parser: Any = _yaml.CParser
except ImportError:  # pragma: no cover - depends on the wheel installed

    class _PureParser(Reader, Scanner, Parser, Composer):
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)

    _Parser = _PureParser


_PLAIN_TAG = "tag:fleetc.dev:plain"


class _Loader(_Parser, BaseResolver, BaseConstructor):  # type: ignore[misc]
    """Composes nodes only; plain scalars are tagged for YAML 1.2 resolution later.

    BaseConstructor is a base only so that ``yaml.compose_all`` accepts the
    class; nothing is constructed by PyYAML (its YAML 1.1 rules are wrong here).
    """

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        BaseResolver.__init__(self)
        BaseConstructor.__init__(self)

    def resolve(self, kind: type, value: object, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN_TAG
        resolved: str = BaseResolver.resolve(self, kind, value, implicit)  # type: ignore[no-untyped-call]
        return resolved


MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
# Below this bound on nesting, libyaml's composer is safe and fast (measured:
# a segfault between 20k and 40k levels, 0.5 s at 10k); above it the exact
# depth is measured from the event stream first.
_SAFE_NESTING_BOUND = 10_000
# Values that aliases may add beyond what the text itself spells out.
_ALIAS_BUDGET = 100_000

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
# Characters that can start a scalar that is not a plain string; anything
# else resolves to a string without running a regular expression.
_NON_STRING_START = frozenset("~nNtTfF0123456789+-.")

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BREAKS = " \t\n\r\x85\u2028\u2029"
_LINE_BREAKS = "\n\r\x85\u2028\u2029"  # what PyYAML's reader breaks lines at
_ScalarNode = yaml.ScalarNode  # compared with ``type(node) is`` in the hot loops


@dataclass
class Document:
    """One YAML document: its data and where each key/item came from.

    ``raw`` keeps the source text of numbers that do not print back the way
    they were written (``1.30`` is the float 1.3): messages quote the user's
    text, not Python's.
    """

    file: str
    index: int  # position among the file's documents
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    raw: dict[Path_, str] = field(default_factory=dict)

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
    if value and value[0] not in _NON_STRING_START:
        return value  # the common case: a name, an image, a key
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


def _explicit_bool(value: str) -> Any:
    resolved = _resolve_plain(value)
    if not isinstance(resolved, bool):
        raise ValueError(value)
    return resolved


def _explicit_null(value: str) -> None:
    if _resolve_plain(value) is not None:
        raise ValueError(value)


_EXPLICIT: dict[str, Callable[[str], Any]] = {
    "tag:yaml.org,2002:int": int,
    "tag:yaml.org,2002:float": float,
    "tag:yaml.org,2002:bool": _explicit_bool,
    "tag:yaml.org,2002:null": _explicit_null,
}


class _Abort(Exception):
    """Stop building the file: one diagnostic says why (runaway aliases or nesting)."""

    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


class _Builder:
    """Turns a composed node tree into data, recording positions as it goes."""

    def __init__(self, doc: Document, errors: list[Diagnostic], budget: int) -> None:
        self.doc = doc
        self.errors = errors
        self.budget = budget

    def mark(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def error(self, node: yaml.Node, message: str) -> None:
        line, col = self.mark(node)
        self.errors.append(Diagnostic(Pos(self.doc.file, line, col), message))

    def build(self, node: yaml.Node, path: Path_, depth: int = 0) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if depth > MAX_DEPTH:
            raise _Abort(node, f"nesting deeper than {MAX_DEPTH} levels (an alias inside itself?); flatten this value")
        # Every value costs budget once, charged with its collection (scalars
        # are built inline by the loops below, so they are counted here).
        self.budget -= 1 + len(node.value)
        if self.budget < 0:
            raise _Abort(node, "aliases expand this file to too many values (an alias bomb?); write the values out")
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                self.error(node, f"YAML tag {node.tag} is not supported here; remove it")
            return self.sequence(node, path, depth)
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP_TAG:
                self.error(node, f"YAML tag {node.tag} is not supported here; remove it")
            return self.mapping(node, path, depth)
        self.error(node, f"unsupported YAML node {type(node).__name__}")  # pragma: no cover
        return None

    def sequence(self, node: yaml.SequenceNode, path: Path_, depth: int) -> list[Any]:
        items: list[Any] = []
        positions = self.doc.positions
        for i, child in enumerate(node.value):
            child_path = (*path, i)
            mark = child.start_mark
            positions[child_path] = (mark.line + 1, mark.column + 1)
            if type(child) is _ScalarNode:  # inline: most items are names
                text = child.value
                tag = child.tag
                if tag == _STR_TAG or (tag == _PLAIN_TAG and text and text[0] not in _NON_STRING_START):
                    items.append(text)
                    continue
            items.append(self.build(child, child_path, depth + 1))
        return items

    def scalar(self, node: yaml.ScalarNode, path: Path_ | None) -> Any:
        """Resolve one scalar; ``path`` None for keys (their raw text is the key)."""
        value: str = node.value
        if node.tag == _PLAIN_TAG:
            resolved = _resolve_plain(value)
            if (
                path is not None
                and isinstance(resolved, int | float)
                and not isinstance(resolved, bool)
                and (isinstance(resolved, float) or str(resolved) != value)
            ):
                self.doc.raw[path] = value
            return resolved
        if node.tag == _STR_TAG:
            return value
        convert = _EXPLICIT.get(node.tag)
        if convert is not None:
            try:
                return convert(value)
            except ValueError:
                kind = node.tag.rsplit(":", 1)[-1]
                self.error(node, f"{value!r} is not a valid {kind}; fix the value or drop the tag")
                return value
        self.error(node, f"YAML tag {node.tag} is not supported here; remove it")
        return value

    def mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        merged_from: Document | None = None
        positions = self.doc.positions
        for key_node, value_node in node.value:
            key_tag = key_node.tag
            if key_tag == _MERGE_TAG or (key_tag == _PLAIN_TAG and key_node.value == "<<"):
                merged_from = merged_from or Document(self.doc.file, self.doc.index, None)
                self.merge(value_node, path, depth, merged, merged_from)
                continue
            if type(key_node) is not _ScalarNode:
                self.error(key_node, "mapping keys must be plain strings; write the key as text")
                continue
            if key_tag in (_PLAIN_TAG, _STR_TAG):
                key = key_node.value  # keys are names: ``1: x`` means the key "1"
            else:
                self.scalar(key_node, None)  # reports an unsupported or wrong tag
                key = key_node.value
            if key in result:
                self.error(key_node, f"duplicate key {key!r}; a key may appear once per mapping, remove one")
                continue
            child_path = (*path, key)
            mark = key_node.start_mark
            positions[child_path] = (mark.line + 1, mark.column + 1)
            if type(value_node) is _ScalarNode:  # inline: most values are names
                text = value_node.value
                tag = value_node.tag
                if tag == _STR_TAG or (tag == _PLAIN_TAG and text and text[0] not in _NON_STRING_START):
                    result[key] = text
                    continue
            result[key] = self.build(value_node, child_path, depth + 1)
        if merged_from is not None:
            # Keys written in this mapping win; merged ones keep the position
            # where their anchor defined them, so diagnostics point at real text.
            explicit = set(result)
            for key, value in merged.items():
                if key not in explicit:
                    result[key] = value
            cut = len(path) + 1
            for merged_path, where in merged_from.positions.items():
                if merged_path[cut] not in explicit:
                    positions[(*path, *merged_path[cut:])] = where
            for merged_path, text in merged_from.raw.items():
                if merged_path[cut] not in explicit:
                    self.doc.raw[(*path, *merged_path[cut:])] = text
        return result

    def merge(self, value_node: yaml.Node, path: Path_, depth: int, merged: dict[Any, Any], into: Document) -> None:
        """Apply one ``<<`` entry. Earlier sources win over later ones (YAML merge spec).

        Sources are built against a scratch document so that their positions
        can be re-rooted under this mapping for the keys that survive.
        """
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        own = self.doc
        for source in sources:
            scratch = Document(own.file, own.index, None)
            self.doc = scratch
            try:
                built = self.build(source, (*path, "<<"), depth + 1)
            finally:
                self.doc = own
            if isinstance(built, dict):
                for key, value in built.items():
                    if key not in merged:
                        merged[key] = value
                for merged_path, mark in scratch.positions.items():
                    into.positions.setdefault(merged_path, mark)
                for merged_path, text in scratch.raw.items():
                    into.raw.setdefault(merged_path, text)
            else:
                self.error(source, "a merge key (<<) needs a mapping or a list of mappings; use <<: *anchor")


def read_documents(path: Path, display: str, errors: list[Diagnostic], data: bytes | None = None) -> list[Document]:
    """Parse every document of one YAML file; problems go to ``errors``.

    ``data`` lets callers pass file bytes read elsewhere (a git blob).
    A file that cannot be read at all yields no documents and one diagnostic.
    """
    return read_file(path, display, errors, data).documents


@dataclass
class FileRead:
    """The documents of one file, and whether that is all the file holds.

    ``complete`` is False when reading stopped early (syntax error, wrong
    encoding...): the file may define names that now look missing, so
    callers hold back "unknown X" reports rather than bury the real error.
    """

    documents: list[Document]
    complete: bool


def read_file(path: Path, display: str, errors: list[Diagnostic], data: bytes | None = None) -> FileRead:
    """Like :func:`read_documents`, also saying whether the whole file was read."""
    if data is None:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                errors.append(_too_big(display, size))
                return FileRead([], complete=False)
            data = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            errors.append(Diagnostic(Pos(display), f"cannot read file: {reason}; check it exists and is readable"))
            return FileRead([], complete=False)
    if len(data) > MAX_FILE_BYTES:
        errors.append(_too_big(display, len(data)))
        return FileRead([], complete=False)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        errors.append(Diagnostic(Pos(display), "UTF-16 or UTF-32 text; save the file as UTF-8"))
        return FileRead([], complete=False)
    if b"\x00" in data[:8192]:
        errors.append(Diagnostic(Pos(display), "binary file, not YAML; remove it from the fleet directory"))
        return FileRead([], complete=False)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1  # in characters, like YAML's
        errors.append(Diagnostic(Pos(display, line, col), "not UTF-8 text; save the file as UTF-8"))
        return FileRead([], complete=False)
    if not text.strip():
        errors.append(Diagnostic(Pos(display), "empty file; add a fleetc document or delete the file"))
        return FileRead([], complete=True)
    return _compose(text, display, errors)


def _compose(text: str, display: str, errors: list[Diagnostic]) -> FileRead:
    documents: list[Document] = []
    try:
        if _may_nest_deeper(text, _SAFE_NESTING_BOUND) and not _nesting_ok(text, display, errors):
            return FileRead(documents, complete=False)
        budget = 2 * len(text) + _ALIAS_BUDGET
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if node is None:
                continue
            doc = Document(display, index, None)
            doc.positions[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
            builder = _Builder(doc, errors, budget)
            try:
                doc.data = builder.build(node, ())
            except _Abort as exc:
                line, col = exc.node.start_mark.line + 1, exc.node.start_mark.column + 1
                errors.append(Diagnostic(Pos(display, line, col), exc.message))
                return FileRead(documents, complete=False)
            budget = builder.budget
            if doc.data is None:
                continue  # an empty document between two '---'
            documents.append(doc)
    except yaml.MarkedYAMLError as exc:
        errors.append(_syntax_error(display, exc))
    except ReaderError as exc:  # control characters and the like
        line, col = _line_col(text, exc.position)
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        errors.append(
            Diagnostic(
                Pos(display, line, col),
                f"character U+{code:04X} is not allowed in YAML ({exc.reason}); remove it, "
                f'or write it escaped inside double quotes: "\\u{code:04x}"',
            )
        )
    except yaml.YAMLError as exc:  # pragma: no cover - libyaml raises the two above
        errors.append(Diagnostic(Pos(display), f"YAML error: {str(exc).splitlines()[0]}; fix the YAML"))
    else:
        return FileRead(documents, complete=True)
    return FileRead(documents, complete=False)


def _syntax_error(display: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or exc.context or "invalid YAML"
    context_mark = exc.context_mark
    if exc.context and exc.problem and context_mark is not None and context_mark.line + 1 != line:
        problem = f"{problem} ({exc.context} at line {context_mark.line + 1})"
    return Diagnostic(Pos(display, line, col), f"YAML syntax error: {problem}; fix the YAML here")


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset (libyaml reader errors give offsets)."""
    offset = max(0, min(offset, len(text)))
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _may_nest_deeper(text: str, limit: int) -> bool:
    """False when ``text`` provably cannot nest collections deeper than ``limit``.

    Every flow level needs a ``[`` or ``{``; every block level needs either a
    ``-``/``?`` indicator followed by a blank, or more leading spaces than its
    parent. So depth <= brackets + indicators + the deepest indentation + 1,
    and each term is a substring count or search at C speed.
    """
    if len(text) <= limit:
        return False  # every level takes at least one character
    used = text.count("[") + text.count("{") + 2
    used += sum(text.count("-" + c) + text.count("?" + c) for c in _BREAKS)
    if used > limit:
        return True
    indent = " " * (limit - used)
    return text.startswith(indent) or any(f"{b}{indent}" in text for b in _LINE_BREAKS)


def _nesting_ok(text: str, display: str, errors: list[Diagnostic]) -> bool:
    """Exact depth from libyaml's event stream, stopping at the first too-deep level.

    Only files whose cheap bound is high get here; stopping early keeps a
    hostile file from reaching libyaml's quadratic deep-nesting path.
    """
    depth = 0
    starts = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, starts):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
                text = f"nesting deeper than {MAX_DEPTH} levels; flatten this value"
                errors.append(Diagnostic(Pos(display, line, col), text))
                return False
        elif isinstance(event, ends):
            depth -= 1
    return True


def _too_big(display: str, size: int) -> Diagnostic:
    return Diagnostic(
        Pos(display),
        f"file is {size / 1024 / 1024:.1f} MiB, above the {MAX_FILE_BYTES // 1024 // 1024} MiB limit "
        "for one fleet file; split it into several files",
    )
