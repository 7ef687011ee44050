"""Benchmark: ``fleetc preview`` of the same one-pool change in fleets of 1, 10 and 100 regions.

    python bench/preview_scale.py [--regions 1,10,100] [--clusters 4] [--pools 2] [--repeat 3]

For each size, a generated fleet (bench/validate_large.py's generator) is
committed in a temporary git repository, one pool's count in the first
region is changed in a second commit, and ``build_preview(repo, HEAD~1,
HEAD)`` -- what ``fleetc preview --base HEAD~1`` runs, without printing --
is timed in this process (CPU seconds, best of ``--repeat``). The ratios to
the 1-region fleet are printed from the same run: a change in one region
should cost about the same whatever the fleet's size (goal: 100 regions
within 3x of 1 region).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from validate_large import write_fleet  # noqa: E402

from fleetc.preview.build import build_preview  # noqa: E402


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def make_repo(where: Path, regions: int, clusters: int, pools: int) -> Path:
    repo = where / f"fleet-{regions}"
    write_fleet(repo / "fleet", regions, clusters, pools)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "bench")
    git(repo, "config", "user.email", "bench@example.invalid")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "fleet")
    region = repo / "fleet" / "regions" / "site-000.yaml"
    text = region.read_text()
    marker = "count: "
    at = text.index(marker) + len(marker)
    end = text.index("\n", at)
    region.write_text(text[:at] + str(int(text[at:end]) + 8) + text[end:])
    git(repo, "commit", "-qam", "one pool grows")
    return repo


def cpu_seconds(repo: Path, repeat: int) -> tuple[float, int]:
    best = float("inf")
    changed = 0
    for _ in range(repeat):
        start = time.process_time()
        preview = build_preview(repo, "HEAD~1", "HEAD")
        best = min(best, time.process_time() - start)
        assert preview.resources is not None
        changed = len(preview.resources.meaningful)
    return best, changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regions", default="1,10,100")
    parser.add_argument("--clusters", type=int, default=4)
    parser.add_argument("--pools", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(n) for n in args.regions.split(",")]
    with tempfile.TemporaryDirectory(prefix="fleetc-preview-") as scratch:
        rows = []
        for regions in sizes:
            repo = make_repo(Path(scratch), regions, args.clusters, args.pools)
            seconds, changed = cpu_seconds(repo, args.repeat)
            rows.append((regions, seconds, changed))
    first = rows[0][1]
    print(f"{'regions':>8} {'clusters':>9} {'cpu s (best)':>13} {'ratio':>7} {'resources changed':>18}")
    for regions, seconds, changed in rows:
        print(f"{regions:>8} {regions * args.clusters:>9} {seconds:>13.3f} {seconds / first:>6.2f}x {changed:>18}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
