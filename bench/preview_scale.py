"""Benchmark: ``fleetc preview`` of the same one-pool change in fleets of 1, 10 and 100 regions.

    python bench/preview_scale.py [--regions 1,10,100] [--clusters 4] [--pools 2] [--repeat 3]

For each size, a generated fleet (bench/validate_large.py's generator) is
committed in a temporary git repository, one pool's count in the first
region is changed in a second commit, and ``build_preview(repo, HEAD~1,
HEAD)`` -- what ``fleetc preview --base HEAD~1`` runs, without printing --
is timed in this process: CPU seconds of this process plus the git
processes it started and reaped (``getrusage``), best of ``--repeat``. The
same preview with ``whole=True`` (every file of both sides read, as before
the change's reach was computed, and as ``--live`` still does) is timed
alongside, and the files parsed by each are counted. The ratios to the
1-region fleet are printed from the same run: a change in one region
should cost about the same whatever the fleet's size (goal: 100 regions
within 3x of 1 region).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from validate_large import write_fleet  # noqa: E402

import fleetc.spec.loader as loader  # noqa: E402
from fleetc.preview.build import build_preview  # noqa: E402

PARSED = [0]  # files parsed (fleetc.spec.source.read_file calls made by the loader)
_read_file = loader.read_file


def _counting_read_file(*args, **kwargs):  # type: ignore[no-untyped-def]
    PARSED[0] += 1
    return _read_file(*args, **kwargs)


loader.read_file = _counting_read_file


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


def cpu() -> float:
    """CPU seconds of this process and of its reaped children (the git processes of a preview)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cpu_seconds(repo: Path, repeat: int, whole: bool) -> tuple[float, int, int]:
    """(best CPU seconds, resources changed, files parsed in one preview)."""
    best = float("inf")
    changed = parsed = 0
    for _ in range(repeat):
        PARSED[0] = 0
        start = cpu()
        preview = build_preview(repo, "HEAD~1", "HEAD", whole=whole)
        best = min(best, cpu() - start)
        parsed = PARSED[0]
        assert preview.resources is not None
        changed = len(preview.resources.meaningful)
    return best, changed, parsed


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
            scoped = cpu_seconds(repo, args.repeat, whole=False)
            whole = cpu_seconds(repo, args.repeat, whole=True)
            assert scoped[1] == whole[1], "the scoped preview must change what the whole one changes"
            rows.append((regions, scoped, whole))
    first, first_whole = rows[0][1][0], rows[0][2][0]
    print(
        f"{'regions':>8} {'clusters':>9} {'files':>6} {'cpu s':>8} {'ratio':>7} {'parsed':>7}"
        f" {'whole cpu s':>12} {'ratio':>7} {'parsed':>7} {'resources changed':>18}"
    )
    for regions, (seconds, changed, parsed), (whole_s, _, whole_parsed) in rows:
        files = regions + 2 + regions * args.clusters // 10  # regions, fleet.yaml, tenants.yaml, approvals
        print(
            f"{regions:>8} {regions * args.clusters:>9} {files:>6} {seconds:>8.3f} {seconds / first:>6.2f}x"
            f" {parsed:>7} {whole_s:>12.3f} {whole_s / first_whole:>6.2f}x {whole_parsed:>7} {changed:>18}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
