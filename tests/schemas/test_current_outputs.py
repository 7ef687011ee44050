"""Everything fleetc emits today for the example fleet passes the real schemas.

Two sources, both for every region of the example fleet, against the example
live snapshot at 2026-11-25T15:00:00Z:

- every MANIFEST node of ``compile_region`` (what the Pulumi program applies),
  planned the way ``tests/render`` plans it;
- every document of every file ``fleetc render`` writes (the same objects
  for a GitOps tool, plus the Flux HelmRepository/HelmRelease of each add-on
  and the Node patches, which are checked in patch mode).

Objects are checked with ``require_namespace``: none of them is applied with
a default namespace. One test per object, so that a wrong object fails alone.
An object known to be wrong goes into :data:`KNOWN_BAD` (test id -> the
exact error) and is marked ``xfail(strict=True)``: the test turns red again
when fleetc is fixed, so the entry cannot outlive the bug.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.compile import compile_region
from fleetc.compile.graph import DesiredGraph, Kind
from fleetc.compile.objects import kube_object
from fleetc.live.read import read_live
from fleetc.plan.planner import plan
from fleetc.render.layout import CLUSTER_DIR
from fleetc.spec.loader import load_fleet
from schemas.core import is_builtin_group
from schemas.crds import missing_reason
from schemas.validate import SchemaStore, crds_available, default_store

ROOT = Path(__file__).resolve().parents[2]
NOW_TEXT = "2026-11-25T15:00:00Z"
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)

# Test id -> why it fails (the harness's error, verbatim). Empty: no known-bad output today.
KNOWN_BAD: dict[str, str] = {}


@cache
def _graphs() -> dict[str, DesiredGraph]:
    spec = load_fleet(ROOT / "fleet")
    live = read_live(str(ROOT / "examples" / "live"), spec.region_clusters(), spec.label_prefix)
    result = plan(spec, live, spec.approvals, NOW)
    return {region: compile_region(spec, result, region, NOW) for region in sorted(spec.regions)}


@cache
def _rendered() -> dict[str, list[dict[str, Any]]]:
    """``relative path -> documents`` of what ``fleetc render`` writes for every region."""
    with tempfile.TemporaryDirectory(prefix="fleetc-render-") as out:
        result = CliRunner().invoke(
            app,
            [
                "render",
                "--out",
                out,
                "--live",
                str(ROOT / "examples" / "live"),
                "--fleet",
                str(ROOT / "fleet"),
                "--now",
                NOW_TEXT,
            ],
        )
        if result.exit_code != 0:
            raise RuntimeError(f"fleetc render failed ({result.exit_code}): {result.output}")
        files = sorted(Path(out).rglob("*.yaml"))
        return {
            str(path.relative_to(out)): [
                d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None
            ]
            for path in files
        }


def _params(items: list[tuple[str, Any]]) -> list[Any]:
    return [
        pytest.param(value, id=test_id, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BAD[test_id])])
        if test_id in KNOWN_BAD
        else pytest.param(value, id=test_id)
        for test_id, value in items
    ]


def _manifests() -> list[tuple[str, Any]]:
    return [
        (node.id, kube_object(node)) for graph in _graphs().values() for node in graph if node.kind is Kind.MANIFEST
    ]


def _documents() -> list[tuple[str, Any]]:
    items = []
    for path, documents in _rendered().items():
        for index, document in enumerate(documents):
            suffix = f"#{index}" if len(documents) > 1 else ""
            items.append((f"{path}{suffix}", (path, document)))
    return items


def _store_for(obj: dict[str, Any]) -> SchemaStore:
    """Built-in kinds need no vendored CRDs; a custom resource skips when they are not on this machine."""
    if not is_builtin_group(str(obj.get("apiVersion"))) and not crds_available():
        pytest.skip(missing_reason())
    return default_store()


@pytest.mark.parametrize("obj", _params(_manifests()))
def test_compiled_manifest_is_valid(obj: dict[str, Any]) -> None:
    assert _store_for(obj).validate(obj, require_namespace=True) == []


@pytest.mark.parametrize("item", _params(_documents()))
def test_rendered_document_is_valid(item: tuple[str, dict[str, Any]]) -> None:
    path, document = item
    node_patch = Path(path).parent.name == CLUSTER_DIR
    if node_patch:
        assert document["kind"] == "Node"
    assert _store_for(document).validate(document, patch=node_patch, require_namespace=True) == []


def test_the_outputs_cover_every_kind_fleetc_emits() -> None:
    """Guards the parametrisation: an empty graph or render would make the tests above pass vacuously."""
    compiled = {(o["apiVersion"], o["kind"]) for _, o in _manifests()}
    rendered = {(d["apiVersion"], d["kind"]) for _, (_, d) in _documents()}
    assert {
        ("kamaji.clastix.io/v1alpha1", "TenantControlPlane"),
        ("kamaji.clastix.io/v1alpha1", "DataStore"),
        ("cert-manager.io/v1", "Issuer"),
        ("cert-manager.io/v1", "Certificate"),
        ("apps/v1", "StatefulSet"),
        ("batch/v1", "CronJob"),
        ("batch/v1", "Job"),
        ("v1", "Service"),
        ("policy/v1", "PodDisruptionBudget"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("monitoring.coreos.com/v1", "PodMonitor"),
        ("monitoring.coreos.com/v1", "PrometheusRule"),
    } <= compiled
    assert {
        ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
        ("source.toolkit.fluxcd.io/v1", "HelmRepository"),
        ("v1", "Node"),
    } <= rendered
    assert compiled - rendered == set()  # every compiled kind also reaches the files
    assert {path.split("/")[0] for path in _rendered()} == set(_graphs())  # both regions
