"""An account's data as rows: cleared (reset), copied out (snapshot) and back (restore);
and, on SQLite, an undo log that takes the whole database back to a checkpoint.

What an account *is* stays: its row, users, API keys, and what a new account is seeded
with (lead statuses, customer sources, contact types, pipelines and their stages). What
it *holds* is every other table with an ``account_id`` column: leads and their side
tables, custom field definitions, activities, people, companies, opportunities, and the
tables later areas add (found in :data:`verdigris.store.schema.metadata`, so a new
table is covered without a change here).

Snapshots copy the held rows, ids included, per account and table (the same code on
both engines); restoring clears the account and inserts them back, exact to the row.
Either bumps the account's ``custom_fields_version``, so that every worker's cached
definitions are dropped.

The undo log (SQLite): temporary triggers on every table of each connection record the
statement that undoes each row written (``DELETE`` for an insert, ``UPDATE`` back to
the old values, ``INSERT`` of the old row) in :data:`UNDO_TABLE`; rewinding runs them
newest first in one transaction. Its cost follows what changed since the checkpoint,
not the size of the database: the pytest plugin's reset between tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from verdigris.store import schema
from verdigris.store.sql import SqlStore

#: tables with an ``account_id`` that hold what a new account starts with: kept by resets
SEEDED = frozenset(
    {"users", "lead_statuses", "customer_sources", "contact_types", "pipelines", "pipeline_stages"}
)
#: the undo log's table (SQLite, emulator only; not part of the schema)
UNDO_TABLE = "verdigris_emulator_undo"


def held_tables() -> list[sa.Table]:
    """The tables of what an account holds, parents before children."""
    return [
        t
        for t in schema.metadata.sorted_tables
        if "account_id" in t.c and t.name not in SEEDED and t.name != "accounts"
    ]


def _bump_version(conn: sa.Connection, account_id: int) -> None:
    accounts = schema.accounts
    conn.execute(
        accounts.update()
        .where(accounts.c.id == account_id)
        .values(custom_fields_version=accounts.c.custom_fields_version + 1)
    )


@contextmanager
def _writing(store: SqlStore) -> Iterator[sa.Connection]:
    with store.transaction(write=True) as tx:
        conn = tx.conn  # type: ignore[attr-defined]
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        yield conn


def clear_account(conn: sa.Connection, account_id: int) -> int:
    """Delete everything ``account_id`` holds; the rows deleted."""
    deleted = 0
    for table in reversed(held_tables()):
        deleted += conn.execute(table.delete().where(table.c.account_id == account_id)).rowcount
    _bump_version(conn, account_id)
    return deleted


def reset_account(store: SqlStore, account_id: int) -> int:
    with _writing(store) as conn:
        return clear_account(conn, account_id)


@dataclass
class Snapshot:
    name: str
    account_id: int
    #: when it was taken, on the server's clock
    taken_at: int
    #: rows by table name, as tuples in the order of the table's columns in ``schema``
    rows: dict[str, list[tuple[Any, ...]]]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "account_id": self.account_id,
            "taken_at": self.taken_at,
            "rows": {name: len(rows) for name, rows in self.rows.items() if rows},
        }


def _fetch(conn: sa.Connection, statement: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """``statement``'s rows as the driver returns them (no SQLAlchemy row per row: an
    account's 10,000 leads are read several times faster)."""
    compiled = statement.compile(dialect=conn.dialect)
    params = compiled.params
    args: Any = (
        tuple(params[name] for name in compiled.positiontup or ())
        if compiled.positional
        else params
    )
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), args)
        return [tuple(r) for r in cursor.fetchall()]
    finally:
        cursor.close()


def _read_held(conn: sa.Connection, account_id: int) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table.name: _fetch(conn, sa.select(table).where(table.c.account_id == account_id))
        for table in held_tables()
    }


def take_snapshot(store: SqlStore, account_id: int, name: str, at: int) -> Snapshot:
    with store.transaction(write=False) as tx:
        rows = _read_held(tx.conn, account_id)  # type: ignore[attr-defined]
    return Snapshot(name, account_id, at, rows)


def _keyed(table: sa.Table) -> tuple[list[str], Callable[[tuple[Any, ...]], Any], bool]:
    """The columns that name one row (the primary key), or for a table without one the
    columns of a group of rows replaced together (a lead's rows, or the whole table);
    the function reading them from a row tuple; and whether they name single rows."""
    names = [c.name for c in table.columns]
    keys = [c.name for c in table.primary_key.columns]
    single = bool(keys)
    if not keys:
        keys = ["lead_id"] if "lead_id" in table.c else []
    positions = [names.index(k) for k in keys]
    if not positions:
        return keys, (lambda row: ()), single
    # a scalar for one key column, a tuple for several
    return keys, itemgetter(*positions), single


def restore_snapshot(store: SqlStore, snapshot: Snapshot) -> int:
    """Put ``snapshot`` back, writing only the rows that differ from it: a test that
    changed a few rows costs a read of the account and those few writes, whatever the
    account holds. Returns the rows written."""
    tables = held_tables()
    written = 0
    with _writing(store) as conn:
        current = _read_held(conn, snapshot.account_id)
        plans: dict[str, tuple[list[str], dict[Any, Any], dict[Any, Any], bool]] = {}
        for table in tables:
            keys, key, single = _keyed(table)
            now: dict[Any, Any]
            then: dict[Any, Any]
            if single:
                now = {key(r): r for r in current[table.name]}
                then = {key(r): r for r in snapshot.rows.get(table.name, [])}
                same = [k for k, r in then.items() if now.get(k) == r]
                for k in same:
                    del now[k], then[k]
            else:  # groups of rows, compared as multisets
                now, then = {}, {}
                for r in current[table.name]:
                    now.setdefault(key(r), Counter())[r] += 1
                for r in snapshot.rows.get(table.name, []):
                    then.setdefault(key(r), Counter())[r] += 1
                for group in [g for g in then if now.get(g) == then[g]]:
                    del now[group], then[group]
            plans[table.name] = (keys, now, then, single)
        # deletions first, children before parents: rows (groups) not in the snapshot,
        # and groups that differ from it
        for table in reversed(tables):
            keys, now, then, single = plans[table.name]
            gone = [k for k in now if not single or k not in then]
            if not gone:
                continue
            where: list[Any] = [table.c.account_id == snapshot.account_id]
            where += [table.c[k] == sa.bindparam(f"k_{k}") for k in keys]
            if keys:
                names = [f"k_{k}" for k in keys]
                params = [dict(zip(names, g if len(keys) > 1 else (g,), strict=True)) for g in gone]
                conn.execute(table.delete().where(*where), params)
            else:
                conn.execute(table.delete().where(*where))
            written += len(gone)
        # then changed and missing rows, parents before children
        for table in tables:
            keys, now, then, single = plans[table.name]
            names = [c.name for c in table.columns]
            if single:
                changed = [r for k, r in then.items() if k in now]
                added = [r for k, r in then.items() if k not in now]
            else:
                changed = []
                added = [r for group in then.values() for r in group.elements()]
            if changed:
                others = [n for n in names if n not in keys]
                statement = (
                    table.update()
                    .where(*(table.c[k] == sa.bindparam(f"k_{k}") for k in keys))
                    .values({n: sa.bindparam(f"v_{n}") for n in others})
                )
                conn.execute(
                    statement,
                    [
                        {
                            ("k_" if n in keys else "v_") + n: v
                            for n, v in zip(names, r, strict=True)
                        }
                        for r in changed
                    ],
                )
            if added:
                conn.execute(table.insert(), [dict(zip(names, r, strict=True)) for r in added])
            written += len(changed) + len(added)
        _bump_version(conn, snapshot.account_id)
    return written


# --- the undo log (SQLite) -------------------------------------------------------------


def _trigger_sql(table: str, columns: list[str]) -> list[str]:
    quoted = [f'"{c}"' for c in columns]
    old = " || ',' || ".join(f"quote(old.{c})" for c in quoted)
    sets = " || ',' || ".join(f"'{c}=' || quote(old.{c})" for c in quoted)
    log = f"INSERT INTO {UNDO_TABLE}(sql) VALUES"
    return [
        f'CREATE TEMP TRIGGER IF NOT EXISTS "vundo_{table}_i" AFTER INSERT ON main."{table}" '
        f"BEGIN {log}('DELETE FROM \"{table}\" WHERE rowid=' || new.rowid); END",
        f'CREATE TEMP TRIGGER IF NOT EXISTS "vundo_{table}_u" AFTER UPDATE ON main."{table}" '
        f"BEGIN {log}('UPDATE \"{table}\" SET ' || {sets} || ' WHERE rowid=' || old.rowid); "
        "END",
        f'CREATE TEMP TRIGGER IF NOT EXISTS "vundo_{table}_d" AFTER DELETE ON main."{table}" '
        f"BEGIN {log}('INSERT INTO \"{table}\"(rowid,{','.join(quoted)}) VALUES(' || "
        f"old.rowid || ',' || {old} || ')'); END",
    ]


class UndoLog:
    """Whole-database checkpoints of a SQLite store (see the module's docstring)."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        with store.engine.begin() as conn:
            # left by an emulator that did not stop cleanly: its log is of no use now
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {UNDO_TABLE}")
            conn.exec_driver_sql(
                f"CREATE TABLE {UNDO_TABLE} (seq INTEGER PRIMARY KEY, sql TEXT NOT NULL)"
            )
            names = [
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type='table' "
                    "AND name NOT LIKE 'sqlite_%' AND name NOT IN ('alembic_version', ?)",
                    (UNDO_TABLE,),
                )
            ]
            statements: list[str] = []
            for name in names:
                columns = [r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{name}")')]
                statements.extend(_trigger_sql(name, columns))
        self._statements = statements

        def on_connect(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            for statement in self._statements:
                cur.execute(statement)
            cur.close()

        self._on_connect = on_connect
        sa.event.listen(store.engine, "connect", on_connect)
        # connections opened before now get no triggers: let them go
        store.engine.dispose()
        self.checkpoint()

    def close(self) -> None:
        """Stop logging: new connections get no triggers, those that have them go, and so
        does the log's table (the database is left as the schema has it)."""
        if sa.event.contains(self.store.engine, "connect", self._on_connect):
            sa.event.remove(self.store.engine, "connect", self._on_connect)
            self.store.engine.dispose()
            with self.store.engine.begin() as conn:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {UNDO_TABLE}")

    def checkpoint(self) -> None:
        """From now on, :meth:`rewind` comes back here."""
        with self.store.engine.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM {UNDO_TABLE}")

    def pending(self) -> int:
        """Rows written since the checkpoint."""
        with self.store.engine.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {UNDO_TABLE}").scalar_one())

    def rewind(self) -> int:
        """Undo every write since the checkpoint (one transaction); the rows undone."""
        with _writing(self.store) as conn:
            undo = [
                r[0]
                for r in conn.exec_driver_sql(f"SELECT sql FROM {UNDO_TABLE} ORDER BY seq DESC")
            ]
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            for statement in undo:
                cursor.execute(statement)
            cursor.close()
            # the rewind's own writes were logged too
            conn.exec_driver_sql(f"DELETE FROM {UNDO_TABLE}")
        return len(undo)
