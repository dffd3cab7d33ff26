"""The store on SQLAlchemy Core, shared by every engine.

Engines subclass :class:`SqlStore` for what truly differs (connection set-up,
how a write transaction starts, how upserts on one key are serialized).

:class:`SqlTx` holds the leads and their search; it mixes in the account set-up
(accounts_sql.py) and conversion (conversion_sql.py). How a lead becomes a row, and the
prebuilt lead statements, are in lead_rows.py.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import msgspec
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from verdigris.domain.custom_fields import index_entries
from verdigris.domain.leads import Lead
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search import SearchQuery
from verdigris.store import page_statements, search_sql
from verdigris.store import schema as t
from verdigris.store.accounts_sql import AccountsSql
from verdigris.store.base import LeadFields, Store, StoreTx, StoreUnavailable
from verdigris.store.conversion_sql import ACTIVITY_JSON, ConversionSql, record_row
from verdigris.store.count_cache import CountCache
from verdigris.store.fast import FastCursor
from verdigris.store.lead_rows import (
    _DELETE_CUSTOM_VALUES,
    _DELETE_PHONES,
    _DELETE_TAGS,
    _GET_LEAD,
    _GET_LEAD_FOR_UPDATE,
    _INSERT_CUSTOM_VALUE,
    _INSERT_LEAD_FAST,
    _INSERT_PHONE,
    _INSERT_TAG,
    LEAD_COLUMNS,
    _update_lead_stmt,
    lead_from_mapping,
    lead_from_row,
    lead_row,
    match_statement,
)
from verdigris.store.page_statements import PageStatements

#: what other modules, tests and benchmarks import from here (the row helpers are
#: re-exported from lead_rows.py and conversion_sql.py)
__all__ = [
    "ACTIVITY_JSON",
    "LEAD_COLUMNS",
    "MIGRATIONS",
    "SORT_MATCHES_UP_TO",
    "SqlStore",
    "SqlTx",
    "lead_from_mapping",
    "lead_from_row",
    "lead_row",
    "match_statement",
    "record_row",
]

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
#: searches with at most this many matches sort them instead of walking a sort index
SORT_MATCHES_UP_TO = 10_000


def _count_key(query: SearchQuery) -> SearchQuery:
    """The query with what does not change its total (paging, sort) set aside."""
    return dataclasses.replace(query, page_number=1, page_size=0, sort_by="", descending=False)


#: the columns of :class:`LeadFields`, in its order
_FIELD_COLUMNS = tuple(t.leads.c[name] for name in LeadFields._fields)


class SqlTx(AccountsSql, ConversionSql):
    """Operations of one transaction on one SQLAlchemy connection: leads and their search
    here, account set-up and conversion in the mixins."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        #: the write path's statements, sent straight to the driver (verdigris.store.fast)
        self.fast = FastCursor(conn)
        #: rows read by get_lead in this transaction (column -> value), so update_lead can
        #: diff without reading them again (one round trip less per update on PostgreSQL)
        self._read: dict[int, dict[str, Any]] = {}
        #: the store's search totals, if it keeps them, and how this engine tells whether
        #: anything was committed (verdigris.store.count_cache)
        self.counts: CountCache | None = None
        #: the store's kept search page statements (verdigris.store.page_statements)
        self.pages: PageStatements | None = None
        #: the data version read as this transaction began, before its first read (SQLite;
        #: None: unknown, nothing is kept)
        self.start_version: Hashable | None = None

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        read = dict(self._read)
        try:
            with self.fast.savepoint():
                yield
        except BaseException:
            self._read = read  # rows read inside the rolled-back scope are stale
            raise

    def _one(self, stmt: sa.Executable) -> Any:
        return self.conn.execute(stmt).first()

    # leads ------------------------------------------------------------------------------
    def insert_lead(self, lead: Lead) -> Lead:
        # values as execution parameters: one compiled statement, cached, for every insert
        ident = self.fast.run("insert_lead", _INSERT_LEAD_FAST, lead_row(lead)).fetchone()[0]
        lead = msgspec.structs.replace(lead, id=ident)
        self._write_custom_values(lead, replace=False)
        self._write_search_rows(lead)
        return lead

    def update_lead(self, lead: Lead) -> None:
        """Write only the columns that changed (on SQLite an UPDATE rewrites the entries
        of every index on a column it sets), and the side rows only if theirs did.

        The columns compared with are those this transaction read (get_lead), so a
        column another writer changed since, and this update does not, is left as is.
        """
        old = self._read.pop(lead.id, None)
        if old is None or old["account_id"] != lead.account_id:
            old = self._fetch_lead(_GET_LEAD, lead.account_id, lead.id)
        if old is None:
            return
        changed = {k: v for k, v in lead_row(lead).items() if old[k] != v}
        if not changed:
            return
        columns = tuple(changed)
        self.fast.run(
            "update_lead:" + ",".join(columns),
            lambda: _update_lead_stmt(columns),
            {**changed, "target_id": lead.id},
        )
        if "custom_fields" in changed:
            self._write_custom_values(lead, replace=True)
        if "tags" in changed or "phone_numbers" in changed:
            self.fast.run("delete_tags", _DELETE_TAGS, {"lead_id": lead.id})
            self.fast.run("delete_phones", _DELETE_PHONES, {"lead_id": lead.id})
            self._write_search_rows(lead)

    def _write_custom_values(self, lead: Lead, *, replace: bool) -> None:
        if replace:
            self.fast.run("delete_custom_values", _DELETE_CUSTOM_VALUES, {"lead_id": lead.id})
        rows = [
            {
                "lead_id": lead.id,
                "account_id": lead.account_id,
                "definition_id": def_id,
                "value_key": key,
                "value_num": number,
            }
            for def_id, value in lead.custom_fields.items()
            for key, number in index_entries(value)
        ]
        if rows:
            self.fast.executemany("insert_custom_value", _INSERT_CUSTOM_VALUE, rows)

    def get_lead(self, account_id: int, lead_id: int) -> Lead | None:
        return self._read_lead(_GET_LEAD, account_id, lead_id)

    def get_lead_for_update(self, account_id: int, lead_id: int) -> Lead | None:
        return self._read_lead(_GET_LEAD_FOR_UPDATE, account_id, lead_id)

    def _read_lead(self, stmt: sa.Select[Any], account_id: int, lead_id: int) -> Lead | None:
        row = self._fetch_lead(stmt, account_id, lead_id)
        if row is None:
            return None
        self._read[lead_id] = row  # update_lead compares with it instead of reading again
        return lead_from_mapping(row)

    def _fetch_lead(self, stmt: sa.Select[Any], account_id: int, lead_id: int) -> Any:
        """The lead's columns as a dict, or None."""
        key = "get_lead_for_update" if stmt is _GET_LEAD_FOR_UPDATE else "get_lead"
        cur = self.fast.run(key, stmt, {"lead_id": lead_id, "account_id": account_id})
        values = cur.fetchone()
        return None if values is None else dict(zip(LEAD_COLUMNS, values, strict=True))

    def delete_lead(self, account_id: int, lead_id: int) -> bool:
        for side in (t.lead_tags, t.lead_phones):
            self.conn.execute(
                side.delete().where(side.c.lead_id == lead_id, side.c.account_id == account_id)
            )
        self.conn.execute(
            t.lead_custom_values.delete().where(
                t.lead_custom_values.c.lead_id == lead_id,
                t.lead_custom_values.c.account_id == account_id,
            )
        )
        result = self.conn.execute(
            t.leads.delete().where(t.leads.c.id == lead_id, t.leads.c.account_id == account_id)
        )
        return bool(result.rowcount)

    def lock_match(self, account_id: int, criteria: MatchCriteria) -> None:
        """No-op by default: engines whose write transactions already serialize."""

    def match_lead_ids(self, account_id: int, criteria: MatchCriteria, limit: int) -> Sequence[int]:
        key, stmt, params, index = match_statement(account_id, criteria, limit)
        cur = self.fast.run(key, stmt, params, sqlite_index=index)
        return [r[0] for r in cur.fetchall()]

    # search (issue 4) -------------------------------------------------------------------
    def _write_search_rows(self, lead: Lead) -> None:
        """Insert the ``lead_tags`` and ``lead_phones`` rows of ``lead``."""
        tags, phones = search_sql.side_rows(lead)
        if tags:
            self.fast.executemany("insert_tag", _INSERT_TAG, tags)
        if phones:
            self.fast.executemany("insert_phone", _INSERT_PHONE, phones)

    def search_leads(self, account_id: int, query: SearchQuery) -> tuple[int, list[Lead]]:
        total, rows = self._search_rows(account_id, query, fields=False)
        return total, [lead_from_mapping(dict(zip(LEAD_COLUMNS, r, strict=True))) for r in rows]

    def search_lead_fields(
        self, account_id: int, query: SearchQuery
    ) -> tuple[int, Sequence[LeadFields]]:
        total, rows = self._search_rows(account_id, query, fields=True)
        # rows in LeadFields' order, not LeadFields themselves (see its docstring)
        return total, cast(Sequence[LeadFields], rows)

    def _search_rows(
        self, account_id: int, query: SearchQuery, *, fields: bool
    ) -> tuple[int, Sequence[Any]]:
        """``(total, rows)``: the count, then the page's rows, tuples in column order
        (:class:`LeadFields`' columns with ``fields``, else every column of ``leads``).

        The conditions are built only when they are needed: for a total not kept, or a
        page statement not kept (verdigris.store.page_statements)."""
        where: list[Any] | None = None
        counts = self.counts
        total = None
        if counts is not None:
            # the version first: see count_cache.py for why this order is safe
            key = (account_id, _count_key(query))
            total = counts.get(key, self._data_version())
        if total is None:
            where = search_sql.conditions(account_id, query)
            total, version = self._count(where)
            if counts is not None:
                counts.put(key, version, total)
        if query.limit == 0 or query.offset >= total:
            return total, []
        by_index = self._walks_sort_index(total)
        columns = _FIELD_COLUMNS if fields else (t.leads,)
        if self.pages is not None:
            filters = page_statements.page_key(query)
            prepared = self.pages.lookup(
                query,
                (account_id, filters, by_index, fields),
                lambda: page_statements.compile_page(
                    self.conn.dialect, account_id, filters, by_index, columns
                ),
            )
            if prepared is not None:
                values = {search_sql.PAGE_LIMIT: query.limit, search_sql.PAGE_OFFSET: query.offset}
                return total, self.fast.execute(prepared.sql, prepared.params(values)).fetchall()
        if where is None:
            where = search_sql.conditions(account_id, query)
        page = page_statements.select_page(where, query, by_index, columns)
        return total, self.conn.execute(page).all()

    def _data_version(self) -> Hashable | None:
        """Equal at two moments only if nothing was committed between them (None: unknown);
        see verdigris.store.count_cache. SQLite: the version read before this transaction
        read anything, i.e. before its snapshot began."""
        return self.start_version

    def _count(self, where: list[Any]) -> tuple[int, Hashable | None]:
        """The matches of ``where``, and the data version they were counted at."""
        version = self._data_version()
        return int(self.conn.execute(search_sql.count_statement(where)).scalar_one()), version

    def _walks_sort_index(self, total: int) -> bool:
        """Whether a page of ``total`` matches is read by walking the sort's index
        (:func:`search_sql.order_by`): sort few matches rather than walk a sort index.

        With ORDER BY ... LIMIT, planners like walking the sort index and filtering as
        they go, which visits every lead when the filters match few. SQLite (without
        STAT4 histograms) cannot tell a range matching 50 leads from one matching
        500,000; PostgreSQL misjudges correlated conditions. The count has just said
        how many match: when they are at most ``SORT_MATCHES_UP_TO``, the ORDER BY is
        written so that no index can serve it, and the planner reads the matches
        through the filters' indexes and sorts them. When more match, walking the
        sort index meets one soon enough.
        """
        return total > SORT_MATCHES_UP_TO


def _roll_back_after_failure(conn: sa.Connection) -> None:
    """Roll back after a failure. If the rollback fails too (the connection is gone),
    that is logged and the first failure is what the caller gets. The rollback runs on
    SQLAlchemy's own path, so a lost connection is found there even when the failure
    came from the write path's cursor (``fast.py``): SQLAlchemy then invalidates it and
    every connection the pool held before it, which PostgreSQL's next checkouts replace."""
    try:
        conn.rollback()
    except sa.exc.DBAPIError as exc:
        log.warning("rolling back after a failure failed too: %s", exc.orig)


def _in_transaction(conn: sa.Connection) -> bool:
    """Whether the driver connection still has a transaction open (sqlite3 says; other
    drivers are taken to)."""
    return bool(getattr(conn.connection.dbapi_connection, "in_transaction", True))


class SqlStore(Store):
    """Engine-neutral parts of a SQLAlchemy-backed store."""

    tx_class: type[SqlTx] = SqlTx

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine
        #: the open group commit (Store.batch): the thread that opened it, its connection
        self._batch: tuple[int, sa.Connection] | None = None
        #: why the open group commit's transaction is gone (SQLite rolled it back), if it is
        self._batch_lost: str | None = None
        #: search totals kept while nothing is committed (verdigris.store.count_cache)
        self.counts: CountCache | None = CountCache()
        #: search page statements kept compiled (verdigris.store.page_statements)
        self.pages = PageStatements()
        #: the engine's data version, where it is read outside the transaction (SQLite)
        self.data_version: Callable[[], Hashable | None] | None = None

    def _tx(self, conn: sa.Connection, *, read: bool = False) -> SqlTx:
        tx = self.tx_class(conn)
        tx.counts = self.counts
        tx.pages = self.pages
        if read and self.data_version is not None:
            # before the transaction's first read: the snapshot is at least this new
            tx.start_version = self.data_version()
        return tx

    def _begin(self, conn: sa.Connection, write: bool) -> None:
        conn.begin()

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[StoreTx]:
        batch = self._batch
        if batch is not None and batch[0] == threading.get_ident():
            with self._in_batch(batch[1]) as tx:
                yield tx
            return
        with self._open(write) as conn:
            yield self._tx(conn, read=not write)

    @contextmanager
    def _open(self, write: bool) -> Iterator[sa.Connection]:
        """A connection in a transaction: committed when the block ends, rolled back when
        it raises; the database failing (to begin, run or commit) is StoreUnavailable."""
        with self._connection() as conn:
            try:
                self._begin(conn, write)
                yield conn
                conn.commit()
            except sa.exc.OperationalError as exc:
                _roll_back_after_failure(conn)
                raise StoreUnavailable(str(exc.orig)) from exc
            except BaseException:
                _roll_back_after_failure(conn)
                raise

    def _connection(self) -> sa.Connection:
        try:
            return self.engine.connect()
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(str(exc.orig)) from exc
        except sa.exc.TimeoutError as exc:  # every pooled connection stayed busy
            raise StoreUnavailable(str(exc)) from exc

    @contextmanager
    def _in_batch(self, conn: sa.Connection) -> Iterator[StoreTx]:
        """One transaction of a group commit: a savepoint of the batch's transaction.

        Some errors (an interrupt, I/O, a full disk) make SQLite roll back the whole
        transaction, not just the statement: then everything the batch did so far is
        gone, and so is the savepoint. The batch is marked lost, this and every later
        transaction of it fail without touching the database (a SAVEPOINT would start a
        new transaction of its own), and :meth:`batch` raises, so that no request of it
        is answered as done.
        """
        if self._batch_lost is not None:
            raise StoreUnavailable(f"the group commit was rolled back: {self._batch_lost}")
        tx = self._tx(conn)
        try:
            with tx.fast.savepoint():
                yield tx
        except sa.exc.OperationalError as exc:
            self._check_batch(conn, exc)
            raise StoreUnavailable(str(exc.orig)) from exc
        except BaseException as exc:
            self._check_batch(conn, exc)
            raise
        self._check_batch(conn, None)

    def _check_batch(self, conn: sa.Connection, cause: BaseException | None) -> None:
        if self._batch_lost is None and not _in_transaction(conn):
            self._batch_lost = str(cause) if cause is not None else "no transaction left"
            raise StoreUnavailable(f"the group commit was rolled back: {self._batch_lost}")

    @contextmanager
    def batch(self) -> Iterator[None]:
        if self._batch is not None:
            raise RuntimeError("a group commit is already open on this store")
        with self._open(True) as conn:
            self._batch = (threading.get_ident(), conn)
            self._batch_lost = None
            try:
                yield
                if self._batch_lost is not None:
                    raise StoreUnavailable(f"the group commit was rolled back: {self._batch_lost}")
            finally:
                self._batch = None

    def alembic_config(self, conn: sa.Connection) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        return cfg

    def migrate(self) -> None:
        with self.engine.begin() as conn:
            command.upgrade(self.alembic_config(conn), "head")

    def reset(self) -> None:
        with self.engine.begin() as conn:
            for table in reversed(t.metadata.sorted_tables):
                conn.execute(table.delete())

    def close(self) -> None:
        if self.counts is not None:
            self.counts.clear()
        self.pages.clear()
        self.engine.dispose()
