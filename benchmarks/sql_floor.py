"""The SQL floor of an upsert: the statements one upsert executes, replayed on the bare
driver in one process (issue 20, bar 4).

Recording: ``Services.upsert_lead`` runs on the real store with a hook on both paths a
statement can take to the driver: SQLAlchemy's ``before_cursor_execute`` event (the
read path, ``BEGIN IMMEDIATE`` on SQLite) and the DB-API cursor of the write path
(``verdigris/store/fast.py``, wrapped by :class:`_Recorder`). One upsert of each
outcome is recorded (create: a new email; update: a loaded lead never written since, as
the HTTP scenario's updates meet at 1M leads), after one of each to warm the store's
caches, so the recording is the steady-state sequence. The services run with the
observers ``verdigris serve`` registers by default (the lead history, the webhook
outbox), so the statements are the server's: the version rows, and a loaded lead's
first version renumbered under its baseline.

Replaying: a bare ``sqlite3`` connection (the server's pragmas: WAL, the same
``synchronous``) or a bare ``psycopg`` connection sends the recorded statements, the
two outcomes alternating as in the HTTP scenario, one transaction per upsert (SQLite:
the recorded ``BEGIN IMMEDIATE`` then ``COMMIT``; psycopg: its implicit ``BEGIN`` then
``commit()``). A create gets a fresh email each time (every parameter holding the
recorded one is rewritten) and the rows that follow its insert get the new lead's id.
An update goes to a loaded lead drawn at random, as the HTTP scenario's do (the recorded
lead's id and email rewritten to it); if that lead has a version already, the baseline's
statements are skipped, as the store skips them. What is left out is everything that is
not SQL: HTTP, JSON, the services' rules, the store's Python. HTTP upsert ÷ SQL floor
says how much of the database's own rate one worker delivers.
"""

from __future__ import annotations

import random
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
from verdigris.store import schema as t
from verdigris.store.sqlite import SYNCHRONOUS, WAL_AUTOCHECKPOINT_PAGES

SENTINEL = "sqlfloor-sentinel"


@dataclass
class Statement:
    sql: str
    params: Any
    many: bool = False
    #: the round trip that sent it (statements sent in one pipeline share one)
    trip: int = 0
    #: with numbered placeholders ($1...), for psycopg's RawCursor
    numbered: bool = False


@dataclass
class _Trips:
    """Round trips counted while recording: one per statement, one per pipeline."""

    count: int = 0
    in_pipeline: bool = False

    def next(self) -> int:
        if not self.in_pipeline:
            self.count += 1
        return self.count


#: the transaction statements psycopg sends by itself (implicit BEGIN, commit())
_TRANSACTION = ("BEGIN", "COMMIT")


@dataclass
class Recording:
    engine: str
    create: list[Statement] = field(default_factory=list)
    update: list[Statement] = field(default_factory=list)
    created_id: int = 0  # the lead id the recorded create got
    email: str = ""  # the recorded create's email
    updated_id: int = 0  # the loaded lead the recorded update wrote
    updated_email: str = ""  # and its email


class _Recorder:
    """A DB-API cursor that notes what it is asked to run, then runs it."""

    def __init__(self, inner: Any, log: list[Statement], trips: _Trips) -> None:
        self._inner = inner
        self._log = log
        self._trips = trips

    def execute(self, sql: str, params: Any = ()) -> Any:
        numbered = type(self._inner).__name__ == "RawCursor"
        self._log.append(Statement(sql, params, trip=self._trips.next(), numbered=numbered))
        return self._inner.execute(sql, params)

    def executemany(self, sql: str, params: Any) -> Any:
        # psycopg sends an executemany in one pipeline
        self._log.append(Statement(sql, list(params), many=True, trip=self._trips.next()))
        return self._inner.executemany(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextmanager
def recording(engine: sa.Engine, log: list[Statement]) -> Iterator[None]:
    trips = _Trips()

    def on_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        params = list(parameters) if many else parameters
        log.append(Statement(statement, params, many, trip=trips.next()))

    # every cursor of the write path (an older FastCursor made only one, in _cur)
    patched = "_new_cursor" if hasattr(fast_module.FastCursor, "_new_cursor") else "_cur"
    original = getattr(fast_module.FastCursor, patched)

    def recorded_cur(self: fast_module.FastCursor, *args: Any) -> Any:
        if patched == "_new_cursor":
            return _Recorder(original(self, *args), log, trips)
        if self._cursor is None:
            self._cursor = _Recorder(original(self), log, trips)
        return self._cursor

    # PostgreSQL's write path sends held statements in pipelines (store/postgres.py)
    pipelined: Any = None
    if engine.dialect.name == "postgresql":
        from verdigris.store import postgres

        pipelined = getattr(postgres, "PipelineCursor", None)
    send = pipelined._send if pipelined is not None else None

    def recorded_send(self: Any, last: Any) -> Any:
        trips.count += 1
        trips.in_pipeline = True
        try:
            return send(self, last)  # type: ignore[misc]
        finally:
            trips.in_pipeline = False

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    setattr(fast_module.FastCursor, patched, recorded_cur)
    if pipelined is not None:
        pipelined._send = recorded_send
    try:
        yield
    finally:
        setattr(fast_module.FastCursor, patched, original)
        if pipelined is not None:
            pipelined._send = send
        sa.event.remove(engine, "before_cursor_execute", on_execute)


def _body(email: str, name: str = "Bench Lead 1") -> dict[str, Any]:
    """The HTTP scenario's upsert by email (benchmarks/workload.py)."""
    return {
        "properties": {
            "name": name,
            "email": {"email": email, "category": "work"},
            "title": "Buyer",
            "company_name": "Bench Co",
            "phone_numbers": [{"number": "+1 415 555 0100", "category": "work"}],
            "address": {"city": "City 1", "country": "US"},
            "tags": ["bench"],
        },
        "match": {"field_name": "email", "field_value": email},
    }


def _unwritten(engine: sa.Engine, ds: Dataset, rng: random.Random) -> int:
    """The index of a loaded lead with no version yet (never written since the load;
    above the first tenth of the range, so that its id is no small number a statement
    holds for another reason), drawn at random."""
    v = t.lead_versions.c
    with engine.connect() as conn:
        for _ in range(1000):
            i = rng.randrange(ds.size // 10 + 1, ds.size)
            ident = ds.id_lo + i
            versions = conn.execute(
                sa.select(sa.func.count()).where(
                    v.account_id == ds.principal.account_id, v.lead_id == ident
                )
            ).scalar_one()
            if not versions and ident > 100:
                return i
    raise RuntimeError("no loaded lead without history to record an update on")


def record(ds: Dataset, *, observers: bool = True) -> Recording:
    """The statements of one upsert by email of each outcome, in steady state, with the
    server's observers (lead history, webhook outbox) unless ``observers`` is False."""
    store = open_store(ds.url)
    rec = Recording(ds.engine)
    try:
        services = Services(store)
        if observers:
            services.observe(services.record_version)
            services.enable_webhooks()
        engine = store.engine  # type: ignore[attr-defined]
        services.upsert_lead(ds.principal, _body(f"{SENTINEL}-warm@bench.example"))
        services.upsert_lead(ds.principal, _body(email_of(1)))
        rec.email = f"{SENTINEL}-{time.time_ns()}@bench.example"
        with recording(engine, rec.create):
            shown = services.upsert_lead(ds.principal, _body(rec.email))
        rec.created_id = shown.lead.id
        i = _unwritten(engine, ds, random.Random(time.time_ns()))
        rec.updated_id, rec.updated_email = ds.id_lo + i, email_of(i)
        with recording(engine, rec.update):
            # a name of its own: the lead changes (as the HTTP scenario's do)
            name = f"Bench Lead {time.time_ns()}"
            services.upsert_lead(ds.principal, _body(rec.updated_email, name))
    finally:
        store.close()
    return rec


def _swap(value: Any, email: str, new_email: str, old_id: int, new_id: int) -> Any:
    if isinstance(value, str) and email in value.lower():
        return value.replace(email, new_email).replace(email.lower(), new_email.lower())
    if isinstance(value, bytes) and email.encode() in value:  # the stored wire form
        return value.replace(email.encode(), new_email.encode())
    if type(value) is int and value == old_id:
        return new_id
    if isinstance(value, dict):
        return {k: _swap(v, email, new_email, old_id, new_id) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_swap(v, email, new_email, old_id, new_id) for v in value)
    return value


def _is_lead_insert(sql: str) -> bool:
    return sql.lstrip().upper().startswith("INSERT INTO LEADS ")


def _is_next_version(sql: str) -> bool:
    """The insert of a lead's next version, its number read back (``SqlHistory.add_next``)."""
    head = " ".join(sql.split()).upper()
    return head.startswith("INSERT INTO LEAD_VERSIONS ") and "RETURNING" in head


def _is_baseline(sql: str) -> bool:
    """A statement the store sends only when the next version was the lead's first: the
    renumbering and the baseline's insert (``History.add_following``)."""
    head = " ".join(sql.split()).upper()
    return head.startswith("UPDATE LEAD_VERSIONS ") or (
        head.startswith("INSERT INTO LEAD_VERSIONS ") and "RETURNING" not in head
    )


class Replayer:
    """The recorded statements on one bare driver connection."""

    def __init__(self, ds: Dataset, rec: Recording, durability: str = DURABLE) -> None:
        self.rec = rec
        self.ds = ds
        self.engine = ds.engine
        self.counter = 0
        self.rng = random.Random(time.time_ns())
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

    def _run(
        self, statements: list[Statement], email: str, new_email: str, old_id: int, new_id: int
    ) -> None:
        cur = self.conn.cursor()
        numbered: Any = None
        if self.engine != "sqlite":
            import psycopg

            numbered = psycopg.RawCursor(self.conn)
        first_version = True
        for st in statements:
            if self.engine != "sqlite" and st.sql in _TRANSACTION:
                continue  # psycopg's own (PostgresStore's write path sends them itself)
            if not first_version and _is_baseline(st.sql):
                continue  # the lead has a history: the store sends no baseline
            params = _swap(st.params, email, new_email, old_id, new_id)
            on = numbered if st.numbered else cur
            if st.many:
                on.executemany(st.sql, params)
            else:
                on.execute(st.sql, params)
            if _is_lead_insert(st.sql):
                if self.engine == "sqlite" and "RETURNING" not in st.sql.upper():
                    new_id = cur.lastrowid
                else:
                    new_id = on.fetchone()[0]
            elif _is_next_version(st.sql):
                first_version = on.fetchone()[0] == 1
        if self.engine == "sqlite":
            if self.conn.in_transaction:
                cur.execute("COMMIT")
        else:
            self.conn.commit()

    def one(self) -> None:
        self.counter += 1
        rec = self.rec
        if self.counter % 2:
            new_email = f"{SENTINEL}-{time.time_ns()}-{self.counter}@bench.example"
            self._run(rec.create, rec.email, new_email, rec.created_id, rec.created_id)
        elif not rec.updated_id:  # a recording of old: the same lead every time
            self._run(rec.update, rec.email, "", rec.created_id, rec.created_id)
        else:  # a loaded lead at random, as the HTTP scenario's updates
            i = self.rng.randrange(self.ds.size)
            lead_id = self.ds.id_lo + i
            self._run(rec.update, rec.updated_email, email_of(i), rec.updated_id, lead_id)


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
    """One line per recorded statement (for the report and the docs). On PostgreSQL, the
    round trips too: BEGIN and COMMIT are counted whether psycopg sends them (one round
    trip each) or the write path does, with its other statements."""
    out = []
    for outcome, statements in (("create", rec.create), ("update", rec.update)):
        counted = [st for st in statements if st.sql not in _TRANSACTION]
        line = f"{rec.engine} upsert by email, {outcome}: {len(counted)} statements"
        if rec.engine != "sqlite":
            trips = len({st.trip for st in statements})
            trips += 2 - sum(st.sql in _TRANSACTION for st in statements)
            line += f", {trips} round trips (BEGIN and COMMIT included)"
        out.append(line)
        for st in statements:
            sql = " ".join(st.sql.split())
            trip = f"[{st.trip:2}] " if rec.engine != "sqlite" else ""
            out.append(f"  {trip}{'executemany ' if st.many else ''}{sql[:140]}")
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse
    import pickle
    from pathlib import Path

    p = argparse.ArgumentParser(
        prog="python -m benchmarks.sql_floor",
        description="List the statements (and PostgreSQL's round trips) of one upsert by "
        "email of each outcome; with --seconds, replay them on the bare driver too.",
    )
    p.add_argument("dataset", type=Path, help="a ds-*.pkl (python -m benchmarks.ab_http --prepare)")
    p.add_argument(
        "--no-observers",
        dest="observers",
        action="store_false",
        help="without the server's observers (lead history, webhook outbox)",
    )
    p.add_argument("--seconds", type=float, default=0, help="replay for this long (0: not)")
    args = p.parse_args(argv)
    ds: Dataset = pickle.loads(args.dataset.read_bytes())
    rec = record(ds, observers=args.observers)
    print("\n".join(describe(rec)))
    if args.seconds:
        rate, _ = measure(ds, seconds=args.seconds, warmup=min(1.0, args.seconds))
        print(f"SQL floor: {rate:,.0f} upserts/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
