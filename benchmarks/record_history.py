"""What the history of people, companies and opportunities costs a write (issue 21), in
process: ``PUT /people/{id}``'s use case (``Services.update_person``) with the history
observer on and off, in alternating blocks, on SQLite and PostgreSQL.

    python -m benchmarks.record_history [--engines sqlite,postgres] [--people 2000]
                                        [--blocks 7] [--per-block 200]

For each engine: a fresh database (a temporary SQLite file; a schema of its own on
PostgreSQL) with one account of ``--people`` people, each already with a baseline
version (the steady state: every write then adds one version). Then ``--blocks`` blocks
per mode, alternating off and on, each of ``--per-block`` updates of random people (a new
title each: every update writes). Timed in CPU seconds of this thread (what another
process's load barely moves) and in wall seconds; the figures are the medians of the
blocks, per update, and their ratio (off / on: 1.00 means free). It also prints the JSON
bytes of a person's version.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from benchmarks.bench import DEFAULT_PG
from verdigris.services import Principal, Services
from verdigris.services.changes import Change
from verdigris.store import normalize_url, open_store
from verdigris.store import schema as t
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore


@contextmanager
def fresh_store(engine: str, pg_url: str) -> Iterator[Store]:
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
            store.migrate()
            try:
                yield store
            finally:
                store.close()
        return
    admin = sa.create_engine(normalize_url(pg_url), isolation_level="AUTOCOMMIT")
    schema = f"vbench_{os.getpid()}_{secrets.token_hex(3)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in pg_url else "?"
    store = open_store(f"{pg_url}{sep}options={quote(f'-csearch_path={schema}')}")
    try:
        store.migrate()
        yield store
    finally:
        store.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def run(engine: str, args: argparse.Namespace) -> str:
    with fresh_store(engine, args.pg_url) as store:
        off = Services(store)
        user, _ = off.add_user("bench@example.com", account="Bench")
        who = Principal(user.id, user.account_id, user.email)
        on = Services(store)
        on.observe(on.record_crm_version)
        ids = []
        for n in range(args.people):
            body = {
                "name": f"Bench Person {n}",
                "emails": [{"email": f"p{n}@bench.example", "category": "work"}],
                "phone_numbers": [{"number": f"+1 212 555 {n:04d}", "category": "work"}],
                "tags": ["bench", f"t{n % 7}"],
                "address": {"city": "Paris", "country": "FR"},
                "title": "Buyer",
            }
            person = off.create_person(who, body).record
            ids.append(person.id)
            # its baseline, as if history had always been on
            with store.transaction(write=True) as tx:
                on.record_crm_version(
                    tx, Change("person", "new", who.account_id, person.id, None, None, person, 0)
                )
        rng = random.Random(21)
        cpu: dict[str, list[float]] = {"off": [], "on": []}
        wall: dict[str, list[float]] = {"off": [], "on": []}
        n = 0
        for block in range(args.blocks * 2):
            mode = "on" if block % 2 else "off"
            services = on if mode == "on" else off
            started, clock = time.thread_time(), time.perf_counter()
            for _ in range(args.per_block):
                n += 1
                services.update_person(who, rng.choice(ids), {"title": f"Title {n}"})
            cpu[mode].append(time.thread_time() - started)
            wall[mode].append(time.perf_counter() - clock)
        assert isinstance(store, SqlStore)
        with store.engine.connect() as conn:
            size = conn.execute(
                sa.select(sa.func.avg(sa.func.length(t.record_versions.c.data)))
            ).scalar_one()
        c_off, c_on = (statistics.median(cpu[m]) / args.per_block * 1e6 for m in ("off", "on"))
        w_off, w_on = (statistics.median(wall[m]) / args.per_block * 1e6 for m in ("off", "on"))
        return (
            f"{engine}: per update_person, CPU of this thread: off {c_off:,.0f} us, "
            f"on {c_on:,.0f} us ({c_off / c_on:.2f}x); wall: off {w_off:,.0f} us, "
            f"on {w_on:,.0f} us ({w_off / w_on:.2f}x); a version's JSON: {float(size):,.0f} bytes"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--blocks", type=int, default=7)
    parser.add_argument("--per-block", type=int, default=200)
    parser.add_argument(
        "--pg-url", default=os.environ.get("VERDIGRIS_BENCH_POSTGRES_URL", DEFAULT_PG)
    )
    args = parser.parse_args()
    for engine in args.engines.split(","):
        print(run(engine, args), flush=True)


if __name__ == "__main__":
    main()
