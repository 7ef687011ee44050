"""Kubernetes-style versions (``x.y.z`` with an optional leading ``v``).

Upgrades move one minor at a time and kubelet skew is counted in minors, so
the type exposes minor arithmetic rather than free-form comparison only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse ``1.30.6`` or ``v1.30.6``; raise ValueError with a hint otherwise."""
        match = _VERSION.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"{text!r} is not a version: write MAJOR.MINOR.PATCH, e.g. \"1.30.6\"")
        return cls(int(match[1]), int(match[2]), int(match[3]))

    @classmethod
    def try_parse(cls, text: object) -> Version | None:
        """Lenient parse for live data: ``v1.30.6+k3s1`` or ``v1.30.6-eks`` -> 1.30.6."""
        if not isinstance(text, str):
            return None
        match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", text.strip())
        return cls(int(match[1]), int(match[2]), int(match[3])) if match else None

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
        return f"{self.major}.{self.minor}.{self.patch}"
