"""Pacing and retries, without I/O: the transports ask how long to wait and sleep themselves.

- :class:`Pacer` spaces requests so that a client stays inside Copper's published limits
  (3 bulk requests per second; optionally 180 requests per rolling minute). Slots are
  *reserved*, so concurrent callers (threads, tasks) are staggered rather than released
  together. After a 429 it holds every caller until the server's ``Retry-After``.
- :class:`RetryPolicy` decides whether a failed attempt is tried again and after how long:
  429 after ``Retry-After`` plus jitter (bounded); connection errors and 502/503/504 with
  exponential backoff and full jitter, for idempotent requests only, except a connection
  that was never established (the request cannot have been applied).
"""

from __future__ import annotations

import bisect
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Copper: "Our bulk APIs have an additional rate limit of 3 requests per second."
BULK_PER_SECOND = 3
#: Copper: "All API calls are limited to 180 requests per minute" (rolling window).
PER_MINUTE = 180


class SlidingWindow:
    """At most ``limit`` slots in any ``period`` seconds (a rolling window).

    A slot is first the time a request may be sent, then (:meth:`move`) the time its
    answer came back: the server counted the request somewhere in between, so spacing
    the next one from the answer keeps the window whatever the latency."""

    def __init__(self, limit: int, period: float, margin: float = 0.05) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a window needs limit >= 1 and period > 0")
        self.limit = limit
        self.period = period + margin
        self._slots: list[float] = []  # sorted

    def earliest(self, now: float) -> float:
        """The earliest time >= ``now`` at which one more slot fits."""
        slots = self._slots
        expired = bisect.bisect_right(slots, now - self.period)
        del slots[:expired]
        if not slots:
            return now
        at = max(now, slots[-1])  # first come, first served
        if len(slots) >= self.limit:
            at = max(at, slots[-self.limit] + self.period)
        return at

    def take(self, at: float) -> None:
        bisect.insort(self._slots, at)

    def move(self, at: float, to: float) -> None:
        """Re-date the slot ``at`` (if still held) to ``to``."""
        i = bisect.bisect_left(self._slots, at)
        if i < len(self._slots) and self._slots[i] == at:
            del self._slots[i]
            bisect.insort(self._slots, max(at, to))


@dataclass(frozen=True)
class Ticket:
    """A reserved slot: wait ``delay`` seconds, send, then hand it back to :meth:`Pacer.done`."""

    delay: float
    at: float
    bulk: bool


class Pacer:
    """Reserves request slots under the configured limits; thread-safe."""

    def __init__(
        self,
        *,
        bulk_per_second: int | None = BULK_PER_SECOND,
        per_minute: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.bulk = SlidingWindow(bulk_per_second, 1.0) if bulk_per_second else None
        self.general = SlidingWindow(per_minute, 60.0) if per_minute else None
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def _windows(self, bulk: bool) -> list[SlidingWindow]:
        return [w for w in (self.general, self.bulk if bulk else None) if w is not None]

    def reserve(self, *, bulk: bool) -> Ticket:
        """Reserve the next slot for a request."""
        with self._lock:
            now = self.clock()
            windows = self._windows(bulk)
            at = max([now, self._paused_until, *(w.earliest(now) for w in windows)])
            for window in windows:
                window.take(at)
            return Ticket(at - now, at, bulk)

    def done(self, ticket: Ticket) -> None:
        """The request of ``ticket`` has its answer: count it from now."""
        with self._lock:
            now = self.clock()
            for window in self._windows(ticket.bulk):
                window.move(ticket.at, now)

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (after a 429 with ``Retry-After``)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock() + seconds)


@dataclass
class RetryPolicy:
    """When to try a request again. Every retry is bounded; every wait has jitter."""

    #: 429s retried per request (each after the server's Retry-After)
    rate_limit_retries: int = 5
    #: a Retry-After longer than this is not waited for: RateLimitedError at once
    max_retry_after: float = 120.0
    #: connection errors and 502/503/504 retried per (idempotent) request
    transient_retries: int = 3
    backoff_base: float = 0.25
    backoff_cap: float = 8.0
    rng: random.Random = field(default_factory=random.Random)

    def after_rate_limit(self, retries_so_far: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retrying a 429, or None to give up."""
        if retries_so_far >= self.rate_limit_retries:
            return None
        if retry_after is None:  # Copper documents no Retry-After: 1, 2, 4 ... seconds
            retry_after = min(self.backoff_cap, 2.0**retries_so_far)
        elif retry_after > self.max_retry_after:
            return None
        # never earlier than asked; spread the callers that were refused together
        return retry_after + self.rng.uniform(0.0, 0.1 + 0.1 * retry_after)

    def after_transient(
        self, retries_so_far: int, *, safe: bool, retry_after: float | None = None
    ) -> float | None:
        """Seconds to wait before retrying a connection error or a 502/503/504, or None.

        ``safe``: the request is idempotent, or it never reached the server.
        """
        if not safe or retries_so_far >= self.transient_retries:
            return None
        backoff = self._backoff(retries_so_far)
        if retry_after is not None and retry_after <= self.max_retry_after:
            return max(retry_after, backoff)
        return backoff

    def _backoff(self, retries_so_far: int) -> float:
        """Full jitter: uniform in [0, base * 2**n], capped."""
        return self.rng.uniform(0.0, min(self.backoff_cap, self.backoff_base * 2**retries_so_far))
