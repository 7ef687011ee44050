"""Run the real Pulumi program under mocks and record every registration.

For tests, benchmarks and policy checks that need a stack's resources
without the Pulumi CLI (which cannot be installed here; see
PULUMI-NOTES.md (the notes on Pulumi without its CLI) for the facts this relies on). The program is
``__main__.py`` itself, run with :func:`runpy.run_path`, configured the way
the runtime reads config, with a fresh mock monitor and event loop per run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import runpy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

# What a customer cluster's Cluster API Secret holds under the mocks: any text works, nothing connects.
FAKE_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"
SECRET_TYPE = "kubernetes:core/v1:Secret"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


@dataclass(frozen=True)
class Registration:
    """One resource as the engine would see it: engine-form inputs (camelCase, numbers as floats)."""

    type: str
    name: str
    urn: str
    parent: str
    dependencies: tuple[str, ...]
    provider: str
    inputs: dict[str, Any]
    custom: bool
    read: bool = False  # a `.get()` of an existing object (the kubeconfig Secrets)
    ignore_changes: tuple[str, ...] = ()
    retain_on_delete: bool = False


@dataclass
class MockRun:
    """Everything one mock run registered, in registration order."""

    stack: str
    registrations: list[Registration] = field(default_factory=list)
    logs: list[tuple[int, str]] = field(default_factory=list)

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def named(self, name: str) -> Registration:
        found = [r for r in self.registrations if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} registrations named {name!r}")
        return found[0]


TENANT_CONTROL_PLANE_TYPE = "kubernetes:kamaji.clastix.io/v1alpha1:TenantControlPlane"


class FleetMocks(Mocks):
    """Echo inputs as outputs; a read of a kubeconfig Secret returns a fake kubeconfig (``secret_kubeconfig``).

    ``admin_secret_suffix``: TenantControlPlanes report a Ready status naming
    their admin kubeconfig Secret ``<name><suffix>`` (as Kamaji does, with a
    suffix a test can tell from the default); None: no status at all, what
    mocks that echo inputs give and what a controller that has not
    reconciled yet looks like. ``stack_outputs``: StackReference stack name ->
    that stack's outputs.
    """

    def __init__(
        self,
        secret_kubeconfig: str = FAKE_KUBECONFIG,
        admin_secret_suffix: str | None = None,
        stack_outputs: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.secret_kubeconfig = secret_kubeconfig
        self.admin_secret_suffix = admin_secret_suffix
        self.reads: list[str] = []
        self.stack_outputs = dict(stack_outputs or {})

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == STACK_REFERENCE_TYPE:
            name = str(args.inputs.get("name", args.name))
            return f"{name}-id", {"name": name, "outputs": self.stack_outputs.get(name, {}), "secretOutputNames": []}
        if args.typ == SECRET_TYPE and args.resource_id:
            self.reads.append(args.resource_id)
            value = base64.b64encode(self.secret_kubeconfig.encode()).decode()
            return args.resource_id, {"data": {"value": value, "admin.conf": value}}
        outputs = dict(args.inputs)
        if args.typ == TENANT_CONTROL_PLANE_TYPE and self.admin_secret_suffix is not None:
            name = outputs["metadata"]["name"]
            outputs["status"] = {
                "kubeconfig": {"admin": {"secretName": f"{name}{self.admin_secret_suffix}"}},
                "kubernetesResources": {
                    "version": {"version": outputs["spec"]["kubernetes"]["version"], "status": "Ready"}
                },
            }
        return f"{args.name}-id", outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(MockMonitor):
    """The mock monitor, plus a record of parent, dependsOn and provider (which Mocks never see)."""

    def __init__(self, mocks: Mocks, run: MockRun) -> None:
        super().__init__(mocks)
        self.run = run

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            self._record(
                request,
                response,
                request.object,
                custom=bool(request.custom),
                ignore_changes=tuple(request.ignoreChanges),
                retain_on_delete=bool(request.retainOnDelete),
            )
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self._record(request, response, request.properties, custom=True, read=True)
        return response

    def _record(self, request: Any, response: Any, properties: Any, **extra: Any) -> None:
        self.run.registrations.append(
            Registration(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                dependencies=tuple(request.dependencies),
                provider=request.provider,
                inputs=rpc.deserialize_properties(properties),
                **extra,
            )
        )


class _LogCollector(logging.Handler):
    def __init__(self, run: MockRun) -> None:
        super().__init__(logging.INFO)
        self.run = run

    def emit(self, record: logging.LogRecord) -> None:
        self.run.logs.append((record.levelno, record.getMessage()))


def stack_config(path: Path, secrets: Mapping[str, str] | None = None) -> dict[str, str]:
    """A stack file's config the way the runtime holds it: strings, structured values as JSON.

    ``secure:`` values cannot be decrypted without the CLI: they come from
    ``secrets`` (the kubeconfig defaults to :data:`FAKE_KUBECONFIG`), and so
    do secrets the file does not hold yet: a committed stack file carries no
    placeholder, its operator sets them with ``pulumi config set --secret``.
    """
    secrets = {"fleetc:kubeconfig": FAKE_KUBECONFIG, **(secrets or {})}
    data = yaml.safe_load(path.read_text()) or {}
    config: dict[str, str] = dict(secrets)
    for key, value in (data.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value:
            continue  # ciphertext: the value is ``secrets[key]``, if given
        elif isinstance(value, str):
            config[key] = value
        else:
            config[key] = json.dumps(value)
    return config


def run_program(
    project: Path,
    stack: str,
    config: Mapping[str, str],
    *,
    secret_keys: tuple[str, ...] = ("fleetc:kubeconfig",),
    record: MockRun | None = None,
    mocks: FleetMocks | None = None,
) -> MockRun:
    """Run ``project/__main__.py`` as stack ``stack`` under mocks.

    Exceptions of the program propagate; pass ``record`` to see what was
    registered and logged before one.
    """
    run = record if record is not None else MockRun(stack)
    loop = asyncio.new_event_loop()  # a fresh loop per program (PULUMI-NOTES)
    asyncio.set_event_loop(loop)
    logger = logging.getLogger(f"fleetc.mockrun.{stack}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = _LogCollector(run)
    logger.addHandler(handler)
    mocks = mocks or FleetMocks()
    pulumi.runtime.settings.ROOT.set(None)  # a new Stack resource per program, not the previous program's
    pulumi.runtime.set_mocks(
        mocks, project="fleet", stack=stack, preview=False, logger=logger, monitor=RecordingMonitor(mocks, run)
    )
    pulumi.runtime.set_all_config(dict(config), secret_keys=list(secret_keys))

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> None:
        runpy.run_path(str(project / "__main__.py"), run_name="__main__")

    try:
        program()
    finally:
        logger.removeHandler(handler)
    return run


def run_stack(
    project: Path, stack: str, overrides: Mapping[str, str] | None = None, mocks: FleetMocks | None = None
) -> MockRun:
    """Run the program with ``stacks/Pulumi.<stack>.yaml``'s config, plus ``overrides``."""
    config = stack_config(project / "stacks" / f"Pulumi.{stack}.yaml")
    config.update(overrides or {})
    return run_program(project, stack, config, mocks=mocks)
