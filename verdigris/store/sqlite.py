"""SQLite, the embedded default: one file in WAL mode.

Write transactions start with ``BEGIN IMMEDIATE``, which takes SQLite's single
writer lock before the first read. The match lookup and the write of an upsert
therefore run with no other writer in between, in this process or any other.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from verdigris.domain.search import SearchQuery
from verdigris.store import search_sql
from verdigris.store.sql import SqlStore, SqlTx

#: how long a writer waits for another process's write lock, in seconds
BUSY_TIMEOUT = 30
#: searches with at most this many matches sort them instead of walking a sort index
SORT_MATCHES_UP_TO = 10_000


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let us issue BEGIN ourselves (pysqlite's implicit transactions are off).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _on_begin(conn: sa.Connection) -> None:
    write = conn.get_execution_options().get("verdigris_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _not_by_index(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    # SQLite's documented way to keep a term from being served by an index: unary +
    return sa.literal_column(f"+{column.table.name}.{column.name}", column.type)


class SqliteTx(SqlTx):
    def _search_order(self, query: SearchQuery, total: int) -> list[Any]:
        """Sort few matches rather than walk a sort index past non-matching rows.

        Without value histograms (this SQLite has no STAT4) the planner cannot tell a
        range filter matching 50 rows from one matching 500,000, and with ORDER BY ...
        LIMIT it likes walking the sort index, visiting every lead to find 50. The
        count has just told us how many match: when they are few, the ORDER BY is
        made unservable by an index, so the planner reads them through the filter's
        index and sorts at most ``SORT_MATCHES_UP_TO`` rows. When many match, walking
        the sort index meets one soon enough.
        """
        if total > SORT_MATCHES_UP_TO:
            return search_sql.order_by(query)
        return search_sql.order_by(query, _not_by_index)


class SqliteStore(SqlStore):
    tx_class = SqliteTx

    def __init__(self, url: str) -> None:
        memory = url in ("sqlite://", "sqlite:///:memory:")
        kwargs: dict[str, Any] = {
            "connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT}
        }
        if memory:
            # One shared connection: an in-memory database lives and dies with it.
            kwargs["poolclass"] = StaticPool
        engine = sa.create_engine(url, **kwargs)
        sa.event.listen(engine, "connect", _on_connect)
        sa.event.listen(engine, "begin", _on_begin)
        super().__init__(url, engine)

    def _begin(self, conn: sa.Connection, write: bool) -> None:
        conn.execution_options(verdigris_write=write)
        conn.begin()
