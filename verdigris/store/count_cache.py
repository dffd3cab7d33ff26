"""Search totals kept between requests on SQLite, for as long as the database is unchanged.

``X-PW-TOTAL`` is an exact count of a search's matches, and counting costs a walk over
every matching index entry: 50-100 ms for "all leads" at 1M, paid again on every page.
A sync job paging through an account asks the same count thousands of times. SQLite
says cheaply whether anything was committed since a moment: ``PRAGMA data_version`` on
a connection changes whenever another connection (in this process or any other)
commits. :class:`CountCache` keeps one connection that never writes just to ask it,
and keeps a total only together with the data version it was counted at.

A total is counted inside the search's own read transaction, after the version was
read, so a commit landing in between makes the stored total newer than its version,
never older: that version is never seen again (the next read gets the new one), and
the entry is simply not used.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Hashable

#: distinct searches whose totals are kept (an entry is a few dozen bytes)
MAX_ENTRIES = 4096


class CountCache:
    def __init__(self, path: str, max_entries: int = MAX_ENTRIES) -> None:
        self.path = path
        self._watch: sqlite3.Connection | None = None  # opened on first use
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[int, int]] = OrderedDict()
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0

    def version(self) -> int | None:
        """Changes whenever anything is committed to the database, by anyone; None when
        it cannot be read (then nothing is cached: the search counts as it would)."""
        with self._lock:
            try:
                if self._watch is None:
                    self._watch = sqlite3.connect(
                        self.path, check_same_thread=False, isolation_level=None
                    )
                return int(self._watch.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:
                return None

    def get(self, key: Hashable, version: int | None) -> int | None:
        if version is None:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, key: Hashable, version: int | None, total: int) -> None:
        if version is None:
            return
        with self._lock:
            self._entries[key] = (version, total)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def close(self) -> None:
        with self._lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
            self._entries.clear()
