"""Query plans and timings of lead search at 1M leads, on SQLite (and PostgreSQL).

Outside the default test run. It bulk-loads a generated account of ``--leads`` leads
(plus a small second account) straight into the tables (executemany on SQLite, COPY
on PostgreSQL; indexes are built after the load), runs ANALYZE, then for each common
search prints the plans of the count and page statements verdigris runs
(``EXPLAIN QUERY PLAN`` / ``EXPLAIN``) and the median time of a full search (count +
page of 200 through the store, as the service calls it) over a few warm runs.

Usage::

    python benchmarks/search_plans.py                       # 1M leads, SQLite + PostgreSQL
    python benchmarks/search_plans.py --leads 100000 --no-postgres
    python benchmarks/search_plans.py --reuse               # keep the data for the next --reuse

PostgreSQL: ``--postgres URL`` (default: the test server at 127.0.0.1:5432, database
``test``); the data goes to a schema of its own, dropped at the end. Skipped when
unreachable. Runtime at 1M: about 3 minutes per engine on 2 cores.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import time
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple
from urllib.parse import quote

import msgspec
import sqlalchemy as sa

from verdigris.domain.search import parse_search
from verdigris.domain.search_keys import lead_keys, phone_keys, tag_keys
from verdigris.store import normalize_url, open_store, search_sql
from verdigris.store import schema as t
from verdigris.store.leads_sql import reads_sort_index
from verdigris.store.postgres import SEARCH_RANDOM_PAGE_COST
from verdigris.store.sql import SqlStore, SqlTx

NOW = 1_780_000_000
FIRST_NAMES = """
james mary john patricia robert jennifer michael linda william elizabeth david barbara
richard susan joseph jessica thomas sarah charles karen chris lisa daniel nancy matthew betty
anthony sandra mark ashley donald emily steven kimberly paul donna andrew michelle joshua carol
kenneth amanda kevin melissa brian deborah george stephanie timothy rebecca ronald sharon jason
laura edward cynthia jeffrey dorothy ryan amy jacob kathleen gary angela nicholas shirley eric
emma jonathan brenda stephen pamela larry nicole justin anna scott samantha brandon katherine
benjamin christine samuel debra gregory rachel alexander carolyn frank janet patrick maria"""
FIRST = FIRST_NAMES.split()
LAST_NAMES = """smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez
lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white
harris sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen
hill flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez phillips
evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers
gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson
watson brooks chavez wood james bennett gray mendoza ruiz hughes price alvarez castillo
sanders"""
LAST = LAST_NAMES.split()
COUNTRIES = ["US"] * 12 + ["CA", "GB", "DE", "FR", "AU", "NL", "IE", "ES"]
STATUSES = 4
SOURCES = 4
USERS = 20
CITIES = [f"City {i}" for i in range(2000)]
TAGS = [f"tag{i}" for i in range(200)]
JSON = msgspec.json.Encoder()


def lead_rows(account_id: int, first_id: int, count: int, seed: int) -> Iterator[dict[str, Any]]:
    """Deterministic, skewed like a real CRM: common names, big cities, few statuses."""
    rnd = random.Random(seed)
    for n in range(count):
        lead_id = first_id + n
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        name = f"{first.title()} {last.title()}"
        has_address = rnd.random() < 0.7
        city = CITIES[min(int(rnd.paretovariate(1.2)) - 1, 1999)] if has_address else None
        state = f"S{rnd.randrange(50)}" if has_address else None
        postal = f"{rnd.randrange(10000, 40000)}" if has_address else None
        country = rnd.choice(COUNTRIES) if has_address else None
        phone = f"{rnd.randrange(200, 999)}-555-{rnd.randrange(10000):04d}"
        tags = rnd.sample(TAGS, rnd.choice((0, 0, 1, 1, 2, 3)))
        value = round(rnd.uniform(0, 100000), 2) if rnd.random() < 0.6 else None
        created = NOW - rnd.randrange(3 * 365 * 86400)
        modified = created + rnd.randrange(max(1, NOW - created))
        contacted = modified - rnd.randrange(86400 * 30) if rnd.random() < 0.5 else None
        email = f"{first}.{last}.{lead_id}@example.com"
        phones = [{"number": phone, "category": "work"}]
        title = rnd.choice(("CEO", "CTO", "Manager", "Engineer", None))
        company = f"Company {rnd.randrange(50000)}"
        assignee = rnd.randrange(1, USERS + 1) if rnd.random() < 0.8 else None
        source = rnd.randrange(1, SOURCES + 1) if rnd.random() < 0.7 else None
        row = {
            "id": lead_id,
            "account_id": account_id,
            "name": name,
            "first_name": first.title(),
            "last_name": last.title(),
            "title": title,
            "company_name": company,
            "email": email,
            "email_category": "work",
            "email_norm": email,
            "city": city,
            "state": state,
            "postal_code": postal,
            "country": country,
            "assignee_id": assignee,
            "customer_source_id": source,
            "status_id": rnd.randrange(1, STATUSES + 1),
            "monetary_value": value,
            "monetary_unit": "USD" if value is not None else None,
            "interaction_count": rnd.randrange(50),
            "phone_numbers": JSON.encode(phones).decode(),
            "socials": "[]",
            "websites": "[]",
            "tags": JSON.encode(tags).decode(),
            "custom_fields": "{}",
            "date_created": created,
            "date_modified": modified,
            "date_last_contacted": contacted,
            "converted_at": NOW - 1000 if rnd.random() < 0.01 else None,
            **lead_keys(
                name=name,
                first_name=first,
                last_name=last,
                company_name=company,
                title=title,
                email=email,
                phones=[phone],
                city=city,
                state=state,
                postal_code=postal,
                country=country,
                monetary_value=value,
                date_last_contacted=contacted,
                assignee_id=assignee,
                customer_source_id=source,
                tags=tags,
            ),
            "_tags": tag_keys(tags),
            "_phones": phone_keys([phone]),
        }
        yield row


def searches(phone: str, email: str) -> list[tuple[str, dict[str, Any]]]:
    """The common searches; ``phone`` and ``email`` are those of one loaded lead."""
    return [
        ("no filter, sort name (default)", {}),
        ("name prefix 'mary s'", {"name": "mary s"}),
        ("status_ids [2], sort name", {"status_ids": [2]}),
        ("assignee_ids [-2] (unassigned)", {"assignee_ids": [-2]}),
        ("customer_source_ids [3, -2]", {"customer_source_ids": [3, -2]}),
        ("city 'City 7', sort name", {"city": "City 7"}),
        ("city '' (no city), sort name", {"city": ""}),
        (
            "country 'de', sort date_modified desc",
            {"country": "de", "sort_by": "date_modified", "sort_direction": "desc"},
        ),
        ("country 'us', sort date_created", {"country": "us", "sort_by": "date_created"}),
        (
            "modified window, sort date_modified desc (amp-labs)",
            {
                "minimum_modified_date": NOW - 86400,
                "maximum_modified_date": NOW,
                "sort_by": "date_modified",
                "sort_direction": "desc",
            },
        ),
        ("tags ANY [tag5, tag6]", {"tags": ["tag5", "tag6"]}),
        ("tags ALL [tag5, tag6]", {"tags": {"option": "ALL", "value": ["tag5", "tag6"]}}),
        ("tags empty (allow_empty)", {"tags": {"value": [], "allow_empty": True}}),
        ("phone_number (ends with)", {"phone_number": phone}),
        ("emails exact", {"emails": email}),
        (
            "monetary 1000..2000, sort value desc",
            {
                "minimum_monetary_value": 1000,
                "maximum_monetary_value": 2000,
                "sort_by": "value",
                "sort_direction": "desc",
            },
        ),
        (
            "created in the last 7 days, sort date_created",
            {"minimum_created_date": NOW - 7 * 86400, "sort_by": "date_created"},
        ),
        (
            "interaction date window + count >= 40",
            {
                "minimum_interaction_date": NOW - 30 * 86400,
                "maximum_interaction_date": NOW - 20 * 86400,
                "minimum_interaction_count": 40,
            },
        ),
        # issue 16: the interaction filters, fed by calls and meetings (activities keep
        # interaction_count and date_last_contacted on the lead row, so these read the
        # lead indexes alone, whatever the number of activities)
        ("minimum_interaction_count 45", {"minimum_interaction_count": 45}),
        (
            "interaction count 3..5, sort inactive_days",
            {
                "minimum_interaction_count": 3,
                "maximum_interaction_count": 5,
                "sort_by": "inactive_days",
            },
        ),
        (
            "contacted in the last 7 days, sort inactive_days",
            {"minimum_interaction_date": NOW - 7 * 86400, "sort_by": "inactive_days"},
        ),
        ("sort inactive_days", {"sort_by": "inactive_days"}),
        ("sort zip desc", {"sort_by": "zip", "sort_direction": "desc"}),
        ("include_converted_leads, sort name", {"include_converted_leads": True}),
        ("page 500 of 200 (offset 99,800)", {"page_number": 500}),
    ]


def load(store: SqlStore, total: int) -> None:
    """Fresh tables, then the rows, then the indexes, then ANALYZE."""
    with store.engine.begin() as conn:
        t.metadata.drop_all(conn)
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    store.migrate()
    indexes = [*t.leads.indexes, *t.lead_tags.indexes, *t.lead_phones.indexes]
    with store.engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
        conn.execute(t.accounts.insert(), [{"id": 1, "name": "big", "date_created": 0}])
        conn.execute(t.accounts.insert(), [{"id": 2, "name": "small", "date_created": 0}])
    started = time.perf_counter()
    columns = [c.name for c in t.leads.columns]
    batch = 50_000
    plan = [(1, 1, total, 1), (2, total + 1, 10_000, 2)]
    for account, first_id, count, seed in plan:
        rows = lead_rows(account, first_id, count, seed)
        while chunk := list(itertools.islice(rows, batch)):
            _insert(store, columns, chunk)
    print(f"  loaded {total + 10_000:,} leads in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with store.engine.begin() as conn:
        for index in indexes:
            index.create(conn)
    print(f"  built {len(indexes)} indexes in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    print(f"  analyzed in {time.perf_counter() - started:.0f} s")


def _insert(store: SqlStore, columns: list[str], chunk: list[dict[str, Any]]) -> None:
    tags = [(r["id"], tag, r["account_id"]) for r in chunk for tag in r["_tags"]]
    phones = [(r["id"], d, r["account_id"], d[::-1]) for r in chunk for d in r["_phones"]]
    leads = [tuple(r.get(c) for c in columns) for r in chunk]
    raw: Any = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        if store.engine.dialect.name == "postgresql":
            for table, cols, data in (
                ("leads", columns, leads),
                ("lead_tags", ["lead_id", "tag", "account_id"], tags),
                ("lead_phones", ["lead_id", "digits", "account_id", "digits_reversed"], phones),
            ):
                quoted = ", ".join(f'"{c}"' for c in cols)
                with cur.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for item in data:
                        copy.write_row(item)
        else:
            marks = ", ".join("?" for _ in columns)
            quoted = ", ".join(f'"{c}"' for c in columns)
            cur.execute("BEGIN")
            cur.executemany(f"INSERT INTO leads ({quoted}) VALUES ({marks})", leads)
            cur.executemany("INSERT INTO lead_tags (lead_id, tag, account_id) VALUES (?,?,?)", tags)
            cur.executemany(
                "INSERT INTO lead_phones (lead_id, digits, account_id, digits_reversed) "
                "VALUES (?,?,?,?)",
                phones,
            )
            cur.execute("COMMIT")
        raw.commit()
    finally:
        raw.close()


def explain(store: SqlStore, stmt: sa.Select[Any]) -> list[str]:
    dialect = store.engine.dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as conn:
        if dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
            return [f"{'  ' * _depth(rows, r)}{r[-1]}" for r in rows]
        # as PostgresTx.search_leads plans it
        conn.exec_driver_sql(f"SET random_page_cost = {SEARCH_RANDOM_PAGE_COST}")
        return [r[0] for r in conn.exec_driver_sql("EXPLAIN (COSTS OFF) " + sql).all()]


def _depth(rows: Sequence[Any], row: Any) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent in parents:
        depth, parent = depth + 1, parents[parent]
    return depth


class Result(NamedTuple):
    label: str
    total: int
    ms: float
    count_plan: list[str]
    page_plan: list[str]


def run(store: SqlStore, rounds: int, only: str = "") -> list[Result]:
    with store.engine.connect() as conn:
        phones, email = conn.execute(
            sa.select(t.leads.c.phone_numbers, t.leads.c.email).where(t.leads.c.id == 777)
        ).one()
    phone = msgspec.json.decode(phones)[0]["number"]
    results = []
    for label, params in searches(phone, email):
        if only and only not in label and label != "no filter, sort name (default)":
            continue  # --only: these searches, and the plain one for the ratio
        query = parse_search({"page_size": 200, **params}).at(NOW)
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            with store.transaction(write=False) as tx:
                total, leads = tx.leads.search(1, query)
            timings.append(time.perf_counter() - started)
        with store.transaction(write=False) as tx:
            assert isinstance(tx, SqlTx)
            # the ORDER BY the store chose for this many matches
            count, ids, _ = search_sql.statements(
                1,
                query,
                search_sql.order_by(query, by_index=reads_sort_index(query, total)),
            )
        median = statistics.median(timings) * 1000
        result = Result(label, total, median, explain(store, count), explain(store, ids))
        print(f"\n### {label}: {total:,} matches, {len(leads)} returned, {median:.1f} ms")
        print("  count: " + "\n         ".join(result.count_plan))
        print("  page:  " + "\n         ".join(result.page_plan))
        results.append(result)
    return results


def summary(results: dict[str, list[Result]]) -> None:
    """Markdown for docs/performance.md: timings, then each search's plans in short."""
    engines = list(results)
    # each time also as a ratio to the plain search (no filter) of the same run
    heads = " | ".join(f"{e} ms | {e} ÷ plain" for e in engines)
    print(f"\n| search | matches | {heads} |")
    print("| --- | ---: |" + " ---: | ---: |" * len(engines))
    first = results[engines[0]]
    for n, row in enumerate(first):
        times = " | ".join(
            f"{results[e][n].ms:.1f} | {results[e][n].ms / results[e][0].ms:.2f}" for e in engines
        )
        print(f"| {row.label} | {row.total:,} | {times} |")
    print()
    for n, row in enumerate(first):
        print(f"- **{row.label}**")
        for engine in engines:
            r = results[engine][n]
            print(f"  - {engine} count: {_short(r.count_plan)}")
            print(f"  - {engine} page ids: {_short(r.page_plan)}")


def _short(plan: list[str]) -> str:
    """A plan on one line: its scan, join and sort steps."""
    keep = ("SCAN", "SEARCH", "TEMP B-TREE", "MULTI-INDEX", "Scan", "Sort", "Join", "Loop")
    steps = [line.strip().removeprefix("->").strip() for line in plan]
    steps = [s for s in steps if any(k in s for k in keep) and not s.startswith("Sort Key")]
    return " → ".join(f"`{s}`" for s in steps)


def loaded_leads(store: SqlStore) -> int:
    """Leads of the big account already there (0 without tables)."""
    try:
        with store.engine.connect() as conn:
            return int(
                conn.exec_driver_sql("SELECT count(*) FROM leads WHERE account_id = 1").scalar_one()
            )
    except sa.exc.DBAPIError:
        return 0


def bench(store: SqlStore, args: argparse.Namespace) -> list[Result]:
    if not (args.reuse and loaded_leads(store) == args.leads):
        load(store, args.leads)
    else:
        print("  reusing the loaded data")
    return run(store, args.rounds, args.only)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--sqlite", default="/tmp/verdigris-search-bench.db")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "VERDIGRIS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the loaded data (SQLite file, PostgreSQL schema bench_search) for the next run",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="", help="only the searches whose label has this text")
    args = parser.parse_args()

    started = time.perf_counter()
    results = {}
    if not args.no_sqlite:
        print(f"## SQLite ({args.sqlite}), {args.leads:,} leads")
        store = open_store(args.sqlite)
        assert isinstance(store, SqlStore)
        results["SQLite"] = bench(store, args)
        store.close()

    if not args.no_postgres:
        schema = "bench_search" if args.reuse else f"bench_search_{os.getpid()}"
        admin = sa.create_engine(normalize_url(args.postgres), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        except sa.exc.OperationalError as exc:
            print(f"\nPostgreSQL at {args.postgres} is not reachable, skipped: {exc}")
        else:
            try:
                sep = "&" if "?" in args.postgres else "?"
                url = f"{args.postgres}{sep}options={quote(f'-csearch_path={schema}')}"
                print(f"\n## PostgreSQL ({args.postgres}, schema {schema}), {args.leads:,} leads")
                pg = open_store(url)
                assert isinstance(pg, SqlStore)
                results["PostgreSQL"] = bench(pg, args)
                pg.close()
            finally:
                if not args.reuse:
                    with admin.connect() as conn:
                        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()

    print("\n## Summary")
    summary(results)
    print(f"\ntotal runtime {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
