"""Seeded job and failure traces, one per simulated pool.

Every strategy is run on the *same* trace (same running jobs at the start,
same arrivals, same hardware failures), so their differences come from the
strategy alone. A trace is drawn once from a stream seeded by
``(seed, cluster, pool)`` and then replayed; nothing a strategy does
consumes randomness from it.

The model:

- arrivals are Poisson; with ``offeredLoad`` rho the rate is
  ``rho * nodes / (E[size] * E[duration])`` (Little's law: rho is the share
  of the pool busy in the long run when the queue is stable);
- sizes (whole nodes, gang-scheduled) come from a weighted table; sizes
  larger than the pool are dropped and the rest renormalised;
- durations are lognormal capped at ``maxHours`` (multi-week jobs are the
  tail), the location solved so the capped mean is ``meanHours``;
- the pool starts in steady state: running jobs are drawn as an observer
  arriving at a random instant sees them -- size from the size table,
  duration *length-biased* (a job is running now with probability
  proportional to its length), remaining time uniform over that length,
  so remaining times follow the residual-life distribution -- until
  ``min(rho, 1)`` of the nodes are busy. The queue starts empty.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

from fleetc.simulate.scenario import Jobs, ScenarioSpec, capped_lognormal_mean, capped_lognormal_mu

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class RunningJob:
    """A job already running when the simulation starts."""

    size: int
    duration: int  # seconds, its whole length
    remaining: int  # seconds left at t=0
    checkpointable: bool = False  # checkpoints every jobs.checkpointable.intervalHours and honours requests


@dataclass(frozen=True)
class Arrival:
    time: int  # seconds since the start
    size: int
    duration: int
    checkpointable: bool = False


@dataclass(frozen=True)
class Failure:
    time: int
    node: int  # index of the node in its pool
    repair: int  # seconds until it is Ready again


@dataclass(frozen=True)
class PoolTrace:
    running: tuple[RunningJob, ...]
    arrivals: tuple[Arrival, ...]
    failures: tuple[Failure, ...]
    arrivals_per_day: float
    offered_load: float
    mean_size: float
    mean_duration_hours: float


@dataclass(frozen=True)
class JobModel:
    """The job distributions for one pool (sizes already fitted to it)."""

    sizes: tuple[int, ...]
    weights: tuple[float, ...]
    mu: float
    sigma: float
    cap_hours: float

    @classmethod
    def for_pool(cls, jobs: Jobs, nodes: int) -> JobModel | None:
        """None when no job size fits the pool (it then gets no jobs)."""
        fitting = [(s.nodes, s.weight) for s in jobs.sizes if s.nodes <= nodes]
        if not fitting:
            return None
        d = jobs.duration
        mu = capped_lognormal_mu(d.mean_hours, d.sigma, d.max_hours)
        return cls(tuple(s for s, _ in fitting), tuple(w for _, w in fitting), mu, d.sigma, d.max_hours)

    @property
    def mean_size(self) -> float:
        return sum(s * w for s, w in zip(self.sizes, self.weights, strict=True)) / sum(self.weights)

    @property
    def mean_hours(self) -> float:
        return capped_lognormal_mean(self.mu, self.sigma, self.cap_hours)

    def size(self, rng: random.Random) -> int:
        return rng.choices(self.sizes, self.weights)[0]

    def duration(self, rng: random.Random) -> int:
        hours = min(rng.lognormvariate(self.mu, self.sigma), self.cap_hours)
        return max(60, round(hours * HOUR))

    def biased_duration(self, rng: random.Random) -> int:
        """A duration drawn with density proportional to length x density.

        For X ~ LN(mu, s) the length-biased law is LN(mu + s^2, s); the cap
        puts an atom at c whose biased weight is c P(X >= c) / E[min(X, c)].
        """
        c = self.cap_hours
        atom = c * (1 - _phi((math.log(c) - self.mu) / self.sigma)) / self.mean_hours
        if rng.random() < atom:
            return round(c * HOUR)
        for _ in range(10_000):
            hours = rng.lognormvariate(self.mu + self.sigma * self.sigma, self.sigma)
            if hours < c:
                return max(60, round(hours * HOUR))
        return round(c * HOUR)  # pragma: no cover - acceptance is far above 1e-4 for sane parameters


def pool_trace(spec: ScenarioSpec, seed: int, cluster: str, pool: str, nodes: int) -> PoolTrace:
    """The trace of one pool; same arguments, same trace."""
    horizon = round(spec.horizon_days * DAY)
    failures = _failures(spec, random.Random(f"{seed}/{cluster}/{pool}/failures"), nodes, horizon)
    model = JobModel.for_pool(spec.jobs, nodes)
    if model is None:
        return PoolTrace((), (), failures, 0.0, 0.0, 0.0, 0.0)
    if spec.jobs.arrivals_per_day is not None:
        per_day = spec.jobs.arrivals_per_day
    else:
        load = spec.jobs.offered_load or 0.0
        per_day = load * nodes / (model.mean_size * model.mean_hours) * 24
    offered = per_day / 24 * model.mean_size * model.mean_hours / nodes
    rng = random.Random(f"{seed}/{cluster}/{pool}/jobs")
    running = _steady_state(model, rng, nodes, offered)
    arrivals: list[Arrival] = []
    rate = per_day / DAY
    t = 0.0
    while True:
        t += rng.expovariate(rate)
        if t >= horizon:
            break
        arrivals.append(Arrival(int(t), model.size(rng), model.duration(rng)))
    if spec.jobs.checkpointable is not None:
        # Its own stream: a scenario without checkpointable jobs draws exactly what it drew before.
        share = spec.jobs.checkpointable.fraction
        pick = random.Random(f"{seed}/{cluster}/{pool}/checkpointable")
        running = [replace(r, checkpointable=pick.random() < share) for r in running]
        arrivals = [replace(a, checkpointable=pick.random() < share) for a in arrivals]
    return PoolTrace(tuple(running), tuple(arrivals), failures, per_day, offered, model.mean_size, model.mean_hours)


def _steady_state(model: JobModel, rng: random.Random, nodes: int, offered: float) -> list[RunningJob]:
    goal = round(min(offered, 1.0) * nodes)
    running: list[RunningJob] = []
    busy = 0
    misses = 0
    while busy < goal and misses < 100:
        size = model.size(rng)
        if busy + size > goal:
            misses += 1  # a smaller size may still fit; stop after many misses
            continue
        duration = model.biased_duration(rng)
        remaining = max(1, math.ceil(rng.random() * duration))
        running.append(RunningJob(size, duration, remaining))
        busy += size
    return running


def _failures(spec: ScenarioSpec, rng: random.Random, nodes: int, horizon: int) -> tuple[Failure, ...]:
    rate = spec.failures.per_node_per_day * nodes / DAY
    if rate <= 0:
        return ()
    out: list[Failure] = []
    t = 0.0
    while True:
        t += rng.expovariate(rate)
        if t >= horizon:
            return tuple(out)
        repair = max(60, round(rng.expovariate(1 / (spec.failures.repair_hours * HOUR))))
        out.append(Failure(int(t), rng.randrange(nodes), repair))


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))
