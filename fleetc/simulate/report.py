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


UNDER_BOUND_MARK = "†"


def _makespan(result: RunResult, bound: float) -> str:
    """``488.0 (0.1% over bound)``; under the bound it is marked: the bound assumes no job is interrupted."""
    if result.makespan is None:
        return f">= {result.horizon / HOUR:.1f} ({result.nodes_at_target}/{result.nodes} done)"
    hours = result.makespan / HOUR
    if bound <= 0:
        return f"{hours:.1f}"
    if hours < bound:
        return f"{hours:.1f} ({(1 - hours / bound) * 100:.1f}% under bound {UNDER_BOUND_MARK})"
    return f"{hours:.1f} ({(hours / bound - 1) * 100:.1f}% over bound)"


def _under_bound_notes(comparison: Comparison) -> list[str]:
    """Why a strategy finished under the no-interruption lower bound: it interrupted jobs (or a bug)."""
    bound = comparison.bound.hours
    notes = []
    for name, result in comparison.results.items():
        if result.makespan is None or bound <= 0 or result.makespan / HOUR >= bound:
            continue
        if result.jobs_interrupted:
            why = (
                f"because it interrupted {plural(result.jobs_interrupted, 'job')} "
                f"({result.jobs_interrupted_distinct:,} distinct)"
            )
        else:
            why = "without interrupting a job: the bound is wrong, please report this scenario and seed"
        notes.append(
            f"{UNDER_BOUND_MARK} {name} finished {result.makespan / HOUR:.1f} h, under the {bound:.1f} h lower bound "
            f"for rollouts that interrupt no job, {why}"
        )
    return notes


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def render(comparison: Comparison) -> RenderableType:
    """The comparison table plus what set fleetc's makespan."""
    bound = comparison.bound
    results = comparison.results
    nodes = sum(p.nodes for p in comparison.pools)
    head = Text(
        f"scenario {comparison.scenario.name}, seed {comparison.seed}: {plural(nodes, 'node')} in "
        f"{plural(len(comparison.pools), 'pool')}, {sum(p.arrivals_per_day for p in comparison.pools):,.0f} "
        f"jobs/day, offered load {_mean_load(comparison):.2f}\n"
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
        ("jobs checkpointed on request (nodes asked)", _checkpointed),
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
    parts += [Text(note) for note in _under_bound_notes(comparison)]
    fleetc = results.get("fleetc")
    if fleetc is not None:
        parts.append(Text(_fleetc_notes(fleetc)))
    return Group(*parts)


def _checkpointed(result: RunResult) -> str:
    return f"{result.jobs_checkpointed:,} ({result.checkpoint_requests:,})"


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
        job = f"a {tail.job_size}-node job {_job_start(tail.job_started, tail.job_how)} and ends at "
        job += f"{tail.job_finish / HOUR:.1f} h"
        if tail.reimaged is not None:
            lines.append(f"makespan set by {tail.node}: reimaged at {tail.reimaged / HOUR:.1f} h after {job}")
        else:
            lines.append(f"unfinished: {tail.node} still runs {job}")
    return "\n".join(lines)


def _job_start(started: float, how: str | None) -> str:
    """When and where the job began; jobs running at t=0 began before the simulation did."""
    if started < 0:
        return f"that was running since before the start (it began about {-started / HOUR:.1f} h earlier)"
    where = f" on {'an' if how[:1] in 'aeiou' else 'a'} {how}" if how else ""
    return f"that started at {started / HOUR:.1f} h{where}"


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
        for ax in list(axes.flat)[len(pools) :]:
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
    written.append(_progress_plot(comparison, out, plt))
    return written


def progress_curve(result: RunResult) -> tuple[list[float], list[int]]:
    """(hours, nodes at target) over the run, ending at the makespan with every node done.

    The samples are periodic, so the last one can precede the last reimage:
    the curve then ends at the makespan explicitly, so that what the chart
    shows and what the table says are the same instant.
    """
    totals: dict[int, int] = defaultdict(int)
    for sample in result.samples:
        totals[sample.time] += sample.at_target
    instants = sorted(totals)
    hours = [t / HOUR for t in instants]
    done = [totals[t] for t in instants]
    if result.makespan is not None and (not instants or instants[-1] < result.makespan or done[-1] < result.nodes):
        hours.append(result.makespan / HOUR)
        done.append(result.nodes)
    return hours, done


def _progress_plot(comparison: Comparison, out: Path, plt: Any) -> Path:
    """Nodes at target (top) and nodes still to do on a log scale (bottom), per strategy.

    The top curve alone hides a straggler: one node of 4,000 that reaches
    the target 50 h after the rest is a 0.025% step, so drain looked done
    at 38 h while its makespan is 94.5 h. Each strategy's makespan is
    therefore marked on the top chart, and the bottom chart counts the nodes
    left to do down to the last one.
    """
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True, height_ratios=(3, 2))
    bound = comparison.bound.hours
    for name, result in comparison.results.items():
        hours, done = progress_curve(result)
        (line,) = top.step(hours, done, where="post", label=name)
        left = [result.nodes - d for d in done]
        bottom.step(hours, [n if n > 0 else float("nan") for n in left], where="post", color=line.get_color())
        if result.makespan is not None:
            at = result.makespan / HOUR
            top.plot([at], [result.nodes], marker="o", color=line.get_color())
            top.annotate(
                f"{name}: all {result.nodes:,} at {at:.1f} h",
                (at, result.nodes),
                textcoords="offset points",
                xytext=(4, -14 - 12 * list(comparison.results).index(name)),
                fontsize=8,
                color=line.get_color(),
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
            )
            bottom.plot([at], [1], marker="o", color=line.get_color())
    for ax in (top, bottom):
        ax.axvline(bound, color="black", linestyle=":", label=f"lower bound {bound:.0f} h" if ax is top else None)
    top.set_ylabel("nodes at the target image")
    top.set_title(f"{comparison.scenario.name}: rollout progress (seed {comparison.seed}; dots: makespan)")
    top.legend(loc="lower right", fontsize=8)
    bottom.set_yscale("log")
    bottom.set_ylabel("nodes still to do (log)")
    bottom.set_xlabel("hours since start")
    fig.tight_layout()
    path = out / "progress.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
