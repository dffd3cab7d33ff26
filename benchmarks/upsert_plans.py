"""What an upsert by email costs PostgreSQL per statement, at a dataset's size: the email
match, the read for update and the lead's UPDATE, each under ``EXPLAIN (ANALYZE, BUFFERS,
WAL)`` for random existing leads, in transactions rolled back (nothing is kept)::

    python -m benchmarks.upsert_plans /work/ab/ds-postgres-1000000.pkl --leads 20
    python -m benchmarks.upsert_plans DS --wal-compression lz4   # a superuser's session

Prints the plan of the first lead, then per statement the averages: time, shared buffers
hit / read (from outside PostgreSQL's buffers) / dirtied / written, WAL records, full
page images and bytes. The UPDATE sets what the upsert mix of ``bench.lua`` sets on an
existing lead (name, last name, their sort keys, ``date_modified``, the wire form).
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from benchmarks.dataset import Dataset

MATCH = (
    "SELECT leads.id FROM leads WHERE leads.account_id = %s AND leads.email_key = %s"
    " AND leads.email_norm = %s AND leads.converted_at IS NULL LIMIT 1"
)
READ = "SELECT * FROM leads WHERE id = %s AND account_id = %s FOR UPDATE"
UPDATE = (
    "UPDATE leads SET name = name, last_name = last_name, date_modified = date_modified + 1,"
    " name_key = name_key, last_name_key = last_name_key, wire = wire WHERE id = %s"
)
FIELDS = {
    "hit": "Shared Hit Blocks",
    "read": "Shared Read Blocks",
    "dirtied": "Shared Dirtied Blocks",
    "written": "Shared Written Blocks",
    "WAL records": "WAL Records",
    "full pages": "WAL FPI",
    "WAL bytes": "WAL Bytes",
}


def _conninfo(url: str) -> str:
    """A libpq URL from the dataset's SQLAlchemy one (its search_path option kept)."""
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)


def _show(node: dict[str, Any], depth: int = 0) -> None:
    print(
        "  " * depth
        + f"{node['Node Type']} {node.get('Index Name', '')} "
        + f"{node.get('Actual Total Time')} ms, hit {node.get('Shared Hit Blocks')}"
        + f" read {node.get('Shared Read Blocks')}"
    )
    for child in node.get("Plans", []):
        _show(child, depth + 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.upsert_plans", description=__doc__)
    p.add_argument("dataset", type=Path, help="a ds-postgres-*.pkl")
    p.add_argument("--leads", type=int, default=20)
    p.add_argument("--wal-compression", help="SET wal_compression first (off, lz4...)")
    args = p.parse_args(argv)
    ds: Dataset = pickle.loads(args.dataset.read_bytes())
    if ds.engine != "postgres":
        raise SystemExit("a PostgreSQL dataset, please")
    totals: dict[str, dict[str, float]] = {}
    with psycopg.connect(_conninfo(ds.url)) as conn:
        cur = conn.cursor()
        lo, hi = cur.execute("SELECT min(id), max(id) FROM leads").fetchone() or (0, 0)
        conn.rollback()
        for n in range(args.leads):
            if args.wal_compression:
                cur.execute(f"SET wal_compression = {args.wal_compression}")
            row = cur.execute(
                "SELECT id, account_id, email_key, email_norm FROM leads WHERE id >= %s"
                " ORDER BY id LIMIT 1",
                (random.randint(lo, hi),),
            ).fetchone()
            assert row is not None
            lead_id, account_id, key, norm = row
            plans = {}
            for name, sql, params in (
                ("email match", MATCH, (account_id, key, norm)),
                ("read for update", READ, (lead_id, account_id)),
                ("update", UPDATE, (lead_id,)),
            ):
                found = cur.execute(
                    "EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) " + sql, params
                ).fetchone()
                assert found is not None
                plans[name] = found[0][0]
            conn.rollback()
            for name, plan in plans.items():
                total = totals.setdefault(name, dict.fromkeys(["ms", *FIELDS], 0.0))
                total["ms"] += plan["Execution Time"]
                for field, key_name in FIELDS.items():
                    total[field] += plan["Plan"].get(key_name, 0)
                if n == 0:
                    print(name)
                    _show(plan["Plan"], 1)
    print(f"\n{ds.engine}, {ds.size:,} leads: averages over {args.leads} leads")
    for name, total in totals.items():
        cells = "  ".join(f"{f} {v / args.leads:,.1f}" for f, v in total.items() if f != "ms")
        print(f"  {name:<16} {total['ms'] / args.leads:7.3f} ms  {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
