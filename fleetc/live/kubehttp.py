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
"""

from __future__ import annotations

import asyncio
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


class ApiError(Exception):
    """A request that failed for good; the message names the request and the last reason."""


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Expired(Exception):
    """410 Gone: a continue token outlived the server's snapshot."""


class KubeHttp:
    """Requests to one API server through one httpx client."""

    def __init__(self, client: httpx.AsyncClient, name: str, policy: RetryPolicy, rng: random.Random | None = None):
        self.client = client
        self.name = name
        self.policy = policy
        self.rng = rng or random.Random()

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
        seen: set[str] = set()
        what = f"{self.name}: LIST {path}"

        def decode(data: bytes) -> KubeList:
            return decode_list(data, what=what)

        while True:
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
            metadata = page.get("metadata")
            token = metadata.get("continue") if isinstance(metadata, dict) else None
            if not token:
                return items
            if not isinstance(token, str) or token in seen:
                raise ApiError(f"{what}: the server returned a continue token it had returned before")
            seen.add(token)

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
                response = await self.client.get(path, params=params)
        except TimeoutError:
            raise _Retry(f"no complete answer within {self.policy.timeout:g} s") from None
        except httpx.RequestError as error:
            raise _Retry(f"{type(error).__name__}: {error or 'connection failed'}") from None
        status = response.status_code
        if status == 200:
            try:
                return decode(response.content)
            except ListError as error:
                raise _Retry(str(error)) from None
        if status == 404 and absent_ok:
            return None
        if status == 410 and "continue" in params:
            raise _Expired()
        message = _status_message(response)
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status} {message}", _retry_after(response.headers.get("Retry-After")))
        hint = " (check the credentials in the kubeconfig)" if status in (401, 403) else ""
        raise ApiError(f"{self.name}: GET {path}: HTTP {status} {message}{hint}")

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


def _status_message(response: httpx.Response) -> str:
    """The ``message`` of a Kubernetes Status body, else a short piece of the body."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return f"({body['message'][:300]})"
    text = response.text.strip()[:200]
    return f"({text})" if text else ""
