"""Migration 0012 (issue 16): accounts that exist before it get Copper's Phone Call and
Meeting types; the activities table gains ``deleted_at`` and its date indexes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from tests.store.test_search_store import empty_url  # noqa: F401 (a fixture)
from verdigris.services import Principal, Services
from verdigris.store import open_store
from verdigris.store.sql import SqlStore

BEFORE = "0011_opportunities"  # the revision 0012 follows


def _to(store: SqlStore, step: str, revision: str) -> None:
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                getattr(command, step)(store.alembic_config(conn), revision)
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def test_existing_accounts_get_the_default_user_types(empty_url: str) -> None:  # noqa: F811
    store = open_store(empty_url)
    assert isinstance(store, SqlStore)
    _to(store, "upgrade", BEFORE)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO accounts (id, name, date_created) VALUES (1, 'Old', 0), (2, 'Older', 0)"
        )
    store.migrate()
    services = Services(store)
    for account_id in (1, 2):
        types = services.activity_types(Principal(1, account_id, "o@x.io"))
        assert [(t.name, t.count_as_interaction) for t in types.user] == [
            ("Note", False),
            ("Phone Call", True),
            ("Meeting", True),
        ]
        assert [t.id for t in types.system] == [1, 3]
    indexes = {
        i["name"]: tuple(i["column_names"])
        for i in sa.inspect(store.engine).get_indexes("activities")
    }
    assert indexes["ix_activities_parent"][-2:] == ("activity_date", "id")
    assert indexes["ix_activities_date"] == ("account_id", "activity_date", "id")
    leads = {
        i["name"]: tuple(i["column_names"]) for i in sa.inspect(store.engine).get_indexes("leads")
    }
    # each interaction index carries the other key: searches on both read one index
    assert leads["ix_leads_by_interactions"][-1] == "contacted_key"
    assert leads["ix_leads_by_contacted"][-1] == "interaction_count"

    _to(store, "downgrade", BEFORE)
    inspector = sa.inspect(store.engine)
    assert "activity_types" not in inspector.get_table_names()
    assert "deleted_at" not in {c["name"] for c in inspector.get_columns("activities")}
    leads = {i["name"]: tuple(i["column_names"]) for i in inspector.get_indexes("leads")}
    assert leads["ix_leads_by_interactions"][-1] == "converted_at"
    store.migrate()
    assert len(services.activity_types(Principal(1, 1, "o@x.io")).user) == 3
    store.close()
