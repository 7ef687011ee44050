"""The harness can fail: for every kind, a good object passes and each way of breaking it is reported at its path."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import core
from schemas.cases import ALL_CASES, CORE_CASES, CRD_CASES, UNKNOWN_FIELD, Case, json_path, with_value, without
from schemas.crds import CrdStoreError, find_crd_dir, load_crds, locked
from schemas.structural import UnsupportedSchema
from schemas.validate import SchemaStore, validate

CORE_ONLY = SchemaStore(())


def check(case: Case, obj: dict[str, Any], request: pytest.FixtureRequest) -> list[str]:
    """Validate with the store the case needs (the vendored CRDs skip when absent)."""
    store: SchemaStore = request.getfixturevalue("store") if case.needs_crds else CORE_ONLY
    return store.validate(obj, patch=case.patch)


def assert_all_at(errors: list[str], path: str, text: str) -> None:
    """At least one error, every one naming ``path``, one of them saying ``text``."""
    assert errors, "the broken object was accepted"
    assert all(f": {path}: " in e or f": {path}[" in e or f": {path}." in e for e in errors), errors
    assert any(text in e for e in errors), errors


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


@pytest.mark.parametrize("case", ALL_CASES, ids=_ids(ALL_CASES))
def test_good_object_is_valid(case: Case, request: pytest.FixtureRequest) -> None:
    assert check(case, case.good, request) == []


@pytest.mark.parametrize("case", ALL_CASES, ids=_ids(ALL_CASES))
def test_unknown_field_is_an_error(case: Case, request: pytest.FixtureRequest) -> None:
    field = f"{case.unknown_under}.{UNKNOWN_FIELD}" if case.unknown_under else UNKNOWN_FIELD
    errors = check(case, with_value(case.good, field, "x"), request)
    assert_all_at(errors, json_path(field), "unknown field")


@pytest.mark.parametrize("case", ALL_CASES, ids=_ids(ALL_CASES))
def test_wrong_type_is_an_error(case: Case, request: pytest.FixtureRequest) -> None:
    field, value = case.wrong_type
    errors = check(case, with_value(case.good, field, value), request)
    assert_all_at(errors, json_path(field), "")


@pytest.mark.parametrize("case", ALL_CASES, ids=_ids(ALL_CASES))
def test_missing_required_field_is_an_error(case: Case, request: pytest.FixtureRequest) -> None:
    errors = check(case, without(case.good, case.required), request)
    assert_all_at(errors, json_path(case.required), "required field is missing")


def test_every_vendored_kind_has_a_case(store: SchemaStore) -> None:
    served = {kind for _, kind in store.served()}
    assert served == {case.name for case in CRD_CASES}


# ------------------------------------------------------------ kubernetes-validate agrees


FULL_CORE_CASES = [c for c in CORE_CASES if not c.patch]  # kubernetes-validate has no patch mode


@pytest.mark.parametrize("case", FULL_CORE_CASES, ids=_ids(FULL_CORE_CASES))
def test_kubernetes_validate_agrees_on_core_kinds(case: Case) -> None:
    """The same schemas through the library's own entry point: the good object passes, a wrong type fails."""
    kubernetes_validate.validate(case.good, core.KUBERNETES_VERSION, strict=True)
    field, value = case.wrong_type
    with pytest.raises(kubernetes_validate.ValidationError) as caught:
        kubernetes_validate.validate(with_value(case.good, field, value), core.KUBERNETES_VERSION, strict=True)
    assert ".".join(map(str, caught.value.path)).startswith(field)


# ------------------------------------------------------------ versions and kinds without a schema


@pytest.mark.parametrize(
    ("api_version", "kind", "text"),
    [
        ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease", "the vendored CRD serves helm.toolkit.fluxcd.io v2"),
        ("source.toolkit.fluxcd.io/v1beta2", "HelmRepository", "serves source.toolkit.fluxcd.io v1"),
        ("example.com/v1", "Widget", "no vendored CRD serves it"),
        ("apps/v1", "Widget", f"in Kubernetes {core.KUBERNETES_VERSION}"),
        ("policy/v1beta1", "PodDisruptionBudget", f"in Kubernetes {core.KUBERNETES_VERSION}"),  # removed in 1.25
    ],
)
def test_unserved_versions_and_unknown_kinds_have_no_schema(
    store: SchemaStore, api_version: str, kind: str, text: str
) -> None:
    (error,) = store.validate({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}})
    assert f"no schema for {api_version} {kind}" in error and text in error


def test_without_crds_a_custom_resource_is_an_error_not_a_pass() -> None:
    (case,) = [c for c in CRD_CASES if c.name == "HelmRelease"]
    (error,) = SchemaStore((), unavailable="CRDs not here").validate(case.good)
    assert "no schema for helm.toolkit.fluxcd.io/v2 HelmRelease" in error and "CRDs not here" in error


def test_apiversion_and_kind_are_required() -> None:
    assert validate({"metadata": {"name": "x"}}) == [
        "None/x: $.apiVersion: required field is missing",
        "None/x: $.kind: required field is missing",
    ]


# ------------------------------------------------------------ metadata and scope


def test_metadata_is_object_meta_for_custom_resources(store: SchemaStore) -> None:
    (case,) = [c for c in CRD_CASES if c.name == "HelmRelease"]
    bad = with_value(case.good, "metadata.labels", {"a": 1})
    bad = with_value(bad, "metadata.generateNam", "x-")
    errors = store.validate(bad)
    assert any("$.metadata.labels.a:" in e for e in errors), errors
    assert any("$.metadata.generateNam: unknown field" in e for e in errors), errors


CLUSTER_SCOPED_CRDS = {"DataStore", "ClusterIssuer"}  # the scope the upstream CRDs declare


@pytest.mark.parametrize("case", CRD_CASES, ids=_ids(CRD_CASES))
def test_namespace_follows_the_crd_scope_when_asked(case: Case, store: SchemaStore) -> None:
    assert store.validate(case.good, require_namespace=True) == []
    if case.name not in CLUSTER_SCOPED_CRDS:
        errors = store.validate(without(case.good, "metadata.namespace"), require_namespace=True)
        assert errors == [
            f"{case.good['kind']}/{case.good['metadata']['name']}: $.metadata.namespace: "
            f"required field is missing ({case.good['kind']} is namespaced)"
        ]
        assert store.validate(without(case.good, "metadata.namespace")) == []  # opt-in
    else:
        errors = store.validate(with_value(case.good, "metadata.namespace", "x"), require_namespace=True)
        assert len(errors) == 1 and "must not be set" in errors[0] and "$.metadata.namespace" in errors[0]


def test_namespace_of_core_kinds_when_asked() -> None:
    (deployment,) = [c.good for c in CORE_CASES if c.name == "Deployment"]
    (namespace,) = [c.good for c in CORE_CASES if c.name == "Namespace"]
    assert "required field is missing" in validate(without(deployment, "metadata.namespace"), require_namespace=True)[0]
    assert validate(without(deployment, "metadata.namespace")) == []
    assert "cluster-scoped" in validate(with_value(namespace, "metadata.namespace", "x"), require_namespace=True)[0]


# ------------------------------------------------------------ patch mode


def test_patch_mode_drops_required_fields_of_objects_only() -> None:
    (deployment,) = [c.good for c in CORE_CASES if c.name == "Deployment"]
    partial = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3}}
    assert validate(partial, patch=True) == []
    assert any("$.spec.selector: required field is missing" in e for e in validate(partial))
    # A container is a list item: still needs its name in a patch.
    nameless = without(deployment, "spec.template.spec.containers.0.name")
    assert any("containers[0].name: required field is missing" in e for e in validate(nameless, patch=True))
    # Patch mode still rejects unknown fields and wrong types, and still needs a name.
    assert validate(with_value(partial, "spec.replica", 3), patch=True)
    assert validate(with_value(partial, "spec.replicas", "3"), patch=True)
    assert validate(without(partial, "metadata.name"), patch=True) == [
        "Deployment: $.metadata.name: required field is missing"
    ]


def test_patch_mode_for_custom_resources(store: SchemaStore) -> None:
    partial = {
        "apiVersion": "kamaji.clastix.io/v1alpha1",
        "kind": "TenantControlPlane",
        "metadata": {"name": "alpha-train"},
        "spec": {"kubernetes": {"version": "v1.31.2"}},
    }
    assert store.validate(partial, patch=True) == []
    assert store.validate(partial)  # controlPlane, kubelet required in a full object


# ------------------------------------------------------------ int-or-string


@pytest.mark.parametrize("value", [1, "25%", 0, "1"])
def test_int_or_string_accepts_both(value: object) -> None:
    (deployment,) = [c.good for c in CORE_CASES if c.name == "Deployment"]
    assert validate(with_value(deployment, "spec.strategy.rollingUpdate.maxSurge", value)) == []


@pytest.mark.parametrize("value", [True, [1], {"n": 1}, 1.5])
def test_int_or_string_rejects_the_rest(value: object) -> None:
    (deployment,) = [c.good for c in CORE_CASES if c.name == "Deployment"]
    errors = validate(with_value(deployment, "spec.strategy.rollingUpdate.maxSurge", value))
    assert_all_at(errors, "$.spec.strategy.rollingUpdate.maxSurge", "")


@pytest.mark.parametrize(
    ("value", "valid"), [(2381, True), ("metrics", True), (True, False), (None, False), ([1], False)]
)
def test_int_or_string_in_a_crd(store: SchemaStore, value: object, valid: bool) -> None:
    (case,) = [c for c in CRD_CASES if c.name == "ServiceMonitor"]
    errors = store.validate(with_value(case.good, "spec.endpoints.0.targetPort", value))
    assert (errors == []) is valid, errors


@pytest.mark.parametrize(("value", "valid"), [("500m", True), (2, True), ("2Gi", True), ("lots", False), ([], False)])
def test_quantities_are_int_or_string_with_a_pattern(store: SchemaStore, value: object, valid: bool) -> None:
    (case,) = [c for c in CRD_CASES if c.name == "TenantControlPlane"]
    path = "spec.controlPlane.deployment.resources.apiServer.requests.cpu"
    errors = store.validate(with_value(case.good, path, value))
    assert (errors == []) is valid, errors
    if not valid:
        assert_all_at(errors, json_path(path), "")


# ------------------------------------------------------------ preserve-unknown-fields


def test_helm_values_preserve_unknown_fields(store: SchemaStore) -> None:
    (case,) = [c for c in CRD_CASES if c.name == "HelmRelease"]
    values = {"anything": {"nested": [1, "two", {"three": None}]}, "x": True}
    assert store.validate(with_value(case.good, "spec.values", values)) == []
    # ... but a typed sibling is still strict.
    assert store.validate(with_value(case.good, "spec.valuesFrm", []))


def test_acme_webhook_config_preserves_unknown_fields(store: SchemaStore) -> None:
    (case,) = [c for c in CRD_CASES if c.name == "ClusterIssuer"]
    webhook = {
        "groupName": "acme.example.com",
        "solverName": "example",
        "config": {"apiKeySecretRef": {"name": "k"}, "ttl": 60},
    }
    obj = with_value(case.good, "spec.acme.solvers.0", {"dns01": {"webhook": webhook}})
    assert store.validate(obj) == []
    assert store.validate(with_value(obj, "spec.acme.solvers.0.dns01.webhook.solvrName", "x"))


def test_kubelet_json_patch_values_preserve_unknown_fields(store: SchemaStore) -> None:
    (case,) = [c for c in CRD_CASES if c.name == "TenantControlPlane"]
    patches = [{"op": "add", "path": "/maxPods", "value": 250}, {"op": "add", "path": "/x", "value": {"a": [1]}}]
    assert store.validate(with_value(case.good, "spec.kubernetes.kubelet.configurationJSONPatches", patches)) == []


# ------------------------------------------------------------ formats


@pytest.mark.parametrize(("value", "valid"), [(2**31 - 1, True), (2**31, False), (-(2**31) - 1, False)])
def test_int32(store: SchemaStore, value: int, valid: bool) -> None:
    (case,) = [c for c in CRD_CASES if c.name == "TenantControlPlane"]
    errors = store.validate(with_value(case.good, "spec.controlPlane.deployment.replicas", value))
    assert (errors == []) is valid, errors


def test_int64() -> None:
    (case,) = [c for c in CORE_CASES if c.name == "Deployment"]
    path = "spec.template.spec.activeDeadlineSeconds"
    assert validate(with_value(case.good, path, 2**63 - 1)) == []
    assert_all_at(validate(with_value(case.good, path, 2**63)), json_path(path), "int64")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2026-11-25T15:00:00Z", True),
        ("2026-11-25T15:00:00.5+01:00", True),
        ("2026-11-25", False),
        ("2026-13-01T00:00:00Z", False),
        ("soon", False),
    ],
)
def test_date_time(store: SchemaStore, value: str, valid: bool) -> None:
    (case,) = [c for c in CRD_CASES if c.name == "Certificate"]
    errors = store.validate(with_value(case.good, "status", {"notAfter": value}))
    assert (errors == []) is valid, errors


@pytest.mark.parametrize(("value", "valid"), [("Y2EuY3J0", True), ("not base64!", False)])
def test_byte(store: SchemaStore, value: str, valid: bool) -> None:
    (case,) = [c for c in CRD_CASES if c.name == "DataStore"]
    errors = store.validate(
        with_value(case.good, "spec.tlsConfig.certificateAuthority.certificate", {"content": value})
    )
    assert (errors == []) is valid, errors


# ------------------------------------------------------------ the converter, on CRDs written for the test


def crd(schema: dict[str, Any], scope: str = "Namespaced") -> dict[str, Any]:
    """A CRD ``widgets.test.fleetc.dev`` serving v1 with ``schema`` as its spec."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.test.fleetc.dev"},
        "spec": {
            "group": "test.fleetc.dev",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": scope,
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": schema}}},
                },
                {"name": "v0", "served": False, "storage": False, "schema": {"openAPIV3Schema": {"type": "object"}}},
            ],
        },
    }


def widget(spec: Any) -> dict[str, Any]:
    return {"apiVersion": "test.fleetc.dev/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def test_a_version_that_is_not_served_has_no_schema() -> None:
    store = SchemaStore([crd({"type": "object"})])
    (error,) = store.validate({**widget({}), "apiVersion": "test.fleetc.dev/v0"})
    assert "no schema for test.fleetc.dev/v0 Widget: the vendored CRD serves test.fleetc.dev v1" in error


def test_nullable() -> None:
    schema = {
        "type": "object",
        "properties": {
            "maybe": {"type": "string", "nullable": True},
            "never": {"type": "string"},
            "mode": {"type": "string", "enum": ["a", "b"], "nullable": True},
        },
    }
    store = SchemaStore([crd(schema)])
    assert store.validate(widget({"maybe": None, "mode": None})) == []
    assert_all_at(store.validate(widget({"never": None})), "$.spec.never", "None is not of type 'string'")
    assert_all_at(store.validate(widget({"mode": "c"})), "$.spec.mode", "is not one of")


def test_embedded_resource() -> None:
    schema = {
        "type": "object",
        "properties": {
            "template": {
                "type": "object",
                "x-kubernetes-embedded-resource": True,
                "x-kubernetes-preserve-unknown-fields": True,
            },
            "strict": {
                "type": "object",
                "x-kubernetes-embedded-resource": True,
                "properties": {"data": {"type": "object", "additionalProperties": {"type": "string"}}},
            },
        },
    }
    store = SchemaStore([crd(schema)])
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": {"a": "b"}}, "data": {"k": "v"}}
    assert store.validate(widget({"template": cm, "strict": cm})) == []
    assert_all_at(
        store.validate(widget({"template": without(cm, "kind")})), "$.spec.template.kind", "required field is missing"
    )
    assert_all_at(
        store.validate(widget({"template": with_value(cm, "metadata.labels", {"a": 1})})),
        "$.spec.template.metadata.labels.a",
        "",
    )
    assert_all_at(
        store.validate(widget({"strict": with_value(cm, "immutable", True)})),
        "$.spec.strict.immutable",
        "unknown field",
    )


def test_exclusive_bounds_of_openapi_3_0() -> None:
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 0, "exclusiveMinimum": True, "maximum": 10}},
    }
    store = SchemaStore([crd(schema)])
    assert store.validate(widget({"n": 1})) == [] and store.validate(widget({"n": 10})) == []
    assert_all_at(store.validate(widget({"n": 0})), "$.spec.n", "less than or equal to the minimum")
    assert store.validate(widget({"n": 11}))


def test_list_types() -> None:
    schema = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
            "ports": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["port", "protocol"],
                "items": {
                    "type": "object",
                    "required": ["port"],
                    "properties": {"port": {"type": "integer"}, "protocol": {"type": "string"}},
                },
            },
        },
    }
    store = SchemaStore([crd(schema)])
    ok = {"tags": ["a", "b"], "ports": [{"port": 1, "protocol": "TCP"}, {"port": 1, "protocol": "UDP"}]}
    assert store.validate(widget(ok)) == []
    assert_all_at(store.validate(widget({"tags": ["a", "b", "a"]})), "$.spec.tags[2]", "duplicate: item 0")
    dup = {"ports": [{"port": 1, "protocol": "TCP"}, {"port": 2}, {"port": 1, "protocol": "TCP"}]}
    assert_all_at(store.validate(widget(dup)), "$.spec.ports[2]", "same port/protocol")


def test_junctor_branches_are_not_closed() -> None:
    """``anyOf`` branches name some fields of the same object: closing them would reject every object."""
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "anyOf": [{"required": ["a"]}, {"required": ["b"], "properties": {"b": {"minLength": 2}}}],
    }
    store = SchemaStore([crd(schema)])
    assert store.validate(widget({"a": "x", "b": "yy"})) == []
    assert store.validate(widget({})) and store.validate(widget({"b": "y"}))


def test_unknown_schema_keywords_fail_loudly() -> None:
    store = SchemaStore([crd({"type": "object", "x-kubernetes-something-new": True})])
    with pytest.raises(UnsupportedSchema, match="x-kubernetes-something-new"):
        store.validate(widget({}))


# ------------------------------------------------------------ the vendored files are the locked ones


def test_a_changed_crd_file_is_refused(store: SchemaStore, tmp_path: Path) -> None:
    source = find_crd_dir()
    assert source is not None
    copy_dir = tmp_path / "crds"
    shutil.copytree(source, copy_dir)
    target = copy_dir / sorted(locked())[0]
    target.write_bytes(target.read_bytes() + b"\n# edited\n")
    with pytest.raises(CrdStoreError, match="is not the locked"):
        load_crds(copy_dir)
    target.unlink()
    with pytest.raises(CrdStoreError, match="cannot read a locked CRD file"):
        load_crds(copy_dir)


# ------------------------------------------------------------ property: unknown fields anywhere in spec


@settings(max_examples=60, deadline=None)
@given(
    case=st.sampled_from(CRD_CASES),
    field=st.from_regex(r"\A[a-z][A-Za-z0-9]{0,15}\Z", fullmatch=True),
)
def test_any_unknown_spec_field_is_reported_at_its_path(case: Case, field: str) -> None:
    from schemas.validate import crds_available, default_store

    if not crds_available():
        pytest.skip("vendored CRDs not on this machine")
    store = default_store()
    schema = store.crd_schema(case.good["apiVersion"], case.good["kind"])
    assert schema is not None
    if field in schema["properties"]["spec"].get("properties", {}):
        return  # a real field: nothing to prove
    obj = copy.deepcopy(case.good)
    obj["spec"][field] = "x"
    assert f"{case.good['kind']}/{case.good['metadata']['name']}: $.spec.{field}: unknown field" in store.validate(obj)
