"""Pydantic models of every kind in docs/spec.md section 2.

Models check shape and field-local rules (types, ranges, formats); rules
that span documents (references, duplicates) live in ``validate.py`` so that
all errors of a run can be reported together. Field names are snake_case in
Python and camelCase in YAML, exactly as docs/spec.md spells them; the loader
accepts only the camelCase spelling (``by_name=False``), Python callers may
use either.

Each field's docstring becomes its ``description`` in ``fleetc schema``, so
an editor shows it on hover: write them for the person editing the YAML.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from fleetc.versions import Version

API_VERSION = "fleetc.dev/v1alpha1"

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
PERCENT = re.compile(r"^(0|[1-9]\d*)%$")
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
VERSION_PATTERN = r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
MINOR_PATTERN = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)$"
# A Kubernetes label value (fleetc writes node images as the values of the
# node labels <labelPrefix>/node-image and <labelPrefix>/target-image).
LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
LABEL_VALUE_MAX = 63
# The instants fleetc accepts (an approval's expiry, --now, a scenario's
# start), as UTC: [TIME_EARLIEST, TIME_LATEST). Python's datetime ends at
# year 9999; keeping a thousand years below that leaves room for every sum
# fleetc computes on a time (window look-back and look-ahead of weeks, soaks,
# timeouts, local time zones up to +-24 h), so none can overflow. Nothing in a
# fleet predates 1970 (Kubernetes and git timestamps start there).
TIME_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
TIME_LATEST = datetime(9000, 1, 1, tzinfo=UTC)
# A wave's soak (docs/spec.md 6.3): days, hours and minutes, e.g. "24h", "1d12h", "90m". Bounded by a
# year, like nodeTimeoutMinutes, so adding it to any accepted time stays far inside datetime's range.
DURATION = re.compile(r"^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
SOAK_MAX = timedelta(days=365)
# A wave's cluster pattern: "<region>/<cluster>" with shell wildcards (* ? [...]) in either part, or "*".
WAVE_PATTERN = re.compile(r"^(\*|[a-z0-9*?\[\]\-]+/[a-z0-9*?\[\]\-]+)$")
# Tags of the one-or-many ``upgrade.window`` union: pydantic puts them in error locations, the loader drops them.
WINDOW_ONE, WINDOW_MANY = "one-window", "windows"
UNION_TAGS = frozenset({WINDOW_ONE, WINDOW_MANY})
# nodeTimeoutMinutes is a duration the planner computes with: a year bounds
# it far below timedelta's limit (999,999,999 days) and far above any reimage.
NODE_TIMEOUT_MAX_MINUTES = 525_600


class Model(BaseModel):
    """Base: unknown fields are errors, no silent coercion, camelCase in YAML."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        populate_by_name=True,
        alias_generator=to_camel,
        use_attribute_docstrings=True,
        # Titles in the JSON Schema are what an editor shows: the YAML spelling.
        field_title_generator=lambda name, info: info.alias or to_camel(name),
    )
    # Where this object stands in its source file (set by the loader).
    _anchor: Any = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        """Equal when they say the same thing: where each was written (the anchor) does not count.

        A fleet loaded from a git blob and the same fleet from the working
        tree, or a model dumped and reloaded, must compare equal.
        """
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__


def _version(value: str) -> str:
    if value != value.strip():
        raise ValueError(f"version {value!r} has spaces around it; remove them")
    try:
        Version.parse(value)
    except ValueError:
        raise ValueError(
            f'{value!r} is not a version; write MAJOR.MINOR.PATCH (a leading v is allowed), e.g. "1.30.6"'
        ) from None
    return value


def _dns_label(value: str, what: str) -> str:
    if not DNS1123_LABEL.fullmatch(value):
        hint = f", e.g. {_as_label(value)!r}" if _as_label(value) else ""
        raise ValueError(
            f"{what} {value!r} is not a DNS-1123 label; use lowercase letters, digits and '-', "
            f"start and end with a letter or digit, at most 63 characters{hint}"
        )
    return value


def _as_label(value: str) -> str:
    """A DNS-1123 label close to ``value``, as a suggestion in messages."""
    return re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")[:63].strip("-")


def node_image(value: str, what: str = "nodeImage") -> str:
    """A node image: fleetc writes it as a Kubernetes label value, so it must be one."""
    if len(value) > LABEL_VALUE_MAX or not LABEL_VALUE.fullmatch(value):  # fullmatch: "$" would allow a final "\n"
        size = f" ({len(value)} characters)" if len(value) > LABEL_VALUE_MAX else ""
        raise ValueError(
            f"{what} {value!r}{size} is not a valid Kubernetes label value, and fleetc writes node images as "
            f"the value of node labels (<labelPrefix>/node-image, <labelPrefix>/target-image): use at most "
            f"{LABEL_VALUE_MAX} letters, digits, '-', '_' and '.', starting and ending with a letter or digit, "
            "e.g. gpu-node-2024.11.1"
        )
    return value


def _email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at or not local or not domain or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} is not an email address; write it as name@example.com")
    return value


VersionStr = Annotated[
    str,
    AfterValidator(_version),
    Field(json_schema_extra={"pattern": VERSION_PATTERN, "examples": ["1.30.6"]}),
]
Email = Annotated[str, AfterValidator(_email), Field(json_schema_extra={"format": "email"})]
NodeImage = Annotated[
    str,
    AfterValidator(node_image),
    Field(
        json_schema_extra={
            "pattern": LABEL_VALUE.pattern,
            "maxLength": LABEL_VALUE_MAX,
            "examples": ["gpu-node-2024.11.1"],
        }
    ),
]
Name = Annotated[str, Field(min_length=1)]
# Checked by the validators below (with a message that suggests a fix); the
# pattern is for editors.
LabelStr = Annotated[str, Field(json_schema_extra={"pattern": DNS1123_LABEL.pattern})]


def _audit_policy(value: dict[str, Any]) -> dict[str, Any]:
    """Enough of an audit.k8s.io/v1 Policy that the apiserver starts with it; the apiserver checks the rest."""
    if value.get("apiVersion") != "audit.k8s.io/v1" or value.get("kind") != "Policy":
        raise ValueError("an audit policy needs apiVersion: audit.k8s.io/v1 and kind: Policy")
    rules = value.get("rules")
    if not isinstance(rules, list) or not rules or not all(isinstance(r, dict) and "level" in r for r in rules):
        raise ValueError("an audit policy needs a non-empty list of rules, each with a level (None, Metadata...)")
    return value


AuditPolicy = Annotated[dict[str, Any], AfterValidator(_audit_policy)]


class Metadata(Model):
    name: str = Field(json_schema_extra={"pattern": DNS1123_LABEL.pattern})
    """Name of this object: a DNS-1123 label (lowercase letters, digits, '-'), unique per kind."""
    labels: dict[str, str] = {}
    """Free-form labels; fleetc does not interpret them."""
    annotations: dict[str, str] = {}
    """Free-form annotations; fleetc does not interpret them."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _dns_label(value, "name")


# ---------------------------------------------------------------- Fleet


class Channel(Model):
    """A release channel: the versions every cluster following it converges to."""

    kubernetes: VersionStr
    """Kubernetes version, MAJOR.MINOR.PATCH (quote it: "1.30.6")."""
    etcd: VersionStr
    """etcd version of the hosted control planes, e.g. "3.5.16"."""
    node_image: NodeImage
    """Node image the provisioner reimages nodes to, e.g. gpu-node-2024.11.1 (a Kubernetes label value)."""
    node_images: dict[str, NodeImage] = Field(
        default={},
        json_schema_extra={"propertyNames": {"pattern": MINOR_PATTERN}, "examples": [{"1.30": "gpu-node-2024.08.0"}]},
    )
    """Node images for older minors, by "MAJOR.MINOR": a cluster more than 3 minors behind climbs through them
    (its kubelets must stay within 3 minors of the apiserver); without one such a climb is refused up front."""

    @property
    def kubernetes_version(self) -> Version:
        return Version.parse(self.kubernetes)

    @field_validator("node_images")
    @classmethod
    def _node_images(cls, value: dict[str, str]) -> dict[str, str]:
        for minor, image in value.items():
            if not re.fullmatch(MINOR_PATTERN, minor):
                raise ValueError(f'nodeImages key {minor!r} is not a minor; write it as MAJOR.MINOR, e.g. "1.30"')
            if not image:
                raise ValueError(f"nodeImages {minor}: the image is empty; name the node image for that minor")
        return value

    @model_validator(mode="after")
    def _older_minors(self) -> Channel:
        own = Version.parse(self.kubernetes)
        for minor in self.node_images:
            major, number = (int(part) for part in minor.split("."))
            if major != own.major or number >= own.minor:
                raise ValueError(
                    f"nodeImages {minor}: only minors before the channel's {own.major}.{own.minor} are climbed "
                    "through (the channel's own minor uses nodeImage)"
                )
        return self


class InstanceType(Model):
    """A machine type of the catalogue, referenced by node pools."""

    gpus: int = Field(ge=0)
    """GPUs per node; 0 for CPU-only machines (their clusters get no ``when: gpu`` add-ons)."""
    gpu_model: str | None = None
    """GPU model, e.g. H100-SXM5-80GB (informational)."""
    cpus: int = Field(ge=1)
    """Hardware threads as seen by the kubelet."""
    memory_gib: int = Field(ge=1, alias="memoryGiB")
    """Memory per node in GiB."""


class Chart(Model):
    """A Helm chart pinned to an exact version."""

    repository: str = Field(min_length=1)
    """Helm repository URL, e.g. https://helm.cilium.io."""
    name: Name
    """Chart name in the repository."""
    version: str = Field(min_length=1)
    """Exact chart version (quote it), e.g. "1.16.3"."""


class Addon(Model):
    """One Helm release installed in every cluster of the bundle."""

    name: LabelStr
    """Release name, a DNS-1123 label, unique in the bundle."""
    namespace: LabelStr
    """Namespace of the release, a DNS-1123 label."""
    chart: Chart
    """The pinned chart."""
    values: dict[str, Any] = {}
    """Free-form Helm values."""
    when: Literal["always", "gpu"] = "always"
    """always: every cluster; gpu: only clusters with a GPU node pool."""
    disruptive: bool = False
    """true: a change restarts node agents (the GPU operator, a CNI, the network operator), so on a cluster with
    ``approval: required`` it needs an Approval naming this add-on and its exact new version (spec.addons)."""

    @field_validator("name", "namespace")
    @classmethod
    def _names(cls, value: str) -> str:
        return _dns_label(value, "name")


class Bundle(Model):
    """A named set of add-ons clusters are built from."""

    addons: list[Addon] = []
    """The add-ons, installed after the control plane."""


def parse_duration(value: str, what: str = "soak") -> timedelta:
    """``24h``, ``1d12h``, ``90m``, ``0m`` -> a timedelta; ValueError with the fix otherwise.

    The one duration grammar of the fleet: a wave's soak and the busy-node policy's times.
    """
    found = DURATION.fullmatch(value)
    if found is None or not any(found.groups()):
        raise ValueError(
            f'{what} {value!r} is not a duration; write days, hours and minutes like "24h", "1d12h" or "90m"'
        )
    days, hours, minutes = (int(part or 0) for part in found.groups())
    if days > SOAK_MAX.days or hours > SOAK_MAX.days * 24 or minutes > SOAK_MAX.days * 24 * 60:
        raise ValueError(f"{what} {value!r} is longer than a year; use at most 365d")
    length = timedelta(days=days, hours=hours, minutes=minutes)
    if length > SOAK_MAX:
        raise ValueError(f"{what} {value!r} is longer than a year; use at most 365d")
    return length


def wave_matches(pattern: str, cluster_id: str) -> bool:
    """Does a wave pattern ("*", or "<region>/<cluster>" with shell wildcards) take this cluster id?"""
    if pattern == "*":
        return True
    region, _, name = pattern.partition("/")
    cluster_region, _, cluster_name = cluster_id.partition("/")
    return fnmatch.fnmatchcase(cluster_region, region) and fnmatch.fnmatchcase(cluster_name, name)


class Wave(Model):
    """One wave of a fleet rollout: its clusters start a change only after every earlier wave ran it and soaked."""

    name: LabelStr
    """Wave name, a DNS-1123 label, unique among the waves, e.g. canary."""
    clusters: list[str] = Field(
        min_length=1,
        json_schema_extra={"items": {"pattern": WAVE_PATTERN.pattern}, "examples": [["us-east-04/infer-*"]]},
    )
    """Cluster patterns "<region>/<cluster>" with shell wildcards (* ? [...]), or "*"; a cluster is in the first
    wave that matches it."""
    soak: str | None = Field(default=None, json_schema_extra={"pattern": DURATION.pattern, "examples": ["24h"]})
    """How long this wave's clusters run a change, healthy, before the next wave starts it: "24h", "1d12h", "90m"."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _dns_label(value, "wave name")

    @field_validator("clusters")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not WAVE_PATTERN.fullmatch(pattern):
                raise ValueError(
                    f"cluster pattern {pattern!r} is not <region>/<cluster> (shell wildcards * ? [...] allowed) "
                    'or "*"; write e.g. "us-east-04/infer-*"'
                )
        return value

    @field_validator("soak")
    @classmethod
    def _soak(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @property
    def soak_time(self) -> timedelta:
        return parse_duration(self.soak) if self.soak else timedelta(0)


class Rollout(Model):
    """How a change of revision spreads across the fleet (docs/spec.md 6.3)."""

    waves: list[Wave] = []
    """Waves in order; none: every cluster moves on its own gates."""


class FleetSpecBody(Model):
    label_prefix: str = "fleetc.dev"
    """Prefix of every label/annotation fleetc reads or writes (a DNS subdomain), e.g. fleet.gpu-cloud.io."""
    freeze: bool = False
    """true: no upgrade starts anywhere in the fleet (rollouts under way take no new nodes)."""
    channels: dict[str, Channel]
    """Release channels by name; clusters follow one with ``channel:``."""
    instance_types: dict[str, InstanceType] = {}
    """Machine catalogue by name; node pools refer to it with ``instanceType:``."""
    bundles: dict[str, Bundle] = {}
    """Add-on bundles by name; clusters refer to one with ``bundle:``."""
    audit_policy: AuditPolicy | None = None
    """The fleet's default kube-apiserver audit policy (an audit.k8s.io/v1 Policy); none: fleetc's default."""
    rollout: Rollout = Rollout()
    """Waves a change of revision goes through, across regions (docs/spec.md 6.3)."""

    @field_validator("label_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if len(value) > 253 or not DNS1123_SUBDOMAIN.fullmatch(value):
            raise ValueError(f"labelPrefix {value!r} is not a DNS subdomain; use e.g. fleet.example.com")
        return value


# ---------------------------------------------------------------- Tenant


class TenantSpecBody(Model):
    approvers: list[Email] = []
    """Email addresses allowed to approve upgrades of this tenant's clusters."""


# ---------------------------------------------------------------- Region


class Etcd(Model):
    replicas: int = 3
    """etcd members: 1, 3 or 5 (an even count adds no fault tolerance)."""
    storage_gib: int = Field(default=64, ge=1, alias="storageGiB")
    """Volume size per member in GiB."""


class ApiServer(Model):
    feature_gates: dict[str, bool] = {}
    """kube-apiserver --feature-gates, name: true|false."""
    extra_args: dict[str, str] = {}
    """Extra kube-apiserver flags without the leading '--'; values are strings (quote numbers)."""
    audit: bool = True
    """Audit logging to the apiserver's stdout (false: none; a policy rule flags it)."""
    audit_policy: AuditPolicy | None = None
    """This cluster's audit policy (an audit.k8s.io/v1 Policy); none: the fleet's, else fleetc's default."""
    encryption_at_rest: bool = True
    """Secrets encrypted in etcd with a key made in the management cluster (false: plain; a policy rule flags it)."""


class Endpoint(Model):
    """Where the customer cluster's nodes and users reach its apiserver.

    Kamaji publishes the TenantControlPlane on ``address:port`` (a LoadBalancer
    address of the management cluster), the apiserver certificate names it
    (and ``dnsName``), and the CNI talks to it instead of the in-cluster
    ``kubernetes`` Service, which does not exist before the CNI runs.
    """

    address: str
    """The apiserver's IP address (IPv4 or IPv6), e.g. 10.20.0.15."""
    dns_name: str | None = None
    """A DNS name for the apiserver, added to its certificate, e.g. api.alpha-train.us-east-04.example."""
    port: int = Field(default=6443, ge=1, le=65535)
    """The apiserver's port."""

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(
                f"endpoint address {value!r} is not an IP address; write the LoadBalancer address the "
                "control plane is published on, e.g. 10.20.0.15 (a DNS name goes in dnsName)"
            ) from None
        return value

    @field_validator("dns_name")
    @classmethod
    def _dns_name(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 253 or not all(DNS1123_LABEL.fullmatch(p) for p in value.split("."))):
            raise ValueError(
                f"endpoint dnsName {value!r} is not a DNS name; use dot-separated DNS-1123 labels, "
                "e.g. api.alpha-train.us-east-04.example"
            )
        return value


class ControlPlane(Model):
    """The hosted control plane, run as pods in the region's management cluster."""

    replicas: int = Field(default=3, ge=1)
    """kube-apiserver replicas."""
    etcd: Etcd = Etcd()
    """The cluster's etcd."""
    api_server: ApiServer = ApiServer()
    """kube-apiserver settings."""
    endpoint: Endpoint | None = None
    """Where the apiserver is published (docs/spec.md 6.1); without one Kamaji's LoadBalancer picks the address."""


class VersionPins(Model):
    """Per-cluster overrides of the channel, field by field (at most one minor away from it)."""

    kubernetes: VersionStr | None = None
    """Pinned Kubernetes version, e.g. "1.30.6"."""
    etcd: VersionStr | None = None
    """Pinned etcd version (same major as the channel's)."""
    node_image: NodeImage | None = None
    """Pinned node image (a Kubernetes label value)."""


class AddonChanges(Model):
    """Per-cluster changes to the bundle."""

    disable: list[str] = []
    """Names of bundle add-ons this cluster does not get."""
    values: dict[str, dict[str, Any]] = {}
    """Per add-on Helm values, deep-merged over the bundle's."""
    extra: list[Addon] = []
    """Add-ons only this cluster gets."""


Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Window(Model):
    """When upgrades of this cluster may start (nothing new starts outside it)."""

    days: list[Day] = Field(min_length=1)
    """Days the window opens: mon, tue, wed, thu, fri, sat, sun."""
    start: str = Field(json_schema_extra={"pattern": HHMM.pattern, "examples": ["02:00"]})
    """Opening time HH:MM (24 h) in ``timezone``."""
    hours: int = Field(ge=1, le=168)
    """How long the window stays open."""
    timezone: str = "UTC"
    """IANA time zone of ``start``, e.g. UTC or Europe/Berlin."""

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if not HHMM.fullmatch(value):
            raise ValueError(f'start {value!r} is not a time HH:MM (24 h); write e.g. "02:00"')
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception:  # not found, not a key, a directory ("America"): all mean the same to the user
            raise ValueError(f"timezone {value!r} is not an IANA time zone; use e.g. UTC or Europe/Berlin") from None
        return value


NEVER = "never"


def duration_seconds(value: str) -> int:
    """Seconds of a duration in the fleet's one grammar (:data:`DURATION`, :func:`parse_duration`)."""
    return int(parse_duration(value, "duration").total_seconds())


def _duration(value: str, what: str) -> str:
    """A busy-node policy duration: the wave grammar, or ``never``."""
    if value == NEVER:
        return value
    try:
        parse_duration(value, what)
    except ValueError as error:
        raise ValueError(f'{error} (or "{NEVER}")') from None
    return value


class BusyNodes(Model):
    """How the taint on busy nodes waiting for the upgrade (``upgrade-pending``) escalates.

    A pending node is tainted ``PreferNoSchedule``: new jobs go elsewhere while
    there is room, but may still land on it when the rest of the pool is full,
    and a long job started there late can set the whole rollout's length. The
    taint escalates to ``NoSchedule`` (no new pod lands; running pods are never
    evicted, so no job is interrupted) when either rule below fires.
    """

    escalate_after: str = Field(
        default="24h",
        json_schema_extra={"pattern": f"^({NEVER}|{DURATION.pattern[1:-1]})$", "examples": ["24h", "6h", "0m", NEVER]},
    )
    """A node pending this long gets NoSchedule ("30m", "6h", "2d"; "0m": at once; "never": only by
    escalateWhenRemaining). Measured from the node's <labelPrefix>/pending-since annotation."""
    escalate_when_remaining: int | str = Field(default="5%", json_schema_extra={"examples": ["5%", 40, 0]})
    """Every pending node of a pool gets NoSchedule once at most this many of its nodes are left to upgrade
    (a number, or a percentage of the pool's count, rounded down; 0: never by this rule)."""

    @field_validator("escalate_after")
    @classmethod
    def _after(cls, value: str) -> str:
        return _duration(value, "escalateAfter")

    @field_validator("escalate_when_remaining", mode="before")
    @classmethod
    def _remaining(cls, value: object) -> int | str:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(
                f'escalateWhenRemaining must be a whole number >= 0 or a percentage like "5%", got {value!r}'
            )
        if isinstance(value, int) and value < 0:
            raise ValueError(f"escalateWhenRemaining {value} is negative; use 0 (never) or more")
        if isinstance(value, str) and not PERCENT.fullmatch(value):
            raise ValueError(f'escalateWhenRemaining {value!r} must be a whole number or a percentage like "5%"')
        if isinstance(value, str) and int(value[:-1]) > 100:
            raise ValueError(f"escalateWhenRemaining {value!r} is more than 100%")
        return value

    def after_seconds(self) -> int | None:
        """``escalateAfter`` in seconds; None for never."""
        return None if self.escalate_after == NEVER else duration_seconds(self.escalate_after)

    def remaining_nodes(self, count: int) -> int:
        """``escalateWhenRemaining`` in nodes of a pool of ``count`` (a percentage rounds down)."""
        value = self.escalate_when_remaining
        if isinstance(value, int):
            return value
        return count * int(value[:-1]) // 100


class CheckpointRequest(Model):
    """Ask the jobs on busy pending nodes to checkpoint and exit (docs/checkpoint-requests.md). Opt-in.

    fleetc annotates their pods ``<labelPrefix>/upgrade-requested`` (and
    ``<labelPrefix>/upgrade-deadline``); it never deletes or evicts a pod.
    """

    enabled: bool = False
    """true: annotate the pods of pending busy nodes while the pool has budget room for their nodes."""
    deadline: str | None = Field(default=None, json_schema_extra={"examples": ["6h", "30m"]})
    """Optional: also write upgrade-deadline = the request's time plus this ("30m", "6h", "2d"); informational."""

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value == NEVER:
            raise ValueError('deadline "never" is no deadline: leave the field out')
        return _duration(value, "deadline")

    def deadline_seconds(self) -> int | None:
        return None if self.deadline is None else duration_seconds(self.deadline)


class Exclusion(Model):
    """A dated period in which no change of this cluster starts (a customer's deadline); GKE's exclusions."""

    from_: str = Field(alias="from", json_schema_extra={"format": "date-time", "examples": ["2026-12-20T00:00:00Z"]})
    """Start, an ISO 8601 time with a zone (quote it)."""
    to: str = Field(json_schema_extra={"format": "date-time", "examples": ["2027-01-05T00:00:00Z"]})
    """End (exclusive), an ISO 8601 time with a zone, after ``from``."""
    reason: str = Field(min_length=1)
    """Why: shown in the plan, e.g. "lab-alpha paper deadline"."""

    @field_validator("from_", "to")
    @classmethod
    def _time(cls, value: str) -> str:
        parse_time(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> Exclusion:
        if parse_time(self.to) <= parse_time(self.from_):
            raise ValueError(f"exclusion to {self.to} is not after from {self.from_}; swap them or fix one")
        return self

    @property
    def start(self) -> datetime:
        return parse_time(self.from_)

    @property
    def end(self) -> datetime:
        return parse_time(self.to)


def _window_shape(value: Any) -> str:
    return WINDOW_MANY if isinstance(value, list) else WINDOW_ONE


WindowOrList = Annotated[
    Annotated[Window, Tag(WINDOW_ONE)] | Annotated[list[Window], Field(min_length=1), Tag(WINDOW_MANY)],
    Discriminator(_window_shape),
]


class UpgradePolicy(Model):
    approval: Literal["required", "automatic"] = "required"
    """required: nothing of an upgrade starts without a valid Approval; automatic: no approval needed."""
    window: WindowOrList | None = None
    """Maintenance window, or a list of windows (open when any is); none: any time."""
    exclusions: list[Exclusion] = []
    """Dated periods in which nothing new starts, whatever the window says: [{from, to, reason}]."""
    paused: bool = False
    """Emergency stop: true means nothing new starts for this cluster."""
    node_timeout_minutes: int = Field(default=120, ge=1, le=NODE_TIMEOUT_MAX_MINUTES)
    """A reimaged node not back Ready at the target by then halts its pool's rollout (at most a year)."""
    busy_nodes: BusyNodes = BusyNodes()
    """When the upgrade-pending taint of busy nodes escalates from PreferNoSchedule to NoSchedule."""
    checkpoint_request: CheckpointRequest = CheckpointRequest()
    """Opt-in: annotate the pods of pending busy nodes so training jobs checkpoint and exit (never a kill)."""

    @property
    def windows(self) -> tuple[Window, ...]:
        """The windows as a tuple (one or many as written); empty: any time."""
        if self.window is None:
            return ()
        return tuple(self.window) if isinstance(self.window, list) else (self.window,)


class Taint(Model):
    key: str = Field(min_length=1)
    """Taint key, e.g. nvidia.com/gpu."""
    value: str = ""
    """Taint value."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
    """Taint effect."""


class NodePool(Model):
    """A group of identical machines of one instance type."""

    name: LabelStr
    """Pool name, a DNS-1123 label, unique in the cluster."""
    instance_type: str
    """Name of an instance type of the Fleet's ``instanceTypes``."""
    count: int = Field(ge=0)
    """Number of nodes."""
    failure_domains: list[str] = []
    """Failure domains of the region to spread over; empty: all of them."""
    labels: dict[str, str] = {}
    """Node labels."""
    taints: list[Taint] = []
    """Node taints."""
    max_unavailable: int | str = Field(
        default=1,
        json_schema_extra={
            "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": PERCENT.pattern}],
        },
    )
    """Most nodes of the pool unavailable at once: a whole number >= 1, or a percentage of count like "5%"."""

    _name = field_validator("name")(lambda cls, v: _dns_label(v, "pool name"))

    @field_validator("max_unavailable", mode="before")
    @classmethod
    def _max_unavailable(cls, value: Any) -> int | str:
        if isinstance(value, bool) or not isinstance(value, int | str):
            shown = f"{value!r}" if isinstance(value, float) else f"a {type(value).__name__}"
            raise ValueError(
                f'maxUnavailable {shown} is not a whole number; write a whole number >= 1 or a percentage like "5%"'
            )
        if isinstance(value, str) and not PERCENT.fullmatch(value):
            raise ValueError(
                f'maxUnavailable {value!r} is neither a whole number nor a percentage; write e.g. 2 (unquoted) or "5%"'
            )
        return value

    def max_unavailable_nodes(self) -> int:
        """The budget in nodes; a percentage rounds down like Kubernetes does."""
        if isinstance(self.max_unavailable, int):
            return self.max_unavailable
        return self.count * int(self.max_unavailable[:-1]) // 100


class Cluster(Model):
    """A customer cluster: hosted control plane, add-ons and node pools."""

    name: str = Field(json_schema_extra={"pattern": DNS1123_LABEL.pattern, "maxLength": 60})
    """Cluster name, a DNS-1123 label of at most 60 characters, unique in the region; id = <region>/<name>."""
    tenant: str
    """Name of the kind: Tenant that owns the cluster."""
    channel: str
    """Name of the Fleet release channel the cluster follows."""
    versions: VersionPins = VersionPins()
    """Optional pins overriding the channel field by field."""
    control_plane: ControlPlane = ControlPlane()
    """Hosted control plane settings."""
    bundle: str | None = None
    """Name of the Fleet add-on bundle; none: no bundle add-ons."""
    addons: AddonChanges = AddonChanges()
    """This cluster's changes to its bundle: add-ons disabled, Helm values, extra add-ons."""
    upgrade: UpgradePolicy = UpgradePolicy()
    """How upgrades of this cluster are gated."""
    node_pools: list[NodePool] = []
    """The cluster's node pools."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        _dns_label(value, "cluster name")
        if len(value) > 60:
            raise ValueError(
                f"cluster name {value!r} is longer than 60 characters (namespace cp-<name> must fit 63); shorten it"
            )
        return value


class RegionSpecBody(Model):
    failure_domains: list[str] = Field(min_length=1)
    """Racks or halls of the site, e.g. [rack-a, rack-b, rack-c]."""
    clusters: list[Cluster] = []
    """The region's clusters."""


# ---------------------------------------------------------------- Approval


class ApprovalSpecBody(Model):
    cluster: str = Field(json_schema_extra={"pattern": r"^[^/]+/[^/]+$", "examples": ["us-east-04/alpha-train"]})
    """The approved cluster, <region>/<cluster>."""
    kubernetes: VersionStr | None = None
    """The exact Kubernetes target approved (optional when ``addons`` names what is approved)."""
    node_image: NodeImage | None = None
    """Optional: the exact node image approved (a Kubernetes label value)."""
    addons: dict[str, Annotated[str, Field(min_length=1)]] = Field(
        default={}, json_schema_extra={"examples": [{"gpu-operator": "v24.9.2"}]}
    )
    """Disruptive add-ons approved, each at its exact new chart version: {gpu-operator: "v24.9.2"}."""
    approved_by: Email
    """Who approved; must be in the tenant's approvers for the approval to count."""
    expires: str = Field(json_schema_extra={"format": "date-time", "examples": ["2026-12-31T00:00:00Z"]})
    """ISO 8601 time with a zone (quote it), after which the approval no longer counts."""

    @field_validator("cluster")
    @classmethod
    def _cluster(cls, value: str) -> str:
        region, _, name = value.partition("/")
        if not region or not name or "/" in name:
            raise ValueError(f"cluster {value!r} is not <region>/<cluster>; write e.g. us-east-04/alpha-train")
        return value

    @field_validator("expires")
    @classmethod
    def _expires(cls, value: str) -> str:
        parse_time(value)
        return value

    @model_validator(mode="after")
    def _approves_something(self) -> ApprovalSpecBody:
        if self.kubernetes is None and self.node_image is not None:
            raise ValueError("nodeImage is approved together with kubernetes: add the kubernetes target it goes with")
        if self.kubernetes is None and not self.addons:
            raise ValueError(
                'an approval names what it approves: add kubernetes: "1.31.2" and/or addons: {gpu-operator: "v24.9.2"}'
            )
        return self

    @property
    def expires_at(self) -> datetime:
        return parse_time(self.expires)


def parse_time(value: str) -> datetime:
    """An ISO 8601 instant with a zone (``Z`` or an offset); naive times are ambiguous.

    Only instants in [TIME_EARLIEST, TIME_LATEST) are accepted, so that no
    arithmetic on the result can overflow (see TIME_LATEST).
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f'{value!r} is not an ISO 8601 time; write e.g. "2026-12-31T00:00:00Z"') from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f'{value!r} has no time zone; add Z for UTC, e.g. "2026-12-31T00:00:00Z"')
    try:  # aware comparisons work on offsets, they never build an out-of-range datetime
        inside = TIME_EARLIEST <= parsed < TIME_LATEST
    except OverflowError:  # pragma: no cover - defensive: CPython compares without overflowing
        inside = False
    if not inside:
        raise ValueError(
            f"{value!r} is outside the times fleetc accepts, {TIME_EARLIEST.year} to {TIME_LATEST.year - 1} (UTC); "
            'write a time in that range, e.g. "2026-12-31T00:00:00Z"'
        )
    return parsed


# ---------------------------------------------------------------- documents


class Document(Model):
    api_version: Literal["fleetc.dev/v1alpha1"]
    """Always fleetc.dev/v1alpha1."""
    kind: str
    """Fleet, Tenant, Region or Approval."""
    metadata: Metadata
    """Name (and free-form labels) of the object."""

    @property
    def name(self) -> str:
        return self.metadata.name


class FleetDoc(Document):
    """Fleet-wide settings: channels, instance types, add-on bundles. Exactly one per fleet."""

    kind: Literal["Fleet"]
    """Fleet."""
    spec: FleetSpecBody
    """The fleet-wide settings."""


class TenantDoc(Document):
    """A customer: owns clusters and names who may approve their upgrades."""

    kind: Literal["Tenant"]
    """Tenant."""
    spec: TenantSpecBody = TenantSpecBody()
    """Who may approve."""


class RegionDoc(Document):
    """A site: its failure domains and its clusters. One Pulumi stack per region."""

    kind: Literal["Region"]
    """Region."""
    spec: RegionSpecBody
    """Failure domains and clusters."""


class ApprovalDoc(Document):
    """A tenant's sign-off on one exact upgrade target of one cluster."""

    kind: Literal["Approval"]
    """Approval."""
    spec: ApprovalSpecBody
    """What is approved, by whom, until when."""


KINDS: dict[str, type[Document]] = {
    "Fleet": FleetDoc,
    "Tenant": TenantDoc,
    "Region": RegionDoc,
    "Approval": ApprovalDoc,
}
