"""Entry point of the ``fleetc`` console script.

Each command group lives in its own module with a ``register(app)``; this
module only assembles them, so the CLI starts fast and stays readable.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="fleetc",
    help="Declarative fleet-as-code compiler: validate, plan, preview, check and render a GPU fleet.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

COMMAND_MODULES = ("validate", "plan", "approve", "live", "render", "check", "preview", "simulate")

for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"fleetc.cli.{_name}")
    except ModuleNotFoundError as _missing:  # a command group not built yet
        if _missing.name != f"fleetc.cli.{_name}":
            raise
        continue
    _module.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
