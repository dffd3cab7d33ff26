"""The storage ceiling: the same upsert logic called in-process, without HTTP.

Two figures per database, both single-threaded, with the workload mixes of the
HTTP runs (:class:`benchmarks.workload.Bodies`):

* **store**: ``Services.upsert_lead`` on the real store (SQLAlchemy Core). An HTTP
  upsert can be no faster than this on one worker.
* **raw driver**: the very same ``Services.upsert_lead`` (domain rules, row builder,
  statements, transactions) over :class:`RawStore`, which sends the store's SQL
  straight to ``sqlite3`` / ``psycopg``. The gap between the two is what building
  and compiling SQLAlchemy statements costs.

:class:`RawTx` sends the statements the store's repositories send, written
out by hand: when the store's write path changes, change RawTx with it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import msgspec

from benchmarks import dataset
from benchmarks.dataset import Dataset
from benchmarks.workload import Bodies
from verdigris.domain.activities import Activity
from verdigris.domain.custom_fields import CustomFieldDefinition, index_entries
from verdigris.domain.leads import Lead
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search_keys import text_key
from verdigris.services import Principal, Services
from verdigris.store import open_store
from verdigris.store import schema as t
from verdigris.store.activities_sql import ACTIVITY_JSON
from verdigris.store.base import SourceRecord, StatusRecord, UserRecord
from verdigris.store.custom_fields_sql import definition_from_row
from verdigris.store.lead_rows import LEAD_COLUMNS, lead_from_row, lead_row
from verdigris.store.postgres import advisory_key
from verdigris.store.rows import record_row

_json = msgspec.json.Encoder()
WRITE_COLS = tuple(lead_row(Lead(account_id=0)).keys())


class _Mapped:
    """A mapping dressed as a SQLAlchemy Row (``row._mapping``)."""

    def __init__(self, mapping: dict[str, Any]) -> None:
        self._mapping = mapping


class _Row:
    """Just enough of a SQLAlchemy Row for :func:`lead_from_row`."""

    def __init__(self, values: Sequence[Any]) -> None:
        self._mapping = dict(zip(LEAD_COLUMNS, values, strict=True))


class RawTx:
    """The store operations an upsert uses, on a DB-API cursor, same SQL as the store's."""

    def __init__(self, cur: Any, postgres: bool) -> None:
        self.cur = cur
        self.postgres = postgres
        # the repositories an upsert reaches (tx.leads, tx.accounts...) are all this one
        self.leads = self.accounts = self.definitions = self.activities = self

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def _all(self, sql: str, *params: Any) -> list[Any]:
        self.cur.execute(self._sql(sql), params)
        return list(self.cur.fetchall())

    def lock_match(self, account_id: int, criteria: MatchCriteria) -> None:
        if self.postgres:
            self._all("SELECT pg_advisory_xact_lock(?)", advisory_key(account_id, criteria))

    def match_ids(self, account_id: int, criteria: MatchCriteria, limit: int) -> list[int]:
        if criteria.field in ("email", "name"):
            key, full = (
                ("email_key", "email_norm") if criteria.field == "email" else ("name_key", "name")
            )
            sql = (
                f"SELECT id FROM leads WHERE account_id = ? AND {key} = ? AND {full} = ? "
                "AND converted_at IS NULL LIMIT ?"
            )
            rows = self._all(sql, account_id, text_key(criteria.value), criteria.value, limit)
        else:
            sql = (
                "SELECT DISTINCT lead_id FROM lead_custom_values WHERE account_id = ? "
                "AND definition_id = ? AND value_key = ? LIMIT ?"
            )
            # the services hand the store the value's index key
            rows = self._all(sql, account_id, criteria.definition_id, criteria.value, limit)
        return [r[0] for r in rows]

    def get(self, account_id: int, lead_id: int) -> Lead | None:
        cols = ", ".join(f'"{c}"' for c in LEAD_COLUMNS)
        sql = f"SELECT {cols} FROM leads WHERE id = ? AND account_id = ?"
        rows = self._all(sql, lead_id, account_id)
        return lead_from_row(_Row(rows[0])) if rows else None

    def insert(self, lead: Lead) -> Lead:
        row = lead_row(lead)
        cols = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        sql = f"INSERT INTO leads ({cols}) VALUES ({marks}) RETURNING id"
        ident = self._all(sql, *row.values())[0][0]
        lead = msgspec.structs.replace(lead, id=ident)
        self._write_custom_values(lead, replace=False)
        self._write_side_rows(lead, replace=False)
        return lead

    def update(self, lead: Lead) -> None:
        self._write_side_rows(lead, replace=True)
        row = lead_row(lead)
        sets = ", ".join(f'"{c}" = ?' for c in row)
        sql = f"UPDATE leads SET {sets} WHERE id = ? AND account_id = ?"
        self.cur.execute(self._sql(sql), (*row.values(), lead.id, lead.account_id))
        self._write_custom_values(lead, replace=True)

    def _write_custom_values(self, lead: Lead, *, replace: bool) -> None:
        if replace:
            self.cur.execute(
                self._sql("DELETE FROM lead_custom_values WHERE lead_id = ?"), (lead.id,)
            )
        rows = [
            (lead.id, lead.account_id, def_id, key, number)
            for def_id, value in lead.custom_fields.items()
            for key, number in index_entries(value)
        ]
        if rows:
            sql = (
                "INSERT INTO lead_custom_values "
                "(lead_id, account_id, definition_id, value_key, value_num) "
                "VALUES (?, ?, ?, ?, ?)"
            )
            self.cur.executemany(self._sql(sql), rows)

    def _write_side_rows(self, lead: Lead, *, replace: bool) -> None:
        """Search's tag and phone side tables, written as SqlTx writes them (issue 4)."""
        if dataset.side_rows is None:
            return
        tags, phones = dataset.side_rows(lead)
        if replace:
            before = self._all("SELECT tags, phone_numbers FROM leads WHERE id = ?", lead.id)
            if not before:
                return
            old_tags, old_phones = before[0]
            if (
                old_tags == _json.encode(lead.tags).decode()
                and old_phones == _json.encode(lead.phone_numbers).decode()
            ):
                return
            for table in dataset.SIDE_TABLES:
                self.cur.execute(self._sql(f"DELETE FROM {table} WHERE lead_id = ?"), (lead.id,))
        for table, rows in zip(dataset.SIDE_TABLES, (tags, phones), strict=True):
            if rows:
                cols = tuple(rows[0])
                marks = ", ".join("?" for _ in cols)
                sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"
                self.cur.executemany(self._sql(sql), [tuple(r[c] for c in cols) for r in rows])

    def list_statuses(self, account_id: int) -> list[StatusRecord]:
        sql = (
            'SELECT id, account_id, name, "order", is_default FROM lead_statuses '
            'WHERE account_id = ? ORDER BY "order", id'
        )
        return [
            StatusRecord(r[0], r[1], r[2], r[3], bool(r[4])) for r in self._all(sql, account_id)
        ]

    def list_sources(self, account_id: int) -> list[SourceRecord]:
        sql = "SELECT id, account_id, name FROM customer_sources WHERE account_id = ? ORDER BY id"
        return [SourceRecord(*r) for r in self._all(sql, account_id)]

    def get_user(self, account_id: int, user_id: int) -> UserRecord | None:
        sql = "SELECT id, account_id, name, email FROM users WHERE id = ? AND account_id = ?"
        rows = self._all(sql, user_id, account_id)
        return UserRecord(*rows[0]) if rows else None

    def version(self, account_id: int) -> int:
        rows = self._all("SELECT custom_fields_version FROM accounts WHERE id = ?", account_id)
        return int(rows[0][0]) if rows else 0

    def all(self, account_id: int) -> list[CustomFieldDefinition]:
        cols = tuple(t.custom_field_definitions.c.keys())
        sql = (
            f"SELECT {', '.join(cols)} FROM custom_field_definitions "
            "WHERE account_id = ? ORDER BY id"
        )
        return [
            definition_from_row(_Mapped(dict(zip(cols, r, strict=True))))
            for r in self._all(sql, account_id)
        ]

    def get_for_update(self, account_id: int, lead_id: int) -> Lead | None:
        cols = ", ".join(f'"{c}"' for c in LEAD_COLUMNS)
        lock = " FOR UPDATE" if self.postgres else ""
        sql = f"SELECT {cols} FROM leads WHERE id = ? AND account_id = ?{lock}"
        rows = self._all(sql, lead_id, account_id)
        return lead_from_row(_Row(rows[0])) if rows else None

    def add(self, activity: Activity) -> None:
        row = record_row(activity, ACTIVITY_JSON)
        marks = ", ".join("?" for _ in row)
        sql = f"INSERT INTO activities ({', '.join(row)}) VALUES ({marks})"
        self.cur.execute(self._sql(sql), tuple(row.values()))


class RawStore:
    """One DB-API connection; transactions as the real engines open them."""

    def __init__(self, ds: Dataset) -> None:
        self.postgres = ds.engine == "postgres"
        self.url = ds.url
        if self.postgres:
            import psycopg

            self.conn: Any = psycopg.connect(ds.url, autocommit=True)
        else:
            assert ds.path is not None
            self.conn = sqlite3.connect(ds.path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[RawTx]:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE" if write and not self.postgres else "BEGIN")
        try:
            yield RawTx(cur, self.postgres)
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    def close(self) -> None:
        self.conn.close()


def _loop(call: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``call`` over about ``seconds``."""
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        call()
        count += 1
        if count % 8 == 0 and time.perf_counter() >= deadline:
            return count / (time.perf_counter() - started)


def upserts_per_second(
    store: Any, principal: Principal, bodies: Bodies, key: str, seconds: float, warmup: float
) -> float:
    services = Services(store)
    make: Callable[[], Any] = getattr(bodies, key)

    def one() -> object:
        return services.upsert_lead(principal, make())

    _loop(one, warmup)
    return _loop(one, seconds)


def measure(
    ds: Dataset, key: str, *, raw: bool, nonce: int, seconds: float, warmup: float
) -> float:
    """Single-threaded upserts/s of scenario ``key`` on the store or the raw driver."""
    store: Any = RawStore(ds) if raw else open_store(ds.url)
    try:
        bodies = Bodies(ds, nonce)
        return upserts_per_second(store, ds.principal, bodies, key, seconds, warmup)
    finally:
        store.close()
