"""``fleetc schema``: a valid draft-07 JSON Schema that agrees with the loader on shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.errors import Diagnostic
from fleetc.spec.source import read_documents

jsonschema = pytest.importorskip("jsonschema")  # in the dev extra

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
FLEETS = [HERE.parents[1] / "fleet", HERE / "valid" / "minimal"]

# Corpus cases whose fault is a shape a per-document schema can see.
SHAPE_FAULTS = [
    "unknown-field-top-level",
    "unknown-field-nested",
    "unknown-field-in-list-item",
    "snake-case-field",
    "string-for-int",
    "number-for-version",
    "missing-required-field",
    "bad-api-version",
    "unknown-kind",
    "malformed-version",
    "max-unavailable-zero",
    "max-unavailable-not-a-percentage",
    "window-bad-start",
    "window-bad-day",
    "broken-fleet-document",
    "wrong-container-types",
]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Any:
    return jsonschema.Draft7Validator(schema)


def documents_of(root: Path) -> list[tuple[str, Any]]:
    """(file, data) of every document, read the way fleetc reads them (YAML 1.2 scalars)."""
    found = []
    for path in sorted(root.rglob("*.yaml")):
        errors: list[Diagnostic] = []
        for doc in read_documents(path, str(path), errors):
            found.append((str(path.relative_to(root)), doc.data))
        assert not errors, errors
    return found


def test_the_output_is_a_valid_draft_07_schema(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)


@pytest.mark.parametrize("root", FLEETS, ids=["example", "minimal"])
def test_valid_fleets_pass(root: Path, validator: Any) -> None:
    for file, data in documents_of(root):
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], f"{file}: {errors}"


@pytest.mark.parametrize("case", SHAPE_FAULTS)
def test_shape_faults_of_the_corpus_fail(case: str, validator: Any) -> None:
    root = BROKEN / case
    failing = [file for file, data in documents_of(root) if not validator.is_valid(data)]
    assert failing, f"the schema accepts every document of {case}"


def test_the_schema_selects_the_kind(validator: Any) -> None:
    """A Tenant field in a Region is an error in the Region's terms (if/then per kind, not "no alternative")."""
    region = {
        "apiVersion": "fleetc.dev/v1alpha1",
        "kind": "Region",
        "metadata": {"name": "r1"},
        "spec": {"failureDomains": ["a"], "approvers": ["x@y.example"]},
    }
    errors = list(validator.iter_errors(region))
    assert [e.message for e in errors] == ["Additional properties are not allowed ('approvers' was unexpected)"]


def test_fields_carry_descriptions_for_editors(schema: dict[str, Any]) -> None:
    cluster = schema["definitions"]["Cluster"]["properties"]
    assert "Tenant" in cluster["tenant"]["description"]
    assert cluster["nodePools"]["title"] == "nodePools"
    pool = schema["definitions"]["NodePool"]["properties"]
    assert "percentage" in pool["maxUnavailable"]["description"]
    undocumented = [
        f"{name}.{field}"
        for name, definition in schema["definitions"].items()
        for field, spec in definition.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert undocumented == []
