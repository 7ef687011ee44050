"""One entry point for live state: ``--live kube`` or ``--live <snapshot dir>``.

The split of errors: an argument that cannot work (a snapshot directory
that does not exist or holds no snapshot of any region read, no usable
kubeconfig) raises FleetcError, exit 2 with the fix, because the user typed
something wrong. Anything the clusters say, or fail to say, is live state:
unknowns inside the returned LiveState, which the planner turns into
"blocked: unknown-state" and no disruption (and a region whose management
cluster could not be read at all makes the command exit 2 after its output,
see :func:`fleetc.cli.options.exit_if_unusable`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from fleetc.errors import FleetcError, fail
from fleetc.live.facts import LiveState, RegionLive
from fleetc.live.kubeapi import KubeOptions, read_region
from fleetc.live.kubeconfig import KubeconfigSource, default_kubeconfig_path
from fleetc.live.snapshot import MANAGEMENT_FILE, read_snapshot

KUBE = "kube"


def read_live(
    source: str,
    regions: Mapping[str, Sequence[str]],
    label_prefix: str,
    kubeconfig: str | None = None,
    *,
    options: KubeOptions | None = None,
) -> LiveState:
    """Facts of every cluster of ``regions`` (region -> cluster names) from ``source``."""
    check_live_source(source, regions, kubeconfig)
    if source == KUBE:
        return LiveState(_from_kube(regions, label_prefix, kubeconfig, options))
    directory = Path(source).expanduser()
    return LiveState(
        {region: read_snapshot(directory, region, clusters, label_prefix) for region, clusters in regions.items()}
    )


def check_live_source(source: str, regions: Mapping[str, Sequence[str]], kubeconfig: str | None = None) -> None:
    """FleetcError (exit 2) when ``source`` cannot work at all, before anything is read or written.

    Commands that write files check this first, so a mistyped ``--live``
    leaves no output behind.
    """
    if source == KUBE:
        if (kubeconfig or default_kubeconfig_path()) is None:
            raise _no_kubeconfig()
        return
    directory = Path(source).expanduser()
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "does not exist"
        raise fail(
            None,
            f"live snapshot directory {source} {what}: pass --live kube, or a directory written by "
            "`fleetc live export --out DIR` (docs/spec.md section 4)",
        )
    if regions and not any((directory / region / MANAGEMENT_FILE).is_file() for region in regions):
        names = ", ".join(sorted(regions))
        raise fail(
            None,
            f"live snapshot directory {source} holds no snapshot of {'region' if len(regions) == 1 else 'any of'} "
            f"{names}: expected {Path(source) / '<region>' / MANAGEMENT_FILE} (and <cluster>.json beside it), "
            f"as `fleetc live export --out {source}` writes them (docs/spec.md section 4)",
        )


def _from_kube(
    regions: Mapping[str, Sequence[str]],
    label_prefix: str,
    kubeconfig: str | None,
    options: KubeOptions | None,
) -> dict[str, RegionLive]:
    config: KubeconfigSource | None = kubeconfig or default_kubeconfig_path()
    if config is None:
        raise _no_kubeconfig()
    several = len(regions) > 1
    return {
        region: read_region(config, region, clusters, label_prefix, options or KubeOptions(), several)
        for region, clusters in regions.items()
    }


def _no_kubeconfig() -> FleetcError:
    return fail(
        None,
        "--live kube needs the management cluster's kubeconfig: pass --kubeconfig PATH, set $KUBECONFIG, "
        "or set the stack secret fleetc:kubeconfig",
    )
