"""PostgreSQL, for teams running several workers or machines on one database.

Upserts on one key are serialized with a transaction-scoped advisory lock keyed
on (account, match field, normalized value): it holds across processes and
machines and is released at commit or rollback.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
import sqlalchemy as sa

from verdigris.config import DURABLE, FAST
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search import SearchQuery
from verdigris.store import schema, search_sql
from verdigris.store.base import Capabilities, StoreTx, StoreUnavailable
from verdigris.store.leads_sql import SqlLeads
from verdigris.store.postgres_loop import LOOP_CONNECTIONS, PostgresLoopReads
from verdigris.store.sql import SqlStore, _roll_back_after_failure

schema.add_postgresql_options()

_SNAPSHOT = "SELECT pg_current_snapshot()::text"
_LOCK = "SELECT pg_advisory_xact_lock(%(key)s)"  # psycopg's parameter style
#: the planner's cost of a random page read on verdigris's connections (PostgreSQL's
#: default, 4.0, models spinning disks; 1.1 is the usual figure for SSDs and cached data)
SEARCH_RANDOM_PAGE_COST = 1.1


def advisory_key(account_id: int, criteria: MatchCriteria) -> int:
    """A signed 64-bit lock key for ``pg_advisory_xact_lock``."""
    digest = hashlib.blake2b(
        f"{account_id}\x00{criteria.lock_key}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresLeads(SqlLeads):
    def lock_match(self, account_id: int, criteria: MatchCriteria) -> None:
        # on the write path's cursor (store/fast.py), like the match that follows it
        self.fast.execute(_LOCK, {"key": advisory_key(account_id, criteria)})

    def _data_version(self) -> Hashable | None:
        # the snapshot this statement sees: see verdigris.store.count_cache
        return str(self.fast.execute(_SNAPSHOT).fetchone()[0])

    def _count(self, where: list[Any]) -> tuple[int, Hashable | None]:
        # count and snapshot in one statement, so the total is the snapshot's exactly
        count = search_sql.count_statement(where).scalar_subquery()
        row = self.conn.execute(sa.select(count, sa.text("pg_current_snapshot()::text"))).one()
        return int(row[0]), str(row[1])

    def _search_rows(
        self, account_id: int, query: SearchQuery
    ) -> tuple[int, Sequence[tuple[Any, ...]]]:
        # With the default random_page_cost PostgreSQL counts "leads with tag X" by
        # scanning every lead of the account rather than looking up the few tagged ones
        # (docs/performance.md): the connection sets it once (PostgresStore, on_connect).
        return super()._search_rows(account_id, query)


#: one key for every ``verdigris`` process migrating this database
MIGRATION_LOCK = advisory_key(0, MatchCriteria("name", "verdigris schema migration"))
#: seconds a request waits for a free pooled connection before answering 503
POOL_TIMEOUT = 10
#: seconds to wait for the server when opening a connection
CONNECT_TIMEOUT = 10
#: seconds a statement may wait for a lock (an upsert for another's on its key) before
#: the request answers 503, as SQLite's busy timeout
LOCK_TIMEOUT = 30


#: seconds a pooled connection may sit unused before it is pinged at its next checkout
PING_AFTER_IDLE = 5.0


class _Pings:
    """Ping a pooled connection before use only when it has been idle a while.

    A connection can die while it sits in the pool (the server restarts, a proxy or
    firewall drops idle connections); SQLAlchemy's ``pool_pre_ping`` finds that out
    by pinging at every checkout, a round trip that cost about 10% of the server's
    requests/s (docs/performance.md). Connections in steady use were just seen
    working, so only one idle for more than ``idle_seconds`` is pinged; a dead one is
    discarded and the pool hands out another (SQLAlchemy retries the checkout). A
    connection that dies while in use fails its request with 503, and SQLAlchemy then
    replaces the pool's other connections too (``SqlStore._open``).
    """

    def __init__(self, engine: sa.Engine, idle_seconds: float) -> None:
        self.dialect = engine.dialect
        self.idle_seconds = idle_seconds
        sa.event.listen(engine, "checkin", self._checkin)
        sa.event.listen(engine, "checkout", self._checkout)

    def _checkin(self, _dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def _checkout(self, dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= self.idle_seconds:
            return  # new, just reconnected, or in steady use
        try:
            self.dialect.do_ping(dbapi_conn)  # one round trip, outside any transaction
        except self.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError(f"a pooled connection had died: {exc}") from exc


def _end_autocommit(raw: Any) -> None:
    """Back to transactions before the connection returns to the pool (a broken
    connection is left as it is: the pool discards it)."""
    if raw.closed:
        return
    with suppress(psycopg.Error):  # refused on a broken connection
        raw.autocommit = False


class PostgresStore(SqlStore):
    """A pool of at most ``pool_size`` connections per process (no overflow), and at
    most ``loop_connections`` more for the hot reads on the event loop, so that
    workers x machines x (pool_size + loop_connections) is the most this deployment
    opens on the server."""

    leads_class = PostgresLeads
    capabilities = Capabilities(inline=False, group_commit=False, kept_counts=True)

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        pool_timeout: float = POOL_TIMEOUT,
        lock_timeout: float = LOCK_TIMEOUT,
        ping_after_idle: float = PING_AFTER_IDLE,
        durability: str = DURABLE,
        loop_connections: int = LOOP_CONNECTIONS,
    ) -> None:
        if pool_size < 1:
            raise ValueError(f"the PostgreSQL pool size must be at least 1, got {pool_size}")
        engine = sa.create_engine(
            url,
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=pool_timeout,
            # instead of a ping at every checkout: see _Pings
            # a connect_timeout in the URL wins over ours
            connect_args={}
            if "connect_timeout" in sa.engine.make_url(url).query
            else {"connect_timeout": CONNECT_TIMEOUT},
        )
        lock_ms = max(1, int(lock_timeout * 1000))
        session = [
            f"SET lock_timeout = {lock_ms}",
            # for searches (PostgresLeads._search_rows); set once per connection, as
            # reads run outside a transaction block, where SET LOCAL cannot
            f"SET random_page_cost = {SEARCH_RANDOM_PAGE_COST}",
        ]
        if durability == FAST:  # durable: the server's own setting (docs/deploy.md)
            session.append("SET synchronous_commit = off")

        def on_connect(dbapi_conn: Any, _record: Any) -> None:
            with dbapi_conn.cursor() as cur:
                for statement in session:
                    cur.execute(statement)
            dbapi_conn.commit()

        sa.event.listen(engine, "connect", on_connect)
        _Pings(engine, ping_after_idle)
        super().__init__(url, engine)
        self.durability = durability
        # the event loop's own connections, for the hot reads (postgres_loop); 0: none
        self.loop_reads: PostgresLoopReads | None = None
        if loop_connections > 0:
            self.loop_reads = PostgresLoopReads(
                engine,
                size=loop_connections,
                timeout=pool_timeout,
                connect_timeout=CONNECT_TIMEOUT,
                session=session,
            )

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[StoreTx]:
        """Writes: a transaction, as on every engine. Reads: the connection in autocommit,
        one round trip per statement instead of BEGIN, the statements and COMMIT.

        Nothing is lost by it: verdigris reads at PostgreSQL's READ COMMITTED, where each
        statement of a transaction takes a snapshot of its own anyway, and a read writes
        nothing to commit. (A GET was three round trips, BEGIN, SELECT, COMMIT; it is one;
        docs/performance.md.) What needs one snapshot for two answers asks in one
        statement (the search count and its snapshot, ``PostgresLeads._count``)."""
        if write:
            with super().transaction(write=True) as tx:
                yield tx
            return
        with self._connection() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.autocommit = True
            try:
                yield self._tx(conn, read=True)
            except sa.exc.OperationalError as exc:
                _roll_back_after_failure(conn)
                raise StoreUnavailable(str(exc.orig)) from exc
            except BaseException:
                _roll_back_after_failure(conn)
                raise
            finally:
                _end_autocommit(raw)

    def close(self) -> None:
        if self.loop_reads is not None:
            self.loop_reads.close_all()
        super().close()

    def durability_note(self) -> str:
        with self.engine.connect() as conn:
            value = conn.exec_driver_sql("SHOW synchronous_commit").scalar()
        if self.durability == FAST:
            return (
                "fast (PostgreSQL synchronous_commit=off on verdigris's connections: an OS "
                "crash or power cut can lose the last commits)"
            )
        if value == "off":
            return (
                "NOT durable: the PostgreSQL server has synchronous_commit=off, so an OS "
                "crash or power cut can lose the last commits (docs/deploy.md)"
            )
        return f"durable (PostgreSQL synchronous_commit={value}, the server's setting)"

    def migrate(self) -> None:
        # Several processes may start on one new database at once (workers, machines):
        # the first migrates, the others wait for it and then find the schema at head.
        if self.at_head():  # nothing to do: Alembic is not even imported
            return
        from alembic import command

        with self.engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            command.upgrade(self.alembic_config(conn), "head")
