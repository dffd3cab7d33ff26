"""Search in the store: the 0002 migration backfills keys for existing leads, and the
common searches are planned on the search indexes (no table scan, no sort where an
index gives the order), on every engine."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from tests.conftest import POSTGRES_URL, _unreachable
from tests.helpers import reset, search_leads, search_shown
from verdigris.domain.leads import Address, Email, Lead, Phone
from verdigris.domain.search import parse_search
from verdigris.services import Principal, Services
from verdigris.store import normalize_url, open_store, search_sql
from verdigris.store import schema as t
from verdigris.store.lead_rows import lead_row
from verdigris.store.leads_sql import reads_sort_index
from verdigris.store.postgres import SEARCH_RANDOM_PAGE_COST
from verdigris.store.sql import SqlStore, SqlTx

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    admin = sa.create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    schema = f"vfresh_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        _unreachable(f"PostgreSQL at {POSTGRES_URL}", exc, "VERDIGRIS_REQUIRE_POSTGRES")
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


def test_migration_0002_backfills_existing_leads(empty_url: str) -> None:
    store = open_store(empty_url)
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        command.upgrade(store.alembic_config(conn), "0001")
    old_columns = {c["name"] for c in sa.inspect(store.engine).get_columns("leads")}
    assert "name_key" not in old_columns
    # an account and a user as the 0001 schema holds them (later migrations add tables
    # that today's seeding code fills, so rows are written by hand here)
    with store.engine.begin() as conn:
        account_id = conn.execute(
            sa.text("INSERT INTO accounts (name, date_created) VALUES ('Old', 0) RETURNING id")
        ).scalar_one()
        user_id = conn.execute(
            sa.text(
                "INSERT INTO users (account_id, name, email, email_norm, date_created) "
                "VALUES (:a, 'old', 'old@example.com', 'old@example.com', 0) RETURNING id"
            ),
            {"a": account_id},
        ).scalar_one()
    lead = Lead(
        account_id=account_id,
        name="Ann Archer",
        first_name="Ann",
        last_name="Archer",
        email=Email("Ann@X.io", "work"),
        phone_numbers=[Phone("415-999-4321", "work"), Phone("(212) 555-0000", "home")],
        address=Address(city=" Savannah", country="US"),
        tags=["VIP", "web"],
        assignee_id=None,
        monetary_value=12.5,
        date_created=100,
        date_modified=100,
    )
    untagged = Lead(account_id=account_id, name="Bob", date_created=100, date_modified=100)
    with store.engine.begin() as conn:
        for item in (lead, untagged):
            row = {k: v for k, v in lead_row(item).items() if k in old_columns}
            conn.execute(sa.table("leads", *map(sa.column, row)).insert(), [row])
    store.migrate()
    services = Services(store)

    who = Principal(user_id, account_id, "old@example.com")
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"name": "ann"}, ["Ann Archer"]),
        ({"city": "savannah"}, ["Ann Archer"]),
        ({"city": ""}, ["Bob"]),
        ({"tags": ["vip"]}, ["Ann Archer"]),
        ({"tags": {"value": [], "allow_empty": True}}, ["Bob"]),
        ({"phone_number": "2125550000"}, ["Ann Archer"]),
        ({"emails": "ann@x.io"}, ["Ann Archer"]),
        ({"assignee_ids": [-2]}, ["Ann Archer", "Bob"]),
        ({"minimum_monetary_value": 10}, ["Ann Archer"]),
        ({"sort_by": "value", "sort_direction": "desc"}, ["Ann Archer", "Bob"]),
    ]
    for params, expected in cases:
        total, page = search_shown(services, who, params)
        assert [shown.lead.name for shown in page] == expected, params
        assert total == len(expected)
    store.close()


@pytest.mark.slow
def test_migration_0002_downgrades_without_losing_rows(empty_url: str) -> None:
    store = open_store(empty_url)
    assert isinstance(store, SqlStore)
    store.migrate()
    services = Services(store)
    user, _ = services.add_user("down@example.com")
    who = Principal(user.id, user.account_id, user.email)
    lead_id = services.create_lead(who, {"name": "Kept", "tags": ["t"]}).lead.id
    with store.engine.begin() as conn:
        conn.execute(
            t.lead_custom_values.insert(),
            [
                {
                    "lead_id": lead_id,
                    "account_id": who.account_id,
                    "definition_id": 1,
                    "value_key": "v",
                }
            ],
        )
    with store.engine.begin() as conn:
        command.downgrade(store.alembic_config(conn), "0001")
    inspector = sa.inspect(store.engine)
    assert "name_key" not in {c["name"] for c in inspector.get_columns("leads")}
    assert "lead_tags" not in inspector.get_table_names()
    with store.engine.connect() as conn:
        kept = conn.exec_driver_sql("SELECT count(*) FROM lead_custom_values").scalar_one()
    assert kept == 1  # SQLite: no table copy of leads, so no cascade
    store.migrate()
    total, page = search_shown(services, who, {"tags": ["t"]})
    assert (total, [s.lead.name for s in page]) == (1, ["Kept"])
    store.close()


# --- plans ----------------------------------------------------------------------------------

ACCOUNT = 1
COMMON: list[tuple[dict[str, Any], str, bool]] = [
    # (search, the index the page must use, whether that index also gives the order)
    ({}, "ix_leads_by_name", True),
    ({"name": "lead 1"}, "ix_leads_by_name", True),
    ({"status_ids": [2]}, "ix_leads_by_status", True),
    ({"assignee_ids": [-2]}, "ix_leads_by_assignee", True),
    ({"customer_source_ids": [3]}, "ix_leads_by_source", True),
    ({"city": "city 7"}, "ix_leads_by_city", True),
    ({"city": ""}, "ix_leads_by_city", True),
    ({"state": "s1"}, "ix_leads_by_state", True),
    ({"postal_code": "10007"}, "ix_leads_by_postal", True),
    ({"country": "de"}, "ix_leads_by_country", True),
    ({"tags": {"value": [], "allow_empty": True}}, "ix_leads_by_tag_count", True),
    ({"emails": "l7@x.io"}, "ix_leads_by_email", False),
    ({"tags": ["t3"]}, "ix_lead_tags_search", False),
    ({"phone_number": "5550007"}, "ix_lead_phones_suffix", False),
    ({"phone_number": {"value": "50007", "match": "partial"}}, "ix_lead_phones_suffix", False),
    (
        {"minimum_modified_date": 5000, "sort_by": "date_modified", "sort_direction": "desc"},
        "ix_leads_by_modified",
        True,
    ),
    ({"minimum_created_date": 5000, "sort_by": "date_created"}, "ix_leads_by_created", True),
    (
        {"minimum_monetary_value": 10, "maximum_monetary_value": 20, "sort_by": "value"},
        "ix_leads_by_value",
        True,
    ),
    ({"minimum_interaction_count": 49}, "ix_leads_by_interactions", False),
    ({"minimum_monetary_value": 98}, "ix_leads_by_value", False),
    ({"maximum_created_date": 100}, "ix_leads_by_created", False),
    ({"sort_by": "inactive_days"}, "ix_leads_by_contacted", True),
    ({"sort_by": "zip", "sort_direction": "desc"}, "ix_leads_by_postal", True),
    ({"sort_by": "phone"}, "ix_leads_by_phone", True),
    ({"sort_by": "company_name"}, "ix_leads_by_company", True),
]


@pytest.fixture(scope="module")
def populated(session_store: SqlStore) -> SqlStore:
    """3,000 leads (and a second account), analyzed; loaded once per engine."""
    store = session_store
    reset(store)
    rnd = random.Random(4)
    leads = []
    for i in range(3000):
        leads.append(
            Lead(
                id=i + 1,
                account_id=ACCOUNT if i < 2700 else ACCOUNT + 1,
                name=f"Lead {i}",
                email=Email(f"l{i}@x.io", "work"),
                phone_numbers=[Phone(f"555{i:04d}", "work")],
                address=Address(
                    city=f"City {rnd.randrange(300)}",
                    state=f"S{rnd.randrange(50)}",
                    postal_code=f"{10000 + rnd.randrange(2000)}",
                    country=rnd.choice(("US", "DE", "FR")),
                )
                if i % 3
                else None,
                status_id=rnd.randrange(1, 5),
                assignee_id=rnd.randrange(1, 20) if i % 5 else None,
                customer_source_id=rnd.randrange(1, 5) if i % 4 else None,
                tags=rnd.sample([f"t{n}" for n in range(100)], i % 3),
                monetary_value=rnd.randrange(100) if i % 2 else None,
                interaction_count=rnd.randrange(50),
                company_name=f"Co {rnd.randrange(500)}",
                date_created=rnd.randrange(10000),
                date_modified=rnd.randrange(10000),
                date_last_contacted=rnd.randrange(10000) if i % 2 else None,
            )
        )
    with store.engine.begin() as conn:
        conn.execute(
            t.accounts.insert(), [{"id": a, "name": f"a{a}", "date_created": 0} for a in (1, 2)]
        )
        conn.execute(t.leads.insert(), [{"id": lead.id, **lead_row(lead)} for lead in leads])
        tags, phones = [], []
        for lead in leads:
            lead_tags, lead_phones = search_sql.side_rows(lead)
            tags += lead_tags
            phones += lead_phones
        conn.execute(t.lead_tags.insert(), tags)
        conn.execute(t.lead_phones.insert(), phones)
        conn.exec_driver_sql("ANALYZE")
    return store


def _plan(store: SqlStore, stmt: sa.Select[Any]) -> str:
    dialect = store.engine.dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as conn:
        if dialect.name == "sqlite":
            return "\n".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        # on a table this small a scan is cheap; forbid it to see which index serves
        conn.exec_driver_sql(f"SET random_page_cost = {SEARCH_RANDOM_PAGE_COST}")
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_bitmapscan = off")
        return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))


def _no_table_scan(plan: str) -> None:
    assert "Seq Scan on leads" not in plan, plan
    assert "SCAN leads" not in plan.replace("SCAN leads USING", ""), plan


@pytest.mark.parametrize(("params", "index", "ordered"), COMMON)
def test_common_searches_use_an_index(
    populated: SqlStore, params: dict[str, Any], index: str, ordered: bool
) -> None:
    query = parse_search({"page_size": 200, **params})
    filtered = any(not key.startswith("sort") for key in params)
    with populated.transaction(write=False) as tx:
        total, leads = search_leads(tx, ACCOUNT, query)
        assert isinstance(tx, SqlTx)
        actual = search_sql.order_by(query, by_index=reads_sort_index(query, total))
    assert len(leads) == min(total, 200)
    assert all(lead.account_id == ACCOUNT for lead in leads)

    # what a big account runs: the order comes from an index where the index allows
    count, ids, page = search_sql.statements(ACCOUNT, query, search_sql.order_by(query))
    _no_table_scan(_plan(populated, count))
    page_plan = _plan(populated, page)
    _no_table_scan(page_plan)
    plan = _plan(populated, ids)
    _no_table_scan(plan)
    if ordered:
        assert index in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        assert "Sort" not in plan, plan
        # nor are the page's rows sorted again once joined (PostgreSQL; SQLite reads
        # the ids, then their rows: SqlLeads.ids_then_rows)
        assert "Sort" not in page_plan, page_plan

    # what runs for this many matches (few matches are sorted, unless one index holds
    # them in the page's order: leads_sql.reads_sort_index)
    plan = _plan(populated, search_sql.statements(ACCOUNT, query, actual).ids)
    _no_table_scan(plan)
    if filtered:
        assert index in plan, plan
    if search_sql.in_index_order(query):
        assert ordered
        assert index in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        assert "Sort" not in plan, plan


@pytest.mark.parametrize(
    "params",
    [
        {"city": "City 7"},
        {"city": "City 7", "sort_direction": "desc"},
        {"sort_by": "inactive_days"},
        {"status_ids": [2], "sort_by": "name", "sort_direction": "desc"},
    ],
)
@pytest.mark.parametrize("by_index", [True, False])
def test_a_page_is_not_sorted_again_once_joined_to_its_rows(
    populated: SqlStore, params: dict[str, Any], by_index: bool
) -> None:
    """PostgreSQL: the page's rows are ordered by the values its subquery of ids sorted
    by, so the join keeps the subquery's order and nothing sorts the 200 joined rows
    again, whether the ids are read in an index's order or sorted (``by_index=False``:
    one Sort, inside the subquery). SQLite reads ids, then rows (ids_then_rows)."""
    if populated.engine.dialect.name != "postgresql":
        pytest.skip("SQLite never runs the joined page statement")
    query = parse_search({"page_size": 200, **params})
    order = search_sql.order_by(query, by_index=by_index)
    plan = _plan(populated, search_sql.statements(ACCOUNT, query, order).page)
    # each node's name ("Sort", "Nested Loop"...), before its "  (cost=...)"
    lines = [line.strip().removeprefix("->").strip() for line in plan.splitlines()]
    nodes = [line.split("  (cost=")[0] for line in lines if "  (cost=" in line]
    sorts = [node for node in nodes if node in ("Sort", "Incremental Sort")]
    assert nodes[0] not in sorts, plan
    assert len(sorts) == (0 if by_index else 1), plan
