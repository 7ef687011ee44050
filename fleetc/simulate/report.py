"""The comparison, as a rich table, as JSON, and as PNG plots.

The table puts the three strategies side by side on the same metrics; the
JSON is the same numbers for scripts (``{"lower_bound_hours": X,
"strategies": {...}}``); the plots show how each strategy got there: nodes
per state over time for every pool, and the three progress curves (nodes at
the target image) against the lower bound on one chart. matplotlib is only
imported for the plots (``fleetc[simulate]``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from fleetc.simulate.cluster import STATES
from fleetc.simulate.metrics import HOUR, RunResult
from fleetc.simulate.run import Comparison

STATE_COLOURS = {
    "idle": "#9ecae1",
    "busy": "#3182bd",
    "busy-pending": "#fd8d3c",
    "idle-pending": "#fdd0a2",
    "cordoned": "#e6550d",
    "reimaging": "#756bb1",
    "failed": "#636363",
}


def to_json(comparison: Comparison) -> dict[str, Any]:
    bound = comparison.bound
    scenario = comparison.scenario
    return {
        "scenario": scenario.name,
        "seed": comparison.seed,
        "lower_bound_hours": round(bound.hours, 3),
        "lower_bound": {
            "no_interruption_hours": round(bound.hours, 3),
            "longest_running_job_hours": round(bound.longest_job_hours, 3),
            "budget_hours": round(bound.budget_hours, 3),
            "control_plane_hours": round(comparison.control_plane_hours, 3),
            "set_by_pool": bound.pool,
        },
        "pools": {
            p.pool: {
                "nodes": p.nodes,
                "max_unavailable": p.budget,
                "gpus_per_node": p.gpus_per_node,
                "arrivals_per_day": round(p.arrivals_per_day, 2),
                "offered_load": round(p.offered_load, 4),
                "jobs_running_at_start": p.running_at_start,
                "nodes_busy_at_start": p.busy_at_start,
            }
            for p in comparison.pools
        },
        "strategies": {name: result.to_json() for name, result in comparison.results.items()},
        "timing": {name: result.timing_json() for name, result in comparison.results.items()},
    }


def _makespan(result: RunResult, bound: float) -> str:
    if result.makespan is None:
        return f">= {result.horizon / HOUR:.1f} ({result.nodes_at_target}/{result.nodes} done)"
    hours = result.makespan / HOUR
    return f"{hours:.1f} ({(hours / bound - 1) * 100:+.1f}% vs bound)" if bound > 0 else f"{hours:.1f}"


def render(comparison: Comparison) -> RenderableType:
    """The comparison table plus what set fleetc's makespan."""
    bound = comparison.bound
    results = comparison.results
    nodes = sum(p.nodes for p in comparison.pools)
    head = Text(
        f"scenario {comparison.scenario.name}, seed {comparison.seed}: {nodes:,} nodes in {len(comparison.pools)} "
        f"pool(s), {sum(p.arrivals_per_day for p in comparison.pools):,.0f} jobs/day, offered load "
        f"{_mean_load(comparison):.2f}\n"
        f"lower bound {bound.hours:.1f} h without interrupting a job (longest job running at start "
        f"{bound.longest_job_hours:.1f} h, budget alone {bound.budget_hours:.1f} h)"
    )
    table = Table(title="rollout: fleetc vs drain vs wait-idle", show_lines=False)
    table.add_column("metric")
    for name in results:
        table.add_column(name, justify="right")
    rows: list[tuple[str, Callable[[RunResult], str]]] = [
        ("makespan, h (all nodes at target)", lambda r: _makespan(r, bound.hours)),
        ("jobs interrupted (distinct jobs)", lambda r: f"{r.jobs_interrupted:,} ({r.jobs_interrupted_distinct:,})"),
        ("GPU-hours lost to interruptions", lambda r: f"{r.lost_gpu_hours:,.0f}"),
        ("max unavailable seen / maxUnavailable", _budget),
        ("max_unavailable_exceeded (by failures)", _exceeded),
        ("idle GPU-hours held cordoned/pending", lambda r: f"{r.idle_cordoned_gpu_hours:,.0f}"),
        ("mean queue wait, h", lambda r: f"{r.to_json()['mean_queue_wait_hours']:.2f}"),
        ("jobs started on outdated nodes (on pending)", lambda r: f"{r.jobs_on_outdated:,} ({r.jobs_on_pending:,})"),
        ("jobs killed by hardware failures", lambda r: f"{r.jobs_failed:,}"),
        ("invariant violations", lambda r: str(r.violations.total())),
        ("simulated in, s", lambda r: f"{r.runtime_seconds:.1f}"),
    ]
    for label, cell in rows:
        table.add_row(label, *(cell(r) for r in results.values()))
    parts: list[RenderableType] = [head, table]
    fleetc = results.get("fleetc")
    if fleetc is not None:
        parts.append(Text(_fleetc_notes(fleetc)))
    return Group(*parts)


def _budget(result: RunResult) -> str:
    budgets = {p.max_unavailable for p in result.pools.values()}
    spelled = str(next(iter(budgets))) if len(budgets) == 1 else "per pool"
    return f"{result.max_unavailable_seen} / {spelled}"


def _exceeded(result: RunResult) -> str:
    failures = sum(p.exceeded_by_failure for p in result.pools.values())
    return f"{result.max_unavailable_exceeded} ({failures})"


def _mean_load(comparison: Comparison) -> float:
    total = sum(p.nodes for p in comparison.pools)
    return sum(p.offered_load * p.nodes for p in comparison.pools) / total if total else 0.0


def _fleetc_notes(result: RunResult) -> str:
    lines = [
        f"fleetc: {result.plan_calls:,} plan() calls ({result.plan_seconds:.1f} s), "
        f"{result.plan_calls_skipped:,} skipped (inputs unchanged)"
    ]
    if result.blocked_hours:
        spent = ", ".join(f"{reason} {hours:,.1f}" for reason, hours in sorted(result.blocked_hours.items()))
        lines.append(f"blocked, cluster-hours per reason: {spent}")
    tail = result.tail
    if tail is not None and tail.job_started is not None and tail.job_finish is not None:
        job = (
            f"a {tail.job_size}-node job that started at {tail.job_started / HOUR:.1f} h on a {tail.job_how} "
            f"and ends at {tail.job_finish / HOUR:.1f} h"
        )
        if tail.reimaged is not None:
            lines.append(f"makespan set by {tail.node}: reimaged at {tail.reimaged / HOUR:.1f} h after {job}")
        else:
            lines.append(f"unfinished: {tail.node} still runs {job}")
    return "\n".join(lines)


# ---------------------------------------------------------------- plots


def write_plots(comparison: Comparison, out: Path) -> list[Path]:
    """``states-<strategy>.png`` per strategy and ``progress.png``; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, result in comparison.results.items():
        by_pool: dict[str, list[tuple[float, tuple[int, ...]]]] = defaultdict(list)
        for sample in result.samples:
            by_pool[sample.pool].append((sample.time / HOUR, sample.states))
        pools = sorted(by_pool)
        cols = 2 if len(pools) > 1 else 1
        rows = (len(pools) + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 3.2 * rows), squeeze=False, sharex=True)
        for ax, pool in zip(axes.flat, pools, strict=False):
            series = by_pool[pool]
            times = [t for t, _ in series]
            stacks = [[states[i] for _, states in series] for i in range(len(STATES))]
            ax.stackplot(times, *stacks, labels=STATES, colors=[STATE_COLOURS[s] for s in STATES], step="post")
            ax.set_title(pool, fontsize=9)
            ax.set_ylabel("nodes")
            ax.axvline(comparison.bound.hours, color="black", linestyle=":", linewidth=1)
        for ax in list(axes.flat)[len(pools):]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel("hours since start")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=len(STATES), fontsize=8, frameon=False)
        fig.suptitle(f"{comparison.scenario.name}: nodes by state, {name} (dotted: lower bound)")
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        path = out / f"states-{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for name, result in comparison.results.items():
        totals: dict[int, int] = defaultdict(int)
        for sample in result.samples:
            totals[sample.time] += sample.at_target
        instants = sorted(totals)
        ax.step([t / HOUR for t in instants], [totals[t] for t in instants], where="post", label=name)
    bound = comparison.bound.hours
    ax.axvline(bound, color="black", linestyle=":", label=f"lower bound {bound:.0f} h")
    ax.set_xlabel("hours since start")
    ax.set_ylabel("nodes at the target image")
    ax.set_title(f"{comparison.scenario.name}: rollout progress (seed {comparison.seed})")
    ax.legend()
    fig.tight_layout()
    path = out / "progress.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)
    return written
