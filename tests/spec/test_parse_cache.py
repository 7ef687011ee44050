"""Loading two revisions with one ParseCache parses a file once, and says its errors every time."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetc.errors import FleetcError
from fleetc.spec.loader import ParseCache, load_sources

REPO = Path(__file__).resolve().parents[2]


def files(root: Path, changed: dict[str, bytes] | None = None) -> list[tuple[str, bytes, Path]]:
    out = []
    for path in sorted((REPO / "fleet").rglob("*.yaml")):
        rel = path.relative_to(REPO / "fleet").as_posix()
        data = (changed or {}).get(rel, path.read_bytes())
        out.append((str(root / rel), data, root / rel))
    return out


def test_unchanged_files_are_shared_and_changed_ones_are_read_again() -> None:
    root = Path("fleet")
    cache = ParseCache()
    base = load_sources(root, files(root), cache=cache)
    region = (REPO / "fleet" / "regions" / "eu-west-02.yaml").read_bytes().replace(b"count: 3", b"count: 4", 1)
    head = load_sources(root, files(root, {"regions/eu-west-02.yaml": region}), cache=cache)
    assert head.regions["us-east-04"] is base.regions["us-east-04"]  # the same blob: parsed once
    assert head.regions["eu-west-02"] is not base.regions["eu-west-02"]
    assert head.regions["eu-west-02"] != base.regions["eu-west-02"]
    assert load_sources(root, files(root)) == base  # the cache changes nothing of the result


def test_errors_of_a_cached_file_are_reported_on_every_load() -> None:
    root = Path("fleet")
    cache = ParseCache()
    broken = {"tenants.yaml": b"kind: [\n"}
    for _ in range(2):
        with pytest.raises(FleetcError) as caught:
            load_sources(root, files(root, broken), cache=cache)
        assert any("tenants.yaml" in str(d) for d in caught.value.diagnostics)
