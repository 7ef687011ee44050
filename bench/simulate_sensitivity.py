"""How far fleetc's makespan is from its lower bound: the rollout simulator across seeds and what-ifs.

    python bench/simulate_sensitivity.py [--scenario examples/scenarios/standard.yaml]
        [--seeds 1,2,3,4,5] [--fleet fleet]

Runs only the fleetc strategy of ``fleetc simulate`` for each seed under three
variants and prints a markdown table (makespan / lower bound, idle GPU-hours
held, mean queue wait, jobs started on outdated nodes, hours halted):

- ``as-is``: the scenario as written (PreferNoSchedule, hardware failures);
- ``no-failures``: ``failures.perNodePerDay: 0``;
- ``NoSchedule``: ``scheduler.pendingTaintEffect: NoSchedule`` (what if the
  pending taint were hard).

The planner reimages only Ready nodes (docs/planner.md): a node down for a
hardware repair no longer trips ``nodeTimeoutMinutes`` and halts its pool.
Until that change, this script carried it as an experiment on the planner's
output; the numbers before and after are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from fleetc.plan.planner import plan
from fleetc.simulate.run import simulate
from fleetc.simulate.scenario import load_scenario
from fleetc.spec.loader import load_fleet

VARIANTS: dict[str, dict[str, Any]] = {
    "as-is": {},
    "no-failures": {"failures": {"perNodePerDay": 0}},
    "NoSchedule": {"scheduler": {"pendingTaintEffect": "NoSchedule"}},
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=Path("examples/scenarios/standard.yaml"))
    parser.add_argument("--fleet", type=Path, default=Path("fleet"))
    parser.add_argument("--seeds", default="1,2,3,4,5")
    args = parser.parse_args(argv)
    fleet = load_fleet(args.fleet)
    base = yaml.safe_load(args.scenario.read_text())
    seeds = [int(s) for s in args.seeds.split(",")]
    print("| variant | seed | lower bound, h | fleetc makespan, h | vs bound | idle GPU-h held | "
          "mean wait, h | jobs on outdated (on pending) | halted, h |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, patch in VARIANTS.items():
            data = copy.deepcopy(base)
            for key, value in patch.items():
                data["spec"][key] = {**data["spec"].get(key, {}), **value}
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(yaml.safe_dump(data, sort_keys=False))
            scenario = load_scenario(path)
            for seed in seeds:
                comparison = simulate(scenario, fleet, seed=seed, strategies=["fleetc"], planner=plan)
                result = comparison.results["fleetc"].to_json()
                bound = comparison.bound.hours
                makespan = result["makespan_hours"]
                shown = f"{makespan:.1f}" if makespan is not None else f">= {result['makespan_at_least_hours']:.0f}"
                ratio = f"{(makespan / bound - 1) * 100:+.1f}%" if makespan is not None else "unfinished"
                print(
                    f"| {name} | {seed} | {bound:.1f} | {shown} | {ratio} | {result['idle_cordoned_gpu_hours']:,.0f} | "
                    f"{result['mean_queue_wait_hours']:.2f} | {result['jobs_started_on_outdated_nodes']} "
                    f"({result['jobs_started_on_pending_nodes']}) | "
                    f"{result['blocked_cluster_hours'].get('halted', 0):.1f} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
