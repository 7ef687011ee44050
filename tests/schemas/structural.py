"""A CRD's structural ``openAPIV3Schema`` as a JSON Schema (Draft 2020-12) with the API server's meaning.

The API server prunes fields its schema does not name, and
``kubectl apply --validate=strict`` turns each pruned field into an error;
JSON Schema allows them unless told otherwise. So every object node gets
``additionalProperties: false`` unless it has ``additionalProperties`` of its
own (a map) or ``x-kubernetes-preserve-unknown-fields: true``. Only nodes in
structural positions are closed: the branches of ``anyOf``/``allOf``/
``oneOf``/``not`` are value validations over the same object and name only
some of its fields.

The Kubernetes extensions:

- ``x-kubernetes-int-or-string``: integer or string (the ``anyOf`` that
  controller-gen adds next to it is dropped: it says the same, less clearly).
- ``x-kubernetes-preserve-unknown-fields``: fields the schema does not name
  are kept; fields it names are still checked.
- ``x-kubernetes-embedded-resource``: an object with ``apiVersion`` and
  ``kind`` (both required) and ``metadata`` checked as ObjectMeta.
- ``nullable: true``: null is allowed. Without it null is an error here, which
  is stricter than the API server (it prunes such nulls): an emitted null is
  almost always a value fleetc failed to fill in.
- OpenAPI 3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` become
  JSON Schema's numeric ones.

Not checked: ``x-kubernetes-validations`` (CEL rules; ``cel_rules`` lists them
so a test or a doc can say which rules the harness cannot see), and defaults
(the server applies them; an omitted defaulted field is valid).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

OBJECT_META_REF = "https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

# Keywords copied as they are: JSON Schema and OpenAPI 3.0 agree on them.
_SAME = frozenset(
    {
        "type",
        "format",
        "enum",
        "pattern",
        "required",
        "minimum",
        "maximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
    }
)
# Keywords with no effect on what is valid here (see the module doc for CEL and defaults).
_IGNORED = frozenset(
    {"description", "title", "default", "example", "externalDocs", "x-kubernetes-validations", "x-kubernetes-map-type"}
)
_INT_OR_STRING_ANY_OF = [{"type": "integer"}, {"type": "string"}]


class UnsupportedSchema(ValueError):
    """The CRD uses a keyword this converter does not know: fail instead of silently accepting anything."""


def to_json_schema(crd_schema: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a whole object of the CRD: ``metadata`` is ObjectMeta, top-level fields closed."""
    schema = _convert(crd_schema, structural=True, where="")
    properties = schema.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string"}
    properties["kind"] = {"type": "string"}
    properties["metadata"] = {"$ref": OBJECT_META_REF}
    schema["additionalProperties"] = False
    return schema


def _convert(node: Mapping[str, Any], *, structural: bool, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _IGNORED or key in ("nullable", "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource"):
            continue
        if key == "x-kubernetes-preserve-unknown-fields":
            continue
        if key in _SAME:
            out[key] = value
        elif key == "properties":
            out[key] = {
                name: _convert(sub, structural=structural, where=f"{where}.{name}") for name, sub in value.items()
            }
        elif key == "items":
            out[key] = _convert(value, structural=structural, where=f"{where}[]")
        elif key == "additionalProperties":
            out[key] = (
                value if isinstance(value, bool) else _convert(value, structural=structural, where=f"{where}{{}}")
            )
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_convert(sub, structural=False, where=where) for sub in value]
        elif key == "not":
            out[key] = _convert(value, structural=False, where=where)
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value is True and bound in node:
                out[key] = node[bound]
        else:
            raise UnsupportedSchema(f"{where or '.'}: unsupported schema keyword {key!r}")
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if key in out:
            out.pop("minimum" if key == "exclusiveMinimum" else "maximum", None)

    if node.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
        if out.get("anyOf") == _INT_OR_STRING_ANY_OF:
            del out["anyOf"]
    if node.get("x-kubernetes-embedded-resource"):
        properties = out.setdefault("properties", {})
        properties.setdefault("apiVersion", {"type": "string"})
        properties.setdefault("kind", {"type": "string"})
        properties["metadata"] = {"$ref": OBJECT_META_REF}
        out["required"] = sorted({*out.get("required", []), "apiVersion", "kind"})
    is_object = out.get("type") == "object" or "properties" in out
    if (
        structural
        and is_object
        and "additionalProperties" not in out
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    if node.get("nullable"):
        _allow_null(out)
    return out


def _allow_null(out: dict[str, Any]) -> None:
    kind = out.get("type")
    if kind is not None:
        out["type"] = [*(kind if isinstance(kind, list) else [kind]), "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]


def without_required(schema: Mapping[str, Any], rewrite_ref: Callable[[str], str] = lambda ref: ref) -> dict[str, Any]:
    """The schema of a partial object for server-side apply ("patch mode").

    ``required`` is dropped wherever the object is reached through fields
    and maps: an applied patch names only the fields its manager owns. Items
    of arrays keep their ``required`` fields: an applied list item is new
    content (or is merged by its map keys, which are the required fields),
    so e.g. a Node taint still needs ``key`` and ``effect``. ``$ref``s outside
    arrays go through ``rewrite_ref`` so that the referenced definitions can be
    swapped for their own patch variants (see ``core.py``).
    """
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "required":
            continue
        if key == "$ref":
            out[key] = rewrite_ref(value)
        elif key in ("properties", "patternProperties"):
            out[key] = {name: without_required(sub, rewrite_ref) for name, sub in value.items()}
        elif key == "additionalProperties" and isinstance(value, Mapping):
            out[key] = without_required(value, rewrite_ref)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [without_required(sub, rewrite_ref) for sub in value]
        else:
            out[key] = value  # items (see above), scalars and annotations
    return out


def cel_rules(crd_schema: Mapping[str, Any], where: str = "") -> Iterator[tuple[str, str, str]]:
    """``(path, rule, message)`` of every ``x-kubernetes-validations`` rule: the checks this harness skips."""
    for rule in crd_schema.get("x-kubernetes-validations", []):
        yield where or ".", str(rule.get("rule", "")), str(rule.get("message", ""))
    for name, sub in crd_schema.get("properties", {}).items():
        yield from cel_rules(sub, f"{where}.{name}")
    if isinstance(crd_schema.get("items"), Mapping):
        yield from cel_rules(crd_schema["items"], f"{where}[]")
    if isinstance(crd_schema.get("additionalProperties"), Mapping):
        yield from cel_rules(crd_schema["additionalProperties"], f"{where}{{}}")
