"""JSON Schema of the fleet spec, generated from the same models that validate.

Editors (yaml-language-server) use it for completion and inline errors;
one schema covers every kind, selected by ``kind``.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from fleetc.spec.models import KINDS


def json_schema() -> dict[str, Any]:
    models = list(KINDS.values())
    union: Any = models[0]
    for model in models[1:]:
        union = union | model
    schema = TypeAdapter(union).json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://fleetc.dev/schemas/v1alpha1/fleet.json"
    schema["title"] = "fleetc fleet document (apiVersion fleetc.dev/v1alpha1)"
    return schema
