"""Finding and loading the vendored CRDs, exactly the files ``crds.lock.json`` names, by their sha256.

The CRD files are upstream data (SOURCES.md says where each comes from) and
live outside this repository's history, in the first of:

1. the directory named by ``$FLEETC_CRD_DIR``;
2. ``tests/schemas/crds/`` in the work tree (ignored by git: a local copy);
3. ``shared/crds/`` in the nearest ancestor directory of the repository
   that has one (the project's shared data, beside the repository).

Whatever directory is found, every locked file must be in it with its
locked sha256, or loading fails (a CRD that is not the reviewed one would
make every "valid" verdict meaningless). Files the lock does not name are
ignored. No directory at all is not an error here: :func:`find_crd_dir`
returns None and the tests that need the CRDs skip, saying why.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
LOCK_FILE = HERE / "crds.lock.json"
CRD_DIR_ENV = "FLEETC_CRD_DIR"
_LOCAL_DIR = HERE / "crds"
_SHARED = Path("shared") / "crds"
_REPO_ROOT = HERE.parents[1]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CrdStoreError(RuntimeError):
    """The CRD directory does not hold the locked files."""


def locked() -> dict[str, str]:
    """``relative path -> sha256`` of every CRD file the harness uses."""
    lock: dict[str, str] = json.loads(LOCK_FILE.read_text(encoding="utf-8"))
    return lock


def find_crd_dir() -> Path | None:
    """The CRD directory (see the module doc), or None when there is none."""
    configured = os.environ.get(CRD_DIR_ENV)
    if configured:
        return Path(configured)
    if _LOCAL_DIR.is_dir():
        return _LOCAL_DIR
    for ancestor in _REPO_ROOT.parents:  # bounded: the path's depth
        if (ancestor / _SHARED).is_dir():
            return ancestor / _SHARED
    return None


def missing_reason() -> str:
    return (
        f"the vendored CRDs are not on this machine: set ${CRD_DIR_ENV}, or put the files that "
        f"{LOCK_FILE.name} names in tests/schemas/crds/ or shared/crds/ "
        "(tests/schemas/SOURCES.md says where they come from)"
    )


@cache
def load_crds(directory: Path) -> tuple[dict[str, Any], ...]:
    """Every CustomResourceDefinition of the locked files in ``directory``, hashes checked."""
    crds: list[dict[str, Any]] = []
    for relative, digest in sorted(locked().items()):
        path = directory / relative
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CrdStoreError(f"{path}: cannot read a locked CRD file: {error.strerror}") from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise CrdStoreError(
                f"{path}: sha256 {actual} is not the locked {digest}; extract the file again as SOURCES.md says, "
                f"or review the new version and update {LOCK_FILE.name}"
            )
        for document in yaml.load_all(data, Loader=_Loader):
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                crds.append(document)
    return tuple(crds)
