"""The Alembic migrations and the Core tables stay in step; indexes serve the lookups."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from verdigris.domain.leads import Email, Lead
from verdigris.domain.matching import MatchCriteria
from verdigris.services import Services
from verdigris.store import schema as t
from verdigris.store.fast import prepared
from verdigris.store.lead_rows import lead_row, match_statement
from verdigris.store.schema import metadata
from verdigris.store.sql import SqlStore


def test_migrated_schema_matches_the_tables(session_store: SqlStore) -> None:
    with session_store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_lookup_indexes_exist(session_store: SqlStore) -> None:
    inspector = sa.inspect(session_store.engine)
    indexes = {i["name"]: tuple(i["column_names"]) for i in inspector.get_indexes("leads")}
    # upserts match email and name through these (0006 dropped the separate match indexes)
    assert indexes["ix_leads_by_email"][:2] == ("account_id", "email_key")
    assert indexes["ix_leads_by_name"][:2] == ("account_id", "name_key")
    assert "ix_leads_account_email" not in indexes
    assert "ix_leads_account_name" not in indexes


def test_migrate_twice_is_harmless(session_store: SqlStore) -> None:
    session_store.migrate()
    session_store.migrate()


def _plan(store: SqlStore, sql: str, params: Any = None) -> str:
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
            return " ".join(str(r[-1]) for r in rows)
        rows = conn.exec_driver_sql("EXPLAIN " + sql, params).all()
        return " ".join(str(r[0]) for r in rows)


def _match_plan(store: SqlStore, account: int, criteria: MatchCriteria) -> str:
    """The plan of the statement the store sends for a match (verdigris.store.fast)."""
    key, stmt, values, index = match_statement(account, criteria, 31)
    p = prepared(key, stmt, store.engine.dialect, sqlite_index=index)
    return _plan(store, p.sql, p.params(values))


@pytest.mark.slow
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
    by_email = _match_plan(store, account, MatchCriteria("email", "l5@x.io"))
    assert "ix_leads_by_email" in by_email
    by_name = _match_plan(store, account, MatchCriteria("name", "Lead 5"))
    assert "ix_leads_by_name" in by_name
    by_custom = _match_plan(store, account, MatchCriteria("custom", "v5", 1))
    assert "ix_lead_custom_values_match" in by_custom
