"""GET and paginated LIST against one API server, with bounded retries.

What is retried (transient, the next attempt may succeed): 429 and 503 (after
``Retry-After`` when given), other 5xx, connection errors, timeouts, and
bodies that are truncated or not JSON. Each wait is "full jitter" exponential
backoff, ``uniform(0, min(max_backoff, backoff * 2**n))``, so many readers do
not retry in lockstep. What is not retried: 401/403 and other 4xx, which the
next attempt would get again. After ``attempts`` the read raises
:class:`ApiError` and the caller marks the cluster or region unknown: the
reader fails closed rather than planning on a partial picture.

Lists are read in pages (``limit`` + ``continue``) and each page is decoded
straight into the projected form (:mod:`fleetc.live.wire`), so a 100,000-pod
cluster never has more than one page of full objects in memory. A
``410 Gone`` on a continue token (the snapshot behind it expired) restarts
the list from the beginning, within the same attempt budget.

Nothing a server sends can make a read unbounded (:class:`ReadCaps`): a
body is streamed and the read stops once it passes ``max_response_bytes``
(a ``Content-Length`` above the cap stops it before the body is read); a
LIST stops after enough pages for ``max_list_objects`` objects at its
``limit``, or once it holds more objects than that; a continue token the
server sent before is an error. Past a cap the request fails for good (the
next attempt would get the same answer) with a message that names the cap.
The wall time of a whole read is capped by the caller
(:mod:`fleetc.live.kubeapi`), because only it knows what "whole" is.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from fleetc.live.wire import KubeList, KubeObject, ListError, decode_list

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Per-request limits. Tests shrink the waits; production keeps the defaults."""

    attempts: int = 5  # tries per request, first included
    timeout: float = 30.0  # seconds, the whole of one attempt (connect, send, read the body)
    backoff: float = 0.5  # seconds, base of the exponential backoff
    max_backoff: float = 10.0
    max_retry_after: float = 30.0  # a server asking for longer than this is waited this long


MiB = 1024 * 1024
ERROR_BODY_BYTES = 64 * 1024  # of a non-200 answer: enough for a Status message


@dataclass(frozen=True)
class ReadCaps:
    """What one server's answers may cost; the defaults and their reasons are in ``KubeOptions``."""

    max_response_bytes: int = 100 * MiB
    max_list_objects: int = 500_000

    def max_pages(self, limit: int) -> int:
        """Pages one LIST may take: enough for ``max_list_objects`` at ``limit`` per page, and a last one."""
        return math.ceil(self.max_list_objects / max(1, limit)) + 1


class ApiError(Exception):
    """A request that failed for good; the message names the request and the last reason."""


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Expired(Exception):
    """410 Gone: a continue token outlived the server's snapshot."""


def cap_hint(name: str) -> str:
    """How a message says which cap tripped and where it is set (one wording for every cap)."""
    return f"the cap is KubeOptions.{name} (fleetc.live.kubeapi); raise it if this cluster really needs more"


class KubeHttp:
    """Requests to one API server through one httpx client."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        name: str,
        policy: RetryPolicy,
        rng: random.Random | None = None,
        caps: ReadCaps | None = None,
    ):
        self.client = client
        self.name = name
        self.policy = policy
        self.rng = rng or random.Random()
        self.caps = caps or ReadCaps()

    async def get_object(self, path: str, decode: Callable[[bytes], T]) -> T | None:
        """One object, or None when the server says 404 (it does not exist)."""
        return await self._request(path, {}, decode, absent_ok=True)

    async def list_items(
        self, path: str, *, kind: str, api_version: str, limit: int, params: Mapping[str, str] | None = None
    ) -> list[KubeObject]:
        """Every item of a collection, page by page, each tagged with kind/apiVersion as kubectl prints them."""
        for _ in range(self.policy.attempts):
            try:
                return await self._all_pages(path, dict(params or {}), kind, api_version, limit)
            except _Expired:
                continue
        raise ApiError(f"{self.name}: LIST {path}: the continue token expired {self.policy.attempts} times")

    async def _all_pages(
        self, path: str, params: dict[str, str], kind: str, api_version: str, limit: int
    ) -> list[KubeObject]:
        items: list[KubeObject] = []
        token: object = ""
        seen: set[bytes] = set()
        what = f"{self.name}: LIST {path}"
        max_pages, max_objects = self.caps.max_pages(limit), self.caps.max_list_objects

        def decode(data: bytes) -> KubeList:
            return decode_list(data, what=what)

        for _ in range(max_pages):
            query = {**params, "limit": str(limit)}
            if isinstance(token, str) and token:
                query["continue"] = token
            page = await self._request(path, query, decode, absent_ok=False)
            assert page is not None  # absent_ok=False: a 404 raises
            for item in page["items"]:
                if isinstance(item, dict):
                    item["kind"] = kind
                    item["apiVersion"] = api_version
                items.append(item)
            if len(items) > max_objects:
                raise ApiError(
                    f"{what}: more than {max_objects:,} objects; stopped reading ({cap_hint('max_list_objects')})"
                )
            metadata = page.get("metadata")
            token = metadata.get("continue") if isinstance(metadata, dict) else None
            if not token:
                return items
            digest = hashlib.sha256(token.encode()).digest() if isinstance(token, str) else b""
            if not digest or digest in seen:
                raise ApiError(f"{what}: the server returned a continue token it had returned before")
            seen.add(digest)  # a digest, so that huge tokens do not add up in memory
        raise ApiError(
            f"{what}: still more after {max_pages:,} pages of {limit} (room for {max_objects:,} objects); "
            f"stopped reading ({cap_hint('max_list_objects')})"
        )

    async def _request(
        self, path: str, params: Mapping[str, str], decode: Callable[[bytes], T], *, absent_ok: bool
    ) -> T | None:
        last = "no attempt made"
        retry_after: float | None = None
        for attempt in range(self.policy.attempts):
            if attempt:
                await asyncio.sleep(self._delay(attempt, retry_after))
            retry_after = None
            try:
                return await self._attempt(path, params, decode, absent_ok=absent_ok)
            except _Retry as retry:
                last, retry_after = retry.reason, retry.retry_after
        raise ApiError(f"{self.name}: GET {path}: gave up after {self.policy.attempts} attempts; last: {last}")

    async def _attempt(
        self, path: str, params: Mapping[str, str], decode: Callable[[bytes], T], *, absent_ok: bool
    ) -> T | None:
        try:
            async with asyncio.timeout(self.policy.timeout):
                status, headers, body = await self._fetch(path, params)
        except TimeoutError:
            raise _Retry(f"no complete answer within {self.policy.timeout:g} s") from None
        except httpx.RequestError as error:
            raise _Retry(f"{type(error).__name__}: {error or 'connection failed'}") from None
        if status == 200:
            try:
                return decode(body)
            except ListError as error:
                raise _Retry(str(error)) from None
        if status == 404 and absent_ok:
            return None
        if status == 410 and "continue" in params:
            raise _Expired()
        message = _status_message(body)
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status} {message}", _retry_after(headers.get("Retry-After")))
        hint = " (check the credentials in the kubeconfig)" if status in (401, 403) else ""
        raise ApiError(f"{self.name}: GET {path}: HTTP {status} {message}{hint}")

    async def _fetch(self, path: str, params: Mapping[str, str]) -> tuple[int, httpx.Headers, bytes]:
        """Status, headers and body; the body is streamed and never read past the cap.

        A 200 body above ``max_response_bytes`` is an :class:`ApiError` (the
        connection is closed, not drained); of other answers only the first
        :data:`ERROR_BODY_BYTES` are kept, for the message.
        """
        async with self.client.stream("GET", path, params=params) as response:
            status = response.status_code
            if status != 200:
                return status, response.headers, await _read_upto(response, ERROR_BODY_BYTES)
            cap = self.caps.max_response_bytes
            announced = response.headers.get("Content-Length", "")
            if announced.isdigit() and int(announced) > cap:
                raise self._too_large(path, f"announces {int(announced):,} bytes")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise self._too_large(path, f"went past {cap:,} bytes")
                chunks.append(chunk)
            return status, response.headers, b"".join(chunks)

    def _too_large(self, path: str, detail: str) -> ApiError:
        return ApiError(
            f"{self.name}: GET {path}: the response {detail}, more than KubeOptions.max_response_bytes = "
            f"{self.caps.max_response_bytes:,} allows; stopped reading (lower KubeOptions.limit for smaller pages, "
            "or raise max_response_bytes in fleetc.live.kubeapi)"
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Full jitter backoff; never sooner than the server's Retry-After (bounded)."""
        ceiling = min(self.policy.max_backoff, self.policy.backoff * 2 ** (attempt - 1))
        jitter = self.rng.uniform(0, ceiling)
        if retry_after is None:
            return jitter
        return max(min(retry_after, self.policy.max_retry_after), jitter)


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


async def _read_upto(response: httpx.Response, cap: int) -> bytes:
    """At most ``cap`` bytes of a body (decompressed), then stop reading."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk[: cap - size])
        size += len(chunks[-1])
        if size >= cap:
            break
    return b"".join(chunks)


def _status_message(body: bytes) -> str:
    """The ``message`` of a Kubernetes Status body, else a short piece of the body."""
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        return f"({parsed['message'][:300]})"
    text = body.decode("utf-8", "replace").strip()[:200]
    return f"({text})" if text else ""
