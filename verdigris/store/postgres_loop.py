"""PostgreSQL's hot reads on the event loop (``Store.loop_reads``).

A read through the store runs in a thread of the server's pool: the event loop hands it
over, the thread takes the GIL, sends one statement, waits, and hands the answer back.
For a one-statement read (GET /account) that hop and the GIL going back and forth
between the loop and up to 40 threads cost more worker CPU than the statement
(docs/performance.md, "PostgreSQL per request: levers measured"). Here the statement is
sent on a psycopg ``AsyncConnection`` from the event loop itself.

The connections are in autocommit, like the store's read connections, with the same
session settings; each event loop has its own (a connection's waits belong to the
loop that awaits them), opened when first needed, and closed by the lifespan's end or
when a later loop finds their loop closed. They come on top of the pool's
(:data:`LOOP_CONNECTIONS`; docs/deploy.md, "Connections: the budget to check"). The
statements are the store's own (:mod:`verdigris.store.fast`), compiled once for both
ways of sending them.

A connection that died while it sat unused is found by the statement failing on it:
a read is safe to send again, so it is sent once more on a new connection, the loop's
other unused connections replaced too (no ping before use, unlike the store's pool).
A read waits at most the store's pool timeout for a free connection. Other failures
answer as the store's do: a database that cannot serve is :class:`StoreUnavailable`
(503); a read cancelled midway closes its connection.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa

from verdigris.domain.leads import Lead
from verdigris.domain.search import SearchQuery
from verdigris.store import search_sql
from verdigris.store.accounts_sql import _GET_ACCOUNT
from verdigris.store.base import AccountRecord, LoopReads, StoreUnavailable, WireFields
from verdigris.store.count_cache import CountCache
from verdigris.store.custom_fields_sql import _FIELDS_VERSION
from verdigris.store.fast import Prepared, Statement, compile_statement, prepared
from verdigris.store.lead_rows import _GET_LEAD, LEAD_COLUMNS, lead_from_mapping
from verdigris.store.leads_sql import (
    WIRE_COLUMNS,
    count_key,
    kept_page,
    page_with_bounds,
    reads_sort_index,
)
from verdigris.store.page_statements import PageStatements, compile_page, page_key

#: the lead and its account's custom field definitions version (what tells whether the
#: definitions cached in the process are still the account's), in one round trip
_GET_LEAD_AND_FIELDS_VERSION = _GET_LEAD.add_columns(
    _FIELDS_VERSION.scalar_subquery().label("fields_version")
)

#: the account's definitions version and the snapshot a statement sees now, which keys
#: the search totals kept (verdigris.store.count_cache)
_FIELDS_VERSION_AND_SNAPSHOT = sa.select(
    _FIELDS_VERSION.scalar_subquery().label("fields_version"),
    sa.text("pg_current_snapshot()::text"),
)


def count_and_snapshot(where: list[Any]) -> sa.Select[Any]:
    """How many leads meet ``where``, and the snapshot counted in, in one statement, so
    that the total is the snapshot's exactly (a search's total to keep)."""
    count = search_sql.count_statement(where).scalar_subquery()
    return sa.select(count, sa.text("pg_current_snapshot()::text"))


#: the share of a loop's connections that searches may hold at once; a search beyond it
#: waits for one of them to finish. A search can count a million matches (hundreds of
#: milliseconds when its total is not kept); the rest of the connections stay free for
#: the one-statement reads (GET /account, GET /leads/{id}). (Sending the searches beyond
#: it to the threads instead cost them the thread hop the loop is there to save: under
#: 16 concurrent searches most of them went there.)
SEARCH_SHARE = 0.75

#: connections of a worker's event loop (a worker runs one loop), besides its pool's
#: (``VERDIGRIS_DB_LOOP_CONNECTIONS``). A/B on PostgreSQL, 10k leads, pool of 10
#: (docs/performance.md): with 2 a read waited for a connection and GET /account gained
#: 1.07-1.26x requests/s; with 4, 2.09x. Taken out of the pool instead, they cost
#: upserts (which hold a thread's connection for the whole transaction) 1.16-1.26x the
#: worker CPU: they are counted on top of it.
LOOP_CONNECTIONS = 4


class _Slot:
    """A connection and the cursor kept on it."""

    __slots__ = ("conn", "cur")

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.conn = conn
        self.cur = conn.cursor()


def _finish(conn: psycopg.AsyncConnection[Any]) -> None:
    """Close without awaiting (what ``AsyncConnection.close`` does, no I/O to wait on)."""
    conn.pgconn.finish()


class _LoopPool:
    """The connections of one event loop: at most ``size``, waiters served in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.loop = loop
        self.size = size
        self.idle: list[_Slot] = []
        self.opened = 0
        #: the searches that may run on these connections at once (SEARCH_SHARE)
        self.searches = asyncio.Semaphore(max(1, int(size * SEARCH_SHARE)))
        #: the counts running, by (search, data version): the total, or None if failed
        self.counting: dict[tuple[Hashable, Hashable], asyncio.Future[int | None]] = {}
        #: futures of the requests waiting for a connection: a slot, or None (open one)
        self.waiters: deque[asyncio.Future[_Slot | None]] = deque()

    def release(self, slot: _Slot) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(slot)
                return
        self.idle.append(slot)

    def discard(self, slot: _Slot) -> None:
        _finish(slot.conn)
        self.opened -= 1
        while self.waiters:  # a waiter opens the connection this one leaves room for
            waiter = self.waiters.popleft()
            if not waiter.done():
                self.opened += 1
                waiter.set_result(None)
                return

    def finish_idle(self) -> None:
        for slot in self.idle:
            _finish(slot.conn)
            self.opened -= 1
        self.idle.clear()


class PostgresLoopReads(LoopReads):
    """The hot reads of a :class:`~verdigris.store.postgres.PostgresStore`."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        size: int,
        timeout: float,
        connect_timeout: float,
        session: list[str],
        counts: CountCache | None = None,
        pages: PageStatements | None = None,
    ) -> None:
        self.dialect = engine.dialect
        #: the store's kept search totals and page statements (shared with its threads)
        self.counts = counts
        self.pages = pages if pages is not None else PageStatements()
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        cparams.setdefault("connect_timeout", int(connect_timeout))
        self._cargs: list[Any] = list(cargs)
        self._cparams: dict[str, Any] = dict(cparams)
        self.size = size
        self.timeout = timeout
        self.session = session
        self._pools: dict[asyncio.AbstractEventLoop, _LoopPool] = {}
        self._lock = threading.Lock()

    # the reads -----------------------------------------------------------------------
    async def account(self, account_id: int) -> AccountRecord | None:
        row = await self._fetchone("get_account", _GET_ACCOUNT, {"account_id": account_id})
        return AccountRecord(*row) if row else None

    async def lead(self, account_id: int, lead_id: int) -> tuple[Lead, int] | None:
        row = await self._fetchone(
            "get_lead_and_fields_version",
            _GET_LEAD_AND_FIELDS_VERSION,
            {"lead_id": lead_id, "account_id": account_id},
        )
        if row is None:
            return None
        version = row[-1]
        lead = lead_from_mapping(dict(zip(LEAD_COLUMNS, row[:-1], strict=True)))
        return lead, int(version) if version is not None else 0

    async def search_version(self, account_id: int) -> tuple[int, Hashable]:
        row = await self._fetchone(
            "fields_version_and_snapshot",
            _FIELDS_VERSION_AND_SNAPSHOT,
            {"account_id": account_id},
        )
        return int(row[0]) if row[0] is not None else 0, str(row[1])

    async def search(
        self, account_id: int, query: SearchQuery, data_version: Hashable
    ) -> tuple[int, Sequence[WireFields]]:
        """As ``tx.leads.search`` on PostgreSQL (``PostgresLeads``: the page's rows in one
        statement), with the same kept totals and page statements: the total kept for
        ``data_version`` if there is one, else counted (with the snapshot it was
        counted at, as the threads do); then the page. At most :data:`SEARCH_SHARE` of
        the loop's connections search at once: a search waits for its turn as long as a
        read waits for a connection."""
        pool = self._pool()
        try:
            async with asyncio.timeout(self.timeout):
                await pool.searches.acquire()
        except TimeoutError:
            raise StoreUnavailable(
                f"no search of the event loop ended within {self.timeout:g} s"
            ) from None
        try:
            total = await self._total(pool, account_id, query, data_version)
            if query.limit == 0 or query.offset >= total:
                return total, []
            by_index = reads_sort_index(query, total)
            page = kept_page(self.pages, self.dialect, account_id, query, by_index, WIRE_COLUMNS)
            if page is None:  # seen for the first time: compiled, not kept
                filters = page_key(query)
                page = compile_page(self.dialect, account_id, filters, by_index, WIRE_COLUMNS)
            sql, params = page_with_bounds(page, query)
            # in binary: the wire forms (bytea) come as they are, not as hex text for
            # psycopg to decode (a page's fetch 1.7-1.9 -> 1.0-1.1 ms of CPU at 100k)
            rows: Sequence[WireFields] = await self._fetch_sql(sql, params, many=True, binary=True)
            return total, rows
        finally:
            pool.searches.release()

    async def _total(
        self, pool: _LoopPool, account_id: int, query: SearchQuery, data_version: Hashable
    ) -> int:
        """The search's total: kept for ``data_version``, or counted. A search that finds
        the same count already running for the same data version waits for its answer
        instead of counting too: a count can read a million index entries, and without
        this every search arriving while it ran started its own, each slowing the others
        (2 workers, 16 connections: the counts never caught up)."""
        counts = self.counts
        key = count_key(account_id, query)
        total = counts.get(key, data_version) if counts is not None else None
        if total is not None:
            return total
        flight = (key, data_version)
        running = pool.counting.get(flight)
        if running is not None:
            shared = await asyncio.shield(running)
            if shared is not None:
                return shared
            # that count failed or was cancelled: this search counts for itself
        mine: asyncio.Future[int | None] = pool.loop.create_future()
        pool.counting[flight] = mine
        total = None
        try:
            where = search_sql.conditions(account_id, query)
            row = await self._fetch(self._count(query, key, where), {})
            total = int(row[0])
            if counts is not None:
                counts.put(key, str(row[1]), total)
            return total
        finally:
            if pool.counting.get(flight) is mine:
                del pool.counting[flight]
            mine.set_result(total)

    def _count(self, query: SearchQuery, key: Hashable, where: list[Any]) -> Prepared:
        """The count statement of a search (:func:`count_and_snapshot`), kept as the page
        statements are: compiled once for a search that comes back, compiled and dropped
        for one seen once."""

        def build() -> Prepared:
            return compile_statement(count_and_snapshot(where), self.dialect, variable=frozenset())

        return self.pages.lookup(query, ("count", key), build) or build()

    # connections ---------------------------------------------------------------------
    async def _fetchone(self, key: str, stmt: Statement, values: Mapping[str, Any]) -> Any:
        return await self._fetch(prepared(key, stmt, self.dialect), values)

    async def _fetch(self, p: Prepared, values: Mapping[str, Any], *, many: bool = False) -> Any:
        """The statement's first row (``many``: all its rows), on a connection of the loop."""
        return await self._fetch_sql(p.sql, p.params(values), many=many)

    async def _fetch_sql(
        self, sql: str, params: Any, *, many: bool = False, binary: bool = False
    ) -> Any:
        pool = self._pool()
        retried = False
        while True:
            slot, fresh = await self._acquire(pool)
            try:
                await slot.cur.execute(sql, params, binary=binary)
                row = await (slot.cur.fetchall() if many else slot.cur.fetchone())
            except psycopg.OperationalError as exc:
                if not slot.conn.closed:  # the statement failed, not the connection
                    pool.release(slot)
                    raise StoreUnavailable(str(exc)) from exc
                pool.discard(slot)
                # the others unused since are likely dead too (a restart): new ones
                pool.finish_idle()
                if fresh or retried:
                    raise StoreUnavailable(str(exc)) from exc
                retried = True  # it died while unused: once more, on a new connection
                continue
            except BaseException:
                # cancelled mid-statement, or an error the statement cannot cause: the
                # connection's state is not known, it is not used again
                pool.discard(slot)
                raise
            pool.release(slot)
            return row

    def _pool(self) -> _LoopPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            with self._lock:
                # the connections of loops that have ended (a test client's) are closed
                for old in [p for p in self._pools.values() if p.loop.is_closed()]:
                    old.finish_idle()
                    del self._pools[old.loop]
                pool = self._pools[loop] = _LoopPool(loop, self.size)
        return pool

    async def _acquire(self, pool: _LoopPool) -> tuple[_Slot, bool]:
        """A connection, and whether it was just opened."""
        if pool.idle:
            return pool.idle.pop(), False
        if pool.opened < pool.size:
            pool.opened += 1
            return await self._open(pool), True
        waiter: asyncio.Future[_Slot | None] = pool.loop.create_future()
        pool.waiters.append(waiter)
        try:
            async with asyncio.timeout(self.timeout):
                slot = await waiter
        except TimeoutError:
            raise StoreUnavailable(
                f"no connection of the event loop was free within {self.timeout:g} s"
            ) from None
        except BaseException:
            if waiter.done() and not waiter.cancelled():  # handed one just as it gave up
                handed = waiter.result()
                if handed is None:
                    pool.opened -= 1
                else:
                    pool.release(handed)
            raise
        if slot is None:  # room was made for one
            return await self._open(pool), True
        return slot, False

    async def _open(self, pool: _LoopPool) -> _Slot:
        """A new connection (``pool.opened`` already counts it)."""
        try:
            conn = await psycopg.AsyncConnection.connect(
                *self._cargs, **self._cparams, autocommit=True
            )
        except BaseException as exc:
            pool.opened -= 1
            if isinstance(exc, psycopg.OperationalError):
                raise StoreUnavailable(str(exc)) from exc
            raise
        try:
            for statement in self.session:
                await conn.execute(statement)
        except BaseException as exc:
            _finish(conn)
            pool.opened -= 1
            if isinstance(exc, psycopg.OperationalError):
                raise StoreUnavailable(str(exc)) from exc
            raise
        return _Slot(conn)

    async def close(self) -> None:
        with self._lock:
            pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            pool.finish_idle()

    def close_all(self) -> None:
        """Close every loop's unused connections (the store is closing)."""
        with self._lock:
            for pool in self._pools.values():
                pool.finish_idle()
            self._pools.clear()
