"""The scenario file: what to simulate, under which load, with which timings.

A scenario is one YAML document (``kind: Scenario``, same ``apiVersion`` as
the fleet) loaded through the fleet's position-keeping reader, so a typo is
reported as ``file:line:col: message`` and exits 2, exactly like a fleet
file. Only shapes and field-local rules are checked here; whether a named
cluster or instance type exists in the fleet is checked when the simulated
world is built (``world.py``), still blaming the scenario's line.

The slice of the fleet to simulate is either ``fleet:`` (real clusters and
pools of the fleet directory, at their real sizes and budgets) or
``synthetic:`` (clusters generated from a pool definition, so 4,000- and
32,000-node scenarios need no giant fleet file). Both end up as a real
FleetSpec handed to the real planner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from fleetc.errors import Diagnostic, FleetcError, Pos, fail
from fleetc.spec.messages import message
from fleetc.spec.models import (
    DNS1123_LABEL,
    PERCENT,
    BusyNodes,
    CheckpointRequest,
    Document,
    Model,
    Window,
    parse_time,
)
from fleetc.spec.source import Document as Source
from fleetc.spec.source import read_documents
from fleetc.versions import Version


def _dns_label(value: str, what: str) -> str:
    if not DNS1123_LABEL.match(value):
        raise ValueError(f"{what} {value!r} is not a DNS-1123 label: lowercase letters, digits and '-', at most 63")
    return value


class StartVersions(Model):
    """What every simulated cluster runs when the simulation starts."""

    kubernetes: str
    etcd: str
    node_image: str = Field(min_length=1)

    @field_validator("kubernetes", "etcd")
    @classmethod
    def _versions(cls, value: str) -> str:
        Version.parse(value)
        return value


class TargetVersions(Model):
    """What the upgrade moves to; etcd defaults to the starting etcd."""

    kubernetes: str
    etcd: str | None = None
    node_image: str = Field(min_length=1)

    @field_validator("kubernetes", "etcd")
    @classmethod
    def _versions(cls, value: str | None) -> str | None:
        if value is not None:
            Version.parse(value)
        return value


class Timing(Model):
    pulumi_up_minutes: float = Field(gt=0)  # interval between two `pulumi up` runs (fleetc only)
    reimage_minutes: float = Field(gt=0)  # cordoned node -> back Ready at the target image
    control_plane_roll_minutes: float = Field(gt=0)  # one minor of the hosted control plane


class Failures(Model):
    per_node_per_day: float = Field(default=0.0, ge=0, le=1)
    repair_hours: float = Field(default=24.0, gt=0)  # mean of an exponential repair time


class JobSize(Model):
    nodes: int = Field(ge=1)
    weight: float = Field(gt=0)


class Durations(Model):
    """Lognormal job durations, capped at ``maxHours``; ``meanHours`` is the
    mean *after* the cap (the lognormal's location is solved for it)."""

    mean_hours: float = Field(gt=0)
    sigma: float = Field(gt=0, le=4)
    max_hours: float = Field(gt=0)


class Checkpointable(Model):
    """Jobs that checkpoint on their own and honour fleetc's checkpoint requests (docs/checkpoint-requests.md)."""

    fraction: float = Field(ge=0, le=1)  # share of jobs (drawn per job, seeded)
    interval_hours: float = Field(gt=0)  # their own checkpoint interval: a kill loses the work since the last one
    reaction_minutes: float = Field(default=10.0, ge=0)  # request seen -> checkpoint written and job exited


class Jobs(Model):
    offered_load: float | None = Field(default=None, gt=0, le=1.5)
    arrivals_per_day: float | None = Field(default=None, gt=0)
    sizes: list[JobSize] = Field(min_length=1)
    duration: Durations
    checkpoint_minutes: float = Field(default=60.0, ge=0)
    checkpointable: Checkpointable | None = None


class Scheduler(Model):
    """How the simulated scheduler treats fleetc's ``upgrade-pending`` taint.

    ``PreferNoSchedule`` is what fleetc writes (docs/spec.md section 3): tainted
    nodes are used only for what fits nowhere else. ``NoSchedule`` is a
    what-if (tainted nodes are never used), to measure what a hard taint
    would change; it is not what fleetc does.
    """

    pending_taint_effect: Literal["PreferNoSchedule", "NoSchedule"] = "PreferNoSchedule"


class SyntheticPool(Model):
    name: str
    instance_type: str = Field(min_length=1)
    nodes: int = Field(ge=1, le=100_000)
    max_unavailable: int | str
    failure_domains: list[str] = Field(default_factory=list)  # empty: every failure domain of the region

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _dns_label(value, "pool name")

    @field_validator("max_unavailable", mode="before")
    @classmethod
    def _budget(cls, value: object) -> int | str:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f'maxUnavailable must be a whole number >= 1 or a percentage like "5%", got {value!r}')
        if isinstance(value, str) and not PERCENT.match(value):
            raise ValueError(f'maxUnavailable {value!r} must be a whole number or a percentage like "5%"')
        return value

    def budget(self) -> int:
        """Nodes, rounded down like the fleet's NodePool does."""
        if isinstance(self.max_unavailable, int):
            return self.max_unavailable
        return self.nodes * int(self.max_unavailable[:-1]) // 100


class Synthetic(Model):
    region: str = "sim"
    clusters: int = Field(default=1, ge=1, le=99)  # identical clusters sim-01, sim-02, ...
    failure_domains: list[str] = Field(min_length=1)
    node_timeout_minutes: int = Field(default=120, ge=1)
    pools: list[SyntheticPool] = Field(min_length=1)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return _dns_label(value, "region")


class FleetSelection(Model):
    cluster: str  # <region>/<name> of a cluster in the fleet directory
    pools: list[str] | None = None  # None: every pool of the cluster


class ScenarioSpec(Model):
    seed: int = 1
    start: str = "2025-01-06T00:00:00Z"
    horizon_days: float = Field(gt=0, le=366)
    from_: StartVersions = Field(alias="from")
    to: TargetVersions
    timing: Timing
    failures: Failures = Failures()
    jobs: Jobs
    window: Window | None = None
    busy_nodes: BusyNodes | None = None  # every simulated cluster's upgrade.busyNodes (None: the cluster's own)
    checkpoint_request: CheckpointRequest | None = None  # ... and upgrade.checkpointRequest
    scheduler: Scheduler = Scheduler()
    synthetic: Synthetic | None = None
    fleet: list[FleetSelection] | None = None

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        parse_time(value)
        return value


class ScenarioDoc(Document):
    kind: Literal["Scenario"]
    spec: ScenarioSpec


@dataclass(frozen=True)
class Scenario:
    """A validated scenario and where it was written (for later diagnostics)."""

    doc: ScenarioDoc
    source: Source

    @property
    def name(self) -> str:
        return self.doc.name

    @property
    def spec(self) -> ScenarioSpec:
        return self.doc.spec

    @property
    def start(self) -> datetime:
        return parse_time(self.spec.start)

    def pos(self, *path: str | int) -> Pos:
        """Position of ``spec.<path>`` in the scenario file."""
        return self.source.pos(("spec", *path))

    def error(self, message: str, *path: str | int) -> Diagnostic:
        return Diagnostic(self.pos(*path), message)


def load_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file; FleetcError (exit 2) lists every problem."""
    if not path.is_file():
        raise fail(path, f"scenario file {path} does not exist; pass --scenario FILE")
    errors: list[Diagnostic] = []
    documents = read_documents(path, str(path), errors)
    if errors:
        raise FleetcError(errors)
    if len(documents) != 1:
        raise fail(path, f"a scenario file holds exactly one document, found {len(documents)}")
    source = documents[0]
    if not isinstance(source.data, dict):
        raise fail(path, "a scenario must be a mapping with apiVersion, kind: Scenario, metadata, spec")
    try:
        doc = ScenarioDoc.model_validate(source.data)
    except ValidationError as exc:
        fields = sorted(_field_names())
        raise FleetcError([Diagnostic(source.pos(tuple(e["loc"])), message(e, fields)) for e in exc.errors()]) from None
    scenario = Scenario(doc, source)
    problems = check(scenario)
    if problems:
        raise FleetcError(problems)
    return scenario


def check(scenario: Scenario) -> list[Diagnostic]:
    """Rules spanning fields, each blamed on the field to change."""
    spec = scenario.spec
    out: list[Diagnostic] = []
    if (spec.synthetic is None) == (spec.fleet is None):
        out.append(scenario.error("set exactly one of 'synthetic' (generated pools) or 'fleet' (clusters of --fleet)"))
    if spec.fleet is not None and not spec.fleet:
        out.append(scenario.error("'fleet' lists no cluster; name at least one <region>/<cluster>", "fleet"))
    jobs = spec.jobs
    if (jobs.offered_load is None) == (jobs.arrivals_per_day is None):
        out.append(scenario.error("set exactly one of 'offeredLoad' or 'arrivalsPerDay'", "jobs"))
    duration = jobs.duration
    if duration.mean_hours >= duration.max_hours:
        out.append(
            scenario.error(
                f"meanHours {duration.mean_hours} must be below maxHours {duration.max_hours} "
                "(the mean is of the capped distribution)",
                "jobs",
                "duration",
                "meanHours",
            )
        )
    seen: set[int] = set()
    for i, size in enumerate(jobs.sizes):
        if size.nodes in seen:
            out.append(scenario.error(f"job size {size.nodes} is listed twice; merge the weights", "jobs", "sizes", i))
        seen.add(size.nodes)
    start = Version.parse(spec.from_.kubernetes)
    target = Version.parse(spec.to.kubernetes)
    if start.major != target.major or start.minor > target.minor:
        out.append(
            scenario.error(
                f"to.kubernetes {target} is not an upgrade of from.kubernetes {start} within major {start.major}",
                "to",
                "kubernetes",
            )
        )
    elif start.minors_to(target) > 3:
        out.append(
            scenario.error(
                f"from {start} to {target} is {start.minors_to(target)} minors: kubelets more than 3 minors "
                "behind the apiserver are out of policy; start closer to the target",
                "to",
                "kubernetes",
            )
        )
    if spec.synthetic is not None:
        out.extend(_check_synthetic(scenario, spec.synthetic))
    for i, selection in enumerate(spec.fleet or []):
        region, _, name = selection.cluster.partition("/")
        if not region or not name or "/" in name:
            out.append(
                scenario.error(
                    f"cluster {selection.cluster!r} must be <region>/<cluster>, e.g. us-east-04/alpha-train",
                    "fleet",
                    i,
                    "cluster",
                )
            )
    return out


def _check_synthetic(scenario: Scenario, synthetic: Synthetic) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    domains = synthetic.failure_domains
    names: set[str] = set()
    for i, pool in enumerate(synthetic.pools):
        where = ("synthetic", "pools", i)
        if pool.name in names:
            out.append(scenario.error(f"duplicate pool {pool.name!r}; rename one", *where, "name"))
        names.add(pool.name)
        budget = pool.budget()
        if budget < 1 or budget > pool.nodes:
            out.append(
                scenario.error(
                    f"maxUnavailable {pool.max_unavailable} gives {budget} of {pool.nodes} nodes; "
                    f"use between 1 and {pool.nodes}",
                    *where,
                    "maxUnavailable",
                )
            )
        for j, domain in enumerate(pool.failure_domains):
            if domain not in domains:
                out.append(
                    scenario.error(
                        f"failure domain {domain!r} is not one of synthetic.failureDomains {domains}",
                        *where,
                        "failureDomains",
                        j,
                    )
                )
    return out


def capped_lognormal_mu(mean: float, sigma: float, cap: float) -> float:
    """The lognormal location whose distribution, capped at ``cap``, has ``mean``.

    E[min(X, c)] = e^(mu + s^2/2) Phi((ln c - mu - s^2)/s) + c (1 - Phi((ln c - mu)/s))
    increases with mu, so bisection finds it.
    """
    lo, hi = math.log(mean) - 10 * sigma - 10, math.log(cap) + 10 * sigma + 10
    for _ in range(200):
        mid = (lo + hi) / 2
        if capped_lognormal_mean(mid, sigma, cap) < mean:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def capped_lognormal_mean(mu: float, sigma: float, cap: float) -> float:
    log_cap = math.log(cap)
    below = math.exp(mu + sigma * sigma / 2) * _phi((log_cap - mu - sigma * sigma) / sigma)
    return below + cap * (1 - _phi((log_cap - mu) / sigma))


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _field_names() -> set[str]:
    names: set[str] = set()
    for model in (
        ScenarioSpec,
        StartVersions,
        TargetVersions,
        Timing,
        Failures,
        JobSize,
        Durations,
        Jobs,
        Scheduler,
        SyntheticPool,
        Synthetic,
        FleetSelection,
        Window,
        BusyNodes,
        CheckpointRequest,
        Checkpointable,
    ):
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
    return names
