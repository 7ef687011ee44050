"""Validating the objects fleetc emits against the real schemas, for tests.

No operator (Kamaji, Flux, cert-manager, prometheus-operator) and no cluster
runs in CI, so a misspelt field or a wrong type in an emitted object would
only show up when a user applies it. ``validate(obj)`` returns what
``kubectl apply --validate=strict`` would reject, as one line per problem,
each naming the JSON path (``HelmRelease/cilium: $.spec.chart.spec.version:
1 is not of type 'string'``); an empty list means valid.

- A custom resource is checked against the vendored CRD (``crds.py``) that
  serves its group and version; a version the CRD does not serve is an
  error, "no schema for ...". Its schema is converted by ``structural.py``
  (unknown fields are errors, except under preserve-unknown-fields) and its
  ``metadata`` is checked as ObjectMeta.
- A built-in kind (``v1``, ``apps/v1``, ``*.k8s.io``) is checked against the
  Kubernetes OpenAPI of ``core.KUBERNETES_VERSION`` from kubernetes-validate,
  in its strict variant.
- Either way ``metadata.name`` is required. ``require_namespace=True`` also
  checks scope: a namespaced kind needs ``metadata.namespace``, a cluster-scoped
  one must not have it (opt-in: a folder of manifests may leave the namespace
  to the tool that applies it).
- ``patch=True`` checks a partial object for server-side apply, such as the
  Node patches of ``fleetc render``: required fields are not required, except
  inside list items (see ``structural.without_required``).

Schemas are parsed and validators built once per process and kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from schemas import core
from schemas.crds import find_crd_dir, load_crds, missing_reason
from schemas.keywords import FORMATS, KubernetesValidator
from schemas.structural import cel_rules, to_json_schema, without_required

MESSAGE_LIMIT = 240


@dataclass(frozen=True)
class _Definition:
    """One kind of one CRD: its scope and the openAPIV3Schema of each served version."""

    group: str
    kind: str
    namespaced: bool
    versions: Mapping[str, Mapping[str, Any]]


class SchemaStore:
    """Schemas of the given CRDs plus the built-in kinds; validators built on first use and kept."""

    def __init__(self, crds: Iterable[Mapping[str, Any]], *, unavailable: str = "") -> None:
        self._definitions: dict[tuple[str, str], _Definition] = {}
        for crd in crds:
            spec = crd["spec"]
            served = {v["name"]: v["schema"]["openAPIV3Schema"] for v in spec["versions"] if v.get("served")}
            key = (spec["group"], spec["names"]["kind"])
            self._definitions[key] = _Definition(key[0], key[1], spec["scope"] == "Namespaced", served)
        self._unavailable = unavailable
        self._validators: dict[tuple[str, str, bool], Any] = {}

    @classmethod
    def from_directory(cls, directory: Path) -> SchemaStore:
        return cls(load_crds(directory))

    def served(self) -> list[tuple[str, str]]:
        """``(apiVersion, kind)`` of every custom resource version this store can check."""
        return sorted((f"{d.group}/{version}", d.kind) for d in self._definitions.values() for version in d.versions)

    def crd_schema(self, api_version: str, kind: str) -> Mapping[str, Any] | None:
        """The CRD's own openAPIV3Schema of a served version (None: not served)."""
        group, _, version = api_version.rpartition("/")
        definition = self._definitions.get((group, kind))
        return definition.versions.get(version) if definition else None

    def unchecked_rules(self, api_version: str, kind: str) -> list[tuple[str, str, str]]:
        """``(path, rule, message)`` of the kind's CEL rules, which this harness does not evaluate."""
        schema = self.crd_schema(api_version, kind)
        return list(cel_rules(schema)) if schema is not None else []

    def validate(self, obj: Mapping[str, Any], *, patch: bool = False, require_namespace: bool = False) -> list[str]:
        """Every problem of ``obj``, one line each naming its JSON path; ``[]``: valid."""
        if not isinstance(obj, Mapping):
            return [f"$: {type(obj).__name__} is not an object"]
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        metadata = obj.get("metadata")
        name = metadata.get("name") if isinstance(metadata, Mapping) else None
        label = f"{kind}/{name}" if isinstance(name, str) and name else f"{kind}"
        missing = [f for f, v in (("apiVersion", api_version), ("kind", kind)) if not isinstance(v, str) or not v]
        if missing:
            return [f"{label}: $.{field}: required field is missing" for field in missing]
        assert isinstance(api_version, str) and isinstance(kind, str)
        found = self._validator(api_version, kind, patch)
        if isinstance(found, str):
            return [f"{label}: {found}"]
        validator, namespaced = found
        problems = [f"{label}: {line}" for line in _metadata_problems(metadata, kind, namespaced, require_namespace)]
        errors = sorted(validator.iter_errors(obj), key=lambda e: (list(map(str, e.absolute_path)), e.message))
        problems.extend(f"{label}: {error.json_path}: {_message(error)}" for error in errors)
        return problems

    def _validator(self, api_version: str, kind: str, patch: bool) -> tuple[Any, bool] | str:
        """(validator, namespaced), or why there is none."""
        group, _, version = api_version.rpartition("/")
        definition = self._definitions.get((group, kind))
        key = (api_version, kind, patch)
        if definition is not None:
            schema = definition.versions.get(version)
            if schema is None:
                served = ", ".join(sorted(definition.versions)) or "none"
                return f"no schema for {api_version} {kind}: the vendored CRD serves {group} {served}"
            if key not in self._validators:
                converted = to_json_schema(schema)
                self._validators[key] = KubernetesValidator(
                    without_required(converted) if patch else converted,
                    registry=core.registry(False),
                    format_checker=FORMATS,
                )
            return self._validators[key], definition.namespaced
        if core.is_builtin_group(api_version):
            builtin = core.kind_schema(api_version, kind, patch)
            if builtin is None:
                return f"no schema for {api_version} {kind} in Kubernetes {core.KUBERNETES_VERSION}"
            if key not in self._validators:
                self._validators[key] = KubernetesValidator(
                    builtin, registry=core.registry(patch), format_checker=FORMATS
                )
            return self._validators[key], kind not in core.CLUSTER_SCOPED
        why = f" ({self._unavailable})" if self._unavailable else ""
        return f"no schema for {api_version} {kind}: no vendored CRD serves it{why}"


def _metadata_problems(metadata: Any, kind: str, namespaced: bool, require_namespace: bool) -> list[str]:
    """What the schemas cannot say: a name, and (opt-in) a namespace exactly when the kind is namespaced."""
    if metadata is not None and not isinstance(metadata, Mapping):
        return []  # the schema reports the type
    meta: Mapping[str, Any] = metadata or {}
    problems = []
    if not isinstance(meta.get("name"), str) or not meta.get("name"):
        problems.append("$.metadata.name: required field is missing")
    if require_namespace:
        has_namespace = isinstance(meta.get("namespace"), str) and bool(meta.get("namespace"))
        if namespaced and not has_namespace:
            problems.append(f"$.metadata.namespace: required field is missing ({kind} is namespaced)")
        elif not namespaced and "namespace" in meta:
            problems.append(f"$.metadata.namespace: must not be set ({kind} is cluster-scoped)")
    return problems


def _message(error: Any) -> str:
    """The error's message, with the alternatives of a failed oneOf/anyOf, cut to :data:`MESSAGE_LIMIT`."""
    message = str(error.message)
    if error.validator in ("oneOf", "anyOf") and error.context:
        alternatives = sorted({str(sub.message) for sub in error.context if not sub.relative_path})
        if alternatives:
            message = "matches no alternative: " + "; ".join(alternatives)
    return message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 3] + "..."


@cache
def default_store() -> SchemaStore:
    """The store of the vendored CRDs (:func:`schemas.crds.find_crd_dir`); built-in kinds only when there are none."""
    directory = find_crd_dir()
    if directory is None:
        return SchemaStore((), unavailable=missing_reason())
    return SchemaStore.from_directory(directory)


def crds_available() -> bool:
    return find_crd_dir() is not None


def validate(obj: Mapping[str, Any], *, patch: bool = False, require_namespace: bool = False) -> list[str]:
    """:meth:`SchemaStore.validate` with the vendored CRDs."""
    return default_store().validate(obj, patch=patch, require_namespace=require_namespace)
