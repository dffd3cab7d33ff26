"""Benchmark databases: create one, seed its account, bulk-load N leads, restore it.

The account, user, statuses and sources are created the way a user creates them
(``verdigris user add``). The N leads are then written straight into the ``leads``
table (and ``lead_custom_values``) with the store's own row builder
(:func:`verdigris.store.sql.lead_row`), in big ``executemany`` transactions on
SQLite and with ``COPY`` on PostgreSQL: loading a million leads over HTTP would
measure nothing useful and take an hour.

Lead ``i`` (0 <= i < N) has id ``id_lo + i``, email ``lead{i}@bench.example`` and the
custom field value ``ext-{i}``; the workloads (:mod:`benchmarks.workload`) rely on it.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgspec
import sqlalchemy as sa

from verdigris.domain.custom_fields import index_entries
from verdigris.domain.leads import Address, Email, Lead, Phone
from verdigris.services import Principal, Services
from verdigris.store import lead_rows, normalize_url, open_store
from verdigris.store import schema as t
from verdigris.store.sql import SqlStore

SideRows = Callable[[Lead], tuple[list[dict[str, Any]], list[dict[str, Any]]]]
side_rows: SideRows | None
try:  # search (issue 4) keeps a lead's tags and phone digits in side tables
    from verdigris.store.search_sql import side_rows
except ImportError:  # a branch without search
    side_rows = None
#: the side tables side_rows() fills, in the order it returns their rows
SIDE_TABLES = ("lead_tags", "lead_phones")

USER_EMAIL = "bench@bench.example"
CUSTOM_FIELD_NAME = "External ID"
CHUNK = 20_000
CITIES = (
    ("San Francisco", "CA"), ("Oakland", "CA"), ("Los Angeles", "CA"), ("San Diego", "CA"),
    ("Seattle", "WA"), ("Spokane", "WA"), ("Portland", "OR"), ("Eugene", "OR"),
    ("Boise", "ID"), ("Reno", "NV"), ("Las Vegas", "NV"), ("Phoenix", "AZ"),
    ("Tucson", "AZ"), ("Denver", "CO"), ("Boulder", "CO"), ("Salt Lake City", "UT"),
    ("Austin", "TX"), ("Dallas", "TX"), ("Houston", "TX"), ("El Paso", "TX"),
    ("Chicago", "IL"), ("Springfield", "IL"), ("Detroit", "MI"), ("Madison", "WI"),
    ("Minneapolis", "MN"), ("Omaha", "NE"), ("Kansas City", "MO"), ("St. Louis", "MO"),
    ("Nashville", "TN"), ("Atlanta", "GA"), ("Miami", "FL"), ("Tampa", "FL"),
    ("Charlotte", "NC"), ("Raleigh", "NC"), ("Richmond", "VA"), ("Baltimore", "MD"),
    ("Philadelphia", "PA"), ("Pittsburgh", "PA"), ("Boston", "MA"), ("New York", "NY"),
)  # fmt: skip
FIRST_NAMES = (
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret",
    "Ken", "Radia", "Dennis", "Sophie", "Tim", "Hedy", "Claude", "Karen", "Niklaus",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus",
    "Hamilton", "Thompson", "Perlman", "Ritchie", "Wilson", "Berners-Lee", "Lamarr",
    "Shannon", "Jones", "Wirth", "Kay", "Milner",
)  # fmt: skip
TAGS = ("customer", "prospect", "vip", "trade show", "newsletter", "partner", "webinar")


def email_of(i: int) -> str:
    return f"lead{i}@bench.example"


def ext_of(i: int) -> str:
    return f"ext-{i}"


@dataclass
class Dataset:
    """One loaded benchmark database and what the workloads need to know about it."""

    engine: str  # "sqlite" | "postgres"
    url: str  # as given to ``verdigris serve --db``
    size: int
    id_lo: int
    token: str
    email: str
    principal: Principal
    definition_id: int
    load_seconds: float = 0.0
    schema: str | None = None  # PostgreSQL schema owned by the harness
    path: Path | None = None  # SQLite file

    @property
    def id_hi(self) -> int:
        return self.id_lo + self.size - 1


# --- creating and dropping databases -------------------------------------------------


def pg_admin(pg_url: str) -> sa.Engine:
    return sa.create_engine(normalize_url(pg_url), isolation_level="AUTOCOMMIT")


def new_database(engine: str, size: int, workdir: Path, pg_url: str) -> tuple[str, Any]:
    """A fresh empty database: ``(verdigris url, sqlite path or pg schema)``."""
    if engine == "sqlite":
        path = workdir / f"bench-{size}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}", path
    schema = f"bench_{os.getpid()}_{secrets.token_hex(3)}_{size}"
    admin = pg_admin(pg_url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    finally:
        admin.dispose()
    sep = "&" if "?" in pg_url else "?"
    return f"{pg_url}{sep}options={quote(f'-csearch_path={schema}')}", schema


def drop_schema(pg_url: str, schema: str) -> None:
    admin = pg_admin(pg_url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        admin.dispose()


def drop_database(ds: Dataset, pg_url: str) -> None:
    if ds.schema:
        drop_schema(pg_url, ds.schema)
    if ds.path:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{ds.path}{suffix}").unlink(missing_ok=True)


# --- seeding and loading -------------------------------------------------------------


def prepare(engine: str, size: int, workdir: Path, pg_url: str, *, seed: int = 7) -> Dataset:
    """Create a database with one seeded account and ``size`` leads in it."""
    url, where = new_database(engine, size, workdir, pg_url)
    token = "bench-" + secrets.token_hex(12)
    cli = [sys.executable, "-m", "verdigris", "user", "add", USER_EMAIL, "--token", token]
    subprocess.run([*cli, "--db", url, "--account", "bench"], check=True, capture_output=True)
    store = open_store(url)
    try:
        assert isinstance(store, SqlStore)
        services = Services(store)
        principal = services.authenticate(token, USER_EMAIL)
        with store.transaction(write=False) as tx:
            statuses = [s.id for s in tx.accounts.list_statuses(principal.account_id)]
            sources = [s.id for s in tx.accounts.list_sources(principal.account_id)]
        definition_id = add_definition(store, principal.account_id)
        with store.engine.connect() as conn:
            top = conn.execute(sa.select(sa.func.max(t.leads.c.id))).scalar()
        id_lo = int(top or 0) + 1
    finally:
        store.close()
    started = time.perf_counter()
    rows = generate_rows(size, id_lo, principal.account_id, statuses, sources, definition_id, seed)
    if engine == "sqlite":
        load_sqlite(Path(str(where)), rows)
    else:
        load_postgres(url, rows, id_lo + size - 1)
    elapsed = time.perf_counter() - started
    return Dataset(
        engine=engine,
        url=url,
        size=size,
        id_lo=id_lo,
        token=token,
        email=USER_EMAIL,
        principal=principal,
        definition_id=definition_id,
        load_seconds=elapsed,
        schema=str(where) if engine == "postgres" else None,
        path=Path(str(where)) if engine == "sqlite" else None,
    )


def add_definition(store: SqlStore, account_id: int) -> int:
    """A filterable String custom field available on leads (the custom-field upsert key).

    Written directly (not through the API) so that the harness runs whether or not the
    custom field definitions API exists on the branch being measured.
    """
    with store.engine.begin() as conn:
        ident = conn.execute(
            t.custom_field_definitions.insert()
            .values(
                account_id=account_id,
                name=CUSTOM_FIELD_NAME,
                data_type="String",
                available_on=json.dumps(["lead"]),
                is_filterable=True,
                options="[]",
                currency=None,
            )
            .returning(t.custom_field_definitions.c.id)
        ).scalar_one()
    return int(ident)


#: chunks of {table: (columns, rows)}, "leads" first
LeadRows = Iterator[dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]]
#: a lead's row with its wire form; a tree from before it (a --source of benchmarks.upsert_cpu
#: or ab_http) has lead_row alone
stored_row: Callable[[Lead], dict[str, Any]] = getattr(lead_rows, "stored_row", lead_rows.lead_row)
LEAD_COLUMNS: tuple[str, ...] = ("id", *stored_row(Lead(account_id=0)).keys())
VALUE_COLUMNS = ("lead_id", "account_id", "definition_id", "value_key", "value_num")


def make_lead(
    i: int,
    rng: random.Random,
    account_id: int,
    statuses: list[int],
    sources: list[int],
    definition_id: int,
    now: int,
) -> Lead:
    first = FIRST_NAMES[i % len(FIRST_NAMES)]
    last = LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]
    city, state = CITIES[rng.randrange(len(CITIES))]
    created = now - rng.randrange(3 * 365 * 86400)
    # 0-6 interactions (calls, meetings: issue 16), the last within a year of creation;
    # derived from i, so the other values drawn from rng stay those of earlier datasets
    interactions = i % 7
    contacted = min(now, created + (i * 7919) % (365 * 86400)) if interactions else None
    return Lead(
        account_id=account_id,
        name=f"{first} {last}",
        first_name=first,
        last_name=last,
        title=("Buyer", "CTO", "Office Manager", "Founder", None)[i % 5],
        company_name=f"Company {i % 50_000}",
        email=Email(email_of(i), "work"),
        phone_numbers=[Phone(f"+1 415 555 {i % 10_000:04d}", "work")],
        address=Address(f"{i % 9000 + 1} Main Street", city, state, f"{i % 90000:05d}", "US"),
        customer_source_id=sources[i % len(sources)],
        status_id=statuses[rng.randrange(len(statuses))],
        monetary_value=rng.randrange(100, 100_000),
        monetary_unit="USD",
        tags=rng.sample(TAGS, rng.randrange(3)),
        custom_fields={definition_id: ext_of(i)},
        date_created=created,
        date_modified=created,
        interaction_count=interactions,
        date_last_contacted=contacted,
    )


def generate_rows(
    size: int,
    id_lo: int,
    account_id: int,
    statuses: list[int],
    sources: list[int],
    definition_id: int,
    seed: int,
) -> LeadRows:
    """Chunks of rows per table, built with the store's own row builders."""
    rng = random.Random(seed)
    now = int(time.time())
    for start in range(0, size, CHUNK):
        leads: list[tuple[Any, ...]] = []
        values: list[tuple[Any, ...]] = []
        sides: dict[str, list[dict[str, Any]]] = {name: [] for name in SIDE_TABLES}
        for i in range(start, min(size, start + CHUNK)):
            lead = make_lead(i, rng, account_id, statuses, sources, definition_id, now)
            lead = msgspec.structs.replace(lead, id=id_lo + i)
            leads.append((lead.id, *stored_row(lead).values()))
            for def_id, value in lead.custom_fields.items():
                for key, number in index_entries(value):
                    values.append((lead.id, account_id, def_id, key, number))
            if side_rows is not None:
                for name, rows in zip(SIDE_TABLES, side_rows(lead), strict=True):
                    sides[name].extend(rows)
        chunk = {"leads": (LEAD_COLUMNS, leads), "lead_custom_values": (VALUE_COLUMNS, values)}
        for name, dict_rows in sides.items():
            if dict_rows:
                columns = tuple(dict_rows[0])
                chunk[name] = (columns, [tuple(r[c] for c in columns) for r in dict_rows])
        yield chunk


def _progress(done: int, started: float, last: bool = False) -> None:
    tty = sys.stderr.isatty()
    if not (tty or last or done % 200_000 == 0):
        return
    rate = done / max(time.perf_counter() - started, 1e-9)
    end = "" if tty and not last else "\n"
    line = f"  loaded {done:,} leads ({rate:,.0f}/s)"
    print(("\r" if tty else "") + line, end=end, file=sys.stderr, flush=True)


#: the tables the loader writes; their secondary indexes are dropped during the load
#: and rebuilt after it (the usual way to bulk-load; the schema ends up unchanged)
LOADED_TABLES = ("leads", "lead_custom_values", *SIDE_TABLES)


def load_sqlite(path: Path, rows: LeadRows) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        marks = ", ".join("?" for _ in LOADED_TABLES)
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            LOADED_TABLES,
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        done, started = 0, time.perf_counter()
        for chunk in rows:
            conn.execute("BEGIN")
            for table, (columns, table_rows) in chunk.items():
                cols = ", ".join(_q(c) for c in columns)
                marks = ", ".join("?" for _ in columns)
                conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", table_rows)
            conn.execute("COMMIT")
            done += len(chunk["leads"][1])
            _progress(done, started)
        _progress(done, started, last=True)
        log_step(f"rebuilding {len(indexes)} indexes")
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


_PG_INDEXES = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint c
    WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
  )
"""


def load_postgres(url: str, rows: LeadRows, id_hi: int) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=False) as conn:
        indexes = conn.execute(_PG_INDEXES, (list(LOADED_TABLES),)).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.commit()
        done, started = 0, time.perf_counter()
        for chunk in rows:
            with conn.cursor() as cur:
                for table, (columns, table_rows) in chunk.items():
                    cols = ", ".join(_q(c) for c in columns)
                    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        for row in table_rows:
                            copy.write_row(row)
            conn.commit()
            done += len(chunk["leads"][1])
            _progress(done, started)
        _progress(done, started, last=True)
        log_step(f"rebuilding {len(indexes)} indexes")
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("SELECT setval(pg_get_serial_sequence('leads', 'id'), %s)", (id_hi,))
        conn.commit()
    vacuum_postgres(url)
    checkpoint_postgres(url)


def checkpoint_postgres(url: str) -> None:
    """``CHECKPOINT`` after a load, as SQLite's loader truncates its WAL: the load's
    gigabytes of WAL are flushed before the first scenario instead of during it (at 1M
    the checkpointer otherwise runs a checkpoint every few seconds through the first
    write scenarios, which then write each page they touch whole to the WAL).
    Needs a superuser or ``pg_checkpoint``; without either the load goes on."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        try:
            conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege as exc:
            log_step(f"no CHECKPOINT after the load ({exc}); the first runs may meet one")


def vacuum_postgres(url: str) -> None:
    """``VACUUM ANALYZE`` the loaded tables (this schema's): the visibility map set, so
    that a count reads the index alone (an index-only scan) rather than the table."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in LOADED_TABLES:
            if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() != (None,):
                conn.execute(f"VACUUM ANALYZE {table}")


def log_step(msg: str) -> None:
    print(f"  {msg}", file=sys.stderr, flush=True)


def _q(column: str) -> str:
    return f'"{column}"'


def restore(ds: Dataset) -> int:
    """Delete the leads the workloads created (ids above the loaded range)."""
    store = open_store(ds.url)
    try:
        assert isinstance(store, SqlStore)
        with store.engine.begin() as conn:
            for name in ("lead_custom_values", *SIDE_TABLES):
                side = t.metadata.tables.get(name)
                if side is not None:
                    conn.execute(side.delete().where(side.c.lead_id > ds.id_hi))
            result = conn.execute(t.leads.delete().where(t.leads.c.id > ds.id_hi))
            return int(result.rowcount)
    finally:
        store.close()
