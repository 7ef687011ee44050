"""How far fleetc's makespan is from its lower bound, across seeds and busy-node policies.

    python bench/simulate_sensitivity.py [--scenario examples/scenarios/standard.yaml]
        [--seeds 1,2,3,4,5,6,7,8,9,10] [--fleet fleet] [--sweep] [--every-interval]

Runs only the fleetc strategy of ``fleetc simulate`` for each seed under
each variant of ``upgrade.busyNodes`` (docs/planner.md, "Busy nodes") and
prints a markdown table per seed (makespan / lower bound, idle GPU-hours
held, mean queue wait, jobs started on outdated nodes, jobs interrupted,
GPU-hours lost) and a summary per variant:

- ``default``: the scenario as written, so fleetc's default policy unless
  the scenario sets ``busyNodes``;
- ``PreferNoSchedule-only``: ``{escalateAfter: never, escalateWhenRemaining: 0}``
  (the taint never escalates: fleetc before busyNodes);
- ``NoSchedule-only``: ``{escalateAfter: 0m}`` (every pending node NoSchedule at once).

``--sweep`` adds the grid the default was chosen from (docs/performance.md).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from fleetc.plan.planner import plan
from fleetc.simulate.run import simulate
from fleetc.simulate.scenario import load_scenario
from fleetc.spec.loader import load_fleet

BASE: dict[str, dict[str, Any] | None] = {
    "default": None,
    "PreferNoSchedule-only": {"escalateAfter": "never", "escalateWhenRemaining": 0},
    "NoSchedule-only": {"escalateAfter": "0m"},
}
SWEEP: dict[str, dict[str, Any] | None] = {
    "after 6h": {"escalateAfter": "6h", "escalateWhenRemaining": 0},
    "after 24h": {"escalateAfter": "24h", "escalateWhenRemaining": 0},
    "after 72h": {"escalateAfter": "72h", "escalateWhenRemaining": 0},
    "remaining 2%": {"escalateAfter": "never", "escalateWhenRemaining": "2%"},
    "remaining 5%": {"escalateAfter": "never", "escalateWhenRemaining": "5%"},
    "remaining 10%": {"escalateAfter": "never", "escalateWhenRemaining": "10%"},
    "24h or 5%": {"escalateAfter": "24h", "escalateWhenRemaining": "5%"},
    "72h or 5%": {"escalateAfter": "72h", "escalateWhenRemaining": "5%"},
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=Path("examples/scenarios/standard.yaml"))
    parser.add_argument("--fleet", type=Path, default=Path("fleet"))
    parser.add_argument("--seeds", default="1,2,3,4,5,6,7,8,9,10")
    parser.add_argument("--sweep", action="store_true", help="also the policy grid the default was chosen from")
    parser.add_argument("--every-interval", action="store_true", help="call plan() every interval (slower)")
    args = parser.parse_args(argv)
    fleet = load_fleet(args.fleet)
    base = yaml.safe_load(args.scenario.read_text())
    seeds = [int(s) for s in args.seeds.split(",")]
    variants = {**BASE, **(SWEEP if args.sweep else {})}
    print("| variant | seed | lower bound, h | makespan, h | vs bound | idle GPU-h held | mean wait, h | "
          "jobs on outdated (on pending) | interrupted | lost GPU-h |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    summary: dict[str, list[tuple[float | None, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, policy in variants.items():
            data = copy.deepcopy(base)
            if policy is not None:
                data["spec"]["busyNodes"] = policy
            path = Path(tmp) / "scenario.yaml"
            path.write_text(yaml.safe_dump(data, sort_keys=False))
            scenario = load_scenario(path)
            for seed in seeds:
                comparison = simulate(
                    scenario, fleet, seed=seed, strategies=["fleetc"], planner=plan,
                    skip_unchanged=not args.every_interval,
                )
                result = comparison.results["fleetc"].to_json()
                bound = comparison.bound.hours
                makespan = result["makespan_hours"]
                over = (makespan / bound - 1) * 100 if makespan is not None else None
                summary.setdefault(name, []).append((over, result["idle_cordoned_gpu_hours"]))
                shown = f"{makespan:.1f}" if makespan is not None else f">= {result['makespan_at_least_hours']:.0f}"
                ratio = f"{over:+.1f}%" if over is not None else "unfinished"
                print(
                    f"| {name} | {seed} | {bound:.1f} | {shown} | {ratio} | {result['idle_cordoned_gpu_hours']:,.0f} | "
                    f"{result['mean_queue_wait_hours']:.2f} | {result['jobs_started_on_outdated_nodes']} "
                    f"({result['jobs_started_on_pending_nodes']}) | {result['jobs_interrupted']} | "
                    f"{result['gpu_hours_lost']:,.0f} |",
                    flush=True,
                )
    print()
    print("| variant | worst vs bound | mean vs bound | seeds within 5% | mean idle GPU-h held |")
    print("|---|---|---|---|---|")
    for name, rows in summary.items():
        overs = [o for o, _ in rows if o is not None]
        worst = f"{max(overs):+.1f}%" if len(overs) == len(rows) else "unfinished"
        within = sum(1 for o in overs if o <= 5.0)
        print(
            f"| {name} | {worst} | {statistics.mean(overs):+.1f}% | {within} of {len(rows)} | "
            f"{statistics.mean(h for _, h in rows):,.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
