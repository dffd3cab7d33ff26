"""PostgreSQL, for teams running several workers or machines on one database.

Upserts on one key are serialized with a transaction-scoped advisory lock keyed
on (account, match field, normalized value): it holds across processes and
machines and is released at commit or rollback.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from typing import Any, cast

import msgspec
import psycopg
import sqlalchemy as sa
from psycopg import RawCursor
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from verdigris.config import DURABLE, FAST
from verdigris.domain.history import Version
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search import SearchQuery
from verdigris.domain.webhooks import Subscription
from verdigris.store import schema
from verdigris.store.base import Capabilities, StoreTx, StoreUnavailable
from verdigris.store.fast import FastCursor, Prepared, Statement, prepared, savepoint_name
from verdigris.store.history_sql import SqlHistory
from verdigris.store.leads_sql import SqlLeads, page_with_bounds
from verdigris.store.postgres_loop import LOOP_CONNECTIONS, PostgresLoopReads, count_and_snapshot
from verdigris.store.sql import SqlStore, SqlTx, _roll_back_after_failure
from verdigris.store.webhooks_sql import SqlWebhooks, _subscriptions

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


class _Ahead:
    """A statement held back whose rows are read later (:meth:`PipelineCursor.ahead`)."""

    __slots__ = ("cursor", "fast", "params", "sent", "sql")

    def __init__(self, fast: PipelineCursor, sql: str, params: Any, cursor: Any) -> None:
        self.fast = fast
        self.sql = sql
        self.params = params
        self.cursor = cursor
        self.sent = False

    def __call__(self) -> list[Any]:
        if not self.sent:
            self.fast.flush()
        if not self.sent:  # dropped with a savepoint rolled back: asked now
            with self.fast._driver_errors(self.sql, self.params):
                self.cursor.execute(self.sql, self.params)
            self.sent = True
        rows: list[Any] = self.cursor.fetchall()
        return rows


#: psycopg converts a statement with more named parameters than this anew at every
#: execution (its cache of converted statements takes at most 50, psycopg._queries): about
#: 0.1 ms of a lead's INSERT. Those are compiled with numbered placeholders ($1...) for a
#: RawCursor, which psycopg sends as they are (PipelineCursor.run).
_MAX_NAMED_PARAMS = 50
#: whether psycopg's libpq has pipeline mode (libpq 14 and later; psycopg-binary's has)
PIPELINES = psycopg.Pipeline.is_supported()
_NUMBERED = PGDialect_psycopg(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]

#: a held statement: (SQL, parameters, executemany?, its rows' reader if they are read)
_Held = tuple[str, Any, bool, _Ahead | None]
#: where the statements held back on a connection are kept (``Connection.info``)
_HELD = "verdigris_held"


class HeldStatements:
    """The statements held back on one connection, shared by every cursor on it (an
    idempotency key's transaction and the write inside it are two)."""

    def __init__(self, sender: PipelineCursor) -> None:
        self.items: list[_Held] = []
        #: pipelines sent so far on this connection
        self.sent = 0
        #: a cursor to send them with (any cursor of the connection will do)
        self.sender = sender


class PipelineCursor(FastCursor):
    """The write path's cursor on PostgreSQL: statements whose results nobody reads
    (``defer``) are held back, then sent in one pipeline (psycopg's ``pipeline()``) with
    the next statement that waits for an answer, or with the COMMIT: one round trip for
    all of them instead of one each (docs/performance.md).

    The transaction's statements keep their order: a statement of this cursor that
    waits for its answer, or any statement through SQLAlchemy on the connection
    (``PostgresStore``'s ``before_cursor_execute`` listener), sends the held ones first.
    A held statement that fails raises from the call that sends it, as SQLAlchemy's
    error, in the same transaction and inside the same savepoints: a savepoint's end
    holds its RELEASE back, and a savepoint rolled back before anything of it was sent
    drops what it held instead of sending it.
    """

    def __init__(self, conn: sa.Connection) -> None:
        super().__init__(conn)
        held = conn.info.get(_HELD)
        if held is None:
            held = conn.info[_HELD] = HeldStatements(self)
        else:
            held.sender = self
        self.held: HeldStatements = held

    def run(
        self,
        key: str,
        stmt: Statement,
        values: Mapping[str, Any],
        *,
        sqlite_index: tuple[str, str] | None = None,
    ) -> Any:
        p = prepared(key, stmt, self.dialect)
        params = p.params(values)
        if len(params) <= _MAX_NAMED_PARAMS:
            return self.execute(p.sql, params)
        # a lead's INSERT (52 values): numbered, on a RawCursor, sent as it is
        numbered = prepared(key, stmt, _NUMBERED)
        reader = _Ahead(self, numbered.sql, numbered.params(values), self._new_cursor(RawCursor))
        self.held.items.append((reader.sql, reader.params, False, reader))
        self.flush()
        return reader.cursor

    def defer(self, key: str, stmt: Statement, values: Mapping[str, Any]) -> None:
        p = prepared(key, stmt, self.dialect)
        self.held.items.append((p.sql, p.params(values), False, None))

    def defer_sql(self, sql: str, params: Any = ()) -> None:
        self.held.items.append((sql, params, False, None))

    def defer_many(self, key: str, stmt: Statement, rows: list[dict[str, Any]]) -> None:
        p = prepared(key, stmt, self.dialect)
        self.held.items.append((p.sql, [p.params(r) for r in rows], True, None))

    def ahead(
        self, key: str, stmt: Statement, values: Mapping[str, Any]
    ) -> Callable[[], list[Any]]:
        """Held back like the others, on a cursor of its own: its rows are there once the
        pipeline that carries it is back (reading them sends it if it is not yet)."""
        p = prepared(key, stmt, self.dialect)
        reader = _Ahead(self, p.sql, p.params(values), self._new_cursor())
        self.held.items.append((reader.sql, reader.params, False, reader))
        return reader

    def execute(self, sql: str, params: Any = (), *, binary: bool = False) -> Any:
        if self.held.items:
            if not binary:
                return self._send((sql, params, False, None))
            self.flush()  # (the pipeline's statements are sent in text format)
        return super().execute(sql, params, binary=binary)

    def executemany(self, key: str, stmt: Statement, rows: list[dict[str, Any]]) -> None:
        self.defer_many(key, stmt, rows)
        self.flush()

    def flush(self) -> None:
        if self.held.items:
            self._send(None)

    def commit(self) -> None:
        """Send what is held back and COMMIT, in one round trip (a transaction that sent
        nothing, and holds only its BEGIN, sends nothing)."""
        held = self.held
        if held.sent == 0 and held.items == [_BEGIN]:
            held.items.clear()
            return
        self._send(_COMMIT)

    def _send(self, last: _Held | None) -> Any:
        """The held statements, then ``last``, in one pipeline; the cursor, to fetch
        ``last``'s rows from."""
        held = self.held
        items = held.items
        held.items = []
        held.sent += 1
        if last is not None:
            items.append(last)
        cur = self._cur()
        raw = self.conn.connection.dbapi_connection
        assert raw is not None
        # without pipeline mode in the libpq psycopg uses (before PostgreSQL 14's), one
        # round trip each, in the same order
        pipeline = raw.pipeline() if PIPELINES else nullcontext()
        with self._driver_errors(items[-1][0], items[-1][1]), pipeline:
            for sql, params, many, reader in items:
                if reader is not None:
                    reader.cursor.execute(sql, params)
                elif many:
                    cur.executemany(sql, params)
                else:
                    cur.execute(sql, params)
        for item in items:
            if item[3] is not None:
                item[3].sent = True
        return cur

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        name = savepoint_name()
        held = self.held
        sent, start = held.sent, len(held.items)
        held.items.append((f"SAVEPOINT {name}", (), False, None))
        try:
            yield
        except BaseException:
            if held.sent == sent:  # nothing since the SAVEPOINT reached the server
                del held.items[start:]
            else:  # everything still held came after it
                held.items.clear()
                held.items.append((f"ROLLBACK TO SAVEPOINT {name}", (), False, None))
                held.items.append((f"RELEASE SAVEPOINT {name}", (), False, None))
            raise
        held.items.append((f"RELEASE SAVEPOINT {name}", (), False, None))


_BEGIN: _Held = ("BEGIN", (), False, None)
_COMMIT: _Held = ("COMMIT", (), False, None)


def _send_held(conn: sa.Connection, *_args: Any) -> None:
    """Before a statement through SQLAlchemy, or its commit: what is held back first."""
    held = conn.info.get(_HELD)
    if held is not None and held.items:
        held.sender.flush()


def _drop_held(conn: sa.Connection) -> None:
    """A rollback: what is held back will never run. (A connection found dead has no
    ``info`` to look into: SQLAlchemy clears it with the connection it replaces.)"""
    try:
        held = conn.info.get(_HELD)
    except sa.exc.SQLAlchemyError:
        return
    if held is not None:
        held.items.clear()


def _forget_held(_dbapi_conn: Any, record: Any) -> None:
    """Back in the pool: the next checkout starts afresh."""
    record.info.pop(_HELD, None)


# The next version of a lead, and a baseline before it when the lead has none yet (a lead
# older than its history), in one statement (HistoryServices.record_version). The values
# are cast to their columns' types: a parameter in a SELECT list is text otherwise.
_VERSION_VALUES = (
    "%({p}account_id)s::bigint, %({p}lead_id)s::bigint, {n}, %({p}event)s::text,"
    " %({p}cause)s::text, %({p}data)s::text, %({p}user_id)s::bigint, %({p}at)s::bigint,"
    " %({p}route)s::text, %({p}request_id)s::text, %({p}import_run)s::text"
)
_VERSION_COLUMNS = (
    "account_id, lead_id, version, event, cause, data, user_id, at, route, request_id, import_run"
)
_ADD_FOLLOWING = (
    "WITH latest AS (SELECT coalesce(max(version), 0) AS n FROM lead_versions"
    " WHERE account_id = %(account_id)s::bigint AND lead_id = %(lead_id)s::bigint),"
    f" baseline AS (INSERT INTO lead_versions ({_VERSION_COLUMNS})"
    f" SELECT {_VERSION_VALUES.format(p='b_', n='1')}"
    " FROM latest WHERE n = 0 AND %(has_baseline)s::boolean)"
    f" INSERT INTO lead_versions ({_VERSION_COLUMNS})"
    " SELECT "
    + _VERSION_VALUES.format(
        p="", n="CASE WHEN n = 0 AND %(has_baseline)s::boolean THEN 2 ELSE n + 1 END"
    )
    + " FROM latest"
)
_NO_BASELINE = {f"b_{k}": None for k in Version.__struct_fields__ if k != "version"}


class PostgresHistory(SqlHistory):
    def add_following(self, version: Version, baseline: Callable[[], Version] | None) -> None:
        # one statement, its answer unread: held back with the write it follows (inside a
        # bulk request's ``together`` block too, which then collects nothing here)
        values = msgspec.structs.asdict(version)
        del values["version"]
        if baseline is None:
            values.update(_NO_BASELINE)
            values["has_baseline"] = False
        else:
            before = msgspec.structs.asdict(baseline())
            del before["version"]
            values.update({f"b_{k}": v for k, v in before.items()})
            values["has_baseline"] = True
        self.fast.defer_sql(_ADD_FOLLOWING, values)


_SUBSCRIPTIONS_OF_TYPE = (
    sa.select(schema.webhook_subscriptions)
    .where(
        schema.webhook_subscriptions.c.account_id == sa.bindparam("a"),
        schema.webhook_subscriptions.c.type == sa.bindparam("t"),
    )
    .order_by(schema.webhook_subscriptions.c.id)
)


class PostgresWebhooks(SqlWebhooks):
    def __init__(self, conn: sa.Connection, fast: FastCursor) -> None:
        super().__init__(conn, fast)
        #: the subscriptions of a type, asked ahead (expect_type), by (account, type)
        self._asked: dict[tuple[int, str], Callable[[], list[Any]]] = {}
        self._of_type: dict[tuple[int, str], list[Subscription]] = {}

    def expect_type(self, account_id: int, type: str) -> None:
        # with the transaction's next statement: the change's observer reads them later
        key = (account_id, type)
        if key not in self._asked:
            params = {"a": account_id, "t": type}
            self._asked[key] = self.fast.ahead("webhooks_of_type", _SUBSCRIPTIONS_OF_TYPE, params)

    def for_topic(self, account_id: int, type: str, event: str) -> list[Subscription]:
        asked = self._asked.get((account_id, type))
        if asked is None:
            return super().for_topic(account_id, type, event)
        found = self._topics.get((account_id, type, event))
        if found is None:
            of_type = self._of_type.get((account_id, type))
            if of_type is None:
                of_type = self._of_type[(account_id, type)] = _subscriptions(asked())
            found = self._topics[(account_id, type, event)] = [
                s for s in of_type if s.event == event
            ]
        return found

    def _forget_topics(self) -> None:
        super()._forget_topics()
        self._asked.clear()
        self._of_type.clear()


class PostgresTx(SqlTx):
    cursor_class = PipelineCursor

    @property
    def webhooks(self) -> SqlWebhooks:
        if self._webhooks is None:
            self._webhooks = PostgresWebhooks(self.conn, self.fast)
        return self._webhooks

    @property
    def history(self) -> SqlHistory:
        if self._history is None:
            self._history = PostgresHistory(self.conn, self.fast)
        return self._history


class PostgresLeads(SqlLeads):
    # a search page in one statement: one round trip (see SqlLeads.ids_then_rows)
    ids_then_rows = False

    def lock_match(self, account_id: int, criteria: MatchCriteria) -> None:
        # held back: sent in one round trip with the match that follows it, which runs
        # once the lock is granted, with a snapshot taken after it
        self.fast.defer_sql(_LOCK, {"key": advisory_key(account_id, criteria)})

    def _page_statement(self, prepared: Prepared, query: SearchQuery) -> tuple[str, Any]:
        return page_with_bounds(prepared, query)

    def _fetch_page(self, sql: str, params: Any) -> list[Any]:
        # in binary, as the event loop's search: the wire forms (bytea) come as they
        # are, not as hex text for psycopg to decode
        return cast(list[Any], self.fast.execute(sql, params, binary=True).fetchall())

    def _data_version(self) -> Hashable | None:
        # the snapshot this statement sees: see verdigris.store.count_cache
        return str(self.fast.execute(_SNAPSHOT).fetchone()[0])

    def _count(self, where: list[Any]) -> tuple[int, Hashable | None]:
        row = self.conn.execute(count_and_snapshot(where)).one()
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
    tx_class = PostgresTx
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
        # the write path's held statements (PipelineCursor) keep their place in the order
        sa.event.listen(engine, "before_cursor_execute", _send_held)
        sa.event.listen(engine, "commit", _send_held)
        sa.event.listen(engine, "rollback", _drop_held)
        sa.event.listen(engine, "checkin", _forget_held)
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
                counts=self.counts,
                pages=self.pages,
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
            with self._write() as tx:
                yield tx
            return
        with self._autocommitted() as conn:
            yield self._tx(conn, read=True)

    @contextmanager
    def _autocommitted(self) -> Iterator[sa.Connection]:
        """A pooled connection in autocommit for the block (reads, and writes that send
        their own BEGIN); the database failing is StoreUnavailable, and on any error
        whatever is open or held back on it is rolled back."""
        with self._connection() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.autocommit = True
            try:
                yield conn
            except sa.exc.OperationalError as exc:
                _roll_back_after_failure(conn)  # also drops what is held back
                raise StoreUnavailable(str(exc.orig)) from exc
            except BaseException:
                _roll_back_after_failure(conn)
                raise
            finally:
                _end_autocommit(raw)

    @contextmanager
    def _write(self) -> Iterator[SqlTx]:
        """A write transaction whose BEGIN and COMMIT travel with its other statements.

        psycopg would send BEGIN on its own, one round trip before the first statement,
        and COMMIT in another after the last. Here the connection is in autocommit (psycopg
        sends neither), and the write path's cursor holds back a BEGIN of its own, sent
        with the transaction's first statement, then sends what it still holds with the
        COMMIT (PipelineCursor). A transaction that sent nothing sends nothing."""
        with self._autocommitted() as conn:
            tx = self._tx(conn)
            fast = tx.fast
            assert isinstance(fast, PipelineCursor)
            fast.defer_sql(_BEGIN[0], _BEGIN[1])
            conn.begin()  # SQLAlchemy's own bookkeeping: nothing is sent
            yield tx
            fast.commit()
            conn.commit()  # nothing is sent: the driver sees no transaction left

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
