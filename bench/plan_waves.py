"""Benchmark: planning a fleet of 100 regions x 20 clusters, with and without waves across regions.

    python bench/plan_waves.py [--regions 100] [--clusters 20] [--repeat 3]

The fleet bumps a disruptive add-on (the GPU operator) everywhere; every cluster runs it at the old version and
is otherwise at its target (3 nodes each: the point is the number of clusters, not nodes). With waves, a canary
wave (the first cluster of the first region), a wave of the first ten regions, and the rest: every cluster of a
later wave asks whether the earlier waves ran the bump. The answer per (wave, change) is computed once
(``fleetc.plan.fleet_waves.WaveBook``), so the plan stays linear in the clusters; this prints the best of
``--repeat`` plans of the whole fleet (one ``plan()`` call over every region) each way, and their ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from plan.builders import NOW  # noqa: E402
from plan.rollouts import GPU_OPERATOR, OLD_GPU, fleet, member, record, settled, state  # noqa: E402

from fleetc.plan.model import Action  # noqa: E402
from fleetc.plan.planner import plan  # noqa: E402


def build(regions: int, clusters: int, waves: bool):  # type: ignore[no-untyped-def]
    layout = {f"r{r:03d}": [member(f"c{c:02d}") for c in range(clusters)] for r in range(regions)}
    rollout = [
        {"name": "canary", "clusters": ["r000/c00"], "soak": "24h"},
        {"name": "first-ten", "clusters": ["r00?/*"], "soak": "12h"},
        {"name": "rest", "clusters": ["*"]},
    ]
    spec = fleet(layout, waves=rollout if waves else None)
    live = state(
        *(
            settled(f"{region}/{c['name']}", record(spec, f"{region}/{c['name']}", {GPU_OPERATOR: OLD_GPU}))
            for region, members in layout.items()
            for c in members
        )
    )
    return spec, live


def best(spec, live, repeat: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    times, steps = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = plan(spec, live, [], NOW)
        times.append(time.perf_counter() - start)
        steps = sum(1 for s in result.steps if s.action is Action.UPDATE_ADDONS)
    return min(times), steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, default=100)
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    plain, with_waves = build(args.regions, args.clusters, False), build(args.regions, args.clusters, True)
    without, moving = best(*plain, args.repeat)
    waved, first = best(*with_waves, args.repeat)
    total = args.regions * args.clusters
    print(f"{total} clusters: without waves {without:.3f} s ({moving} update-addons steps)")
    print(f"{total} clusters: with waves    {waved:.3f} s ({first} update-addons steps: the canary)")
    print(f"ratio with/without: {waved / without:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
