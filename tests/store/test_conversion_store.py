"""Conversion at the store: one transaction, and lookups for accounts older than 0004."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from tests.conftest import Api
from tests.server.test_convert_api import rows
from verdigris.domain.crm import Opportunity
from verdigris.services import Principal, Services
from verdigris.store import open_store, sql
from verdigris.store.opportunities_sql import SqlOpportunities
from verdigris.store.sql import SqlStore


class FailingOpportunities(SqlOpportunities):
    """Records whose opportunity insert fails after the person and company were written
    (conversion writes its opportunity through ``tx.opportunities``, issue 21)."""

    def insert(self, opportunity: Opportunity) -> Opportunity:
        raise RuntimeError("disk full")


def test_a_late_failure_rolls_the_whole_conversion_back(
    api: Api, services: Services, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = api.create_lead(name="Atomic", company_name="Atomic Co")
    before = api.get(f"/leads/{lead['id']}").json()
    monkeypatch.setattr(sql, "SqlOpportunities", FailingOpportunities)
    with pytest.raises(RuntimeError, match="disk full"):
        services.convert_lead(api.principal, lead["id"], {"details": {"opportunity": {}}})
    monkeypatch.undo()
    for table in ("people", "companies", "opportunities"):
        assert rows(store, table) == 0
    assert rows(store, "activities") == 1  # "Lead created" only
    assert api.get(f"/leads/{lead['id']}").json() == before


def test_existing_accounts_get_pipelines_and_contact_types(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    assert isinstance(store, SqlStore)
    try:
        with store.engine.begin() as conn:
            command.upgrade(store.alembic_config(conn), "0001")
            conn.execute(sa.text("INSERT INTO accounts (name, date_created) VALUES ('Old', 1)"))
        store.migrate()
        with store.engine.connect() as conn:
            account_id = conn.execute(sa.text("SELECT id FROM accounts")).scalar_one()
        services = Services(store)
        user, _ = services.add_user("old@example.com", account="Old")
        assert user.account_id == account_id
        who = Principal(user.id, account_id, user.email)
        assert [c.name for c in services.contact_types(who)] == [
            "Potential Customer",
            "Current Customer",
            "Uncategorized",
            "Other",
        ]
        (pipeline,) = services.pipelines(who)
        assert pipeline.name == "Sales" and len(pipeline.stages) == 5
    finally:
        store.close()
