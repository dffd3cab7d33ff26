"""The Alembic migrations and the Core tables stay in step; indexes serve the lookups."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from verdigris.domain.leads import Email, Lead
from verdigris.services import Services
from verdigris.store import schema as t
from verdigris.store.schema import metadata
from verdigris.store.sql import SqlStore, lead_row


def test_migrated_schema_matches_the_tables(session_store: SqlStore) -> None:
    with session_store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_lookup_indexes_exist(session_store: SqlStore) -> None:
    inspector = sa.inspect(session_store.engine)
    indexes = {tuple(i["column_names"]) for i in inspector.get_indexes("leads")}
    assert ("account_id", "email_norm") in indexes
    assert ("account_id", "name") in indexes


def test_migrate_twice_is_harmless(session_store: SqlStore) -> None:
    session_store.migrate()
    session_store.migrate()


def _plan(store: SqlStore, sql: str) -> str:
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
            return " ".join(str(r[-1]) for r in rows)
        rows = conn.exec_driver_sql("EXPLAIN " + sql).all()
        return " ".join(str(r[0]) for r in rows)


def test_upsert_lookups_use_an_index(store: SqlStore) -> None:
    services = Services(store)
    user, _ = services.add_user("plan@example.com")
    account = user.account_id
    leads = [
        lead_row(
            Lead(
                account_id=account,
                name=f"Lead {i}",
                email=Email(f"l{i}@x.io", "work"),
                custom_fields={1: f"v{i}"},
            )
        )
        for i in range(3000)
    ]
    with store.engine.begin() as conn:
        ids = conn.execute(t.leads.insert().returning(t.leads.c.id), leads).scalars().all()
        conn.execute(
            t.lead_custom_values.insert(),
            [
                {"lead_id": i, "account_id": account, "definition_id": 1, "value_key": f"v{n}"}
                for n, i in enumerate(ids)
            ],
        )
        conn.exec_driver_sql("ANALYZE")
    by_email = _plan(
        store,
        f"SELECT id FROM leads WHERE account_id = {account} AND email_norm = 'l5@x.io' LIMIT 31",
    )
    assert "ix_leads_account_email" in by_email
    by_name = _plan(
        store, f"SELECT id FROM leads WHERE account_id = {account} AND name = 'Lead 5' LIMIT 31"
    )
    assert "ix_leads_account_name" in by_name
    by_custom = _plan(
        store,
        "SELECT DISTINCT lead_id FROM lead_custom_values "
        f"WHERE account_id = {account} AND definition_id = 1 AND value_key = 'v5' LIMIT 31",
    )
    assert "ix_lead_custom_values_match" in by_custom
