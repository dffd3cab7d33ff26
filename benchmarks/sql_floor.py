"""The SQL floor of an upsert: the statements one upsert executes, replayed on the bare
driver in one process (issue 20, bar 4).

Recording: ``Services.upsert_lead`` runs on the real store with a hook on both paths a
statement can take to the driver: SQLAlchemy's ``before_cursor_execute`` event (the
read path, ``BEGIN IMMEDIATE`` on SQLite) and the DB-API cursor of the write path
(``verdigris/store/fast.py``, wrapped by :class:`_Recorder`). One upsert of each
outcome is recorded (create: a new email; update: an existing lead), after one of each
to warm the store's caches, so the recording is the steady-state sequence.

Replaying: a bare ``sqlite3`` connection (the server's pragmas: WAL, the same
``synchronous``) or a bare ``psycopg`` connection sends the recorded statements, the
two outcomes alternating as in the HTTP scenario, one transaction per upsert (SQLite:
the recorded ``BEGIN IMMEDIATE`` then ``COMMIT``; psycopg: its implicit ``BEGIN`` then
``commit()``). A create gets a fresh email each time (every parameter holding the
recorded one is rewritten) and the rows that follow its insert get the new lead's id.
What is left out is everything that is not SQL: HTTP, JSON, the services' rules, the
store's Python. HTTP upsert ÷ SQL floor says how much of the database's own rate one
worker delivers.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from benchmarks.dataset import Dataset, email_of
from verdigris.config import DURABLE
from verdigris.services import Services
from verdigris.store import fast as fast_module
from verdigris.store import normalize_url, open_store
from verdigris.store.sqlite import SYNCHRONOUS, WAL_AUTOCHECKPOINT_PAGES

SENTINEL = "sqlfloor-sentinel"


@dataclass
class Statement:
    sql: str
    params: Any
    many: bool = False


@dataclass
class Recording:
    engine: str
    create: list[Statement] = field(default_factory=list)
    update: list[Statement] = field(default_factory=list)
    created_id: int = 0  # the lead id the recorded create got
    email: str = ""  # the recorded create's email


class _Recorder:
    """A DB-API cursor that notes what it is asked to run, then runs it."""

    def __init__(self, inner: Any, log: list[Statement]) -> None:
        self._inner = inner
        self._log = log

    def execute(self, sql: str, params: Any = ()) -> Any:
        self._log.append(Statement(sql, params))
        return self._inner.execute(sql, params)

    def executemany(self, sql: str, params: Any) -> Any:
        self._log.append(Statement(sql, list(params), many=True))
        return self._inner.executemany(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextmanager
def recording(engine: sa.Engine, log: list[Statement]) -> Iterator[None]:
    def on_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        log.append(Statement(statement, list(parameters) if many else parameters, many))

    original = fast_module.FastCursor._cur

    def recorded_cur(self: fast_module.FastCursor) -> Any:
        if self._cursor is None:
            self._cursor = _Recorder(original(self), log)
        return self._cursor

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    fast_module.FastCursor._cur = recorded_cur  # type: ignore[method-assign]
    try:
        yield
    finally:
        fast_module.FastCursor._cur = original  # type: ignore[method-assign]
        sa.event.remove(engine, "before_cursor_execute", on_execute)


def _body(email: str) -> dict[str, Any]:
    """The HTTP scenario's upsert by email (benchmarks/workload.py)."""
    return {
        "properties": {
            "name": "Bench Lead 1",
            "email": {"email": email, "category": "work"},
            "title": "Buyer",
            "company_name": "Bench Co",
            "phone_numbers": [{"number": "+1 415 555 0100", "category": "work"}],
            "address": {"city": "City 1", "country": "US"},
            "tags": ["bench"],
        },
        "match": {"field_name": "email", "field_value": email},
    }


def record(ds: Dataset) -> Recording:
    """The statements of one upsert by email of each outcome, in steady state."""
    store = open_store(ds.url)
    rec = Recording(ds.engine)
    try:
        services = Services(store)
        engine = store.engine  # type: ignore[attr-defined]
        services.upsert_lead(ds.principal, _body(f"{SENTINEL}-warm@bench.example"))
        services.upsert_lead(ds.principal, _body(email_of(1)))
        rec.email = f"{SENTINEL}-0@bench.example"
        with recording(engine, rec.create):
            shown = services.upsert_lead(ds.principal, _body(rec.email))
        rec.created_id = shown.lead.id
        with recording(engine, rec.update):
            services.upsert_lead(ds.principal, _body(email_of(2)))
    finally:
        store.close()
    return rec


def _swap(value: Any, email: str, new_email: str, old_id: int, new_id: int) -> Any:
    if isinstance(value, str) and SENTINEL in value:
        return value.replace(email, new_email).replace(email.lower(), new_email.lower())
    if type(value) is int and value == old_id:
        return new_id
    if isinstance(value, dict):
        return {k: _swap(v, email, new_email, old_id, new_id) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_swap(v, email, new_email, old_id, new_id) for v in value)
    return value


def _is_lead_insert(sql: str) -> bool:
    return sql.lstrip().upper().startswith("INSERT INTO LEADS ")


class Replayer:
    """The recorded statements on one bare driver connection."""

    def __init__(self, ds: Dataset, rec: Recording, durability: str = DURABLE) -> None:
        self.rec = rec
        self.engine = ds.engine
        self.counter = 0
        if ds.engine == "sqlite":
            url = sa.engine.make_url(normalize_url(ds.url))
            conn = sqlite3.connect(str(url.database), isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={SYNCHRONOUS[durability]}")
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            conn.execute("PRAGMA foreign_keys=ON")
            self.conn: Any = conn
        else:
            import psycopg

            self.conn = psycopg.connect(
                normalize_url(ds.url).replace("postgresql+psycopg://", "postgresql://")
            )

    def close(self) -> None:
        self.conn.close()

    def _run(self, statements: list[Statement], new_email: str) -> None:
        old_id, new_id = self.rec.created_id, self.rec.created_id
        cur = self.conn.cursor()
        for st in statements:
            params = _swap(st.params, self.rec.email, new_email, old_id, new_id)
            if st.many:
                cur.executemany(st.sql, params)
            else:
                cur.execute(st.sql, params)
            if _is_lead_insert(st.sql):
                if self.engine == "sqlite" and "RETURNING" not in st.sql.upper():
                    new_id = cur.lastrowid
                else:
                    new_id = cur.fetchone()[0]
        if self.engine == "sqlite":
            if self.conn.in_transaction:
                cur.execute("COMMIT")
        else:
            self.conn.commit()

    def one(self) -> None:
        self.counter += 1
        if self.counter % 2:
            self._run(self.rec.create, f"{SENTINEL}-{self.counter}@bench.example")
        else:
            self._run(self.rec.update, "")


def measure(ds: Dataset, *, seconds: float, warmup: float) -> tuple[float, Recording]:
    """Upserts/s of the recorded SQL on the bare driver, and the recording."""
    rec = record(ds)
    replayer = Replayer(ds, rec)
    try:
        for deadline_s in (warmup, seconds):
            count = 0
            started = time.perf_counter()
            while True:
                replayer.one()
                count += 1
                if count % 8 == 0 and time.perf_counter() - started >= deadline_s:
                    break
        rate = count / (time.perf_counter() - started)
    finally:
        replayer.close()
    return rate, rec


def describe(rec: Recording) -> list[str]:
    """One line per recorded statement (for the report and the docs)."""
    out = []
    for outcome, statements in (("create", rec.create), ("update", rec.update)):
        out.append(f"{rec.engine} upsert by email, {outcome}: {len(statements)} statements")
        for st in statements:
            sql = " ".join(st.sql.split())
            out.append(f"  {'executemany ' if st.many else ''}{sql[:140]}")
    return out
