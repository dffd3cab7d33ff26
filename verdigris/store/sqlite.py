"""SQLite, the embedded default: one file in WAL mode.

Write transactions start with ``BEGIN IMMEDIATE``, which takes SQLite's single
writer lock before the first read. The match lookup and the write of an upsert
therefore run with no other writer in between, in this process or any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from verdigris.config import DURABLE, FAST
from verdigris.store.base import Capabilities
from verdigris.store.count_cache import SqliteDataVersion
from verdigris.store.sql import SqlStore

#: how long a writer waits for another process's write lock, in seconds
BUSY_TIMEOUT = 30
#: WAL pages after which a commit copies them back into the database file. SQLite's
#: default, 1,000, made every 30th upsert pay a checkpoint (an fsync and ~1,000 page
#: copies); at 4,000 a page written by several commits is copied once, upserts on the
#: raw driver went 1.3x faster, and the WAL file stays under ~16 MB
#: (docs/performance.md, "Commits and checkpoints").
WAL_AUTOCHECKPOINT_PAGES = 4000
#: KiB of database pages each connection keeps (``PRAGMA cache_size``; SQLite's default is
#: 2,000 KiB). A search page reads 200 rows spread over the table: with 2 MB, most of
#: their pages were read again from the OS on every page (a system call and a copy
#: each); with 32 MB the page statement at 1M leads went from 1.33 to 1.00 ms
#: (docs/performance.md, "A search page's CPU on SQLite"). It is a ceiling, reached
#: only by a connection that reads that much.
CACHE_KIB = 32 * 1024
#: ``PRAGMA synchronous`` per durability mode. In WAL mode, FULL syncs the WAL at every
#: commit, so a commit is on disk before its answer leaves (one sync per group commit,
#: server/group_commit.py); NORMAL syncs only at checkpoints: a commit survives a crash
#: of the process, but an OS crash or power cut can roll the last ones back
#: (docs/deploy.md, "Durability").
SYNCHRONOUS = {DURABLE: "FULL", FAST: "NORMAL"}


def _connect_hook(durability: str) -> Callable[[Any, Any], None]:
    synchronous = SYNCHRONOUS[durability]

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit transactions are off).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cur.close()

    return on_connect


def _broken_references(conn: sa.Connection) -> set[tuple[Any, ...]]:
    return {tuple(row) for row in conn.exec_driver_sql("PRAGMA foreign_key_check")}


def _on_begin(conn: sa.Connection) -> None:
    write = conn.get_execution_options().get("verdigris_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class SqliteStore(SqlStore):
    def __init__(self, url: str, *, durability: str = DURABLE) -> None:
        memory = url in ("sqlite://", "sqlite:///:memory:")  # as store.is_memory_url
        kwargs: dict[str, Any] = {
            "connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT}
        }
        if memory:
            # One shared connection: an in-memory database lives and dies with it.
            kwargs["poolclass"] = StaticPool
        engine = sa.create_engine(url, **kwargs)
        sa.event.listen(engine, "connect", _connect_hook(durability))
        sa.event.listen(engine, "begin", _on_begin)
        # Calls are local work of tens of microseconds; writes, serialized by SQLite
        # anyway, gain from sharing commits (verdigris.server.group_commit). In memory,
        # on one connection, PRAGMA data_version cannot see its commits: no kept totals.
        self.capabilities = Capabilities(inline=True, group_commit=True, kept_counts=not memory)
        super().__init__(url, engine)
        self.durability = durability
        self.memory = memory
        self._version: SqliteDataVersion | None = None
        if not memory:
            assert engine.url.database
            self._version = SqliteDataVersion(engine.url.database)
            self.data_version = self._version

    def durability_note(self) -> str:
        if self.memory:
            return "fast (an in-memory database: nothing outlives the process)"
        if self.durability == DURABLE:
            return "durable (SQLite synchronous=FULL: every commit is on disk before its answer)"
        return (
            "fast (SQLite synchronous=NORMAL: commits survive a crash of the process, "
            "but an OS crash or power cut can lose the last ones)"
        )

    def migrate(self) -> None:
        """Migrate with foreign keys off, as SQLite asks for table rebuilds.

        A migration that rebuilds a table (0008) drops the old one; with foreign keys on,
        that drop would run the ON DELETE CASCADE of the tables pointing at it. The pragma
        only takes effect outside a transaction, so it is set on the connection before the
        migration's transaction begins. When migrations ran, ``PRAGMA foreign_key_check``
        must find no broken reference that was not there before, or nothing is committed.
        """
        if self.at_head():  # nothing to do: Alembic is not even imported
            return
        from alembic import command
        from alembic.migration import MigrationContext
        from alembic.script import ScriptDirectory
        from alembic.util.exc import CommandError

        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    config = self.alembic_config(conn)
                    head = ScriptDirectory.from_config(config).get_current_head()
                    pending = MigrationContext.configure(conn).get_current_revision() != head
                    broken = _broken_references(conn) if pending else set()
                    command.upgrade(config, "head")
                    if pending and (new := _broken_references(conn) - broken):
                        raise CommandError(f"migrating would break foreign keys: {sorted(new)[:5]}")
            finally:
                raw.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        if self._version is not None:
            self._version.close()
        super().close()

    def _begin(self, conn: sa.Connection, write: bool) -> None:
        conn.execution_options(verdigris_write=write)
        conn.begin()
