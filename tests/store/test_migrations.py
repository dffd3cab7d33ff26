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
