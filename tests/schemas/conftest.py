"""Fixtures of the schema tests: the store of vendored CRDs, or a skip that says how to get them."""

from __future__ import annotations

import pytest

from schemas.crds import missing_reason
from schemas.validate import SchemaStore, crds_available, default_store


@pytest.fixture(scope="session")
def store() -> SchemaStore:
    """The vendored CRDs and the built-in kinds; tests that need the CRDs skip when they are not on this machine."""
    if not crds_available():
        pytest.skip(missing_reason())
    return default_store()
