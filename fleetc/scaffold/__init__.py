"""What ``fleetc init`` writes: a fleet repository that validates, plans and deploys as it is.

The files live in ``templates/`` as they are written; a few carry
``${name}`` placeholders (:data:`SUBSTITUTED`), filled by
:func:`string.Template`. Two templates are also this repository's own
files, byte for byte (tests keep them equal): the Pulumi program
``__main__.py`` and the rollout and drift workflows, so a new fleet runs
exactly the loop fleetc is tested with. The JSON Schema for editors is
generated (``fleetc schema``), never copied, so it always matches the loader.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path, PurePosixPath
from string import Template

from fleetc import __version__

TEMPLATES = Path(str(files("fleetc.scaffold") / "templates"))
SCHEMA_PATH = PurePosixPath(".fleetc/fleet.schema.json")
# Templates whose ${...} placeholders are filled; the others (workflows: ${{ }}) are copied verbatim.
SUBSTITUTED = frozenset(
    {
        "Pulumi.yaml",
        "requirements.txt",
        "fleet/fleet.yaml",
        "fleet/tenants.yaml",
        "fleet/regions/region.yaml",
        "stacks/Pulumi.region.yaml",
    }
)
# A host that can never resolve (RFC 2606): pip fails at once, and no package of that name on a
# public index can be installed in fleetc's place. `fleetc init --requirement` names the real one.
DEFAULT_REQUIREMENT = f"fleetc[pulumi] @ git+https://git.example.invalid/fleetc@v{__version__}"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class Settings:
    """The few names a new fleet needs; every one a DNS-1123 label (docs/spec.md section 2)."""

    fleet: str = "my-fleet"
    region: str = "site-1"
    tenant: str = "example"
    cluster: str = "gpu-1"
    approver: str = "platform@example.com"
    label_prefix: str = "fleet.example.com"
    requirement: str = DEFAULT_REQUIREMENT

    def problems(self) -> list[str]:
        """What is wrong with the names given, as ``--option value: why`` lines."""
        found = []
        for option in ("fleet", "region", "tenant", "cluster"):
            value = getattr(self, option)
            if not DNS_LABEL.match(value):
                found.append(f"--{option} {value!r}: not a DNS-1123 label (lowercase letters, digits and '-')")
        return found


def scaffold_files(settings: Settings) -> dict[PurePosixPath, str]:
    """Relative path -> text of every file ``fleetc init`` writes, sorted by path."""
    from fleetc.spec.schema import json_schema

    values = {
        "fleet": settings.fleet,
        "region": settings.region,
        "tenant": settings.tenant,
        "cluster": settings.cluster,
        "approver": settings.approver,
        "label_prefix": settings.label_prefix,
        "requirement": settings.requirement,
        "version": __version__,
        "description": json.dumps(f"The GPU fleet {settings.fleet} as code, one stack per region (fleetc)."),
    }
    out: dict[PurePosixPath, str] = {}
    for path in sorted(p for p in TEMPLATES.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        relative = PurePosixPath(path.relative_to(TEMPLATES).as_posix())
        text = path.read_text(encoding="utf-8")
        if str(relative) in SUBSTITUTED:
            text = Template(text).substitute(values)
        out[_target(relative, settings)] = text
    out[SCHEMA_PATH] = json.dumps(json_schema(), indent=2) + "\n"
    return dict(sorted(out.items()))


def _target(relative: PurePosixPath, settings: Settings) -> PurePosixPath:
    """Templates named for a region are written under the region's name."""
    if relative == PurePosixPath("stacks/Pulumi.region.yaml"):
        return PurePosixPath(f"stacks/Pulumi.{settings.region}.yaml")
    if relative == PurePosixPath("fleet/regions/region.yaml"):
        return PurePosixPath(f"fleet/regions/{settings.region}.yaml")
    return relative
