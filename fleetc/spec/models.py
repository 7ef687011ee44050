"""Pydantic models of every kind in SPEC.md section 2.

Models check shape and field-local rules (types, ranges, formats); rules
that span documents (references, duplicates) live in ``validate.py`` so that
all errors of a run can be reported together. Field names are snake_case in
Python and camelCase in YAML, exactly as SPEC.md spells them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator
from pydantic.alias_generators import to_camel

from fleetc.versions import Version

API_VERSION = "fleetc.dev/v1alpha1"

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
PERCENT = re.compile(r"^(0|[1-9]\d*)%$")
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Model(BaseModel):
    """Base: unknown fields are errors, no silent coercion, camelCase in YAML."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        populate_by_name=True,
        alias_generator=to_camel,
    )
    # Where this object stands in its source file (set by the loader).
    _anchor: Any = PrivateAttr(default=None)


def _version(value: str) -> str:
    Version.parse(value)
    return value


def _dns_label(value: str, what: str) -> str:
    if not DNS1123_LABEL.match(value):
        raise ValueError(
            f"{what} {value!r} is not a DNS-1123 label: use lowercase letters, digits and '-', "
            "start and end with a letter or digit, at most 63 characters"
        )
    return value


Name = Annotated[str, Field(min_length=1)]


class Metadata(Model):
    name: str
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _dns_label(value, "name")


# ---------------------------------------------------------------- Fleet


class Channel(Model):
    kubernetes: str
    etcd: str
    node_image: str = Field(min_length=1)

    _check_versions = field_validator("kubernetes", "etcd")(lambda cls, v: _version(v))

    @property
    def kubernetes_version(self) -> Version:
        return Version.parse(self.kubernetes)


class InstanceType(Model):
    gpus: int = Field(ge=0)
    gpu_model: str | None = None
    cpus: int = Field(ge=1)
    memory_gib: int = Field(ge=1, alias="memoryGiB")


class Chart(Model):
    repository: str = Field(min_length=1)
    name: Name
    version: str = Field(min_length=1)


class Addon(Model):
    name: str
    namespace: str
    chart: Chart
    values: dict[str, Any] = {}
    when: Literal["always", "gpu"] = "always"

    @field_validator("name", "namespace")
    @classmethod
    def _names(cls, value: str) -> str:
        return _dns_label(value, "name")


class Bundle(Model):
    addons: list[Addon] = []


class FleetSpecBody(Model):
    label_prefix: str = "fleetc.dev"
    freeze: bool = False
    channels: dict[str, Channel]
    instance_types: dict[str, InstanceType] = {}
    bundles: dict[str, Bundle] = {}

    @field_validator("label_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if len(value) > 253 or not DNS1123_SUBDOMAIN.match(value):
            raise ValueError(f"labelPrefix {value!r} must be a DNS subdomain, e.g. fleet.example.com")
        return value


# ---------------------------------------------------------------- Tenant


class TenantSpecBody(Model):
    approvers: list[str] = []

    @field_validator("approvers")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for item in value:
            if "@" not in item:
                raise ValueError(f"approver {item!r} is not an email address")
        return value


# ---------------------------------------------------------------- Region


class Etcd(Model):
    replicas: int = 3
    storage_gib: int = Field(default=64, ge=1, alias="storageGiB")


class ApiServer(Model):
    feature_gates: dict[str, bool] = {}
    extra_args: dict[str, str] = {}


class ControlPlane(Model):
    replicas: int = Field(default=3, ge=1)
    etcd: Etcd = Etcd()
    api_server: ApiServer = ApiServer()


class VersionPins(Model):
    kubernetes: str | None = None
    etcd: str | None = None
    node_image: str | None = Field(default=None, min_length=1)

    @field_validator("kubernetes", "etcd")
    @classmethod
    def _versions(cls, value: str | None) -> str | None:
        return None if value is None else _version(value)


class AddonChanges(Model):
    disable: list[str] = []
    values: dict[str, dict[str, Any]] = {}
    extra: list[Addon] = []


class Window(Model):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    start: str
    hours: int = Field(ge=1, le=168)
    timezone: str = "UTC"

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if not HHMM.match(value):
            raise ValueError(f"start {value!r} must be a time HH:MM (24 h), e.g. \"02:00\"")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {value!r} is not an IANA time zone, e.g. UTC or Europe/Berlin") from None
        return value


class UpgradePolicy(Model):
    approval: Literal["required", "automatic"] = "required"
    window: Window | None = None
    paused: bool = False
    node_timeout_minutes: int = Field(default=120, ge=1)


class Taint(Model):
    key: str = Field(min_length=1)
    value: str = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class NodePool(Model):
    name: str
    instance_type: str
    count: int = Field(ge=0)
    failure_domains: list[str] = []  # empty: every failure domain of the region
    labels: dict[str, str] = {}
    taints: list[Taint] = []
    max_unavailable: int | str = 1

    _name = field_validator("name")(lambda cls, v: _dns_label(v, "pool name"))

    @field_validator("max_unavailable", mode="before")
    @classmethod
    def _max_unavailable(cls, value: Any) -> int | str:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"maxUnavailable must be a whole number >= 1 or a percentage like \"5%\", got {value!r}")
        if isinstance(value, str) and not PERCENT.match(value):
            raise ValueError(f"maxUnavailable {value!r} must be a whole number or a percentage like \"5%\"")
        return value

    def max_unavailable_nodes(self) -> int:
        """The budget in nodes; a percentage rounds down like Kubernetes does."""
        if isinstance(self.max_unavailable, int):
            return self.max_unavailable
        return self.count * int(self.max_unavailable[:-1]) // 100


class Cluster(Model):
    name: str
    tenant: str
    channel: str
    versions: VersionPins = VersionPins()
    control_plane: ControlPlane = ControlPlane()
    bundle: str | None = None
    addons: AddonChanges = AddonChanges()
    upgrade: UpgradePolicy = UpgradePolicy()
    node_pools: list[NodePool] = []

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        _dns_label(value, "cluster name")
        if len(value) > 60:
            raise ValueError(f"cluster name {value!r} is longer than 60 characters (namespace cp-<name> must fit 63)")
        return value


class RegionSpecBody(Model):
    failure_domains: list[str] = Field(min_length=1)
    clusters: list[Cluster] = []


# ---------------------------------------------------------------- Approval


class ApprovalSpecBody(Model):
    cluster: str
    kubernetes: str
    node_image: str | None = None
    approved_by: str
    expires: str

    _check_version = field_validator("kubernetes")(lambda cls, v: _version(v))

    @field_validator("cluster")
    @classmethod
    def _cluster(cls, value: str) -> str:
        region, _, name = value.partition("/")
        if not region or not name or "/" in name:
            raise ValueError(f"cluster {value!r} must be <region>/<cluster>, e.g. us-east-04/alpha-train")
        return value

    @field_validator("expires")
    @classmethod
    def _expires(cls, value: str) -> str:
        parse_time(value)
        return value

    @property
    def expires_at(self) -> datetime:
        return parse_time(self.expires)


def parse_time(value: str) -> datetime:
    """An ISO 8601 instant with a zone (``Z`` or an offset); naive times are ambiguous."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 time, e.g. \"2026-12-31T00:00:00Z\"") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone; add Z for UTC, e.g. \"2026-12-31T00:00:00Z\"")
    return parsed


# ---------------------------------------------------------------- documents


class Document(Model):
    api_version: Literal["fleetc.dev/v1alpha1"]
    kind: str
    metadata: Metadata

    @property
    def name(self) -> str:
        return self.metadata.name


class FleetDoc(Document):
    kind: Literal["Fleet"]
    spec: FleetSpecBody


class TenantDoc(Document):
    kind: Literal["Tenant"]
    spec: TenantSpecBody = TenantSpecBody()


class RegionDoc(Document):
    kind: Literal["Region"]
    spec: RegionSpecBody


class ApprovalDoc(Document):
    kind: Literal["Approval"]
    spec: ApprovalSpecBody


KINDS: dict[str, type[Document]] = {
    "Fleet": FleetDoc,
    "Tenant": TenantDoc,
    "Region": RegionDoc,
    "Approval": ApprovalDoc,
}
