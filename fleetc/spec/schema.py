"""JSON Schema of the fleet spec, generated from the same models that validate.

Editors (yaml-language-server) use it for completion, hover help and inline
errors; one schema covers every kind, and ``kind`` selects the rest with
``if``/``then`` so an editor reports the error of the document's own kind
rather than "matches none of four alternatives".

It is JSON Schema draft-07 (``definitions``, not ``$defs``): the newest
draft yaml-language-server fully supports. Field descriptions come from the
models' field docstrings.

The schema checks shape only. ``fleetc validate`` remains the authority:
references between documents, duplicate names, budgets and version skips
are beyond a per-file schema.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from fleetc.spec.models import API_VERSION, KINDS, Metadata

SCHEMA_ID = "https://fleetc.dev/schemas/v1alpha1/fleet.json"
DRAFT = "http://json-schema.org/draft-07/schema#"


def json_schema() -> dict[str, Any]:
    """The schema of one fleet document (any kind)."""
    models = [(model, "validation") for model in (Metadata, *KINDS.values())]
    refs, generated = models_json_schema(
        models,  # type: ignore[arg-type]
        by_alias=True,
        ref_template="#/definitions/{model}",
    )
    definitions: dict[str, Any] = generated.get("$defs", {})
    by_kind = {kind: refs[(model, "validation")]["$ref"] for kind, model in KINDS.items()}
    metadata_ref = refs[(Metadata, "validation")]["$ref"]
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": f"fleetc fleet document (apiVersion {API_VERSION})",
        "description": (
            "One document of a fleet directory: kind Fleet, Tenant, Region or Approval (docs/spec.md section 2)."
        ),
        "type": "object",
        "required": ["apiVersion", "kind", "metadata"],
        "properties": {
            "apiVersion": {"const": API_VERSION, "description": f"Always {API_VERSION}."},
            "kind": {"enum": list(KINDS), "description": "What this document declares."},
            "metadata": {"$ref": metadata_ref},
            "spec": {"type": "object", "description": "The kind's settings."},
        },
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"$ref": ref},
            }
            for kind, ref in by_kind.items()
        ],
        "definitions": definitions,
    }
