"""Ids are never reused (issue 14), table by table, and migration 0008 keeps every id.

tests/server/test_ids_api.py covers what a client can create over HTTP; here every table
with an ``id`` is checked on both engines, and an old SQLite file is upgraded.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from tests.store.test_search_store import empty_url  # noqa: F401 (a fixture)
from verdigris.cache import BoundedCache
from verdigris.domain import activities as activity_rules
from verdigris.domain.crm import Opportunity, Person
from verdigris.domain.leads import Lead
from verdigris.domain.webhooks import Attempt
from verdigris.services import Principal, Services
from verdigris.services import accounts as accounts_services
from verdigris.store import fast, lead_rows, leads_sql, open_store, people_sql, wire_form
from verdigris.store import schema as t
from verdigris.store.base import Store
from verdigris.store.crm_sql import SqlCrm
from verdigris.store.opportunities_sql import SqlOpportunities
from verdigris.store.rows import record_row
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
    if _has_table(services, "tasks"):  # 0010
        services.create_task(who, {"name": "Call", "tags": ["a"]})
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


def _has_table(services: Services, name: str) -> bool:
    store = services.store
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        return sa.inspect(conn).has_table(name)


def seed_history(services: Services, who: Principal) -> None:
    """A lead version and an idempotency key (tables of migration 0013, issue 19), and a
    person's version (0016)."""
    services.observe(services.record_version)
    services.create_lead(who, {"name": "Versioned"})
    services.keyed(who, "seed-key", "0" * 64, lambda through: (200, [], b"{}"))
    # a person's version (migration 0016, issue 21)
    services.observe(services.record_crm_version)
    services.create_person(who, {"name": "Versioned"})


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
        elif isinstance(values[name], int) and not name.endswith("_id"):  # a version number
            values[name] += 1_000_000
    return int(conn.execute(table.insert().values(values).returning(table.c.id)).scalar_one())


@pytest.mark.parametrize("table", ID_TABLES, ids=lambda table: table.name)
def test_no_table_hands_out_a_deleted_id_again(store: Store, table: sa.Table) -> None:
    assert isinstance(store, SqlStore)
    services = Services(store)
    seed_history(services, seed(services))
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


def _upgrade(store: SqlStore, revision: str) -> None:
    """Upgrade to ``revision`` with foreign keys off, as ``SqliteStore.migrate`` does."""
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                command.upgrade(store.alembic_config(conn), revision)
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


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
    """Every row of every table the database has (read from the database itself, so that
    it works at any revision)."""
    found = sa.MetaData()
    found.reflect(conn)
    return {
        table.name: conn.execute(
            sa.select(table).order_by(*(c for c in table.primary_key.columns or table.c))
        ).all()  # type: ignore[misc]
        for table in found.sorted_tables
        if table.name != "alembic_version"
    }


def _write_as_before_0011(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's services writing only what the schema before 0011 holds (no loss reasons,
    opportunities without their search keys), for data made at an older revision."""
    monkeypatch.setattr(accounts_services, "DEFAULT_LOSS_REASONS", ())

    def insert(self: SqlOpportunities, opportunity: Opportunity) -> Opportunity:
        return SqlCrm(self.conn, self.fast).insert_opportunity(opportunity)

    monkeypatch.setattr(SqlOpportunities, "insert", insert)
    _write_as_before_0018(monkeypatch)


def _write_as_before_0018(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leads written without their wire form (``leads.wire``, 0018)."""
    without = sa.insert(t.leads).values(
        {k: sa.bindparam(k) for k in lead_rows.lead_row(Lead(account_id=0))}
    )
    monkeypatch.setattr(leads_sql, "stored_row", lead_rows.lead_row)
    monkeypatch.setattr(leads_sql, "_INSERT_LEAD_FAST", without.returning(t.leads.c.id))
    monkeypatch.setattr(wire_form, "COLUMNS", frozenset())
    # statements are compiled once per process by name: "insert_lead" anew, without it
    monkeypatch.setattr(fast, "_cache", BoundedCache(fast.MAX_PREPARED))
    monkeypatch.setattr(fast, "_hot", {})  # the cursors' plain-dict lookups of the same


def _converted(services: Services, who: Principal, name: str, details: Any) -> int:
    """Convert a new lead; the id of the opportunity made."""
    lead = services.create_lead(who, {"name": name}).lead.id
    made = services.convert_lead(who, lead, {"details": details}).opportunity
    assert made is not None
    return made.record.id


#: the newest revision whose schema 0008's structure check compares: later migrations
#: change the structure (0014 adds people and companies search keys and tables)
LAST_COMPARED = "0009_status_order_from_one"


def _before_0014(table: sa.Table, added: tuple[str, ...]) -> sa.Table:
    """``table`` without the columns migration 0014 adds (for code run on an older schema)."""
    columns = [c._copy() for c in table.columns if c.name not in added]
    return sa.Table(table.name, sa.MetaData(), *columns)


def _insert_as_before_0014(conn: sa.Connection, record: Any) -> Any:
    """A person or company inserted as the code of the old schema did (no search keys)."""
    table, json_cols = (
        (t.people, people_sql.PERSON_JSON)
        if isinstance(record, Person)
        else (t.companies, people_sql.COMPANY_JSON)
    )
    ident = conn.execute(
        table.insert().values(**record_row(record, json_cols)).returning(table.c.id)
    ).scalar_one()
    return msgspec.structs.replace(record, id=ident)


def test_migration_0008_keeps_every_id_and_hands_out_fresh_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the database predates tasks (0010): deleting a record has no task to unrelate
    monkeypatch.setattr("verdigris.services.leads.unrelate_tasks", lambda *a: None)
    monkeypatch.setattr("verdigris.services.crm.unrelate_tasks", lambda *a: None)
    # the account's activity types come with 0012: seed the old schema without them
    monkeypatch.setattr(activity_rules, "DEFAULT_USER_TYPES", ())
    store = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    assert isinstance(store, SqlStore)
    # conversions on the old schema read and write people and companies as its code did
    monkeypatch.setattr(people_sql, "insert_person", _insert_as_before_0014)
    monkeypatch.setattr(people_sql, "insert_company", _insert_as_before_0014)
    monkeypatch.setattr(t, "people", _before_0014(t.people, t.PERSON_KEYS))
    monkeypatch.setattr(t, "companies", _before_0014(t.companies, t.COMPANY_KEYS))
    try:
        upgrade_to_just_before_0008(store)
        _write_as_before_0011(monkeypatch)
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

        _upgrade(store, LAST_COMPARED)  # 0008 and what follows it, up to 0009

        with store.engine.connect() as conn:
            # (tables of later migrations, such as tasks in 0010, are left out)
            structure = _structure(conn)
            assert {n: structure[n] for n in old_structure} == old_structure  # as they were
            contents = _contents(conn)
            assert {n: contents[n] for n in old_rows} == old_rows  # every row, every id
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            sql: dict[str, str] = dict(
                conn.exec_driver_sql("SELECT name, sql FROM sqlite_master").all()
            )
        assert all("AUTOINCREMENT" in sql[table.name] for table in ID_TABLES if table.name in sql)
        monkeypatch.undo()  # today's code, on today's schema
        store.migrate()

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
