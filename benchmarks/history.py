"""What the lead history costs: HTTP upsert throughput with history on and off, in the
same run, alternating, on SQLite and PostgreSQL; and the bytes a version takes (issue 19).

    python -m benchmarks.history [--engines sqlite,postgres] [--size 10000] [--rounds 3]

For each engine: a database of ``--size`` leads (``benchmarks/dataset.py``) whose leads
all get a baseline version first (as if history had always been on: every write then
stores one version, the steady state), then ``--rounds`` rounds of ``verdigris serve``
with ``VERDIGRIS_HISTORY=off`` and ``on`` in turn, each running wrk's ``upsert_email``
mix (half updates of existing leads, half creates; ``benchmarks/bench.lua``) for
``--duration`` seconds on 16 connections after a warm-up. Between runs the leads the run
created and the versions it wrote are deleted. It prints each run, the median req/s of
each mode and their ratio (the goal: on / off >= 0.85), and per version: its JSON bytes
and its share of the table and indexes on disk (SQLite ``dbstat``, PostgreSQL
``pg_total_relation_size``). Rate limits are off.

On a loaded machine the HTTP figures swing by 2x from run to run; ``--in-process`` times
the same upserts through the services in this process instead, in CPU seconds of its
thread, alternating blocks of 200 with history on and off, which isolates the history
write's own cost from the machine's load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks import dataset, loadgen, server
from benchmarks.bench import DEFAULT_PG
from benchmarks.dataset import Dataset
from verdigris.domain.history import Version, lead_json
from verdigris.store import open_store
from verdigris.store import schema as t
from verdigris.store.lead_rows import lead_from_row
from verdigris.store.sql import SqlStore


def seed_baselines(ds: Dataset) -> int:
    """A baseline version for every loaded lead."""
    store = open_store(ds.url)
    assert isinstance(store, SqlStore)
    try:
        with store.engine.begin() as conn:
            conn.execute(t.lead_versions.delete())
            rows = []
            for row in conn.execute(sa.select(t.leads)):
                lead = lead_from_row(row)
                version = Version(
                    account_id=lead.account_id,
                    lead_id=lead.id,
                    version=1,
                    event="baseline",
                    cause=None,
                    data=lead_json(lead),
                    user_id=None,
                    at=lead.date_modified,
                )
                rows.append({f: getattr(version, f) for f in Version.__struct_fields__})
                if len(rows) == 2000:
                    conn.execute(t.lead_versions.insert(), rows)
                    rows = []
            if rows:
                conn.execute(t.lead_versions.insert(), rows)
        return ds.size
    finally:
        store.close()


def storage(ds: Dataset) -> tuple[int, float, float]:
    """(versions, JSON bytes per version, on-disk bytes per version, indexes included)."""
    store = open_store(ds.url)
    assert isinstance(store, SqlStore)
    try:
        with store.engine.connect() as conn:
            count, data = conn.execute(
                sa.select(sa.func.count(), sa.func.sum(sa.func.length(t.lead_versions.c.data)))
            ).one()
            if ds.engine == "sqlite":
                disk = conn.exec_driver_sql(
                    "SELECT sum(pgsize) FROM dbstat WHERE name = 'lead_versions' "
                    "OR name LIKE '%lead_versions%'"
                ).scalar()
            else:
                disk = conn.exec_driver_sql(
                    "SELECT pg_total_relation_size('lead_versions')"
                ).scalar()
        count = int(count or 0)
        return count, (data or 0) / max(count, 1), (disk or 0) / max(count, 1)
    finally:
        store.close()


def cleanup(ds: Dataset) -> None:
    """The leads the run created and the versions it wrote go; the baselines stay."""
    dataset.restore(ds)
    store = open_store(ds.url)
    assert isinstance(store, SqlStore)
    try:
        with store.engine.begin() as conn:
            conn.execute(t.lead_versions.delete().where(t.lead_versions.c.version > 1))
            conn.execute(t.lead_versions.delete().where(t.lead_versions.c.lead_id > ds.id_hi))
    finally:
        store.close()


def in_process(ds: Dataset, blocks: int, per_block: int) -> str:
    """The services' upsert alone (no HTTP), history on and off in alternating blocks of
    ``per_block`` upserts (the same mix as wrk's: half updates, half creates), timed in
    CPU seconds of this thread, which other processes' load barely moves; the median of
    ``blocks`` blocks per mode."""
    from verdigris.services import Services

    store = open_store(ds.url)
    try:
        services = Services(store)
        on = Services(store)
        on.observe(on.record_version)
        times: dict[str, list[float]] = {"off": [], "on": []}
        walls: dict[str, list[float]] = {"off": [], "on": []}
        n = 0
        for block in range(blocks * 2):
            mode = "on" if block % 2 else "off"
            svc = on if mode == "on" else services
            started, wall = time.thread_time(), time.perf_counter()
            for _ in range(per_block):
                n += 1
                email = f"lead{n * 7919 % ds.size}@bench.example" if n % 2 else f"ip{n}@x.example"
                svc.upsert_lead(
                    ds.principal,
                    {
                        "properties": {
                            "name": f"Bench Lead {n}",
                            "email": {"email": email, "category": "work"},
                            "title": "Buyer",
                            "tags": ["bench"],
                            "address": {"city": "Paris", "country": "US"},
                        },
                        "match": {"field_name": "email", "field_value": email},
                    },
                )
            times[mode].append(time.thread_time() - started)
            walls[mode].append(time.perf_counter() - wall)
        off, on_t = (statistics.median(times[m]) / per_block * 1e6 for m in ("off", "on"))
        w_off, w_on = (statistics.median(walls[m]) / per_block * 1e6 for m in ("off", "on"))
        return (
            f"{ds.engine}: in process, per upsert: CPU of this thread off {off:,.0f} us, "
            f"on {on_t:,.0f} us ({off / on_t:.2f}x); wall off {w_off:,.0f} us, "
            f"on {w_on:,.0f} us ({w_off / w_on:.2f}x)"
        )
    finally:
        store.close()


def run_engine(engine: str, args: argparse.Namespace) -> list[str]:
    ds = dataset.prepare(engine, args.size, args.workdir, args.pg_url)
    try:
        seed_baselines(ds)
        if args.in_process:
            line = in_process(ds, args.rounds, 200)
            cleanup(ds)
            return [line]
        results: dict[str, list[float]] = {"off": [], "on": []}
        nonce = 1
        per_version: tuple[int, float, float] | None = None
        for round_number in range(1, args.rounds + 1):
            for mode in ("off", "on"):
                os.environ["VERDIGRIS_HISTORY"] = mode
                log = args.workdir / f"history-{engine}-{mode}.log"
                srv = server.start(ds.url, 1, ds.token, ds.email, log)
                try:
                    common = {"threads": 1, "connections": 16}
                    loadgen.run_wrk(srv.base, "upsert_email", ds, nonce=nonce, seconds=1, **common)
                    run = loadgen.run_wrk(
                        srv.base,
                        "upsert_email",
                        ds,
                        nonce=nonce + 1,
                        seconds=args.duration,
                        **common,
                    )
                    nonce += 2
                finally:
                    server.stop(srv)
                errors = f"  {run.error_count} ERRORS" if run.error_count else ""
                print(
                    f"{engine:<8} round {round_number} history {mode:<3} {run.rps:8,.0f} req/s"
                    f"  p50 {run.p50_ms:6.2f} ms{errors}",
                    flush=True,
                )
                if not run.error_count:
                    results[mode].append(run.rps)
                if mode == "on" and per_version is None:
                    per_version = storage(ds)
                cleanup(ds)
        off, on = (statistics.median(results[m]) for m in ("off", "on"))
        lines = [f"{engine}: history off {off:,.0f} req/s, on {on:,.0f} req/s: {on / off:.2f}x"]
        if per_version:
            count, data, disk = per_version
            lines.append(
                f"{engine}: {count:,} versions: {data:,.0f} bytes of JSON each, "
                f"{disk:,.0f} bytes on disk each (table and indexes)"
            )
        return lines
    finally:
        os.environ.pop("VERDIGRIS_HISTORY", None)
        dataset.drop_database(ds, args.pg_url)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.history", description=__doc__)
    p.add_argument("--engines", default="sqlite,postgres")
    p.add_argument("--size", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "verdigris-hist")
    p.add_argument("--pg-url", default=DEFAULT_PG)
    p.add_argument(
        "--in-process",
        action="store_true",
        help="time the services' upsert in this process instead (CPU time; --rounds blocks "
        "of 200 upserts per mode)",
    )
    args = p.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"RATE LIMITS ARE OFF. load: {os.getloadavg()[0]:.1f}", flush=True)
    lines = []
    for engine in args.engines.split(","):
        lines += run_engine(engine.strip(), args)
    print("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
