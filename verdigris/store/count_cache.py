"""Search totals kept between requests, for as long as the data they count is unchanged.

``X-PW-TOTAL`` is an exact count of a search's matches, and counting costs a walk over
every matching index entry: 50-100 ms for "all leads" at 1M, paid again on every page.
A sync job paging through an account asks the same count thousands of times.
:class:`CountCache` keeps each total with a *data version*: a value that is equal at
two moments only if nothing was committed between them. Each engine has one:

* **SQLite**: ``PRAGMA data_version`` on a connection that never writes
  (:class:`SqliteDataVersion`) changes whenever another connection, in this process or
  any other, commits. Every read transaction reads it as it begins, before its first
  read starts its snapshot (``SqlStore.transaction``), so a commit landing in between
  makes the stored total newer than its version, never older: that version is never
  read again, and the entry is simply not used.
* **PostgreSQL**: the count statement also returns ``pg_current_snapshot()``, the
  snapshot it counted in (``xmin:xmax:in-progress ids``). Two equal snapshots see the
  same committed transactions: no transaction id was handed out between them and none of
  those in progress ended. A later search looks its snapshot up first.

Either way the page of leads is read by the next statement, which may see a commit the
kept total does not, exactly as a commit between two requests would.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Hashable

from verdigris.cache import BoundedCache

#: distinct searches whose totals are kept (an entry is a few dozen bytes)
MAX_ENTRIES = 4096


class CountCache:
    """Totals by (account, filters), each with the data version it was counted at
    (the least recently used dropped beyond ``max_entries``)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: BoundedCache[Hashable, tuple[Hashable, int]] = BoundedCache(max_entries)
        self.max_entries = max_entries
        #: lookups answered and not (diagnostics; not locked, so approximate under threads)
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, version: Hashable | None) -> int | None:
        if version is None:
            return None
        entry = self._entries.get(key)
        if entry is None or entry[0] != version:
            self.misses += 1
            return None
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, version: Hashable | None, total: int) -> None:
        if version is None:
            return
        self._entries.put(key, (version, total))

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()


class SqliteDataVersion:
    """``PRAGMA data_version`` of a SQLite file, on a connection of its own."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._watch: sqlite3.Connection | None = None  # opened on first use
        self._lock = threading.Lock()

    def __call__(self) -> int | None:
        """Changes whenever anything is committed to the database, by anyone; None when
        it cannot be read (then nothing is kept: the search counts as it would)."""
        with self._lock:
            try:
                if self._watch is None:
                    self._watch = sqlite3.connect(
                        self.path, check_same_thread=False, isolation_level=None
                    )
                return int(self._watch.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:
                return None

    def close(self) -> None:
        with self._lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
