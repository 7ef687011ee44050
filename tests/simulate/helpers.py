"""Small fleets and scenarios for the simulator tests, written to a temp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from fleetc.simulate.scenario import Scenario, load_scenario
from fleetc.spec.fleet import FleetSpec
from fleetc.spec.loader import load_fleet

FLEET = """\
apiVersion: fleetc.dev/v1alpha1
kind: Fleet
metadata: {name: test}
spec:
  labelPrefix: fleet.test.io
  channels:
    stable: {kubernetes: "1.30.6", etcd: "3.5.16", nodeImage: "img-a"}
  instanceTypes:
    gpu8: {gpus: 8, cpus: 64, memoryGiB: 512}
---
apiVersion: fleetc.dev/v1alpha1
kind: Tenant
metadata: {name: lab}
spec: {approvers: ["ops@lab.example"]}
---
apiVersion: fleetc.dev/v1alpha1
kind: Region
metadata: {name: r1}
spec:
  failureDomains: [a, b]
  clusters:
    - name: train
      tenant: lab
      channel: stable
      upgrade: {approval: required, paused: true, window: {days: [sat], start: "02:00", hours: 1}}
      nodePools:
        - {name: gpu, instanceType: gpu8, count: 6, maxUnavailable: 2}
        - {name: spare, instanceType: gpu8, count: 3, maxUnavailable: 1}
"""


def write_fleet(root: Path) -> FleetSpec:
    fleet = root / "fleet"
    fleet.mkdir(parents=True, exist_ok=True)
    (fleet / "fleet.yaml").write_text(FLEET)
    return load_fleet(fleet)


def scenario_data(
    nodes: int = 4,
    max_unavailable: int | str = 1,
    zones: list[str] | None = None,
    load: float | None = None,
    arrivals_per_day: float | None = None,
    horizon_days: float = 10,
    failures: float = 0.0,
    **timing: float,
) -> dict[str, Any]:
    """A synthetic one-pool scenario; ``load``/``arrivals_per_day`` None: a tiny rate (no job in practice)."""
    jobs: dict[str, Any] = {
        "sizes": [{"nodes": 1, "weight": 2}, {"nodes": 2, "weight": 1}],
        "duration": {"meanHours": 10, "sigma": 1.0, "maxHours": 60},
        "checkpointMinutes": 60,
    }
    if load is not None:
        jobs["offeredLoad"] = load
    else:
        jobs["arrivalsPerDay"] = arrivals_per_day if arrivals_per_day is not None else 1e-9
    return {
        "apiVersion": "fleetc.dev/v1alpha1",
        "kind": "Scenario",
        "metadata": {"name": "test"},
        "spec": {
            "seed": 7,
            "start": "2025-03-03T00:00:00Z",
            "horizonDays": horizon_days,
            "from": {"kubernetes": "1.30.6", "etcd": "3.5.16", "nodeImage": "img-a"},
            "to": {"kubernetes": "1.31.2", "etcd": "3.5.16", "nodeImage": "img-b"},
            "timing": {
                "pulumiUpMinutes": timing.get("interval", 15),
                "reimageMinutes": timing.get("reimage", 45),
                "controlPlaneRollMinutes": timing.get("roll", 20),
            },
            "failures": {"perNodePerDay": failures, "repairHours": 6},
            "jobs": jobs,
            "synthetic": {
                "failureDomains": zones or ["a"],
                "pools": [{"name": "gpu", "instanceType": "gpu8", "nodes": nodes, "maxUnavailable": max_unavailable}],
            },
        },
    }


def write_scenario(root: Path, data: dict[str, Any], name: str = "scenario.yaml") -> Scenario:
    path = root / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_scenario(path)
