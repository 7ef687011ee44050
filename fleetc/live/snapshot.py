"""Live state from a snapshot directory (docs/spec.md section 4).

::

    <dir>/<region>/management.json   kubectl get deploy,sts -A -o json   (management cluster)
    <dir>/<region>/<cluster>.json    kubectl get nodes,pods -A -o json   (customer cluster)

Every unreadable file becomes an unknown with its path and the fix in the
reason; nothing here raises for bad content. Whether the snapshot directory
itself exists is the caller's question (:func:`fleetc.live.read.read_live`),
because a missing directory is a mistyped argument, not live state.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from fleetc.live.assemble import Missing, ReadFailure, Source, assemble_region, unknown_region
from fleetc.live.facts import RegionLive
from fleetc.live.wire import KubeList, ListError, decode_list
from fleetc.memory import gc_paused

MANAGEMENT_FILE = "management.json"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def read_snapshot(directory: Path, region: str, clusters: Sequence[str], label_prefix: str) -> RegionLive:
    """Facts of ``clusters`` of ``region`` from ``directory``; unreadable parts are unknown."""
    with gc_paused():  # see fleetc.memory: the Lists die inside _read, before the GC is back
        return _read(directory, region, clusters, label_prefix)


def _read(directory: Path, region: str, clusters: Sequence[str], label_prefix: str) -> RegionLive:
    region_dir = directory / region
    if not _SAFE_NAME.match(region):
        return unknown_region(region, clusters, [f"region name {region!r} cannot name a snapshot directory"])
    management = load_list(region_dir / MANAGEMENT_FILE)
    if isinstance(management, Missing):
        management = ReadFailure(
            f"{region_dir / MANAGEMENT_FILE} not found: run `fleetc live export --region {region}` "
            "or save `kubectl get deploy,sts -A -o json` of the management cluster there"
        )
    if isinstance(management, ReadFailure):
        # Skip the customer files: without the management List nothing about them can be trusted.
        return unknown_region(region, clusters, [management.reason])
    cluster_lists: dict[str, Source] = {}
    for name in clusters:
        if not _SAFE_NAME.match(name):
            cluster_lists[name] = ReadFailure(f"cluster name {name!r} cannot name a snapshot file")
            continue
        source = load_list(region_dir / f"{name}.json")
        if isinstance(source, Missing):
            source = Missing(
                f"{region_dir / name}.json not found although the control plane exists: "
                f"save `kubectl get nodes,pods -A -o json` of cluster {name} there"
            )
        cluster_lists[name] = source
    return assemble_region(region, clusters, management, cluster_lists, label_prefix)


def load_list(path: Path) -> KubeList | ReadFailure | Missing:
    """One snapshot file as a projected List, or why not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Missing(f"{path} not found")
    except OSError as error:
        return ReadFailure(f"cannot read {path}: {error.strerror or error}")
    try:
        return decode_list(data, what=str(path))
    except ListError as error:
        return ReadFailure(str(error))
