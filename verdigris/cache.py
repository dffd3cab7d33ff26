"""The one cache type of the process: least recently used entries dropped beyond a bound.

Five things are kept in memory between requests, each on top of a :class:`BoundedCache`
with its own bound and its own rule for when an entry may be used:

==========================================  =========  =====================================
what                                        bound      an entry is used while
==========================================  =========  =====================================
search totals (``store.count_cache``)       4096       the data version it was counted at
                                                       is the database's
search page statements                      512 kept,  always (the filter values are part
(``store.page_statements``)                 512 seen   of the key)
compiled write statements (``store.fast``)  1024       always (the key names the statement)
account statuses and custom field           1024 each  the account's custom fields version
definitions (``services.base``)                        is unchanged (definitions)
verified credentials (``server.auth``)      10 000     its TTL (10 s) has not run out
==========================================  =========  =====================================

A small class rather than ``cachetools``: these sit on the hot path (every request reads
the auth cache and the account's definitions), and an ``OrderedDict`` behind one lock is
what they need, no more. Stdlib only, so that any layer may import it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most ``maxsize`` entries; putting one more drops the least recently used.

    With ``ttl`` (seconds, read on ``clock``), an entry is served for that long after it
    was put, then dropped when next asked for. Values are never None (None means "not
    kept"). Safe to share between threads (see :meth:`get`).
    """

    __slots__ = ("_data", "_lock", "clock", "maxsize", "ttl")

    def __init__(
        self,
        maxsize: int,
        *,
        ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self.maxsize = maxsize
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        #: value, or (expiry, value) with a ttl
        self._data: OrderedDict[K, Any] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value kept for ``key`` (now the most recently used), or None.

        No lock: each ``OrderedDict`` call is atomic under the GIL, and a lock taken on
        every read cost several times the lookup itself (these are read on every
        request). An entry another thread drops meanwhile is still returned once."""
        data = self._data
        entry = data.get(key)
        if entry is None:
            return None
        if self.ttl is not None:
            expires, entry = entry
            if expires <= self.clock():
                data.pop(key, None)
                return None
        try:  # noqa: SIM105 (contextlib.suppress costs more than the lookup)
            data.move_to_end(key)
        except KeyError:
            pass  # dropped by another thread since
        return entry  # type: ignore[no-any-return]

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key``, dropping the least recently used beyond the bound."""
        entry: Any = value if self.ttl is None else (self.clock() + self.ttl, value)
        with self._lock:  # puts are rare (misses): one at a time keeps the bound exact
            data = self._data
            data[key] = entry
            data.move_to_end(key)
            while len(data) > self.maxsize:
                data.popitem(last=False)

    def pop(self, key: K) -> V | None:
        """Forget ``key``; the value it had (expired or not), or None."""
        entry = self._data.pop(key, None)
        if entry is not None and self.ttl is not None:
            entry = entry[1]
        return entry  # type: ignore[no-any-return]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` has an entry (expired or not); does not make it recent."""
        return key in self._data
