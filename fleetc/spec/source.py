"""YAML documents as plain data plus the source position of every key and item.

Loading goes through libyaml's C composer (PyYAML) with no implicit
resolvers: nodes keep their line/column marks and cost a fraction of a
round-trip parse (DESIGN.md measures 0.4 s vs 8.6 s per 100k lines).
Plain scalars are then resolved with the YAML 1.2 core schema, the schema
ruamel.yaml and editors use, so ``start: 02:00`` stays a string and ``on``
is not a boolean. The round-trip loader is kept for files fleetc edits.

The reader is the first thing that sees untrusted bytes (a pull request's
files in CI), so it never lets a malformed file turn into a crash or a hang:
it opens only regular files (a link to /dev/zero or a named pipe is a
diagnostic, never opened or read) and reads at most one byte past the size
limit; deep nesting is measured before libyaml's recursive C composer sees it
(that composer overflows the C stack at some ten thousand levels and is
quadratic long before), and aliases have an expansion budget (a "billion
laughs" or a self-referencing alias is a diagnostic, not an OOM kill).

fleetc's nesting limit (MAX_DEPTH) does not depend on the parser's: libyaml
0.2.6 refuses nesting beyond about 1000 levels on its own, older versions do
not, and either way the diagnostic is fleetc's, at the collection where
MAX_DEPTH is first exceeded (see :func:`_too_deep_at`).
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
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
# Collections nested in one another, the document's own mapping counting as 1.
MAX_DEPTH = 64
# Below this bound on nesting, libyaml's composer is safe and fast (measured
# with libyaml 0.2.5: a segfault between 20k and 40k levels, 0.5 s at 10k;
# libyaml 0.2.6 stops at about 1000 levels itself); above it the exact depth
# is measured from the event stream first.
_SAFE_NESTING_BOUND = 10_000
# libyaml's own nesting limit (0.2.6 and later), as its error message says it.
_PARSER_NESTING_PROBLEM = "maximum nesting depth"
# Times the event stream is rescanned up to where libyaml stopped for nesting.
_NESTING_RESCANS = 3
TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels; flatten this value"
TOO_DEEP_BY_ALIAS = f"nesting deeper than {MAX_DEPTH} levels (an alias inside itself?); flatten this value"
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

    def __init__(self, node: yaml.Node, message: str, *, nesting: bool = False) -> None:
        super().__init__(message)
        self.node = node
        self.message = message
        self.nesting = nesting
        self.path: list[yaml.Node] = []  # the collections around ``node``, innermost first

    def recurring(self) -> yaml.Node | None:
        """The outermost collection that contains itself (through an alias), if any."""
        seen: set[int] = set()
        found = None
        for node in self.path:  # innermost first: the last repeat seen is the outermost
            if id(node) in seen:
                found = node
            seen.add(id(node))
        return found


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
        if depth >= MAX_DEPTH:  # ``depth`` counts from 0 at the document's own collection
            raise _Abort(node, TOO_DEEP_BY_ALIAS, nesting=True)
        # Every value costs budget once, charged with its collection (scalars
        # are built inline by the loops below, so they are counted here).
        self.budget -= 1 + len(node.value)
        if self.budget < 0:
            raise _Abort(node, "aliases expand this file to too many values (an alias bomb?); write the values out")
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _SEQ_TAG:
                    self.error(node, f"YAML tag {node.tag} is not supported here; remove it")
                return self.sequence(node, path, depth)
            if isinstance(node, yaml.MappingNode):
                if node.tag != _MAP_TAG:
                    self.error(node, f"YAML tag {node.tag} is not supported here; remove it")
                return self.mapping(node, path, depth)
        except _Abort as exc:  # costs nothing until raised; records where the abort came from
            exc.path.append(node)
            raise
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


def read_documents(
    path: Path,
    display: str,
    errors: list[Diagnostic],
    data: bytes | None = None,
    *,
    follow_symlinks: bool = True,
) -> list[Document]:
    """Parse every document of one YAML file; problems go to ``errors``.

    ``data`` lets callers pass file bytes read elsewhere (a git blob).
    A file that cannot be read at all yields no documents and one diagnostic.
    ``follow_symlinks`` False: a symlink is a diagnostic (files found inside
    the fleet directory); True for a path the user typed.
    """
    return read_file(path, display, errors, data, follow_symlinks=follow_symlinks).documents


@dataclass
class FileRead:
    """The documents of one file, and whether that is all the file holds.

    ``complete`` is False when reading stopped early (syntax error, wrong
    encoding...): the file may define names that now look missing, so
    callers hold back "unknown X" reports rather than bury the real error.
    """

    documents: list[Document]
    complete: bool


def read_file(
    path: Path,
    display: str,
    errors: list[Diagnostic],
    data: bytes | None = None,
    *,
    follow_symlinks: bool = True,
) -> FileRead:
    """Like :func:`read_documents`, also saying whether the whole file was read."""
    if data is None:
        read = read_regular_file(path, display, follow_symlinks=follow_symlinks)
        if isinstance(read, Diagnostic):
            errors.append(read)
            return FileRead([], complete=False)
        data = read
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


def read_regular_file(path: Path, display: str, *, follow_symlinks: bool) -> bytes | Diagnostic:
    """The bytes of ``path`` if it is a regular file of at most MAX_FILE_BYTES, else why not.

    Anything else is refused before it is opened (a FIFO would block, a
    device never end), and again after opening (O_NOFOLLOW | O_NONBLOCK, then
    fstat): the file may have been swapped in between. At most
    MAX_FILE_BYTES + 1 bytes are read, whatever the size claimed.
    """
    try:
        info = os.stat(path, follow_symlinks=follow_symlinks)
    except OSError as exc:
        return _cannot_read(display, exc)
    if not stat.S_ISREG(info.st_mode):
        return Diagnostic(Pos(display), not_a_regular_file(path, info.st_mode, inside_fleet=not follow_symlinks))
    if info.st_size > MAX_FILE_BYTES:
        return _too_big(display, info.st_size)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:  # became a link since the stat
            return Diagnostic(Pos(display), not_a_regular_file(path, stat.S_IFLNK, inside_fleet=True))
        return _cannot_read(display, exc)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            return Diagnostic(Pos(display), not_a_regular_file(path, opened.st_mode, inside_fleet=not follow_symlinks))
        chunks: list[bytes] = []
        left = MAX_FILE_BYTES + 1
        while left > 0:  # bounded: every pass reads at least one byte or stops
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        return _cannot_read(display, exc)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_FILE_BYTES:
        return _too_big(display, max(len(data), opened.st_size))
    return data


def not_a_regular_file(path: Path, mode: int, *, inside_fleet: bool) -> str:
    """Why fleetc does not read ``path`` (a symlink, a FIFO, a device...), and what to do instead.

    ``inside_fleet``: found below the fleet directory, where only regular
    files are read; else a path the user typed (links to regular files are
    fine there).
    """
    where = "inside the fleet directory" if inside_fleet else ""
    rule = f"fleetc reads only regular files {where}".rstrip()
    if stat.S_ISLNK(mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        try:
            pointed = os.stat(path).st_mode
        except OSError:
            return (
                f"is a dangling symlink (to {target!r}, which does not exist); {rule} and never follows links: "
                "remove the link, or replace it with the file itself"
            )
        if stat.S_ISDIR(pointed):
            return (
                f"is a symlink to a directory ({target!r}); {rule} and never follows links: "
                "move the directory here instead of linking to it"
            )
        return f"is a symlink (to {target!r}); {rule} and never follows links: replace the link with the file itself"
    kinds = (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a directory"),
    )
    kind = next((name for test, name in kinds if test(mode)), "not a regular file")
    fix = "remove it" if inside_fleet else "pass a regular file"
    return f"is {kind}, not a regular file; {rule}: {fix}"


def _cannot_read(display: str, exc: OSError) -> Diagnostic:
    reason = exc.strerror or str(exc)
    return Diagnostic(Pos(display), f"cannot read file: {reason}; check it exists and is readable")


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
                message = exc.message
                if exc.nesting:  # the text itself, or only its aliases expanded?
                    spelled = _too_deep_at(text)
                    recurring = exc.recurring()
                    if spelled is not None:
                        (line, col), message = spelled, TOO_DEEP
                    elif recurring is not None:  # point at the collection that contains itself
                        line, col = recurring.start_mark.line + 1, recurring.start_mark.column + 1
                errors.append(Diagnostic(Pos(display, line, col), message))
                return FileRead(documents, complete=False)
            budget = builder.budget
            if doc.data is None:
                continue  # an empty document between two '---'
            documents.append(doc)
    except yaml.MarkedYAMLError as exc:
        if _parser_nesting_limit(exc):
            errors.append(_too_deep(text, display, exc))
        else:
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
    hostile file from reaching libyaml's quadratic deep-nesting path. A file
    that does not nest too deep goes on to the composer, which reports any
    syntax error in it.
    """
    found = _too_deep_at(text)
    if found is None:
        return True
    errors.append(Diagnostic(Pos(display, *found), TOO_DEEP))
    return False


def _too_deep_at(text: str) -> tuple[int, int] | None:
    """Line and column of the first collection nested deeper than MAX_DEPTH, or None.

    From libyaml's event stream. libyaml 0.2.6 stops on its own at about
    1000 levels, and may do so before delivering the event at MAX_DEPTH (its
    scanner looks ahead up to 1024 characters on a line of ``[[[[``): then
    the text up to where it stopped is scanned again; that prefix nests below
    libyaml's limit, so its events arrive. None also when the text is not
    YAML before reaching MAX_DEPTH (the composer reports that).
    """
    starts = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    for _ in range(_NESTING_RESCANS):
        depth = 0
        try:
            for event in yaml.parse(text, Loader=_Loader):
                if isinstance(event, starts):
                    depth += 1
                    if depth > MAX_DEPTH:
                        mark = event.start_mark
                        return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
                elif isinstance(event, ends):
                    depth -= 1
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            if not _parser_nesting_limit(exc) or mark is None or not 0 < mark.index < len(text):
                return None
            text = text[: mark.index]
            continue
        return None
    return None  # pragma: no cover - a prefix below libyaml's limit does not hit it again


def _parser_nesting_limit(exc: yaml.MarkedYAMLError) -> bool:
    """The parser stopped at its own nesting limit (libyaml 0.2.6 and later)."""
    return _PARSER_NESTING_PROBLEM in (exc.problem or "")


def _too_deep(text: str, display: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """fleetc's nesting diagnostic for a file the parser refused for nesting.

    At the collection where MAX_DEPTH is exceeded; should the event stream
    not show it, at the parser's mark, which is deeper still.
    """
    found = _too_deep_at(text)
    if found is None:
        mark = exc.problem_mark
        found = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Diagnostic(Pos(display, *found), TOO_DEEP)


def _too_big(display: str, size: int) -> Diagnostic:
    return Diagnostic(
        Pos(display),
        f"file is {size / 1024 / 1024:.1f} MiB, above the {MAX_FILE_BYTES // 1024 // 1024} MiB limit "
        "for one fleet file; split it into several files",
    )
