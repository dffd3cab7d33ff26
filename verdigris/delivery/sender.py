"""One HTTP POST of a notification, checked and timed: the target's resolved addresses
must be allowed (:func:`verdigris.domain.webhooks.address_allowed`), the receiver gets
``timeout`` seconds, and whatever happens comes back as a :class:`Sent`, never raised."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from verdigris.domain.webhooks import TargetRules, address_allowed

#: the part of a receiver's answer kept in the inbox
MAX_ERROR = 500


@dataclass(frozen=True)
class Sent:
    """What came of one POST."""

    status: int | None
    error: str | None
    duration_ms: int


class Sender:
    """Posts notifications with one pooled client."""

    def __init__(self, rules: TargetRules, timeout: float = 10.0) -> None:
        self.rules = rules
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Sent:
        started = time.perf_counter()

        def took() -> int:
            return int((time.perf_counter() - started) * 1000)

        refused = await self.refused(url)
        if refused is not None:
            return Sent(None, refused, took())
        try:
            response = await self._http().post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            return Sent(None, f"timed out after {self.timeout:g} s", took())
        except httpx.HTTPError as exc:
            return Sent(None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR], took())
        error = None
        if not 200 <= response.status_code < 300:
            error = f"HTTP {response.status_code}: {response.text[:MAX_ERROR]}"
        return Sent(response.status_code, error, took())

    async def refused(self, url: str) -> str | None:
        """Why ``url`` may not be posted to now (its host resolves to an address that is
        not allowed, or does not resolve), or None."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            return f"cannot resolve {host}: {exc}"
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address_allowed(address, host, self.rules):
                return f"{host} resolves to {address}, in a private range (not allowed)"
        return None
