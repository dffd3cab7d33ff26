"""Copper's header authentication: ``X-PW-AccessToken``, ``X-PW-Application`` and
``X-PW-UserEmail`` (header names are case-insensitive).

Verified credentials are cached for a few seconds per process (:data:`CACHE_SECONDS`,
at most :data:`CACHE_MAX` of them, the least recently used dropped first), keyed on a
hash of the token, so that the hot path does not hit the database for every request.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping

from verdigris.cache import BoundedCache
from verdigris.domain.errors import Unauthenticated
from verdigris.services import Principal
from verdigris.wire import catalogue

APPLICATION = "developer_api"
CACHE_SECONDS = 10.0
CACHE_MAX = 10_000


class Authenticator:
    def __init__(
        self,
        verify: Callable[[str, str], Principal],
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.verify = verify
        self.ttl = ttl
        self.clock = clock
        self._cache: BoundedCache[tuple[bytes, str], Principal] = BoundedCache(
            CACHE_MAX, ttl=ttl, clock=clock
        )

    def credentials(self, headers: Mapping[str, str]) -> tuple[str, str]:
        """The token and email from the headers, or :class:`Unauthenticated`."""
        token = headers.get("x-pw-accesstoken", "").strip()
        application = headers.get("x-pw-application", "").strip()
        email = headers.get("x-pw-useremail", "").strip()
        if not token or not email:
            raise Unauthenticated(catalogue.MISSING_CREDENTIALS_MESSAGE)
        if application != APPLICATION:
            raise Unauthenticated(
                catalogue.WRONG_APPLICATION_MESSAGE.format(application=APPLICATION)
            )
        return token, email

    def cached(self, token: str, email: str) -> Principal | None:
        key = (hashlib.sha256(token.encode()).digest(), email.lower())
        return self._cache.get(key)

    def authenticate(self, token: str, email: str) -> Principal:
        """Verify against the store (call off the event loop where the store blocks)."""
        principal = self.verify(token, email)
        key = (hashlib.sha256(token.encode()).digest(), email.lower())
        self._cache.put(key, principal)
        return principal

    def forget(self) -> None:
        """Drop every verified key (the emulator's reset: users may be gone)."""
        self._cache.clear()
