"""``fleetc init``: a scaffold that validates, plans, runs under Pulumi and never overwrites by surprise."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from typer.testing import CliRunner

from fleetc.cli.main import app
from fleetc.scaffold import DEFAULT_REQUIREMENT, TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.pulumi_mocks import run_program, stack_config  # noqa: E402


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "acme-fleet"
    result = invoke("init", str(target), "--region", "us-east-09")
    assert result.exit_code == 0, result.output
    return target


def empty_snapshot(tmp_path: Path, region: str) -> Path:
    """A management cluster with no hosted control plane yet: every cluster is new."""
    snapshot = tmp_path / "snapshot"
    (snapshot / region).mkdir(parents=True)
    (snapshot / region / "management.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": []}))
    return snapshot


def test_the_scaffold_validates_and_plans(repo: Path, tmp_path: Path) -> None:
    validated = invoke("validate", "--fleet", str(repo / "fleet"))
    assert validated.exit_code == 0, validated.output
    planned = invoke(
        "plan",
        "--fleet",
        str(repo / "fleet"),
        "--live",
        str(empty_snapshot(tmp_path, "us-east-09")),
        "--format",
        "json",
    )
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert plan["clusters"]["us-east-09/gpu-1"]["phase"] == "new"
    assert plan["steps"] == [] and plan["blocked"] == []


def test_the_scaffold_passes_the_policy_rules(repo: Path, tmp_path: Path) -> None:
    result = invoke("check", "--fleet", str(repo / "fleet"))
    assert result.exit_code == 0, result.output


def test_existing_files_are_listed_and_nothing_is_written(repo: Path) -> None:
    tenants = repo / "fleet" / "tenants.yaml"
    tenants.write_text("# mine\n")
    (repo / "fleet" / "regions" / "us-east-09.yaml").unlink()
    result = invoke("init", str(repo), "--region", "us-east-09")
    assert result.exit_code == 2
    assert str(tenants) in result.stderr and "--force" in result.stderr
    assert tenants.read_text() == "# mine\n"
    assert not (repo / "fleet" / "regions" / "us-east-09.yaml").exists()  # nothing at all was written
    forced = invoke("init", str(repo), "--region", "us-east-09", "--force")
    assert forced.exit_code == 0, forced.output
    assert tenants.read_text() != "# mine\n" and (repo / "fleet" / "regions" / "us-east-09.yaml").exists()


def test_other_files_in_the_directory_do_not_block_init(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hello\n")
    assert invoke("init", str(tmp_path)).exit_code == 0
    assert (tmp_path / "README.md").read_text() == "hello\n"


@pytest.mark.parametrize("flag", ["--region", "--tenant", "--cluster"])
def test_names_must_be_dns_labels(tmp_path: Path, flag: str) -> None:
    result = invoke("init", str(tmp_path / "x"), flag, "Not_A_Label")
    assert result.exit_code == 2 and "DNS-1123" in result.stderr
    assert not (tmp_path / "x").exists()


def test_init_into_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = invoke("init", str(tmp_path / "file"))
    assert result.exit_code == 2 and "not a directory" in result.stderr


def test_pulumi_project_is_python_with_a_pip_virtualenv(repo: Path) -> None:
    project = yaml.safe_load((repo / "Pulumi.yaml").read_text())
    assert project["name"] == "fleet"  # docs/spec.md section 1
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert project["stackConfigDir"] == "stacks"
    # Pulumi refuses typed config for keys outside the project's namespace ("fleetc:" is not "fleet:").
    for key, declaration in (project.get("config") or {}).items():
        if ":" in key and key.split(":", 1)[0] != project["name"]:
            assert not (isinstance(declaration, dict) and {"type", "default"} & set(declaration)), key
    text = (repo / "Pulumi.yaml").read_text()
    for key in ("fleetc:region", "fleetc:live", "fleetc:kubeconfig", "fleetc:now"):
        assert key in text  # documented, with `secret` for the kubeconfig
    assert "pulumi config set --secret fleetc:kubeconfig" in text


def test_the_stack_file_has_no_placeholder_secret(repo: Path) -> None:
    stack = yaml.safe_load((repo / "stacks" / "Pulumi.us-east-09.yaml").read_text())
    assert stack["config"] == {"fleetc:region": "us-east-09", "fleetc:live": "kube"}
    assert "secure" not in (repo / "stacks" / "Pulumi.us-east-09.yaml").read_text().replace("--secret", "")


def test_the_editor_validates_fleet_yaml_with_fleetc_schema(repo: Path) -> None:
    settings = json.loads((repo / ".vscode" / "settings.json").read_text())
    ((schema, globs),) = settings["yaml.schemas"].items()
    assert globs == ["fleet/**/*.yaml"]
    written = json.loads((repo / schema).read_text())
    assert written == json.loads(invoke("schema").stdout)


def test_the_program_and_workflows_are_this_repositorys(repo: Path) -> None:
    assert (repo / "__main__.py").read_bytes() == (ROOT / "__main__.py").read_bytes()
    assert (TEMPLATES / "__main__.py").read_bytes() == (ROOT / "__main__.py").read_bytes()
    for name in ("rollout.yaml", "drift.yaml"):
        assert (repo / ".github" / "workflows" / name).read_bytes() == (
            ROOT / ".github" / "workflows" / name
        ).read_bytes()


def test_requirements_default_to_a_placeholder_pip_refuses(repo: Path, tmp_path: Path) -> None:
    lines = [line for line in (repo / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    assert lines == [DEFAULT_REQUIREMENT] and re.search(r"\.invalid/", DEFAULT_REQUIREMENT)
    named = tmp_path / "named"
    requirement = "fleetc[pulumi] @ git+https://git.acme.test/platform/fleetc@v0.1.0"
    assert invoke("init", str(named), "--requirement", requirement).exit_code == 0
    assert requirement in (named / "requirements.txt").read_text().splitlines()


def test_gitignore_keeps_kubeconfigs_and_the_virtualenv_out(repo: Path) -> None:
    ignored = (repo / ".gitignore").read_text().splitlines()
    assert "venv/" in ignored and "*.kubeconfig" in ignored


def test_the_scaffold_runs_as_a_pulumi_program(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The new repository's own __main__.py under Pulumi mocks: a new cluster is created from nothing."""
    config = stack_config(repo / "stacks" / "Pulumi.us-east-09.yaml")
    config["fleetc:live"] = str(empty_snapshot(tmp_path, "us-east-09"))
    exported: dict[str, Any] = {}
    real_export = pulumi.export

    def record(name: str, value: Any) -> None:
        exported[name] = value
        real_export(name, value)

    monkeypatch.setattr(pulumi, "export", record)
    monkeypatch.chdir(repo)
    run = run_program(repo, "us-east-09", config)
    types = {r.type for r in run.registrations}
    assert {"fleetc:index:Region", "fleetc:index:HostedControlPlane", "fleetc:index:NodePool"} <= types
    assert any(r.name == "us-east-09/gpu-1/control-plane/tenantcontrolplane-gpu-1" for r in run.registrations)
    assert exported["clusters"] == {"us-east-09/gpu-1": "new"}
