"""The ``fleetc`` entry point: version, completion, examples in every help, lazy imports."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetc import __version__
from fleetc.cli.examples import EXAMPLES
from fleetc.cli.main import COMMANDS, app, load_command

ROOT = Path(__file__).resolve().parents[2]
ENV = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=ENV)
    return result.exit_code, result.output


def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **ENV},
        check=False,
    )


def test_version_is_the_installed_distributions() -> None:
    code, output = invoke("--version")
    assert code == 0 and output == f"fleetc {__version__}\n"
    assert __version__ == importlib.metadata.version("fleetc")


def test_shell_completion_is_offered() -> None:
    code, output = invoke("--help")
    assert code == 0 and "--install-completion" in output and "--show-completion" in output


def test_help_lists_every_command_with_its_own_summary() -> None:
    code, output = invoke("--help")
    assert code == 0
    for name, entry in COMMANDS.items():
        command = load_command(name)
        assert entry.summary == (command.help or "").strip().splitlines()[0], name
        assert name in output


@pytest.mark.parametrize("path", sorted(EXAMPLES))
def test_every_help_has_examples(path: str) -> None:
    code, output = invoke(*path.split(), "--help")
    assert code == 0, output
    assert "Examples:" in output
    for example, _ in EXAMPLES[path]:
        assert f"$ {example}" in output


def test_every_command_has_examples() -> None:
    paths = set(COMMANDS)
    for name in COMMANDS:
        paths |= {f"{name} {child}" for child in getattr(load_command(name), "commands", {})}
    assert paths <= set(EXAMPLES)


def test_examples_name_real_commands_and_options() -> None:
    """Each example parses: typer accepts its command and flags (with --help, nothing runs)."""
    for examples in EXAMPLES.values():
        for example, _ in examples:
            words = example.split(">")[0].split()[1:]
            if not words or words[0] == "COMMAND":
                continue
            code, output = invoke(*words, "--help")
            assert code == 0, f"{example}: {output}"


def test_an_unknown_command_suggests_the_right_one() -> None:
    code, output = invoke("pln")
    assert code == 2 and "plan" in output


def test_help_and_version_import_no_command_module() -> None:
    """`fleetc --help` reads only main.py's table: no pydantic, no spec, no planner (they take ~0.3 s)."""
    probe = (
        "import sys\n"
        "from fleetc.cli.main import main\n"
        "sys.argv = ['fleetc', sys.argv[1]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.startswith(('pydantic', 'fleetc.spec', 'fleetc.plan', "
        "'fleetc.live', 'fleetc.cli.plan', 'ruamel', 'git', 'httpx')))\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    for flag in ("--help", "--version"):
        done = python(probe, flag)
        assert "HEAVY []" in done.stderr, done.stderr[-2000:]


BLOCKER = """
import importlib.abc, sys
BLOCKED = ("pulumi", "pulumi_kubernetes", "pulumi_policy", "matplotlib", "hypothesis", "jsonschema", "numpy")
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not installed by `pip install -e .`")
        return None
sys.meta_path.insert(0, Blocker())
from fleetc.cli.main import main
sys.argv = ["fleetc", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("output", ["text", "json", "markdown", "prometheus"])
def test_plan_needs_only_the_core_dependencies(output: str) -> None:
    """`pip install -e .` (no extras) is enough for the README's first command."""
    done = python(BLOCKER, "plan", "--live", "examples/live", "--now", "2026-11-25T15:00:00Z", "--format", output)
    assert done.returncode == 0, done.stderr[-3000:]
    if output == "json":
        assert json.loads(done.stdout)["steps"]


def test_validate_and_render_need_only_the_core_dependencies(tmp_path: Path) -> None:
    assert python(BLOCKER, "validate").returncode == 0
    done = python(BLOCKER, "render", "--out", str(tmp_path), "--live", "examples/live", "--now", "2026-11-25T15:00:00Z")
    assert done.returncode == 0, done.stderr[-3000:]


def complete(words: str, index: int) -> list[str]:
    """What bash completion offers for ``words`` (typer's completion protocol, as the shell script calls it)."""
    env = {**os.environ, "_FLEETC_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(index)}
    done = subprocess.run(
        [sys.executable, "-c", "from fleetc.cli.main import app; app(prog_name='fleetc')"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_completion_of_commands_and_their_choices() -> None:
    assert complete("fleetc pl", 1) == ["plan"]
    assert set(COMMANDS) == set(complete("fleetc ", 1))
    assert complete("fleetc plan --format ", 3) == ["text", "json", "markdown", "prometheus"]


def test_simulate_plots_without_matplotlib_are_refused_before_the_simulation(tmp_path: Path) -> None:
    done = python(BLOCKER, "simulate", "--scenario", "examples/scenarios/standard.yaml", "--out", str(tmp_path / "p"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == "--out: the plots need matplotlib: pip install 'fleetc[simulate]'"
