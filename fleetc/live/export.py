"""Write a snapshot directory (docs/spec.md section 4) from the live API.

Each region is written to a scratch directory and then swapped in whole, so
a snapshot never mixes an old region with a new one, and a file that could
not be read this time is absent rather than stale. Absent files read back
as unknown (fail closed) except a customer file of a cluster with no control
plane, which is a new cluster both live and in the snapshot.

Objects are written in their projected form (:mod:`fleetc.live.wire`): the
kubectl List shape with the fields fleetc reads, a few MB for a cluster
whose full pod objects take hundreds.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fleetc.errors import fail
from fleetc.live.assemble import ReadFailure
from fleetc.live.kubeapi import ClusterOutcome, KubeOptions, fetch_region_lists
from fleetc.live.kubeconfig import KubeconfigSource
from fleetc.live.snapshot import MANAGEMENT_FILE
from fleetc.live.wire import KubeList, encode

ExportProgress = Callable[[str, str, ClusterOutcome], None]  # region, cluster, outcome


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    items: int
    size: int  # bytes


@dataclass
class ExportReport:
    """What was written and what could not be read (those files are absent from the snapshot)."""

    written: list[WrittenFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def export_snapshot(
    kubeconfig: KubeconfigSource,
    regions: Mapping[str, Sequence[str]],
    label_prefix: str,
    out: Path,
    *,
    options: KubeOptions | None = None,
    progress: ExportProgress | None = None,
) -> ExportReport:
    """Read every region's management and customer clusters and write ``out/<region>/*.json``.

    ``label_prefix`` is accepted for symmetry with the readers; the Lists
    are written as read. Raises FleetcError for an unusable kubeconfig or
    output directory; read failures are in the report.
    """
    del label_prefix  # the Lists are not interpreted here
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise fail(out, f"cannot create the snapshot directory {out}: {error.strerror or error}") from None
    report = ExportReport()
    several = len(regions) > 1
    for region, clusters in regions.items():

        def on_cluster(cluster: str, outcome: ClusterOutcome, region: str = region) -> None:
            if progress:
                progress(region, cluster, outcome)

        management, lists = fetch_region_lists(
            kubeconfig, region, clusters, options=options, on_cluster=on_cluster, require_region_context=several
        )
        _write_region(out, region, management, lists, report)
    return report


def _write_region(
    out: Path,
    region: str,
    management: KubeList | ReadFailure,
    lists: Mapping[str, KubeList | ReadFailure],
    report: ExportReport,
) -> None:
    scratch = out / f".{region}.partial-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        scratch.mkdir()
        files: dict[str, KubeList] = {}
        if isinstance(management, ReadFailure):
            report.problems.append(f"{region}: {management.reason}; {region}/{MANAGEMENT_FILE} not written")
        else:
            files[MANAGEMENT_FILE] = management
        for cluster, result in lists.items():
            if isinstance(result, ReadFailure):
                report.problems.append(f"{region}: {result.reason}; {region}/{cluster}.json not written")
            else:
                files[f"{cluster}.json"] = result
        for name, kube_list in files.items():
            data = encode(kube_list)
            (scratch / name).write_bytes(data + b"\n")
            report.written.append(WrittenFile(out / region / name, len(kube_list["items"]), len(data) + 1))
        _swap_in(scratch, out / region)
    except OSError as error:
        shutil.rmtree(scratch, ignore_errors=True)
        raise fail(out, f"cannot write the snapshot of {region} under {out}: {error.strerror or error}") from None


def _swap_in(scratch: Path, final: Path) -> None:
    """Replace ``final`` with ``scratch``: one rename each way, the old copy removed last."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        final.rename(old)
    scratch.rename(final)
    shutil.rmtree(old, ignore_errors=True)
