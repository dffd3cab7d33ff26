"""Copper's rate limits, per user, on the maintained ``limits`` library.

The general limit (180 requests per minute, rolling window) applies to every
authenticated request; bulk endpoints also count against a per-second limit (3/s).
Counters live in process memory by default, or in Redis when a URL is given, so
that every worker and machine shares them.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from verdigris.config import Settings
from verdigris.domain.errors import RateLimited


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits
        storage: Storage = MemoryStorage()
        if settings.redis_url:
            shared = storage_from_string(settings.redis_url)
            assert isinstance(shared, Storage)
            storage = shared
        self.limiter = MovingWindowRateLimiter(storage)
        self.general: RateLimitItem = RateLimitItemPerMinute(settings.rate_limit_per_minute)
        self.bulk: RateLimitItem = RateLimitItemPerSecond(settings.bulk_rate_limit_per_second)

    def check(self, user_id: int, *, bulk: bool) -> None:
        """Count one request of ``user_id``; raise :class:`RateLimited` when over."""
        if not self.enabled:
            return
        if bulk:
            self._hit(self.bulk, user_id, "Bulk API rate limit exceeded")
        self._hit(self.general, user_id, "API rate limit exceeded")

    def _hit(self, item: RateLimitItem, user_id: int, message: str) -> None:
        key = str(user_id)
        if self.limiter.hit(item, "verdigris", key):
            return
        stats = self.limiter.get_window_stats(item, "verdigris", key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"{message}: at most {item.amount} per {item.multiples} {item.GRANULARITY.name}; "
            f"retry after {retry_after}s",
            retry_after,
        )
