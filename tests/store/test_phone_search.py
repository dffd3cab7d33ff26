"""Phone number search in the store (issue 14): Copper's "ends with" rule, the reversed
digits written on every path, migration 0007 filling them for existing rows, and the
plan of a suffix search at a realistic size (an index range, never a scan)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from tests.store.test_search_store import empty_url  # noqa: F401 (a fixture)
from verdigris.domain.leads import Lead, Phone
from verdigris.services import Principal, Services
from verdigris.store import open_store, search_sql
from verdigris.store import schema as t
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore, lead_row

#: name -> phone numbers; the searches below are Copper's own example (408-555-1234)
PHONES: dict[str, list[str]] = {
    "Plain": ["408-555-1234"],
    "Country": ["+1 (408) 555-1234"],
    "Prefixed": ["123-4085551234"],
    "Other area": ["(510) 555-1234"],
    "Six": ["55 12 34"],
    "Next door": ["408-555-1235"],
    "Two numbers": ["999", "1.408.555.1234"],
    "London": ["+44 20 7946 0958"],
    "None": [],
}


def _who(services: Services, email: str = "ph@example.com", account: str = "Ph") -> Principal:
    user, _ = services.add_user(email, account=account)
    return Principal(user.id, user.account_id, user.email)


def _names(services: Services, who: Principal, params: dict[str, Any]) -> list[str]:
    total, page = services.search_leads(who, {"page_size": 200, **params})
    names = sorted(str(shown.lead.name) for shown in page)
    assert total == len(names), params
    return names


@pytest.fixture
def phoned(store: Store) -> tuple[Services, Principal]:
    services = Services(store)
    who = _who(services)
    for name, numbers in PHONES.items():
        phones = [{"number": n, "category": "work"} for n in numbers]
        services.create_lead(who, {"name": name, "phone_numbers": phones})
    return services, who


FUZZY_10 = ["Country", "Other area", "Plain", "Prefixed", "Six", "Two numbers"]
PARTIAL_10 = ["Country", "Plain", "Prefixed", "Two numbers"]


@pytest.mark.parametrize(
    ("phone_number", "expected"),
    [
        # 7 digits or more, no "match": fuzzy (ends with the last 6 digits, here)
        ("408-555-1234", FUZZY_10),
        ("4085551234", FUZZY_10),
        ({"value": "408-555-1234", "match": "fuzzy"}, FUZZY_10),
        ({"value": "408-555-1234", "match": "partial"}, PARTIAL_10),
        ({"value": "1-408-555-1234", "match": "partial"}, ["Country", "Two numbers"]),
        ("1-408-555-1234", FUZZY_10),
        # 13 digits: fuzzy strips at most 6, so the last 7 must match
        ("123-408-555-1234", [*PARTIAL_10, "Other area"]),
        ({"value": "5551234", "match": "partial"}, [*PARTIAL_10, "Other area"]),
        ({"value": "9-555-1234", "match": "partial"}, []),
        # 6 digits or fewer: partial, whatever "match" says
        ("551234", FUZZY_10),
        ({"value": "1234", "match": "fuzzy"}, FUZZY_10),
        ("5", ["Next door"]),
        ("999", ["Two numbers"]),
        ("+44 20 7946 0958", ["London"]),
        ("0958", ["London"]),
        ("7777777", []),
    ],
)
def test_a_lead_matches_when_one_of_its_numbers_ends_with_the_digits(
    phoned: tuple[Services, Principal], phone_number: Any, expected: list[str]
) -> None:
    services, who = phoned
    assert _names(services, who, {"phone_number": phone_number}) == sorted(expected)


def test_other_filters_and_accounts_still_apply(phoned: tuple[Services, Principal]) -> None:
    services, who = phoned
    other = _who(services, "other@example.com", "Other")
    services.create_lead(other, {"name": "Theirs", "phone_numbers": [{"number": "4085551234"}]})
    assert _names(services, who, {"phone_number": "4085551234", "name": "p"}) == [
        "Plain",
        "Prefixed",
    ]
    assert _names(services, other, {"phone_number": "1234"}) == ["Theirs"]


def test_every_write_path_keeps_the_reversed_digits(store: Store) -> None:
    """create, update, upsert, bulk create and bulk update write the rows the search reads."""
    services = Services(store)
    who = _who(services)

    def phones(*numbers: str) -> list[dict[str, str]]:
        return [{"number": n, "category": "work"} for n in numbers]

    made = services.create_lead(who, {"name": "Made", "phone_numbers": phones("212-555-0101")})
    assert _names(services, who, {"phone_number": "0101"}) == ["Made"]
    services.update_lead(who, made.lead.id, {"phone_numbers": phones("+1 646 555 0202")})
    assert _names(services, who, {"phone_number": "0101"}) == []
    assert _names(services, who, {"phone_number": "(646) 555-0202"}) == ["Made"]
    services.upsert_lead(
        who,
        {
            "properties": {"name": "Upserted", "phone_numbers": phones("303 555 0303")},
            "match": {"field_name": "name", "field_value": "Upserted"},
        },
    )
    assert _names(services, who, {"phone_number": "5550303"}) == ["Upserted"]
    services.upsert_lead(
        who,
        {
            "properties": {"name": "Upserted", "phone_numbers": phones("303 555 0404")},
            "match": {"field_name": "name", "field_value": "Upserted"},
        },
    )
    assert _names(services, who, {"phone_number": "5550303"}) == []
    assert _names(services, who, {"phone_number": "5550404"}) == ["Upserted"]
    services.bulk_create(
        who, {"leads": [{"name": "Bulk", "phone_numbers": phones("0049 30 1234 5678")}]}
    )
    bulk = _names(services, who, {"phone_number": {"value": "4930 12345678", "match": "partial"}})
    assert bulk == ["Bulk"]
    bulk_id = services.search_leads(who, {"name": "bulk"})[1][0].lead.id
    services.bulk_update(
        who, {"leads": [{"id": bulk_id, "phone_numbers": phones("030 8765 4321")}]}
    )
    assert _names(services, who, {"phone_number": "12345678"}) == []
    assert _names(services, who, {"phone_number": "87654321"}) == ["Bulk"]
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.lead_phones.c.digits, t.lead_phones.c.digits_reversed))
        assert all(rev == digits[::-1] for digits, rev in rows)


#: the revision that adds lead_phones.digits_reversed
REVISION = "0007"


def _migrate(store: SqlStore, step: Callable[[Config, str], None]) -> None:
    """Run ``step`` (an upgrade or downgrade) to the revision before :data:`REVISION`,
    with SQLite's foreign keys off, as ``SqliteStore.migrate`` runs migrations (0008
    rebuilds tables)."""
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                config = store.alembic_config(conn)
                revision = ScriptDirectory.from_config(config).get_revision(REVISION)
                assert revision is not None
                step(config, str(revision.down_revision))
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def test_migration_fills_the_reversed_digits_of_existing_rows(empty_url: str) -> None:  # noqa: F811
    store = open_store(empty_url)
    assert isinstance(store, SqlStore)
    _migrate(store, command.upgrade)
    assert "digits_reversed" not in {
        c["name"] for c in sa.inspect(store.engine).get_columns("lead_phones")
    }
    # rows as the revision before holds them: digits only, written by hand
    with store.engine.begin() as conn:
        conn.execute(t.accounts.insert(), [{"id": 1, "name": "Old", "date_created": 0}])
        user = {"account_id": 1, "name": "old", "date_created": 0}
        conn.execute(
            t.users.insert(), [{**user, "email": "o@x.io", "email_norm": "o@x.io", "id": 1}]
        )
        for lead_id, name, numbers in ((1, "Ann", ["1-408-555-1234", "999"]), (2, "Bob", [])):
            lead = Lead(
                id=lead_id,
                account_id=1,
                name=name,
                phone_numbers=[Phone(n, "work") for n in numbers],
                date_created=1,
                date_modified=1,
            )
            conn.execute(t.leads.insert(), [{"id": lead_id, **lead_row(lead)}])
            _, phones = search_sql.side_rows(lead)
            old = [{k: v for k, v in row.items() if k != "digits_reversed"} for row in phones]
            if old:
                conn.execute(sa.table("lead_phones", *map(sa.column, old[0])).insert(), old)
    store.migrate()
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.lead_phones.c.digits, t.lead_phones.c.digits_reversed))
        assert sorted(rows) == [("14085551234", "43215558041"), ("999", "999")]
    indexes = {i["name"] for i in sa.inspect(store.engine).get_indexes("lead_phones")}
    assert "ix_lead_phones_suffix" in indexes
    assert "ix_lead_phones_search" not in indexes
    services = Services(store)
    who = Principal(1, 1, "o@x.io")
    assert _names(services, who, {"phone_number": "408-555-1234"}) == ["Ann"]
    assert _names(services, who, {"phone_number": "99"}) == ["Ann"]

    _migrate(store, command.downgrade)
    inspector = sa.inspect(store.engine)
    assert "digits_reversed" not in {c["name"] for c in inspector.get_columns("lead_phones")}
    assert "ix_lead_phones_search" in {i["name"] for i in inspector.get_indexes("lead_phones")}
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM lead_phones").scalar_one() == 2
    store.migrate()
    assert _names(services, who, {"phone_number": "4085551234"}) == ["Ann"]
    store.close()
