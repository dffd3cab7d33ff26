"""What the search keys and indexes cost writers: creates, updates and upserts per second.

Runs the services directly (one transaction per call, as an HTTP request does, without
the HTTP layer) on a fresh database: ``--leads`` creates, then as many updates of one
field, then as many upserts matching on email (the update path). Compare two versions of
verdigris by running the same script with each on ``PYTHONPATH``::

    python benchmarks/write_cost.py                           # this checkout, SQLite
    git archive fcb6284 | tar -x -C /tmp/vbase                # the code before search
    PYTHONPATH=/tmp/vbase python benchmarks/write_cost.py     # same script, old code
    python benchmarks/write_cost.py --db postgresql://postgres@127.0.0.1:5432/test

A PostgreSQL URL gets a fresh schema, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

import verdigris
from verdigris.services import Principal, Services
from verdigris.store import normalize_url, open_store


def body(i: int) -> dict[str, Any]:
    return {
        "name": f"Lead Number {i}",
        "email": {"email": f"lead{i}@example.com", "category": "work"},
        "phone_numbers": [{"number": f"415-555-{i % 10000:04d}", "category": "work"}],
        "address": {"city": f"City {i % 300}", "state": "CA", "postal_code": "94105"},
        "tags": ["web", f"batch{i % 20}"],
        "monetary_value": i % 5000,
    }


class Clock:
    """Wall time and this process's CPU time (steadier on a busy machine)."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def rates(self, n: int) -> tuple[float, float]:
        return n / (time.perf_counter() - self.wall), n / (time.process_time() - self.cpu)


def measure(services: Services, who: Principal, n: int) -> dict[str, tuple[float, float]]:
    rates = {}
    clock = Clock()
    ids = [services.create_lead(who, body(i)).lead.id for i in range(n)]
    rates["create"] = clock.rates(n)
    clock = Clock()
    for i, lead_id in enumerate(ids):
        services.update_lead(who, lead_id, {"details": f"note {i}"})
    rates["update (details)"] = clock.rates(n)
    clock = Clock()
    for i in range(n):
        match = {"field_name": "email", "field_value": f"lead{i}@example.com"}
        services.upsert_lead(who, {"properties": {**body(i), "title": "CTO"}, "match": match})
    rates["upsert (update path)"] = clock.rates(n)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--db", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    print(f"verdigris from {Path(verdigris.__file__).parent}")

    schema = None
    admin = None
    if args.db and args.db.startswith("postgres"):
        schema = f"bench_writes_{os.getpid()}"
        admin = sa.create_engine(normalize_url(args.db), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in args.db else "?"
        url = f"{args.db}{sep}options={quote(f'-csearch_path={schema}')}"
    else:
        url = args.db or f"sqlite:///{tempfile.mkdtemp()}/writes.db"
    try:
        store = open_store(url)
        store.migrate()
        services = Services(store)
        user, _ = services.add_user("bench@example.com")
        who = Principal(user.id, user.account_id, user.email)
        for name, (wall, cpu) in measure(services, who, args.leads).items():
            print(f"{name:>22}: {wall:8,.0f} /s wall, {cpu:8,.0f} /s of CPU")
        store.close()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()


if __name__ == "__main__":
    main()
