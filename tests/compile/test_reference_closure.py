"""Every Secret and ConfigMap the graph's pods and objects use is created by something in the graph.

A control plane that mounts a Secret nothing creates never starts (issue 14's
first finding: ``<component>-pki`` Secrets nobody issued). Accepted creators:
a Secret/ConfigMap object in the graph, a cert-manager Certificate in the
graph (``spec.secretName``), Kamaji for a TenantControlPlane in the graph
(its admin kubeconfig Secret), and fleetc's encryption-key Job in the graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from fleetc import conventions
from fleetc.compile import compile_region, encryption
from fleetc.compile.graph import DesiredGraph, Kind
from fleetc.compile.objects import kube_object
from fleetc.compile.props import ProviderProps
from fleetc.spec.fleet import FleetSpec

from .plans import example_spec, make_plan

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
Ref = tuple[str, str, str]  # (kind, namespace, name)


def pod_specs(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = obj.get("spec") or {}
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        yield spec["template"]["spec"]
    elif obj["kind"] == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]["spec"]
    elif obj["kind"] == conventions.TENANT_CONTROL_PLANE:
        yield {"volumes": spec["controlPlane"]["deployment"].get("additionalVolumes", [])}


def references(graph: DesiredGraph) -> Iterator[tuple[str, Ref]]:
    for node in graph:
        if node.kind is Kind.PROVIDER:
            ref = node.typed(ProviderProps).kubeconfig_secret
            if ref is not None:
                yield node.id, ("Secret", ref.namespace, ref.name)
        if node.kind is not Kind.MANIFEST:
            continue
        obj = kube_object(node)
        ns = obj["metadata"].get("namespace", "")
        for pod in pod_specs(obj):
            for volume in pod.get("volumes", []):
                if "secret" in volume:
                    yield node.id, ("Secret", ns, volume["secret"]["secretName"])
                if "configMap" in volume:
                    yield node.id, ("ConfigMap", ns, volume["configMap"]["name"])
            for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
                for env in container.get("env", []):
                    source = env.get("valueFrom") or {}
                    if "secretKeyRef" in source:
                        yield node.id, ("Secret", ns, source["secretKeyRef"]["name"])
                    if "configMapKeyRef" in source:
                        yield node.id, ("ConfigMap", ns, source["configMapKeyRef"]["name"])
        if obj["kind"] == "DataStore":
            for part in obj["spec"]["tlsConfig"].values():
                for leaf in part.values():
                    secret = leaf["secretReference"]
                    yield node.id, ("Secret", secret["namespace"], secret["name"])


def created(graph: DesiredGraph) -> set[Ref]:
    made: set[Ref] = set()
    for node in graph.manifests():
        obj = kube_object(node)
        ns = obj["metadata"].get("namespace", "")
        if obj["kind"] in ("Secret", "ConfigMap"):
            made.add((obj["kind"], ns, obj["metadata"]["name"]))
        elif obj["kind"] == "Certificate":
            made.add(("Secret", ns, obj["spec"]["secretName"]))
        elif obj["kind"] == conventions.TENANT_CONTROL_PLANE:
            made.add(("Secret", ns, conventions.kamaji_admin_secret(obj["metadata"]["name"])))
        elif obj["kind"] == "Job" and obj["metadata"]["name"] == encryption.JOB:
            made.add(("Secret", ns, encryption.SECRET))
    return made


@pytest.fixture(scope="module")
def spec() -> FleetSpec:
    return example_spec()


@pytest.mark.parametrize("region", ["us-east-04", "eu-west-02"])
@pytest.mark.parametrize("phase", ["steady", "new"])
def test_nothing_is_referenced_that_nothing_creates(spec: FleetSpec, region: str, phase: str) -> None:
    overrides: dict[str, dict[str, object]] = {}
    if phase == "new":
        overrides = {f"{r}/{c.name}": {"phase": "new"} for r, c in spec.clusters(region)}
    graph = compile_region(spec, make_plan(spec, region, overrides=overrides), region, NOW)
    made = created(graph)
    refs = list(references(graph))
    assert len(refs) > 10  # the walk finds the mounts (a walk that finds nothing proves nothing)
    missing = sorted({(who, ref) for who, ref in refs if ref not in made})
    assert not missing, missing


def test_the_check_catches_a_dangling_mount(spec: FleetSpec) -> None:
    graph = compile_region(spec, make_plan(spec, "us-east-04"), "us-east-04", NOW)
    made = created(graph)
    made.discard(("Secret", "cp-alpha-train", "etcd-peer-tls"))
    missing = {ref for _, ref in references(graph) if ref not in made}
    assert ("Secret", "cp-alpha-train", "etcd-peer-tls") in missing
