"""``fleetc simulate``: the real planner against a simulated fleet under load, vs two baselines.

Glue only: load the fleet and the scenario (both exit 2 with file:line:col
on invalid input), run ``fleetc.simulate.run.simulate``, print the table or
the JSON, write plots. docs/simulation.md explains the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fleetc.cli.common import FLEET_OPTION, emit, load, stderr, user_errors
from fleetc.cli.outdir import usable_out_dir, write_failed
from fleetc.errors import EXIT_INVALID

if TYPE_CHECKING:
    from rich.progress import TaskID

    from fleetc.simulate.engine import Progress

PIPE_WIDTH = 132  # text to a file or a pipe: wide enough for the three-strategy table


class SimulateFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


SCENARIO_OPTION = typer.Option(
    ..., "--scenario", help="Scenario YAML (kind: Scenario), e.g. examples/scenarios/standard.yaml."
)
SEED_OPTION = typer.Option(None, "--seed", help="Seed of every random draw; default: the scenario's spec.seed.")
OUT_OPTION = typer.Option(None, "--out", help="Directory for PNG plots (nodes by state per pool, progress curves).")
FORMAT_OPTION = typer.Option(SimulateFormat.TEXT, "--format", help="text (a table) or json (one object).")
EVERY_OPTION = typer.Option(
    False,
    "--every-interval",
    help="Call plan() at every pulumi-up interval even when its inputs did not change (slower; same result).",
)


def _can_plot() -> bool:
    """matplotlib is installed (``fleetc[simulate]``), without importing it yet."""
    import importlib.util

    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """Simulated hours per strategy on stderr, only when it is a terminal (a pipe or a file gets nothing)."""
    if not stderr.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bars

    tasks: dict[str, TaskID] = {}
    columns = (
        TextColumn("{task.description:>9}"),
        BarColumn(),
        TextColumn("{task.fields[hours]:>6.0f} of {task.fields[horizon]:.0f} simulated hours"),
        TimeElapsedColumn(),
    )
    with Bars(*columns, console=stderr, transient=True) as bars:

        def report(strategy: str, now: int, horizon: int) -> None:
            if strategy not in tasks:
                tasks[strategy] = bars.add_task(strategy, total=horizon, hours=0.0, horizon=horizon / 3600)
            bars.update(tasks[strategy], completed=now, total=horizon, hours=now / 3600, horizon=horizon / 3600)

        yield report


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)


def simulate_command(
    scenario: Path = SCENARIO_OPTION,
    fleet: Path = FLEET_OPTION,
    seed: int | None = SEED_OPTION,
    out: Path | None = OUT_OPTION,
    output: SimulateFormat = FORMAT_OPTION,
    every_interval: bool = EVERY_OPTION,
) -> None:
    """Simulate an upgrade rollout under a job trace: fleetc vs drain vs wait-idle."""
    import json

    from fleetc.simulate.report import render, to_json, write_plots
    from fleetc.simulate.run import simulate
    from fleetc.simulate.scenario import load_scenario

    if out is not None:  # before minutes of simulation, not after
        if not _can_plot():
            stderr.print("--out: the plots need matplotlib: pip install 'fleetc[simulate]'", markup=False)
            raise typer.Exit(EXIT_INVALID)
        usable_out_dir(out)
    with user_errors():
        loaded = load_scenario(scenario)
    spec = load(fleet)
    with user_errors(), _progress() as progress:
        comparison = simulate(loaded, spec, seed=seed, skip_unchanged=not every_interval, progress=progress)
    if output is SimulateFormat.JSON:
        emit(json.dumps(to_json(comparison), indent=2))
    else:
        from rich.console import Console

        console = Console(highlight=False, emoji=False)
        if not console.is_terminal:
            console = Console(highlight=False, emoji=False, width=PIPE_WIDTH)
        console.print(render(comparison))
    if out is not None:
        try:
            written = write_plots(comparison, out)
        except OSError as error:
            raise write_failed(error) from None
        for path in written:
            stderr.print(f"wrote {path}", markup=False)
