"""Copper's rate limits, per user, on the maintained ``limits`` library.

The general limit (180 requests per minute, rolling window) applies to every
authenticated request; bulk endpoints also count against a per-second limit (3/s).
Both use ``limits``' moving window.

Counters live in process memory by default. With a Redis URL they live in Redis, so
that every worker and machine shares them; keys start with the configured prefix, so
several deployments can share one Redis. Redis is reached with the asyncio client and
short timeouts, never blocking the event loop.

When Redis fails (down, unreachable, timing out), verdigris keeps answering: it logs a
warning and counts in this process's memory instead (each worker then enforces the
limits on its own share of the traffic), and tries Redis again after
:data:`REDIS_RETRY_SECONDS`. Rate limits are Copper emulation, not the availability of
the leads store, so they degrade rather than fail requests (docs/deploy.md).

Failed authentication has its own limit, per client address and per email (see
:meth:`RateLimits.check_auth`), counted the same way, in Redis when configured.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as SharedLimiter
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from verdigris.config import Settings
from verdigris.domain.errors import RateLimited
from verdigris.wire import catalogue

if TYPE_CHECKING:  # redis is the [redis] extra: imported only when a URL is set
    import redis.asyncio

log = logging.getLogger("verdigris.ratelimit")

NAMESPACE = "verdigris"
#: seconds to count in process memory after a Redis failure before trying Redis again
REDIS_RETRY_SECONDS = 5.0
#: seconds a Redis connect or command may take before it counts as a failure
REDIS_TIMEOUT_SECONDS = 0.5


class RateLimits:
    def __init__(self, settings: Settings, clock: Callable[[], float] | None = None) -> None:
        #: the time windows are counted on (the emulator's clock; default the wall clock)
        self.clock: Callable[[], float] = clock or time.time
        self.enabled = settings.rate_limits
        self.general: RateLimitItem = RateLimitItemPerMinute(settings.rate_limit_per_minute)
        self.bulk: RateLimitItem = RateLimitItemPerSecond(settings.bulk_rate_limit_per_second)
        #: failed authentications per address and per email (0: no limit)
        self.auth_failures: RateLimitItem | None = (
            RateLimitItemPerSecond(
                settings.auth_failure_limit, settings.auth_failure_window_seconds
            )
            if settings.auth_failure_limit > 0
            else None
        )
        self.local: Any = MovingWindowRateLimiter(MemoryStorage())
        if clock is not None:  # windows that follow a clock the emulator moves
            from verdigris.server.clocked_limiter import ClockedMovingWindow

            self.local = ClockedMovingWindow(clock)
        self.shared: SharedLimiter | None = None
        self._pool: redis.asyncio.ConnectionPool | None = None
        self._redis_down_until = 0.0
        #: what counts as Redis failing (the limiter wraps most of it in StorageError)
        self._redis_errors: tuple[type[Exception], ...] = (StorageError, OSError)
        if settings.redis_url:
            import redis.asyncio

            self._redis_errors = (StorageError, redis.RedisError, OSError)
            self._pool = redis.asyncio.ConnectionPool.from_url(
                settings.redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            # our own pool: its timeouts, and closed at shutdown
            options: dict[str, Any] = {"connection_pool": self._pool}
            storage = RedisStorage(
                settings.redis_url,
                implementation="redispy",
                key_prefix=settings.rate_limit_key_prefix,
                wrap_exceptions=True,
                **options,
            )
            self.shared = SharedLimiter(storage)

    @property
    def using_redis(self) -> bool:
        """Whether the next check goes to Redis (false while it is considered down)."""
        return self.shared is not None and time.monotonic() >= self._redis_down_until

    async def check(self, user_id: int, *, bulk: bool) -> None:
        """Count one request of ``user_id``; raise :class:`RateLimited` when over."""
        if not self.enabled:
            return
        if bulk:
            await self._hit(self.bulk, user_id, catalogue.BULK_RATE_LIMIT)
        await self._hit(self.general, user_id, catalogue.GENERAL_RATE_LIMIT)

    async def check_auth(self, email: str, address: str) -> None:
        """Before a key is checked: raise :class:`RateLimited` (the key left unchecked)
        when ``address`` has failed the limit's number of times in the window, or when
        ``email`` has and ``address`` has failed at least once. A client with a clean
        record still gets its key checked for an email under attack, so an attacker
        cannot lock a user out from elsewhere; every address the attacker uses gets one
        guess per window at that email (docs/deploy.md, "Failed authentication")."""
        item = self.auth_failures
        if item is None:
            return
        by_address = await self._stats(item, _address_key(address))
        if by_address[1] <= 0:
            self._refuse_auth(item, by_address[0])
        if by_address[1] < item.amount:  # this address has failed before
            by_email = await self._stats(item, _email_key(email))
            if by_email[1] <= 0:
                self._refuse_auth(item, by_email[0])

    async def auth_failed(self, email: str, address: str) -> None:
        """Count a failed authentication against ``address`` and ``email``."""
        item = self.auth_failures
        if item is None:
            return
        for key in (_address_key(address), _email_key(email)):
            if await self._shared_hit(item, key) is None:
                self.local.hit(item, NAMESPACE, key)

    def _refuse_auth(self, item: RateLimitItem, reset_time: float) -> None:
        retry_after = max(1, math.ceil(reset_time - self.clock()))
        raise RateLimited(
            catalogue.AUTH_FAILED_MESSAGE.format(
                amount=item.amount, multiples=item.multiples, seconds=retry_after
            ),
            retry_after,
        )

    async def _stats(self, item: RateLimitItem, key: str) -> tuple[float, int]:
        """(reset time, remaining) of ``key``'s window, through Redis when in use."""
        if self.shared is not None and self.using_redis:
            try:
                stats = await self.shared.get_window_stats(item, NAMESPACE, key)
                return stats.reset_time, stats.remaining
            except self._redis_errors as exc:
                self._redis_failed(exc)
        stats = self.local.get_window_stats(item, NAMESPACE, key)
        return stats.reset_time, stats.remaining

    async def _hit(self, item: RateLimitItem, user_id: int, message: str) -> None:
        key = str(user_id)
        reset_time = await self._shared_hit(item, key)
        if reset_time is None:
            if self.local.hit(item, NAMESPACE, key):
                return
            reset_time = self.local.get_window_stats(item, NAMESPACE, key).reset_time
        elif reset_time == 0.0:
            return
        retry_after = max(1, math.ceil(reset_time - self.clock()))
        raise RateLimited(
            catalogue.RATE_LIMITED_MESSAGE.format(
                limit=message,
                amount=item.amount,
                multiples=item.multiples,
                granularity=item.GRANULARITY.name,
                seconds=retry_after,
            ),
            retry_after,
        )

    async def _shared_hit(self, item: RateLimitItem, key: str) -> float | None:
        """Through Redis: 0.0 when allowed, the window's reset time when refused, and
        None when Redis is not in use (not configured, or failing)."""
        if self.shared is None or not self.using_redis:
            return None
        try:
            if await self.shared.hit(item, NAMESPACE, key):
                recovered = self._redis_down_until > 0
                self._redis_down_until = 0.0
                if recovered:
                    log.warning("Redis is back: rate limits are shared again")
                return 0.0
            return (await self.shared.get_window_stats(item, NAMESPACE, key)).reset_time
        except self._redis_errors as exc:
            self._redis_failed(exc)
            return None

    def _redis_failed(self, exc: Exception) -> None:
        self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        log.warning(
            "Redis failed (%s): counting rate limits in this process for %.0f s",
            exc,
            REDIS_RETRY_SECONDS,
        )

    async def remaining(self, user_id: int) -> dict[str, int]:
        """What ``user_id`` has left in each window, without counting a request
        (the emulator's journal records it after each request)."""
        if not self.enabled:
            return {}
        key = str(user_id)
        return {
            "general": (await self._stats(self.general, key))[1],
            "bulk": (await self._stats(self.bulk, key))[1],
        }

    def clear_local(self) -> None:
        """Forget the counts kept in this process (the emulator's reset)."""
        clear = getattr(self.local, "clear", None)
        if clear is not None:
            clear()
        else:
            self.local = MovingWindowRateLimiter(MemoryStorage())

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()


def _address_key(address: str) -> str:
    return f"authfail:addr:{address}"


def _email_key(email: str) -> str:
    # hashed: no email addresses in Redis keys
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"authfail:email:{digest}"
