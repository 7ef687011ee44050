"""Kubernetes-style versions: the one parser fleetc has.

Two readings of the same grammar, because the inputs differ in trust:

- :meth:`Version.parse` for what people write in the fleet: exactly
  ``MAJOR.MINOR.PATCH`` with an optional leading ``v``. A pre-release is not a
  target anyone should roll a fleet to, so it is rejected there.
- :meth:`Version.reported` for what clusters report (kubelet versions, image
  tags): semantic-version syntax, ``v1.30.6+k3s1`` or ``v1.31.2-rc.1``. Build
  metadata (``+k3s1``) is ignored, as SemVer says; a pre-release (``-rc.1``,
  ``-alpha.0``, also vendor suffixes such as ``-eks-7f9249a``) is kept, and
  orders *before* its release: ``1.31.2-rc.1 < 1.31.2``, so a release
  candidate never counts as the release it precedes.

Image tags of ``registry.k8s.io/etcd`` carry an image revision (``3.5.16-0``),
not a pre-release; :func:`image_version` strips it only when asked.

Upgrades move one minor at a time and kubelet skew is counted in minors, so
the type exposes minor arithmetic rather than free-form comparison only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

_STRICT = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_IDENT = r"[0-9A-Za-z-]+"
_REPORTED = re.compile(
    rf"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-({_IDENT}(?:\.{_IDENT})*))?(?:\+({_IDENT}(?:\.{_IDENT})*))?$"
)
_REVISION = re.compile(r"-\d+$")

PreRelease = tuple[int | str, ...]


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: PreRelease = ()  # SemVer pre-release identifiers; () is a release

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse ``1.30.6`` or ``v1.30.6`` (a release); raise ValueError with a hint otherwise."""
        match = _STRICT.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f'{text!r} is not a version: write MAJOR.MINOR.PATCH, e.g. "1.30.6"')
        return cls(int(match[1]), int(match[2]), int(match[3]))

    @classmethod
    def reported(cls, text: object) -> Version | None:
        """A version as a cluster reports it (SemVer, optional ``v``); None if it is not one."""
        if not isinstance(text, str):
            return None
        match = _REPORTED.match(text.strip())
        if match is None:
            return None
        pre: PreRelease = tuple(int(p) if p.isdigit() else p for p in match[4].split(".")) if match[4] else ()
        return cls(int(match[1]), int(match[2]), int(match[3]), pre)

    try_parse = reported  # the older name, kept for readers of live data

    @property
    def is_release(self) -> bool:
        return not self.pre

    @property
    def release(self) -> Version:
        """The release this version is (or precedes): ``1.31.2-rc.1`` -> ``1.31.2``."""
        return Version(self.major, self.minor, self.patch)

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        # A release sorts after every pre-release of it; numeric identifiers
        # sort before alphanumeric ones, each among themselves (SemVer 11).
        pre = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def minors_to(self, other: Version) -> int:
        """How many minors ``other`` is ahead of self (negative: behind).

        Across a major boundary the distance is not defined; it is reported as
        large so that callers treat it as a skip.
        """
        if self.major != other.major:
            return 1000 if other.major > self.major else -1000
        return other.minor - self.minor

    def same_minor(self, other: Version) -> bool:
        return self.major == other.major and self.minor == other.minor

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}.{self.patch}"
        return f"{base}-{'.'.join(str(p) for p in self.pre)}" if self.pre else base


def image_version(image: object, *, revision: bool = False) -> Version | None:
    """The version in an image reference's tag: ``registry.k8s.io/kube-apiserver:v1.30.6`` -> 1.30.6.

    A registry port (``host:5000/img``) is not a tag and a digest is ignored.
    ``revision``: the tag carries an image revision after the version
    (``registry.k8s.io/etcd:3.5.16-0``), which is dropped before parsing.
    """
    if not isinstance(image, str):
        return None
    reference = image.split("@", 1)[0]
    last = reference.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    tag = last.rsplit(":", 1)[1]
    if revision:
        tag = _REVISION.sub("", tag, count=1)
    return Version.reported(tag)
