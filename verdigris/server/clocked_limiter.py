"""A moving-window limiter in process memory that reads its time from a given clock.

``limits``' own memory storage reads ``time.time()``; the emulator's clock
(:mod:`verdigris.clock`) can be frozen and advanced, and Copper's windows must follow
it. This has the two calls :class:`~verdigris.server.ratelimit.RateLimits` makes of
``limits``' ``MovingWindowRateLimiter``: :meth:`hit` and :meth:`get_window_stats`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple

from verdigris.cache import BoundedCache

#: keys (users, addresses) kept; the least recently used dropped first
MAX_KEYS = 100_000


class WindowStats(NamedTuple):
    reset_time: float
    remaining: int


class ClockedMovingWindow:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._hits: BoundedCache[str, deque[float]] = BoundedCache(MAX_KEYS)
        self._lock = threading.Lock()

    def _window(self, item: Any, namespace: str, key: str) -> tuple[deque[float], float]:
        """The key's hits still inside the window, oldest first, and the time now."""
        name = f"{namespace}/{item.key_for(key)}"
        hits = self._hits.get(name)
        if hits is None:
            hits = deque()
            self._hits.put(name, hits)
        now = self.clock()
        start = now - item.get_expiry()
        while hits and (hits[0] <= start or hits[0] > now):  # a clock moved back forgets
            hits.popleft()
        return hits, now

    def hit(self, item: Any, namespace: str, key: str, cost: int = 1) -> bool:
        with self._lock:
            hits, now = self._window(item, namespace, key)
            if len(hits) + cost > item.amount:
                return False
            hits.extend([now] * cost)
            return True

    def get_window_stats(self, item: Any, namespace: str, key: str) -> WindowStats:
        with self._lock:
            hits, now = self._window(item, namespace, key)
            remaining = max(0, item.amount - len(hits))
            reset = (hits[0] if hits else now) + item.get_expiry()
            return WindowStats(reset, remaining)

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()
