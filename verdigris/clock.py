"""The server's clock: wall time, or a time the emulator froze and moves by hand.

One :class:`Clock` per server. The services stamp records with it (``date_created``,
``date_modified``, activity dates, ``inactive_days`` searches), the rate limits count
their windows on it, and the webhook sender reads it for its delays. Calling the clock
gives whole Unix seconds (what the services store); :meth:`Clock.time` gives the
fractional seconds the rate limits need.

Not frozen, it is ``time.time()`` plus an offset that :meth:`advance` grows, so an
advanced clock keeps ticking; frozen, it stays where it was put until advanced.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """A controllable wall clock (thread-safe; the PostgreSQL store calls it from threads)."""

    __slots__ = ("_frozen_at", "_lock", "_offset")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: seconds added to the wall clock while running
        self._offset = 0.0
        #: the time it shows while frozen (None: running)
        self._frozen_at: float | None = None

    def __call__(self) -> int:
        return int(self.time())

    def time(self) -> float:
        """Unix time in seconds, as this clock shows it."""
        frozen = self._frozen_at
        return frozen if frozen is not None else time.time() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    @property
    def offset(self) -> float:
        """How far this clock is ahead of the wall clock, in seconds (now)."""
        return self.time() - time.time()

    def freeze(self, at: float | None = None) -> float:
        """Stop the clock at ``at`` (Unix seconds; default: the time it shows now)."""
        with self._lock:
            self._frozen_at = self.time() if at is None else float(at)
            return self._frozen_at

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward (negative: back); frozen stays frozen."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds
            return self.time()

    def unfreeze(self) -> float:
        """Run again from the time shown now (an advanced clock stays ahead)."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None
            return self.time()

    def reset(self) -> None:
        """Back to the wall clock."""
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None
