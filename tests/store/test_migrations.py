"""The Alembic migrations and the Core tables stay in step; indexes serve the lookups."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from verdigris.store.schema import metadata
from verdigris.store.sql import SqlStore


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
        # a tiny test table is cheaper to scan: ask whether an index *can* serve it
        conn.exec_driver_sql("SET enable_seqscan = off")
        rows = conn.exec_driver_sql("EXPLAIN " + sql).all()
        return " ".join(str(r[0]) for r in rows)


def test_upsert_lookups_use_an_index(session_store: SqlStore) -> None:
    by_email = _plan(
        session_store, "SELECT id FROM leads WHERE account_id = 1 AND email_norm = 'a@b.c' LIMIT 31"
    )
    assert "ix_leads_account_email" in by_email
    by_name = _plan(
        session_store, "SELECT id FROM leads WHERE account_id = 1 AND name = 'x' LIMIT 31"
    )
    assert "ix_leads_account_name" in by_name
    by_custom = _plan(
        session_store,
        "SELECT DISTINCT lead_id FROM lead_custom_values "
        "WHERE account_id = 1 AND definition_id = 2 AND value_key = 'v' LIMIT 31",
    )
    assert "ix_lead_custom_values_match" in by_custom
