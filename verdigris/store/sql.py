"""The store on SQLAlchemy Core, shared by every engine.

Engines subclass :class:`SqlStore` for what truly differs (connection set-up,
how a write transaction starts, how upserts on one key are serialized).

:class:`SqlTx` is one transaction: its repositories (``leads_sql.py``,
``accounts_sql.py``, ``custom_fields_sql.py``, ``activities_sql.py``, ``crm_sql.py``)
share its connection and the write path's cursor. :class:`SqlBatch` is an open
group commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

from verdigris.store.accounts_sql import SqlAccounts
from verdigris.store.activities_sql import SqlActivities
from verdigris.store.base import Batch, Store, StoreTx, StoreUnavailable
from verdigris.store.count_cache import CountCache
from verdigris.store.crm_sql import SqlCrm
from verdigris.store.custom_fields_sql import SqlDefinitions
from verdigris.store.fast import FastCursor
from verdigris.store.history_sql import SqlHistory, SqlIdempotency
from verdigris.store.leads_sql import SqlLeads
from verdigris.store.migration_head import at_head
from verdigris.store.opportunities_sql import SqlOpportunities
from verdigris.store.page_statements import PageStatements
from verdigris.store.people_sql import SqlPeople
from verdigris.store.record_history_sql import SqlRecordHistory
from verdigris.store.tasks_sql import SqlTasks
from verdigris.store.webhooks_sql import SqlOutbox, SqlWebhooks

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


class GroupMemo:
    """What the transactions of one group commit (``SqlStore.batch``) read once for all:
    they run one after another in one database transaction that holds SQLite's write
    lock, so nothing outside them changes it meanwhile. The custom field definitions'
    version of each account, and the webhook subscriptions of each topic (read on every
    write: two statements a request, docs/performance.md). Each is emptied when one of
    the transactions changes it, and both when one of them is rolled back."""

    __slots__ = ("topics", "versions")

    def __init__(self) -> None:
        self.versions: dict[int, int] = {}
        self.topics: dict[tuple[int, str, str], Any] = {}

    def clear(self) -> None:
        self.versions.clear()
        self.topics.clear()


class SqlTx(StoreTx):
    """One transaction on one SQLAlchemy connection, and its repositories: ``leads`` made
    with it, the others when first used (plain properties, not ``cached_property``,
    whose lock costs more than the repository; a GET or an upsert needs two to four)."""

    #: the write path's cursor of this engine's transactions
    cursor_class: type[FastCursor] = FastCursor

    def __init__(self, conn: sa.Connection, leads: type[SqlLeads] = SqlLeads) -> None:
        self.conn = conn
        #: the write path's statements, sent straight to the driver (verdigris.store.fast)
        self.fast = self.cursor_class(conn)
        self._leads = leads(conn, self.fast)
        self._accounts: SqlAccounts | None = None
        self._definitions: SqlDefinitions | None = None
        self._activities: SqlActivities | None = None
        self._crm: SqlCrm | None = None
        self._tasks: SqlTasks | None = None
        self._opportunities: SqlOpportunities | None = None
        self._history: SqlHistory | None = None
        self._idempotency: SqlIdempotency | None = None
        self._people: SqlPeople | None = None
        self._webhooks: SqlWebhooks | None = None
        self._outbox: SqlOutbox | None = None
        self._record_history: SqlRecordHistory | None = None
        #: the group commit's memo, when this transaction is one of a group commit
        self.memo: GroupMemo | None = None

    @property
    def leads(self) -> SqlLeads:
        return self._leads

    @property
    def accounts(self) -> SqlAccounts:
        if self._accounts is None:
            self._accounts = SqlAccounts(self.conn, self.fast)
        return self._accounts

    @property
    def definitions(self) -> SqlDefinitions:
        if self._definitions is None:
            self._definitions = SqlDefinitions(self.conn, self.fast)
            if self.memo is not None:
                self._definitions.share_versions(self.memo.versions)
        return self._definitions

    @property
    def activities(self) -> SqlActivities:
        if self._activities is None:
            self._activities = SqlActivities(self.conn, self.fast)
        return self._activities

    @property
    def crm(self) -> SqlCrm:
        if self._crm is None:
            self._crm = SqlCrm(self.conn, self.fast)
        return self._crm

    @property
    def tasks(self) -> SqlTasks:
        if self._tasks is None:
            self._tasks = SqlTasks(self.conn, self.fast)
        return self._tasks

    @property
    def opportunities(self) -> SqlOpportunities:
        if self._opportunities is None:
            self._opportunities = SqlOpportunities(self.conn, self.fast)
        return self._opportunities

    @property
    def history(self) -> SqlHistory:
        if self._history is None:
            self._history = SqlHistory(self.conn, self.fast)
        return self._history

    @property
    def idempotency(self) -> SqlIdempotency:
        if self._idempotency is None:
            self._idempotency = SqlIdempotency(self.conn, self.fast)
        return self._idempotency

    @property
    def people(self) -> SqlPeople:
        if self._people is None:
            self._people = SqlPeople(self.conn, self.fast)
            # search totals kept as the lead search keeps them (verdigris.store.count_cache)
            self._people.counts = self._leads.counts
            self._people.start_version = self._leads.start_version
        return self._people

    @property
    def webhooks(self) -> SqlWebhooks:
        if self._webhooks is None:
            self._webhooks = SqlWebhooks(self.conn, self.fast)
            if self.memo is not None:
                self._webhooks.share_topics(self.memo.topics)
        return self._webhooks

    @property
    def outbox(self) -> SqlOutbox:
        if self._outbox is None:
            self._outbox = SqlOutbox(self.conn, self.fast)
        return self._outbox

    @property
    def record_history(self) -> SqlRecordHistory:
        if self._record_history is None:
            self._record_history = SqlRecordHistory(self.conn, self.fast)
        return self._record_history

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self.leads.forgetting_reads(), self.fast.savepoint():
            yield


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


class SqlBatch(Batch):
    """An open group commit of a :class:`SqlStore`: one connection in one write
    transaction; each transaction opened through it is a savepoint of that one."""

    def __init__(self, store: SqlStore, conn: sa.Connection, *, memo: bool = False) -> None:
        self.store = store
        self.conn = conn
        #: why the batch's transaction is gone (SQLite rolled it back), if it is
        self.lost: str | None = None
        #: what its transactions read once for all (a group commit's: ``memo=True``)
        self.memo = GroupMemo() if memo else None

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[StoreTx]:
        """One transaction of the group commit: a savepoint of the batch's transaction.

        Some errors (an interrupt, I/O, a full disk) make SQLite roll back the whole
        transaction, not just the statement: then everything the batch did so far is
        gone, and so is the savepoint. The batch is marked lost, this and every later
        transaction of it fail without touching the database (a SAVEPOINT would start a
        new transaction of its own), and :meth:`SqlStore.batch` raises, so that no
        request of it is answered as done.
        """
        if self.lost is not None:
            raise StoreUnavailable(f"the group commit was rolled back: {self.lost}")
        tx = self.store._tx(self.conn)
        tx.memo = memo = self.memo
        try:
            with tx.fast.savepoint():
                yield tx
                tx.fast.flush()  # what the cursor held back fails here, in the savepoint
        except sa.exc.OperationalError as exc:
            if memo is not None:  # what it read may have been its own writes, undone
                memo.clear()
            self._check(exc)
            raise StoreUnavailable(str(exc.orig)) from exc
        except BaseException as exc:
            if memo is not None:
                memo.clear()
            self._check(exc)
            raise
        self._check(None)

    def _check(self, cause: BaseException | None) -> None:
        if self.lost is None and not _in_transaction(self.conn):
            self.lost = str(cause) if cause is not None else "no transaction left"
            raise StoreUnavailable(f"the group commit was rolled back: {self.lost}")


class SqlStore(Store):
    """Engine-neutral parts of a SQLAlchemy-backed store."""

    #: the leads repository of this engine's transactions
    leads_class: type[SqlLeads] = SqlLeads
    #: this engine's transactions
    tx_class: type[SqlTx] = SqlTx

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine
        #: whether a group commit is open (one at a time: a second would wait on the first)
        self._batch_open = False
        #: search totals kept while nothing is committed (verdigris.store.count_cache)
        self.counts = CountCache() if self.capabilities.kept_counts else None
        #: search page statements kept compiled (verdigris.store.page_statements)
        self.pages = PageStatements()
        #: the engine's data version, where it is read outside the transaction (SQLite)
        self.data_version: Callable[[], Hashable | None] | None = None

    def _tx(self, conn: sa.Connection, *, read: bool = False) -> SqlTx:
        tx = self.tx_class(conn, self.leads_class)
        leads = tx.leads
        leads.counts = self.counts
        leads.pages = self.pages
        if read and self.data_version is not None:
            # before the transaction's first read: the snapshot is at least this new
            leads.start_version = self.data_version()
        return tx

    def _begin(self, conn: sa.Connection, write: bool) -> None:
        conn.begin()

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[StoreTx]:
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
    def batch(self) -> Iterator[SqlBatch]:
        if self._batch_open:
            raise RuntimeError("a group commit is already open on this store")
        self._batch_open = True
        try:
            with self._open(True) as conn:
                batch = SqlBatch(self, conn, memo=self.capabilities.group_commit)
                yield batch
                if batch.lost is not None:
                    raise StoreUnavailable(f"the group commit was rolled back: {batch.lost}")
        finally:
            self._batch_open = False

    @contextmanager
    def hold(self) -> Iterator[SqlBatch]:
        with self._open(True) as conn:
            held = SqlBatch(self, conn)
            yield held
            if held.lost is not None:
                raise StoreUnavailable(f"the transaction was rolled back: {held.lost}")

    @contextmanager
    def rehearsal(self) -> Iterator[SqlBatch]:
        with self._connection() as conn:
            try:
                self._begin(conn, True)
                yield SqlBatch(self, conn)
            except sa.exc.OperationalError as exc:
                raise StoreUnavailable(str(exc.orig)) from exc
            finally:
                _roll_back_after_failure(conn)

    def alembic_config(self, conn: sa.Connection) -> Config:
        from alembic.config import Config  # only when migrating (store/migration_head.py)

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        return cfg

    def at_head(self) -> bool:
        """Whether every migration is applied (checked without importing Alembic)."""
        with self.engine.connect() as conn:
            return at_head(conn)

    def migrate(self) -> None:
        if self.at_head():
            return
        from alembic import command

        with self.engine.begin() as conn:
            command.upgrade(self.alembic_config(conn), "head")

    def close(self) -> None:
        if self.counts is not None:
            self.counts.clear()
        self.pages.clear()
        self.engine.dispose()
