"""Schemas of built-in Kubernetes kinds, from the ``kubernetes-validate`` package, at one pinned version.

The package ships the Kubernetes OpenAPI as JSON Schema, per minor version,
in a ``-strict`` variant (``additionalProperties: false`` everywhere, as
``kubectl apply --validate=strict``). Its own ``validate()`` is not used: it
stops at the first error, and it reads and parses the 1.3 MB definitions file
again on every call (13-21 ms an object on the CI machine, against under 1 ms
here). Here the files are read once, and one validator per kind is kept
(``functools.cache``).

The version is the oldest Kubernetes minor the fleet's channels run (stable:
1.30, rapid: 1.31): an object valid at 1.30 is accepted by every cluster of
the fleet, while a field new in 1.31 would be rejected by the stable clusters.
Move it when the stable channel moves (fleet/fleet.yaml).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from referencing import Registry, Resource

from schemas.structural import without_required

KUBERNETES_VERSION = "1.30"
DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
_PATCH_PREFIX = "patch."

# Built-in kinds without a namespace (the schemas do not say; the API's discovery does).
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)


def is_builtin_group(api_version: str) -> bool:
    """``v1``, ``apps/v1``, ``rbac.authorization.k8s.io/v1``: groups the Kubernetes API itself serves."""
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def _schema_dir() -> Any:
    return resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{KUBERNETES_VERSION}.0-local-strict"


def _file_name(api_version: str, kind: str) -> str:
    """kubernetes-validate's naming: ``deployment-apps-v1.json``, ``clusterrole-rbac-v1.json``, ``node-v1.json``."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


@cache
def _definitions() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((_schema_dir() / "_definitions.json").read_text(encoding="utf-8"))
    if loaded.get("$id") != DEFINITIONS_ID:
        raise RuntimeError(
            f"kubernetes-validate's _definitions.json has $id {loaded.get('$id')!r}, not {DEFINITIONS_ID}"
        )
    return loaded


def _to_patch_ref(ref: str) -> str:
    return ref.replace("#/$defs/", f"#/$defs/{_PATCH_PREFIX}", 1)


@cache
def registry(patch: bool) -> Registry[Any]:
    """The definitions every built-in kind refers to; with ``patch``, each also as a ``patch.`` variant."""
    definitions = _definitions()
    if patch:
        defs = definitions["$defs"]
        definitions = {
            **definitions,
            "$defs": {**defs, **{_PATCH_PREFIX + k: without_required(v, _to_patch_ref) for k, v in defs.items()}},
        }
    resource: Resource[Any] = Resource.from_contents(definitions)
    found: Registry[Any] = Registry().with_resource(DEFINITIONS_ID, resource)
    return found


@cache
def kind_schema(api_version: str, kind: str, patch: bool) -> dict[str, Any] | None:
    """The JSON Schema of a built-in kind at :data:`KUBERNETES_VERSION`; None: the version has no such kind."""
    path = _schema_dir() / _file_name(api_version, kind)
    if not path.is_file():
        return None
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    gvks = schema.get("x-kubernetes-group-version-kind", [])
    group, _, version = api_version.rpartition("/")
    if {"group": group, "version": version, "kind": kind} not in gvks:
        return None  # kubernetes-validate drops the domain of the group: networking.x.io/v1 is not networking.k8s.io/v1
    return without_required(schema, _to_patch_ref) if patch else schema
