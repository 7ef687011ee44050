"""Entry point of the ``fleetc`` console script.

Each command group lives in its own module with a ``register(app)``. The
modules are imported lazily: ``fleetc --help``, ``fleetc --version`` and
shell completion of command names only read :data:`COMMANDS` below, so they
start in about a tenth of a second instead of importing pydantic, the spec
models and the planner for every command first. ``fleetc plan`` imports the
plan command's module and nothing else (a test keeps each summary equal to
its command's docstring).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from fleetc import __version__
from fleetc.cli.examples import EXAMPLES, epilog


@dataclass(frozen=True)
class CommandEntry:
    """Where a command lives, and the one-line summary ``fleetc --help`` shows without importing it."""

    module: str  # fleetc.cli.<module> registers it
    summary: str


COMMANDS: dict[str, CommandEntry] = {
    "init": CommandEntry("init", "Scaffold a fleet repository in DIR: Pulumi project, one stack, a valid fleet, CI."),
    "validate": CommandEntry("validate", "Check the fleet (docs/spec.md section 2): every error at once, exit 0 or 2."),
    "schema": CommandEntry("validate", "Print the JSON Schema of the fleet spec, for editors (yaml-language-server)."),
    "plan": CommandEntry("plan", "Show the next safe step of every rollout, and what is blocked and why."),
    "approve": CommandEntry(
        "approve", "Write (and with --commit, commit) an Approval of CLUSTER's --kubernetes or --addon change."
    ),
    "render": CommandEntry("render", "Write plain Kubernetes manifests, one folder per cluster, for Argo CD or Flux."),
    "check": CommandEntry(
        "check", "Run the policy rules (the CrossGuard pack's, without the engine) over the compiled fleet."
    ),
    "preview": CommandEntry(
        "preview", "Show what a change does: fleet diff, resource diff, head's plan (with --live) and policy report."
    ),
    "simulate": CommandEntry(
        "simulate", "Simulate an upgrade rollout under a job trace: fleetc vs drain vs wait-idle."
    ),
    "live": CommandEntry("live", "Live state of the clusters: export a snapshot."),
}


class LazyGroup(TyperGroup):
    """The top-level group: commands are built from their module on first use.

    Listing commands (help, completion of command names) uses the summaries
    of :data:`COMMANDS`; resolving one (``fleetc plan ...``) imports its
    module, registers it on a private Typer and returns the real command,
    with its examples as the help epilog.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._listing = False
        self._loaded: dict[str, Any] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if self._listing:
            return TyperCommand(cmd_name, help=entry.summary, rich_markup_mode=self.rich_markup_mode)
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = load_command(cmd_name, self.rich_markup_mode)
        return self._loaded[cmd_name]

    @contextmanager
    def _summaries(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with self._summaries():
            super().format_help(ctx, formatter)

    def shell_complete(self, ctx: Any, incomplete: str) -> Any:
        with self._summaries():
            return super().shell_complete(ctx, incomplete)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        self.commands = dict.fromkeys(COMMANDS)  # type: ignore[assignment]  # names for "Did you mean ...?"
        try:
            return super().resolve_command(ctx, args)
        finally:
            self.commands = {}


def load_command(name: str, markup: Any = None) -> Any:
    """The click command ``name`` as its module registers it, examples attached."""
    module = importlib.import_module(f"fleetc.cli.{COMMANDS[name].module}")
    scratch = typer.Typer(rich_markup_mode=markup)
    module.register(scratch)
    command = typer.main.get_group(scratch).commands[name]
    _attach_examples(command, name)
    return command


def _attach_examples(command: Any, path: str) -> None:
    if path in EXAMPLES:
        command.epilog = epilog(path)
    for child_name, child in getattr(command, "commands", {}).items():
        _attach_examples(child, f"{path} {child_name}")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fleetc {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="fleetc",
    cls=LazyGroup,
    help="Declarative fleet-as-code compiler: validate, plan, preview, check and render a GPU fleet.",
    epilog=epilog(""),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help imports rich.markdown, rich.syntax and rich.traceback,
    # which alone cost about 0.2 s of CPU on every `--help` (docs/performance.md).
    rich_markup_mode=None,
    context_settings={"max_content_width": 120},
)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_version, help="Print fleetc's version and exit."
    ),
) -> None:
    """Declarative fleet-as-code compiler: validate, plan, preview, check and render a GPU fleet."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
