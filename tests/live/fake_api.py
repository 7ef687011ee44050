"""A small Kubernetes API over real HTTP on 127.0.0.1, with faults on demand.

One aiohttp server plays the management cluster (``/mgmt``) and every
customer cluster (``/clusters/<name>``); a kubeconfig's server URL carries the
prefix. It implements what fleetc reads, the way kube-apiserver does it:
bearer-token, basic or client-certificate auth (401 otherwise), GET of
single objects (404 Status when absent), LIST of nodes and pods with
``limit``/``continue`` pagination, the ``status.phase!=`` field selector,
and 410 Gone for expired continue tokens. It can serve TLS (``serve(api,
tls=...)``) and act as a forward HTTP proxy (requests in absolute form are
recorded as such). Faults (429 + Retry-After, 5xx, slow answers, cut
connections, invalid JSON, endless continue tokens, endless or dripping
bodies) are queued per path, so a test states exactly what goes wrong and
how often. Every request's path, query and headers are logged, so a test
can prove what never reached the server. It runs in its own thread and
event loop, so the client under test is used exactly as in production: no
patched HTTP client.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .objects import Obj, kubeconfig_secret, kubeconfig_text

TOKEN = "s3cret-token"
BASIC = ("admin", "pa55word")  # username, password the server accepts
CLIENT_CN = "fleetc-admin"  # a client certificate with this common name is authenticated


@dataclass
class Fault:
    """What to do instead of answering, ``times`` times, for requests whose path ends with ``path``.

    Kinds: ``status`` (an error Status), ``sleep`` (answer late), ``cut``
    (drop the connection mid-body), ``garbage`` (invalid JSON), ``expire``
    (410 on a continue token), ``endless`` (a page of ``items`` objects with
    a fresh continue token, every time), ``loop`` (the same, always with the
    same token), ``huge`` (a body of ``size`` bytes
    produced piece by piece, never held whole; ``announce`` sends its
    Content-Length), ``drip`` (the real answer, in small pieces over
    ``seconds``).
    """

    path: str
    kind: str
    times: int = 1
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    only_continue: bool = False  # only for requests that carry a continue token
    items: int = 1  # endless: objects per page
    size: int = 0  # huge: bytes in the body
    announce: bool = False  # huge: send Content-Length
    sent: int = 0  # huge: bytes the server managed to send before the client closed the connection
    finished: threading.Event = field(default_factory=threading.Event)  # huge: the handler is done


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    via_proxy: bool  # sent in absolute form (``GET http://host/path``), as to a forward proxy


@dataclass
class FakeApi:
    """State of the fake clusters, and a log of what the client asked for."""

    management: dict[str, Obj] = field(default_factory=dict)  # API path -> object
    clusters: dict[str, dict[str, list[Obj]]] = field(default_factory=dict)  # name -> {"nodes": [...], "pods": [...]}
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    # --- setting the scene (call after the server started: kubeconfigs need the URL) ---

    def add_control_plane(self, cluster: str, deployment: Obj | None, statefulset: Obj | None) -> None:
        base = f"/mgmt/apis/apps/v1/namespaces/cp-{cluster}"
        if deployment is not None:
            self.management[f"{base}/deployments/kube-apiserver"] = _as_returned(deployment)
        if statefulset is not None:
            self.management[f"{base}/statefulsets/etcd"] = _as_returned(statefulset)

    def add_cluster(self, cluster: str, nodes: list[Obj], pods: list[Obj], *, token: str = TOKEN) -> None:
        """A customer cluster and its Cluster API kubeconfig Secret in the management cluster."""
        self.clusters[cluster] = {"nodes": nodes, "pods": pods}
        secret = kubeconfig_secret(cluster, kubeconfig_text(f"{self.url}/clusters/{cluster}", token))
        self.management[f"/mgmt/api/v1/namespaces/cp-{cluster}/secrets/{cluster}-kubeconfig"] = secret

    def put_cluster_kubeconfig(self, cluster: str, text: str) -> None:
        """Replace what the cluster's kubeconfig Secret holds (``data.value``)."""
        secret = kubeconfig_secret(cluster, text)
        self.management[f"/mgmt/api/v1/namespaces/cp-{cluster}/secrets/{cluster}-kubeconfig"] = secret

    def management_kubeconfig(self, token: str = TOKEN) -> str:
        return kubeconfig_text(f"{self.url}/mgmt", token)

    def paths(self, suffix: str) -> list[dict[str, str]]:
        """Query parameters of every request whose path ends with ``suffix``."""
        return [query for path, query in self.requests if path.endswith(suffix)]

    def everything_received(self) -> str:
        """Every path, query and header the server was sent, as one text (to prove a secret never arrived)."""
        return "\n".join(json.dumps([r.path, r.query, r.headers]) for r in self.received)

    # --- serving ---

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path, query = request.path, dict(request.query)
        self.requests.append((path, query))
        via_proxy = request.raw_path.startswith(("http://", "https://"))
        self.received.append(Received(path, query, dict(request.headers), via_proxy))
        if not _authenticated(request):
            return _status(401, "Unauthorized")
        fault = self._take_fault(path, query)
        if fault is not None:
            answer = await self._fault(request, fault)
            if answer is not None:
                return answer
        return await self._answer(path, query)

    async def _answer(self, path: str, query: dict[str, str]) -> web.Response:
        for collection in ("nodes", "pods"):
            if path.startswith("/clusters/") and path.endswith(f"/api/v1/{collection}"):
                cluster = path.split("/")[2]
                if cluster not in self.clusters:
                    return _status(404, f"no cluster {cluster}")
                return _page(self.clusters[cluster][collection], collection, query)
        found = self.management.get(path)
        if found is None:
            return _status(404, f"{path} not found")
        return web.json_response(found)

    def _take_fault(self, path: str, query: dict[str, str]) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and path.endswith(fault.path) and (not fault.only_continue or "continue" in query):
                fault.times -= 1
                return fault
        return None

    async def _fault(self, request: web.Request, fault: Fault) -> web.StreamResponse | None:
        if fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return _status(fault.status, "injected", headers)
        if fault.kind == "sleep":
            await asyncio.sleep(fault.seconds)
            return None  # then answer normally, too late for the client
        if fault.kind == "garbage":
            return web.Response(body=b'{"kind": "PodList", "items": [{"metadata": ', content_type="application/json")
        if fault.kind == "expire":
            return _status(410, "The provided continue parameter is too old")
        if fault.kind == "cut":  # promise 4096 bytes, send 20, drop the connection
            response = web.StreamResponse(headers={"Content-Type": "application/json", "Content-Length": "4096"})
            await response.prepare(request)
            await response.write(b'{"kind": "NodeList", ')
            assert request.transport is not None
            request.transport.abort()
            return response
        if fault.kind in ("endless", "loop"):
            fresh = next(_FRESH) if fault.kind == "endless" else 0
            token = base64.b64encode(f"{fault.kind}:{fresh}".encode()).decode()
            items = [{"metadata": {"name": f"obj-{next(_FRESH)}"}} for _ in range(fault.items)]
            body = {"kind": "List", "apiVersion": "v1", "metadata": {"continue": token}, "items": items}
            return web.json_response(body)
        if fault.kind == "huge":
            return await _stream(request, fault, _huge_body(fault.size))
        if fault.kind == "drip":
            answer = await self._answer(request.path, dict(request.query))
            assert isinstance(answer, web.Response) and isinstance(answer.body, bytes)
            return await _stream(request, fault, _drip(answer.body, fault.seconds), status=answer.status)
        raise AssertionError(fault.kind)


_FRESH = itertools.count()


def _authenticated(request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    if header == f"Bearer {TOKEN}":
        return True
    if header == "Basic " + base64.b64encode(":".join(BASIC).encode()).decode():
        return True
    peer = request.transport.get_extra_info("peercert") if request.transport else None
    subject = dict(pair for rdn in (peer or {}).get("subject", ()) for pair in rdn)
    return bool(subject.get("commonName") == CLIENT_CN)


async def _huge_body(size: int) -> AsyncIterator[bytes]:
    """A List body of ``size`` bytes made one 64 KiB piece at a time (the server never holds it whole)."""
    head, tail = b'{"kind": "List", "apiVersion": "v1", "items": [', b"]}"
    item = b'{"metadata": {"name": "' + b"x" * 1000 + b'"}},'  # big items: few objects if a client decoded it all
    piece = item * 64  # about 64 KiB
    yield head
    left = size - len(head) - len(tail)
    while left > 0:
        chunk = piece[:left]
        left -= len(chunk)
        yield chunk
    yield tail


async def _drip(body: bytes, seconds: float, pieces: int = 10) -> AsyncIterator[bytes]:
    step = max(1, -(-len(body) // pieces))
    for start in range(0, len(body), step):
        await asyncio.sleep(seconds / pieces)
        yield body[start : start + step]


async def _stream(
    request: web.Request, fault: Fault, chunks: AsyncIterator[bytes], *, status: int = 200
) -> web.StreamResponse:
    """Send ``chunks`` as they come, counting what got out before the client went away."""
    headers = {"Content-Type": "application/json"}
    if fault.announce:
        headers["Content-Length"] = str(fault.size)
    response = web.StreamResponse(status=status, headers=headers)
    try:
        await response.prepare(request)
        async for chunk in chunks:
            await response.write(chunk)
            fault.sent += len(chunk)
        await response.write_eof()
    except (ConnectionError, RuntimeError):  # the client closed the connection (aiohttp raises either)
        pass
    finally:
        fault.finished.set()
    return response


def _as_returned(obj: Obj) -> Obj:
    """A deep copy, as a server would hold its own object."""
    copied: Obj = json.loads(json.dumps(obj))
    return copied


def _status(code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": code}
    return web.json_response(body, status=code, headers=headers)


def _page(objects: list[Obj], collection: str, query: dict[str, str]) -> web.Response:
    """One page as kube-apiserver sends it: items without kind/apiVersion, a continue token if more remain."""
    selected = objects
    selector = query.get("fieldSelector")
    if selector:
        excluded = set()
        for term in selector.split(","):
            key, _, value = term.partition("!=")
            if key != "status.phase" or not value:
                return _status(400, f"field label not supported: {term}")
            excluded.add(value)
        selected = [o for o in objects if o.get("status", {}).get("phase") not in excluded]
    start = 0
    if "continue" in query:
        start = int(base64.b64decode(query["continue"]).decode().split(":")[1])
    limit = int(query.get("limit", "0")) or len(selected)
    chunk = selected[start : start + limit]
    items: list[Any] = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in chunk]
    metadata: Obj = {"resourceVersion": "12345"}
    if start + limit < len(selected):
        metadata["continue"] = base64.b64encode(f"12345:{start + limit}".encode()).decode()
        metadata["remainingItemCount"] = len(selected) - start - limit
    kind = {"nodes": "NodeList", "pods": "PodList"}[collection]
    return web.json_response({"kind": kind, "apiVersion": "v1", "metadata": metadata, "items": items})


@contextmanager
def serve(api: FakeApi, tls: ssl.SSLContext | None = None) -> Iterator[FakeApi]:
    """Run ``api`` on 127.0.0.1 (a free port) in a background thread for the duration of the block.

    With ``tls`` (a server-side context) it serves https; ``api.url`` says which.
    """
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", api.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"{'https' if tls else 'http'}://{host}:{port}"

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        api.url = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
        yield api
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
