"""The management batteries under Pulumi mocks: provider, order, opt-outs, and `fleetc:management` errors."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pulumi
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.pulumi_mocks import MockRun, Registration, run_program, stack_config  # noqa: E402

NOW = "2026-11-25T15:00:00Z"
STACK = "us-east-04"
RELEASE = "kubernetes:helm.sh/v3:Release"
CUSTOM = "kubernetes:monitoring.coreos.com/v1:"


def run(management: object | None = None, raw: str | None = None, record: MockRun | None = None) -> MockRun:
    config = {**stack_config(ROOT / "stacks" / f"Pulumi.{STACK}.yaml"), "fleetc:now": NOW}
    if raw is not None:
        config["fleetc:management"] = raw
    elif management is not None:
        config["fleetc:management"] = json.dumps(management)  # how the runtime holds a structured value
    return run_program(ROOT, STACK, config, record=record)


@pytest.fixture(scope="module")
def default_run() -> MockRun:
    return run()


def by_name(result: MockRun) -> dict[str, Registration]:
    return {r.name: r for r in result.registrations}


def test_batteries_register_on_the_management_provider_kamaji_after_cert_manager(default_run: MockRun) -> None:
    names = by_name(default_run)
    provider = names[f"{STACK}/management"]
    region = next(r for r in default_run.registrations if r.type == "fleetc:index:Region")
    cert_manager, kamaji = names[f"{STACK}/management/cert-manager"], names[f"{STACK}/management/kamaji"]
    for release in (cert_manager, kamaji):
        assert release.type == RELEASE
        assert release.provider == f"{provider.urn}::{provider.name}-id"
        assert release.parent == region.urn
    assert cert_manager.urn in kamaji.dependencies and not cert_manager.dependencies
    assert (cert_manager.inputs["chart"], cert_manager.inputs["version"]) == ("cert-manager", "v1.16.2")
    assert cert_manager.inputs["repositoryOpts"] == {"repo": "https://charts.jetstack.io"}
    assert (kamaji.inputs["chart"], kamaji.inputs["version"]) == ("kamaji", "0.0.0+latest")
    assert kamaji.inputs["values"]["image"]["tag"] == "26.8.2-edge"
    order = [r.name for r in default_run.registrations]
    assert order.index(provider.name) < order.index(cert_manager.name) < order.index(kamaji.name)


def test_monitors_are_custom_resources_on_the_management_provider(default_run: MockRun) -> None:
    names = by_name(default_run)
    provider = names[f"{STACK}/management"]
    monitors = [r for r in default_run.registrations if r.type.startswith(CUSTOM)]
    kinds = {r.type.removeprefix(CUSTOM) for r in monitors}
    assert kinds == {"ServiceMonitor", "PodMonitor", "PrometheusRule"}
    for monitor in monitors:
        assert monitor.provider == f"{provider.urn}::{provider.name}-id"
        assert monitor.inputs["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor.inputs["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    kamaji_monitor = names[f"{STACK}/management/servicemonitor-kamaji"]
    assert names[f"{STACK}/management/kamaji"].urn in kamaji_monitor.dependencies


def test_opting_out_removes_them() -> None:
    result = run({"kamaji": False, "certManager": False, "monitoring": False})
    names = by_name(result)
    assert not [n for n in names if n.startswith(f"{STACK}/management/")]
    assert not [r for r in result.registrations if r.type.startswith(CUSTOM)]
    assert [r for r in result.registrations if r.type == RELEASE]  # the add-ons are still there


def test_kamaji_without_cert_manager_waits_for_nothing_fleetc_installs() -> None:
    names = by_name(run({"certManager": False}))
    assert f"{STACK}/management/cert-manager" not in names
    assert not names[f"{STACK}/management/kamaji"].dependencies


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("kamaji=false", "fleetc:management is not valid JSON"),
        ("true", "fleetc:management must be an object"),
        (json.dumps({"kamaji": "no"}), "fleetc:management.kamaji must be true or false"),
        (json.dumps({"cert-manager": False}), "fleetc:management: unknown key(s) cert-manager"),
    ],
)
def test_a_wrong_management_config_stops_cleanly(raw: str, message: str) -> None:
    record = MockRun(STACK)
    with pytest.raises(pulumi.RunError) as raised:
        run(raw=raw, record=record)
    assert str(raised.value).startswith(message)
    assert "Traceback" not in str(raised.value)
    assert not record.registrations  # nothing was changed
    assert not [m for level, m in record.logs if level >= logging.ERROR and "Traceback" in m]
