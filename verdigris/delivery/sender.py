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

from verdigris.delivery.http import HttpError, Poster
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
        self._poster = Poster()
        #: resolved hosts found allowed, until this loop time (a name is resolved again
        #: at most every ``RESOLVE_SECONDS``; literal addresses are checked once)
        self._allowed: dict[str, float] = {}

    async def close(self) -> None:
        await self._poster.close()

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Sent:
        started = time.perf_counter()

        def took() -> int:
            return int((time.perf_counter() - started) * 1000)

        refused = await self.refused(url)
        if refused is not None:
            return Sent(None, refused, took())
        try:
            response = await asyncio.wait_for(self._poster.post(url, body, headers), self.timeout)
        except TimeoutError:
            return Sent(None, f"timed out after {self.timeout:g} s", took())
        except HttpError as exc:
            return Sent(None, str(exc)[:MAX_ERROR], took())
        error = None
        if not 200 <= response.status < 300:
            error = f"HTTP {response.status}: {response.text[:MAX_ERROR]}"
        return Sent(response.status, error, took())

    async def refused(self, url: str) -> str | None:
        """Why ``url`` may not be posted to now (its host resolves to an address that is
        not allowed, or does not resolve), or None."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        if self._allowed.get(host, 0.0) > loop.time():
            return None
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
        self._allowed[host] = loop.time() + RESOLVE_SECONDS
        return None


#: how long a name found to resolve to allowed addresses is trusted
RESOLVE_SECONDS = 30.0
