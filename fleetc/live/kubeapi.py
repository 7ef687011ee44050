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

Trust: the management cluster's kubeconfig is the operator's
(:func:`~fleetc.live.kubeconfig.load_operator_kubeconfig`, exec plugins and
files allowed); a customer cluster's kubeconfig comes from a Secret, so it
is loaded with :func:`~fleetc.live.kubeconfig.load_cluster_kubeconfig`
(inline credentials only). A Secret whose kubeconfig would run a command,
read a local file or use a proxy makes that cluster unknown, with the
reason, and nothing in it moves.

Bounds (:class:`KubeOptions`): besides the per-request caps of
:mod:`fleetc.live.kubehttp`, each customer cluster's whole read (its Secret,
nodes and pods) has ``cluster_deadline`` seconds, counted from when it
starts (not while it waits for a free slot), and the management cluster's
control-plane reads have ``management_deadline``; past either, that cluster
(or the whole region) is unknown with a reason that names the cap.
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
from typing import Any, TypeVar

from fleetc import conventions
from fleetc.conventions import CLUSTER_CONFIGMAP, control_plane_namespace
from fleetc.errors import FleetcError, Pos
from fleetc.live.assemble import ReadFailure, assemble_region
from fleetc.live.facts import RegionLive
from fleetc.live.kubeconfig import (
    Endpoint,
    KubeconfigError,
    KubeconfigSource,
    endpoint,
    load_cluster_kubeconfig,
    load_operator_kubeconfig,
)
from fleetc.live.kubeexec import DEFAULT_TIMEOUT as EXEC_TIMEOUT
from fleetc.live.kubehttp import ApiError, KubeHttp, MiB, ReadCaps, RetryPolicy, cap_hint
from fleetc.live.wire import KubeList, KubeObject, decode_object, new_list

T = TypeVar("T")

RUNNING_PODS = "status.phase!=Succeeded,status.phase!=Failed"
ClusterOutcome = KubeList | ReadFailure | None  # None: no control plane, nothing to read
ProgressCallback = Callable[[str, ClusterOutcome], None]


@dataclass(frozen=True)
class KubeOptions:
    """How hard to try, and how much any one server may cost. Defaults suit a real region; tests shrink them.

    The caps are far above what a healthy cluster needs and low enough that
    a broken or hostile server cannot hang ``fleetc plan`` or exhaust memory:

    - ``max_response_bytes`` 100 MiB per response (one page): a page of 500
      full pods (managedFields, container specs) is about 1.3 MB in the
      benchmark of docs/performance.md, so this is some 80 times that.
    - ``max_list_objects`` 500,000 objects per LIST (1,001 pages at the
      default ``limit`` of 500; a smaller ``limit`` means more pages, not
      fewer objects): Kubernetes supports up to 150,000 pods and 5,000 nodes
      per cluster, so this leaves more than three times the largest.
    - ``cluster_deadline`` 300 s for one customer cluster's whole read
      (Secret, nodes, pods, every retry): the 100,000-pod benchmark is read
      end to end in under 4 s, and one request may use its whole retry
      budget within it (5 attempts of 30 s, waits of at most 30 s between
      them: 270 s), while a server that drips bytes or pages is cut off.
    - ``management_deadline`` 300 s for the control-plane reads of a region's
      management cluster (two small GETs per cluster), for the same reasons.
    - ``exec_timeout`` 60 s for the operator's exec credential plugin.
    """

    timeout: float = 30.0
    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 10.0
    max_retry_after: float = 30.0
    concurrency: int = 8  # customer clusters read at once (and connections to the management cluster)
    limit: int = 500  # items per page
    max_response_bytes: int = 100 * MiB
    max_list_objects: int = 500_000
    cluster_deadline: float = 300.0  # seconds
    management_deadline: float = 300.0  # seconds
    exec_timeout: float = EXEC_TIMEOUT  # seconds

    @property
    def policy(self) -> RetryPolicy:
        return RetryPolicy(self.attempts, self.timeout, self.backoff, self.max_backoff, self.max_retry_after)

    @property
    def caps(self) -> ReadCaps:
        return ReadCaps(self.max_response_bytes, self.max_list_objects)


def management_endpoint(
    kubeconfig: KubeconfigSource,
    region: str,
    *,
    require_region_context: bool = False,
    exec_timeout: float = EXEC_TIMEOUT,
) -> Endpoint:
    """The management cluster of ``region``: the kubeconfig context named after the region, else the current one.

    The kubeconfig is the operator's own (full kubectl semantics). With
    ``require_region_context`` (several regions, one kubeconfig) a missing
    region context is an error rather than a silent read of the same
    cluster for every region.
    """
    config = load_operator_kubeconfig(kubeconfig)
    if region in config.contexts:
        context: str | None = region
    elif require_region_context:
        raise KubeconfigError(
            Pos(config.display),
            f"no context named {region!r} (it has: {', '.join(sorted(config.contexts)) or 'none'}); "
            "with several regions, name each management cluster's context after its region",
        )
    else:
        context = None
    return endpoint(config, name=f"management cluster of {region}", context=context, exec_timeout=exec_timeout)


def read_kube(
    kubeconfig: KubeconfigSource,
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
    kubeconfig: KubeconfigSource,
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
    kubeconfig: KubeconfigSource,
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
    options = options or KubeOptions()
    try:
        management = management_endpoint(
            kubeconfig, region, require_region_context=require_region_context, exec_timeout=options.exec_timeout
        )
    except KubeconfigError as error:
        raise FleetcError([error.diagnostic]) from None
    return run_sync(fetch_region_lists_async(management, clusters, options, on_cluster=on_cluster))


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
        api = KubeHttp(client, management.name, options.policy, rng, options.caps)
        try:
            async with asyncio.timeout(options.management_deadline):
                async with asyncio.TaskGroup() as group:
                    tasks = [group.create_task(_control_plane(api, name, gate)) for name in clusters]
        except TimeoutError:
            return ReadFailure(_past_deadline(management.name, options.management_deadline, "management_deadline")), {}
        except ExceptionGroup as errors:
            return ReadFailure(_first_expected(errors)), {}
        planes = [task.result() for task in tasks]
        management_list = new_list([obj for pair in planes for obj in pair if obj is not None])
        existing = [name for name, pair in zip(clusters, planes, strict=True) if any(obj is not None for obj in pair)]
        if on_cluster:
            for name in clusters:
                if name not in existing:
                    on_cluster(name, None)
        tenants = {name: pair[0] for name, pair in zip(clusters, planes, strict=True)}  # TenantControlPlane or None
        async with asyncio.TaskGroup() as group:
            reads = {
                name: group.create_task(_customer(api, name, gate, options, rng, on_cluster, tenants[name]))
                for name in existing
            }
    return management_list, {name: task.result() for name, task in reads.items()}


# What a cluster's control plane is made of in the management cluster, in both forms (docs/spec.md 4 and 6.1):
# (API group/version, resource, name -- None: the cluster's own name --, kind). A 404 is "absent"; a
# management cluster without Kamaji answers 404 for its resource, which is absent too.
CONTROL_PLANE_OBJECTS: tuple[tuple[str, str, str | None, str], ...] = (
    ("kamaji.clastix.io/v1alpha1", "tenantcontrolplanes", None, "TenantControlPlane"),
    ("apps/v1", "deployments", None, "Deployment"),  # Kamaji's Deployment is named after the cluster
    ("apps/v1", "deployments", "kube-apiserver", "Deployment"),
    ("apps/v1", "statefulsets", "etcd", "StatefulSet"),
    ("v1", "configmaps", CLUSTER_CONFIGMAP, "ConfigMap"),  # what fleetc recorded (docs/spec.md 6.4)
)


async def _control_plane(api: KubeHttp, cluster: str, gate: asyncio.Semaphore) -> tuple[KubeObject | None, ...]:
    namespace = control_plane_namespace(cluster)
    found: list[KubeObject | None] = []
    async with gate:
        for group, resource, name, kind in CONTROL_PLANE_OBJECTS:
            root = "api" if "/" not in group else "apis"  # the core group ("v1") is served below /api
            path = f"{root}/{group}/namespaces/{namespace}/{resource}/{name or cluster}"
            obj = await api.get_object(path, functools.partial(decode_object, what=f"GET {path}"))
            if obj is not None:
                obj["kind"], obj["apiVersion"] = kind, group
            found.append(obj)
    return tuple(found)


async def _customer(
    api: KubeHttp,
    cluster: str,
    gate: asyncio.Semaphore,
    options: KubeOptions,
    rng: random.Random,
    on_cluster: ProgressCallback | None,
    tenant: KubeObject | None = None,
) -> KubeList | ReadFailure:
    """A customer cluster's Nodes+Pods List, or why it could not be read (never raises for I/O)."""
    async with gate:
        try:
            async with asyncio.timeout(options.cluster_deadline):
                outcome: KubeList | ReadFailure = await _read_customer(api, cluster, options, rng, tenant)
        except TimeoutError:
            outcome = ReadFailure(_past_deadline(f"cluster {cluster}", options.cluster_deadline, "cluster_deadline"))
        except KubeconfigError as error:
            outcome = ReadFailure(f"cluster {cluster}: {error}")
        except ApiError as error:
            outcome = ReadFailure(str(error))
        except ExceptionGroup as errors:
            outcome = ReadFailure(_first_expected(errors))
    if on_cluster:
        on_cluster(cluster, outcome)
    return outcome


async def _read_customer(
    api: KubeHttp, cluster: str, options: KubeOptions, rng: random.Random, tenant: KubeObject | None
) -> KubeList:
    target = await _customer_endpoint(api, cluster, tenant)
    async with target.client(options.timeout, 2) as client:
        customer = KubeHttp(client, target.name, options.policy, rng, options.caps)
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
    return new_list(nodes.result() + pods.result())


def _past_deadline(what: str, seconds: float, cap: str) -> str:
    return f"{what}: the read did not finish within {seconds:g} s, so none of it is used ({cap_hint(cap)})"


async def _customer_endpoint(api: KubeHttp, cluster: str, tenant: KubeObject | None = None) -> Endpoint:
    """Credentials of a customer cluster: the admin kubeconfig Secret a TenantControlPlane's status names
    (key ``admin.conf``), else the Cluster API Secret ``<cluster>-kubeconfig`` (key ``value``)."""
    namespace = control_plane_namespace(cluster)
    name, key = f"{cluster}-kubeconfig", "value"
    admin = _admin_secret(tenant)
    if admin is not None:
        name, key = admin, KAMAJI_ADMIN_KEY
    where = f"Secret {namespace}/{name}"
    path = f"api/v1/namespaces/{namespace}/secrets/{name}"
    secret = await api.get_object(path, lambda data: decode_object(data, what=f"GET {path}", project=False))
    if secret is None:
        raise KubeconfigError(None, f"{where} not found in the management cluster, so the cluster cannot be read")
    text = _secret_value(secret, where, key)
    return endpoint(load_cluster_kubeconfig(text, origin=where), name=f"cluster {cluster}")


KAMAJI_ADMIN_KEY = conventions.KAMAJI_ADMIN_KEY


def _admin_secret(tenant: KubeObject | None) -> str | None:
    """The admin kubeconfig Secret a TenantControlPlane's status names (Kamaji), if any."""
    status = tenant.get("status") if isinstance(tenant, dict) else None
    kubeconfig = status.get("kubeconfig") if isinstance(status, dict) else None
    admin = kubeconfig.get("admin") if isinstance(kubeconfig, dict) else None
    name = admin.get("secretName") if isinstance(admin, dict) else None
    return name if isinstance(name, str) and name else None


def _secret_value(secret: dict[str, Any], where: str, key: str = "value") -> str:
    data = secret.get("data")
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str):
        raise KubeconfigError(None, f"{where} has no data.{key} (the kubeconfig's key)")
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise KubeconfigError(None, f"{where}: data.{key} is not base64 of a UTF-8 kubeconfig") from None


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
