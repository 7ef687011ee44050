"""Which files of a fleet a change can reach: a preview reads those and no others.

``fleetc preview`` of a pull request that resizes one pool must not parse
and validate a hundred region files (docs/performance.md,
``bench/preview_scale.py``). Git says which files changed (their object ids
differ); those are read on both sides. Every other file is the same bytes on
both sides, and is read only when the documents already read may depend on
it, or it on them:

- a file that may hold the Fleet document (channels, bundles, instance
  types, the label prefix) is always read; when the Fleet document changes,
  the change reaches every region and every file is read;
- a document read brings in every file that may define the same kind and
  name (a duplicate is an error in both places);
- a Region read brings in the Tenants its clusters name and the Approvals of
  its clusters (an approval of a removed cluster dangles; approvals gate the
  plan);
- an Approval read brings in its cluster's Region;
- a Tenant that differs between the sides brings in every Region that may
  have its clusters (they are in the preview's scope, see
  :mod:`fleetc.preview.scope`).

"May hold" is decided on the text, so that an unread file costs a substring
search, not a parse: a document of kind K named N spells both words in its
file (YAML aliases do not cross documents, and line folding never joins two
words), unless the file uses a double-quoted escape (a backslash anywhere),
is not UTF-8 or is too big to be read: such a file may hold anything and is
read whenever anything is looked for. The test errs towards reading a file
too many (a comment that mentions a name), never one too few.

What a file that is not read would say is the base's: it has the same bytes
on both sides, so whatever is wrong in it was wrong before the change, and
``fleetc validate``/``fleetc check`` judge the whole fleet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fleetc.spec.source import MAX_FILE_BYTES

FLEET = "Fleet"
NAMED_KINDS = ("Tenant", "Region", "Approval")
_KINDS = (FLEET, *NAMED_KINDS)

# (kind, text): a file that may define a document of ``kind`` mentioning ``text``.
Needle = tuple[str, str]


@dataclass
class _Text:
    """What a substring search needs of an unread file: its text and which kind words it spells."""

    text: str
    kinds: frozenset[str]
    anything: bool  # may spell any word (escapes, not UTF-8, too big): read whenever anything is looked for

    @classmethod
    def of(cls, data: bytes) -> _Text:
        if len(data) > MAX_FILE_BYTES or data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return cls("", frozenset(), True)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return cls("", frozenset(), True)
        return cls(text, frozenset(k for k in _KINDS if k in text), "\\" in text)

    def may_hold(self, needle: Needle) -> bool:
        kind, word = needle
        return self.anything or (kind in self.kinds and word in self.text)


@dataclass
class Reach:
    """The files to read ("/"-separated paths below the fleet dir, on both sides), or None: every file."""

    files: frozenset[str] | None
    changed: int  # files that differ between the sides
    total: int  # files on either side

    @classmethod
    def everything(cls, base: Mapping[str, str], head: Mapping[str, str]) -> Reach:
        paths = base.keys() | head.keys()
        return cls(None, sum(1 for p in paths if base.get(p) != head.get(p)), len(paths))

    def note(self) -> str | None:
        """What the preview read, for its notes; None when it read everything."""
        if self.files is None:
            return None
        return (
            f"read {len(self.files)} of {self.total} fleet files ({self.changed} changed): "
            "the others cannot be reached by this change"
        )


def reached_files(
    base: Mapping[str, str],
    head: Mapping[str, str],
    data: Callable[[str], bytes],
    documents: Callable[[str, str, str], list[Any]],
) -> Reach:
    """The files a change from ``base`` to ``head`` (path -> object id) reaches.

    ``data(sha)``: the bytes of an object; ``documents(side, path, sha)``: the
    raw parsed documents of a file (``side`` is "base" or "head"), parsed
    once per object by the caller's cache so the load after this parses
    nothing twice.
    """
    paths = base.keys() | head.keys()
    changed = {p for p in paths if base.get(p) != head.get(p)}
    unchanged = sorted(paths - changed)
    texts = {p: _Text.of(data(base[p])) for p in unchanged}
    by_kind = {kind: [p for p in unchanged if kind in texts[p].kinds or texts[p].anything] for kind in _KINDS}
    chosen = set(changed) | set(by_kind[FLEET])
    read: dict[str, dict[str, list[Any]]] = {"base": {}, "head": {}}
    looked_for: set[Needle] = set()
    pending = sorted(chosen)
    for round_ in range(len(paths) + 1):  # every round reads at least one more file, or ends
        for path in pending:
            for side, objects in (("base", base), ("head", head)):
                if path in objects:
                    read[side][path] = documents(side, path, objects[path])
        if round_ == 0 and _fleet_changed(read):  # every file that may hold a Fleet is read in round 0
            return Reach.everything(base, head)
        needles = set(_needles(read)) - looked_for  # a needle looked for once has found all it can
        looked_for |= needles
        found = {
            p for kind, word in needles for p in by_kind[kind] if p not in chosen and texts[p].may_hold((kind, word))
        }
        if not found:
            break
        pending = sorted(found)
        chosen |= found
    return Reach(frozenset(chosen), len(changed), len(paths))


def _fleet_changed(read: Mapping[str, Mapping[str, list[Any]]]) -> bool:
    """The Fleet documents read differ between the sides (positions aside: they are plain data)."""
    sides = [Counter(_key(d) for docs in read[side].values() for d in docs if _kind(d) == FLEET) for side in read]
    return sides[0] != sides[1]


def _needles(read: Mapping[str, Mapping[str, list[Any]]]) -> Iterator[Needle]:
    tenants: dict[str, dict[str, Counter[str]]] = {"base": {}, "head": {}}
    for side, files in read.items():
        for docs in files.values():
            for doc in docs:
                kind, name = _kind(doc), _name(doc)
                if kind not in NAMED_KINDS or name is None:
                    continue
                yield kind, name
                if kind == "Tenant":
                    tenants[side].setdefault(name, Counter())[_key(doc)] += 1
                elif kind == "Region":
                    yield "Approval", f"{name}/"  # approvals of its clusters
                    yield from (("Tenant", tenant) for tenant in _cluster_tenants(doc))
                elif kind == "Approval":
                    region = _approval_region(doc)
                    if region is not None:
                        yield "Region", region
    for name in tenants["base"].keys() | tenants["head"].keys():
        if tenants["base"].get(name) != tenants["head"].get(name):
            yield "Region", name  # regions with its clusters are in scope


def _kind(doc: Any) -> str | None:
    kind = doc.get("kind") if isinstance(doc, dict) else None
    return kind if isinstance(kind, str) else None


def _scalar(value: Any) -> str | None:
    """The text a scalar name is spelled with; None for anything that is no name (that is an error elsewhere)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value)


def _name(doc: Any) -> str | None:
    metadata = doc.get("metadata") if isinstance(doc, dict) else None
    return _scalar(metadata.get("name")) if isinstance(metadata, dict) else None


def _spec(doc: Any) -> dict[str, Any]:
    spec = doc.get("spec") if isinstance(doc, dict) else None
    return spec if isinstance(spec, dict) else {}


def _cluster_tenants(doc: Any) -> Iterable[str]:
    clusters = _spec(doc).get("clusters")
    for cluster in clusters if isinstance(clusters, list) else []:
        tenant = _scalar(cluster.get("tenant")) if isinstance(cluster, dict) else None
        if tenant is not None:
            yield tenant


def _approval_region(doc: Any) -> str | None:
    cluster = _scalar(_spec(doc).get("cluster"))
    return cluster.partition("/")[0] if cluster else None


def _key(doc: Any) -> str:
    """A document's data as one comparable value (dicts compare regardless of key order; so does this)."""
    return repr(_canonical(doc))


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted(((repr(k), _canonical(v)) for k, v in value.items()), key=lambda kv: kv[0]))
    if isinstance(value, list):
        return tuple(_canonical(v) for v in value)
    return (type(value).__name__, value)
