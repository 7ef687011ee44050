"""Live state from the Kubernetes API of a region's management cluster and its customer clusters.

Reads only what the facts need:

- management cluster, per cluster: GET ``Deployment cp-<c>/kube-apiserver`` and
  ``StatefulSet cp-<c>/etcd`` (404: absent; both absent: a new cluster, not read further);
- then, for clusters that exist, the Cluster API convention for credentials:
  Secret ``cp-<c>/<c>-kubeconfig``, key ``value`` (a kubeconfig);
- customer cluster: LIST nodes, and LIST pods with
  ``fieldSelector=status.phase!=Succeeded,status.phase!=Failed`` (finished pods never make a node busy),
  paginated.

The results are the same kubectl Lists a snapshot holds, so
:mod:`fleetc.live.parse` reads both and ``fleetc live export`` writes them.

Failure granularity, always failing closed: if any control-plane GET fails
for good, the management List as a whole is a :class:`ReadFailure` (a List
missing one cluster's objects would read as "that cluster is new"); a failed
customer cluster is a :class:`ReadFailure` for that cluster only.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import functools
import random
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fleetc.errors import fail
from fleetc.live.assemble import ReadFailure, assemble_region
from fleetc.live.facts import RegionLive
from fleetc.live.kubeconfig import Endpoint, KubeconfigError, endpoint, load_kubeconfig, looks_like_text
from fleetc.live.kubehttp import ApiError, KubeHttp, RetryPolicy
from fleetc.live.parse import control_plane_namespace
from fleetc.live.wire import KubeList, KubeObject, decode_object, new_list

T = TypeVar("T")

RUNNING_PODS = "status.phase!=Succeeded,status.phase!=Failed"
ClusterOutcome = KubeList | ReadFailure | None  # None: no control plane, nothing to read
ProgressCallback = Callable[[str, ClusterOutcome], None]


@dataclass(frozen=True)
class KubeOptions:
    """How hard to try. Defaults suit a real region; tests shrink the waits."""

    timeout: float = 30.0
    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 10.0
    max_retry_after: float = 30.0
    concurrency: int = 8  # customer clusters read at once (and connections to the management cluster)
    limit: int = 500  # items per page

    @property
    def policy(self) -> RetryPolicy:
        return RetryPolicy(self.attempts, self.timeout, self.backoff, self.max_backoff, self.max_retry_after)


def management_endpoint(kubeconfig: str | Path, region: str, *, require_region_context: bool = False) -> Endpoint:
    """The management cluster of ``region``: the kubeconfig context named after the region, else the current one.

    With ``require_region_context`` (several regions, one kubeconfig) a
    missing region context is an error rather than a silent read of the
    same cluster for every region.
    """
    origin = "the kubeconfig given inline" if looks_like_text(kubeconfig) else f"kubeconfig {kubeconfig}"
    config = load_kubeconfig(kubeconfig, origin=origin)
    if region in config.contexts:
        context: str | None = region
    elif require_region_context:
        raise KubeconfigError(
            f"{origin} has no context named {region!r} (it has: {', '.join(sorted(config.contexts)) or 'none'}); "
            "with several regions, name each management cluster's context after its region"
        )
    else:
        context = None
    return endpoint(config, name=f"management cluster of {region}", context=context, origin=origin)


def read_kube(
    kubeconfig: str | Path,
    region: str,
    clusters: Sequence[str],
    label_prefix: str,
    *,
    timeout: float = 30.0,
    attempts: int = 5,
    backoff: float = 0.5,
    max_backoff: float = 10.0,
    concurrency: int = 8,
    limit: int = 500,
    require_region_context: bool = False,
) -> RegionLive:
    """Facts of ``clusters`` of ``region`` from the live API; raises FleetcError only for an unusable kubeconfig."""
    options = KubeOptions(timeout, attempts, backoff, max_backoff, concurrency=concurrency, limit=limit)
    return read_region(kubeconfig, region, clusters, label_prefix, options, require_region_context)


def read_region(
    kubeconfig: str | Path,
    region: str,
    clusters: Sequence[str],
    label_prefix: str,
    options: KubeOptions,
    require_region_context: bool = False,
) -> RegionLive:
    """:func:`read_kube` with its settings in one object (for :func:`fleetc.live.read.read_live`).

    Unlike the snapshot reader, this does not pause the GC across the read:
    measured, that keeps ~200 MB of finished HTTP responses (held in
    reference cycles) alive on the 100,000-pod benchmark, for no clear gain.
    """
    management, lists = fetch_region_lists(
        kubeconfig, region, clusters, options=options, require_region_context=require_region_context
    )
    return assemble_region(region, clusters, management, lists, label_prefix)


def fetch_region_lists(
    kubeconfig: str | Path,
    region: str,
    clusters: Sequence[str],
    *,
    options: KubeOptions | None = None,
    on_cluster: ProgressCallback | None = None,
    require_region_context: bool = False,
) -> tuple[KubeList | ReadFailure, dict[str, KubeList | ReadFailure]]:
    """The management List and each existing cluster's List (or why it could not be read).

    Clusters without a control plane are not in the returned dict. Raises
    FleetcError when the kubeconfig itself is unusable.
    """
    try:
        management = management_endpoint(kubeconfig, region, require_region_context=require_region_context)
    except KubeconfigError as error:
        where = "<inline kubeconfig>" if looks_like_text(kubeconfig) else str(kubeconfig)
        raise fail(where, str(error)) from None
    return run_sync(fetch_region_lists_async(management, clusters, options or KubeOptions(), on_cluster=on_cluster))


async def fetch_region_lists_async(
    management: Endpoint,
    clusters: Sequence[str],
    options: KubeOptions,
    *,
    on_cluster: ProgressCallback | None = None,
    rng: random.Random | None = None,
) -> tuple[KubeList | ReadFailure, dict[str, KubeList | ReadFailure]]:
    """Async core of :func:`fetch_region_lists`, for callers that already run an event loop."""
    rng = rng or random.Random()
    gate = asyncio.Semaphore(options.concurrency)
    async with management.client(options.timeout, options.concurrency) as client:
        api = KubeHttp(client, management.name, options.policy, rng)
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(_control_plane(api, name, gate)) for name in clusters]
        except ExceptionGroup as errors:
            return ReadFailure(_first_expected(errors)), {}
        planes = [task.result() for task in tasks]
        management_list = new_list([obj for pair in planes for obj in pair if obj is not None])
        existing = [name for name, pair in zip(clusters, planes, strict=True) if any(obj is not None for obj in pair)]
        if on_cluster:
            for name in clusters:
                if name not in existing:
                    on_cluster(name, None)
        async with asyncio.TaskGroup() as group:
            reads = {name: group.create_task(_customer(api, name, gate, options, rng, on_cluster)) for name in existing}
    return management_list, {name: task.result() for name, task in reads.items()}


async def _control_plane(api: KubeHttp, cluster: str, gate: asyncio.Semaphore) -> tuple[KubeObject | None, ...]:
    namespace = control_plane_namespace(cluster)
    wanted = (("deployments", "kube-apiserver", "Deployment"), ("statefulsets", "etcd", "StatefulSet"))
    found: list[KubeObject | None] = []
    async with gate:
        for resource, name, kind in wanted:
            path = f"apis/apps/v1/namespaces/{namespace}/{resource}/{name}"
            obj = await api.get_object(path, functools.partial(decode_object, what=f"GET {path}"))
            if obj is not None:
                obj["kind"], obj["apiVersion"] = kind, "apps/v1"
            found.append(obj)
    return tuple(found)


async def _customer(
    api: KubeHttp,
    cluster: str,
    gate: asyncio.Semaphore,
    options: KubeOptions,
    rng: random.Random,
    on_cluster: ProgressCallback | None,
) -> KubeList | ReadFailure:
    """A customer cluster's Nodes+Pods List, or why it could not be read (never raises for I/O)."""
    async with gate:
        try:
            target = await _customer_endpoint(api, cluster)
            async with target.client(options.timeout, 2) as client:
                customer = KubeHttp(client, target.name, options.policy, rng)
                async with asyncio.TaskGroup() as group:
                    nodes = group.create_task(
                        customer.list_items("api/v1/nodes", kind="Node", api_version="v1", limit=options.limit)
                    )
                    pods = group.create_task(
                        customer.list_items(
                            "api/v1/pods",
                            kind="Pod",
                            api_version="v1",
                            limit=options.limit,
                            params={"fieldSelector": RUNNING_PODS},
                        )
                    )
            outcome: KubeList | ReadFailure = new_list(nodes.result() + pods.result())
        except KubeconfigError as error:
            outcome = ReadFailure(f"cluster {cluster}: {error}")
        except ApiError as error:
            outcome = ReadFailure(str(error))
        except ExceptionGroup as errors:
            outcome = ReadFailure(_first_expected(errors))
    if on_cluster:
        on_cluster(cluster, outcome)
    return outcome


async def _customer_endpoint(api: KubeHttp, cluster: str) -> Endpoint:
    """Credentials of a customer cluster from the Cluster API kubeconfig Secret in its control-plane namespace."""
    namespace = control_plane_namespace(cluster)
    where = f"Secret {namespace}/{cluster}-kubeconfig"
    path = f"api/v1/namespaces/{namespace}/secrets/{cluster}-kubeconfig"
    secret = await api.get_object(path, lambda data: decode_object(data, what=f"GET {path}", project=False))
    if secret is None:
        raise KubeconfigError(f"{where} not found in the management cluster, so the cluster cannot be read")
    text = _secret_value(secret, where)
    return endpoint(load_kubeconfig(text, origin=where), name=f"cluster {cluster}", origin=where)


def _secret_value(secret: dict[str, Any], where: str) -> str:
    data = secret.get("data")
    value = data.get("value") if isinstance(data, dict) else None
    if not isinstance(value, str):
        raise KubeconfigError(f"{where} has no data.value (the Cluster API kubeconfig key)")
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise KubeconfigError(f"{where}: data.value is not base64 of a UTF-8 kubeconfig") from None


def _first_expected(errors: ExceptionGroup[Exception]) -> str:
    """The first read failure in a task group's errors; anything else is a bug and is re-raised."""
    expected, unexpected = errors.split((ApiError, KubeconfigError))
    if unexpected is not None or expected is None:
        raise errors
    first: BaseException = expected
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return str(first)


def run_sync(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, also when this thread already runs a loop (Pulumi programs)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()
