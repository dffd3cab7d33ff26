"""Migration 0014 (issue 21): people and companies that conversions made before it get
their search keys and email, phone and tag rows; down and up again keeps them findable."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from tests.store.test_search_store import empty_url  # noqa: F401 (a fixture)
from verdigris.domain.crm import Company, Person
from verdigris.domain.leads import Address, Email, Phone
from verdigris.services import Principal, Services
from verdigris.store import open_store
from verdigris.store import schema as t
from verdigris.store.people_sql import COMPANY_JSON, PERSON_JSON
from verdigris.store.rows import record_row
from verdigris.store.sql import SqlStore

REVISION = "0014_people_search"


def _migrate(store: SqlStore, step: Callable[[Config, str], None]) -> None:
    """``step`` to the revision before 0014, SQLite's foreign keys off (as ``migrate``)."""
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
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


def test_existing_people_and_companies_become_searchable(empty_url: str) -> None:  # noqa: F811
    store = open_store(empty_url)
    assert isinstance(store, SqlStore)
    _migrate(store, command.upgrade)
    assert "person_emails" not in sa.inspect(store.engine).get_table_names()
    company = Company(
        id=1,
        account_id=1,
        name="Initech",
        name_key="initech",
        phone_numbers=[Phone("+1 512-555-0177", "work")],
        tags=["b2b"],
        date_created=1,
        date_modified=1,
    )
    person = Person(
        id=1,
        account_id=1,
        name="Jane Public",
        first_name="Jane",
        last_name="Public",
        company_id=1,
        company_name="Initech",
        emails=[Email("Jane@Initech.test", "work")],
        phone_numbers=[Phone("415-555-0100", "mobile")],
        tags=["vip"],
        address=Address(city="Austin"),
        date_created=1,
        date_modified=1,
    )
    with store.engine.begin() as conn:
        conn.execute(t.accounts.insert(), [{"id": 1, "name": "Old", "date_created": 0}])
        conn.execute(
            t.users.insert(),
            [{"id": 1, "account_id": 1, "name": "o", "email": "o@x.io", "email_norm": "o@x.io",
              "date_created": 0}],
        )  # fmt: skip
        conn.execute(t.companies.insert(), [{"id": 1, **record_row(company, COMPANY_JSON)}])
        conn.execute(t.people.insert(), [{"id": 1, **record_row(person, PERSON_JSON)}])
    store.migrate()
    services = Services(store)
    who = Principal(1, 1, "o@x.io")

    def found() -> tuple[list[str], list[str], list[str], list[str], str]:
        return (
            [p.record.name or "" for p in services.search_people(who, {"city": "AUSTIN"})[1]],
            [p.record.name or "" for p in services.search_people(who, {"phone_number": "0100"})[1]],
            [p.record.name or "" for p in services.search_people(who, {"tags": ["VIP"]})[1]],
            [c.record.name for c in services.search_companies(who, {"phone_number": "5550177"})[1]],
            services.fetch_person_by_email(who, {"email": "jane@initech.test"}).record.name or "",
        )

    expected = (["Jane Public"], ["Jane Public"], ["Jane Public"], ["Initech"], "Jane Public")
    assert found() == expected
    _migrate(store, command.downgrade)
    assert "person_emails" not in sa.inspect(store.engine).get_table_names()
    store.migrate()
    assert found() == expected
    store.close()
