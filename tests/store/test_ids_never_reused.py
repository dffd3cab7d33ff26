"""Ids are never reused (issue 14), table by table, and migration 0008 keeps every id.

tests/server/test_ids_api.py covers what a client can create over HTTP; here every table
with an ``id`` is checked on both engines, and an old SQLite file is upgraded.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from tests.store.test_search_store import empty_url  # noqa: F401 (a fixture)
from verdigris.domain.webhooks import Attempt
from verdigris.services import Principal, Services
from verdigris.store import open_store
from verdigris.store import schema as t
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore

#: every table whose rows have an ``id`` of their own
ID_TABLES = [
    table
    for table in t.metadata.sorted_tables
    if [c.name for c in table.primary_key.columns] == ["id"]
]


def seed(services: Services, email: str = "ids@example.com", *, webhooks: bool = True) -> Principal:
    """An account with a row in every table: lookups, a definition, leads, a conversion."""
    user, _ = services.add_user(email, account="Ids")
    who = Principal(user.id, user.account_id, user.email)
    services.create_custom_field_definition(
        who,
        {"name": "Colour", "data_type": "Dropdown", "options": [{"name": "Red"}, {"name": "Blue"}]},
    )
    services.create_lead(who, {"name": "Kept", "tags": ["a"], "phone_numbers": [
        {"number": "415-555-0100", "category": "work"}]})  # fmt: skip
    lead = services.create_lead(who, {"name": "To convert"}).lead
    services.convert_lead(
        who, lead.id, {"details": {"person": {}, "company": {"name": "Co"}, "opportunity": {}}}
    )
    if not webhooks:  # a database from before the webhook tables
        return who
    # webhooks: a subscription, an event in the outbox, an attempt in the inbox
    services.enable_webhooks()
    hook = services.create_webhook(
        who, {"target": "https://h.example", "type": "lead", "event": "new"}
    )
    services.create_lead(who, {"name": "Notified"})
    with services.store.transaction(write=True) as tx:
        tx.outbox.add_attempt(
            Attempt(account_id=who.account_id, subscription_id=hook.id, delivery_id="d",
                    attempt=1, at=0, url=hook.target, request_headers={}, request_body="{}",
                    outcome="delivered")
        )  # fmt: skip
    return who


def _unique_columns(table: sa.Table) -> set[str]:
    names: set[str] = set()
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            names.update(c.name for c in constraint.columns)
    for index in table.indexes:
        if index.unique:
            names.update(c.name for c in index.columns)
    return names


def _copy_newest(conn: sa.Connection, table: sa.Table) -> int:
    """Insert a copy of the table's newest row (fresh values where they must be unique)."""
    row = conn.execute(sa.select(table).order_by(table.c.id.desc()).limit(1)).mappings().one()
    values: dict[str, Any] = {k: v for k, v in row.items() if k != "id"}
    for name in _unique_columns(table) & set(values):
        if isinstance(table.c[name].type, sa.String):
            values[name] = f"copy-{secrets.token_hex(6)}"
    return int(conn.execute(table.insert().values(values).returning(table.c.id)).scalar_one())


@pytest.mark.parametrize("table", ID_TABLES, ids=lambda table: table.name)
def test_no_table_hands_out_a_deleted_id_again(store: Store, table: sa.Table) -> None:
    assert isinstance(store, SqlStore)
    seed(Services(store))
    with store.engine.begin() as conn:
        newest = _copy_newest(conn, table)
        conn.execute(table.delete().where(table.c.id == newest))
        assert _copy_newest(conn, table) > newest


def test_a_deleted_user_id_is_not_given_to_the_next_user(services: Services) -> None:
    services.add_user("first@example.com", account="Ids")
    newest, _ = services.add_user("newest@example.com", account="Ids")
    store = services.store
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:  # no API deletes users: an operator's DELETE
        conn.execute(t.api_keys.delete().where(t.api_keys.c.user_id == newest.id))
        conn.execute(t.users.delete().where(t.users.c.id == newest.id))
    after, _ = services.add_user("after@example.com", account="Ids")
    assert after.id > newest.id


def test_every_table_with_an_id_says_autoincrement(store: Store) -> None:
    """schema.py and the migrated SQLite database agree (compare_metadata cannot see it)."""
    assert ID_TABLES and all(
        table.dialect_options["sqlite"]["autoincrement"] for table in ID_TABLES
    )
    assert isinstance(store, SqlStore)
    if store.engine.dialect.name != "sqlite":
        return
    with store.engine.connect() as conn:
        sql: dict[str, str] = dict(
            conn.exec_driver_sql("SELECT name, sql FROM sqlite_master").all()
        )
    assert [n.name for n in ID_TABLES if "AUTOINCREMENT" not in sql[n.name]] == []


# --- migration 0008 on an existing SQLite file ----------------------------------------------

REVISION = "0008_ids_never_reused"


def upgrade_to_just_before_0008(store: SqlStore) -> None:
    with store.engine.begin() as conn:
        config = store.alembic_config(conn)
        revision = ScriptDirectory.from_config(config).get_revision(REVISION)
        assert revision is not None
        command.upgrade(config, str(revision.down_revision))


def _structure(conn: sa.Connection) -> dict[str, Any]:
    """Each table's columns, indexes (with their columns), unique and foreign keys."""
    found: dict[str, Any] = {}
    names = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != 'alembic_version' ORDER BY name"
    ).scalars()
    for name in list(names):
        indexes = {
            row[1]: (row[2], row[3], conn.exec_driver_sql(f"PRAGMA index_info('{row[1]}')").all())
            for row in conn.exec_driver_sql(f"PRAGMA index_list('{name}')").all()
        }
        found[name] = (
            conn.exec_driver_sql(f"PRAGMA table_info('{name}')").all(),
            # autoindexes (PRIMARY KEY, UNIQUE) are named after the table: kept by content
            sorted(indexes.values()),
            sorted(n for n in indexes if not n.startswith("sqlite_autoindex")),
            # (a key's number is its place in the CREATE TABLE: not part of what it is)
            sorted(r[1:] for r in conn.exec_driver_sql(f"PRAGMA foreign_key_list('{name}')")),
        )
    return found


def _contents(conn: sa.Connection) -> dict[str, list[Any]]:
    """Every row of the tables this database has (later revisions add tables)."""
    present = set(sa.inspect(conn).get_table_names())
    return {
        table.name: conn.execute(
            sa.select(table).order_by(*(c for c in table.primary_key.columns or table.c))
        ).all()  # type: ignore[misc]
        for table in t.metadata.sorted_tables
        if table.name in present
    }


def _converted(services: Services, who: Principal, name: str, details: Any) -> int:
    """Convert a new lead; the id of the opportunity made."""
    lead = services.create_lead(who, {"name": name}).lead.id
    made = services.convert_lead(who, lead, {"details": details}).opportunity
    assert made is not None
    return made.record.id


def test_migration_0008_keeps_every_id_and_hands_out_fresh_ones(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    assert isinstance(store, SqlStore)
    try:
        upgrade_to_just_before_0008(store)
        services = Services(store)
        who = seed(services, webhooks=False)
        for n in range(5):
            services.create_lead(who, {"name": f"Lead {n}", "tags": ["t"]})
        # the newest opportunity, deleted: the lead converted into it remembers its id
        opportunity = _converted(services, who, "Into an opportunity", {"opportunity": {}})
        services.delete_opportunity(who, opportunity)
        # the newest lead, converted then deleted: only its person remembers its id
        newest_lead = services.create_lead(who, {"name": "Newest"}).lead.id
        services.convert_lead(who, newest_lead, {"details": {"person": {}}})
        services.delete_lead(who, newest_lead)
        # the newest of a table referred to by nothing, deleted: the upgrade cannot know it
        with store.engine.begin() as conn:
            newest_source = conn.execute(
                t.customer_sources.insert()
                .values(account_id=who.account_id, name="Gone")
                .returning(t.customer_sources.c.id)
            ).scalar_one()
            conn.execute(
                t.customer_sources.delete().where(t.customer_sources.c.id == newest_source)
            )
        with store.engine.connect() as conn:
            old_structure = _structure(conn)
            old_rows = _contents(conn)
            assert (
                "AUTOINCREMENT"
                not in conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'leads'"
                ).scalar_one()
            )

        store.migrate()

        with store.engine.connect() as conn:
            # columns, indexes, keys as they were (tables of later revisions aside)
            kept = {n: v for n, v in _structure(conn).items() if n in old_structure}
            assert kept == old_structure
            now_rows = _contents(conn)
            assert {n: now_rows[n] for n in old_rows} == old_rows  # every row, every id
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            sql: dict[str, str] = dict(
                conn.exec_driver_sql("SELECT name, sql FROM sqlite_master").all()
            )
        assert all("AUTOINCREMENT" in sql[table.name] for table in ID_TABLES)

        # ids deleted before the upgrade that other rows still name are not handed out
        assert services.create_lead(who, {"name": "After"}).lead.id > newest_lead
        assert _converted(services, who, "After", {"opportunity": {}}) > opportunity
        # and from now on every deleted id stays retired, whatever refers to it
        with store.engine.begin() as conn:
            kept_max = conn.execute(sa.select(sa.func.max(t.customer_sources.c.id))).scalar_one()
            assert kept_max == newest_source - 1  # (forgotten before the upgrade: see 0008)
            conn.execute(t.customer_sources.delete().where(t.customer_sources.c.id == kept_max))
            after = conn.execute(
                t.customer_sources.insert()
                .values(account_id=who.account_id, name="After")
                .returning(t.customer_sources.c.id)
            ).scalar_one()
        assert after > kept_max
    finally:
        store.close()


def test_migration_0008_refuses_to_run_with_foreign_keys_on(tmp_path: Path) -> None:
    """A table dropped with foreign keys on would take its tags and phones with it."""
    store = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    assert isinstance(store, SqlStore)
    try:
        upgrade_to_just_before_0008(store)
        # foreign keys on, as every connection has them
        with store.engine.begin() as conn, pytest.raises(RuntimeError, match="foreign keys off"):
            command.upgrade(store.alembic_config(conn), REVISION)
    finally:
        store.close()


def test_status_order_of_existing_accounts_starts_at_one(empty_url: str) -> None:  # noqa: F811
    store = open_store(empty_url)
    assert isinstance(store, SqlStore)
    try:
        upgrade_to_just_before_0008(store)
        with store.engine.begin() as conn:
            account = conn.execute(
                t.accounts.insert().values(name="Old", date_created=0).returning(t.accounts.c.id)
            ).scalar_one()
            conn.execute(
                t.lead_statuses.insert(),
                [
                    {"account_id": account, "name": n, "order": i, "is_default": i == 0}
                    for i, n in enumerate(("New", "Unqualified", "Contacted", "Qualified"))
                ],
            )
        store.migrate()
        with store.engine.connect() as conn:
            c = t.lead_statuses.c
            got = conn.execute(sa.select(c.name, c.order).order_by(c.id)).all()
        assert [tuple(r) for r in got] == [
            ("New", 1),
            ("Unqualified", 2),
            ("Contacted", 3),
            ("Qualified", 4),
        ]
    finally:
        store.close()


def test_a_broken_reference_already_there_does_not_block_the_upgrade(tmp_path: Path) -> None:
    """migrate() refuses only references the migration broke, not ones it found."""
    store = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    assert isinstance(store, SqlStore)
    try:
        upgrade_to_just_before_0008(store)
        with store.engine.connect() as conn:  # written by some other tool, keys off
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute("INSERT INTO lead_tags (lead_id, tag, account_id) VALUES (404, 'x', 1)")
            raw.execute("PRAGMA foreign_keys=ON")
        store.migrate()
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT lead_id FROM lead_tags").scalars().all() == [404]
            sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'leads'")
            assert "AUTOINCREMENT" in sql.scalar_one()
    finally:
        store.close()
