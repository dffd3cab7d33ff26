"""Ids are never reused: SQLite tables get AUTOINCREMENT (issue 14)

A SQLite INTEGER PRIMARY KEY without AUTOINCREMENT hands out max(id) + 1, so deleting the
newest lead and creating another gave the deleted lead's id again; a client that had kept
the old id then read or deleted the wrong record. With AUTOINCREMENT SQLite remembers the
largest id it ever handed out (in ``sqlite_sequence``) and never goes below it.

On SQLite each table with an ``id`` is rebuilt (Alembic batch mode: a new table, the rows
copied with their ids, the old table dropped, the new one renamed) with its columns,
indexes, constraints and foreign keys as they are, then ``sqlite_sequence`` is raised to
the largest id the database still knows of: the table's own, and ids of deleted rows that
other rows still refer to (a converted lead's id on its person, a deleted opportunity's id
on its lead, ...). Ids deleted before this revision and referred to nowhere cannot be
known; every id handed out from now on is new.

Dropping a table with foreign keys enforced would run the ON DELETE CASCADE of the tables
pointing at it (a lead's tags and phones), so this revision refuses to run unless foreign
keys are off: ``SqliteStore.migrate`` (``verdigris db upgrade``, ``serve``) turns them off
while migrating and runs ``PRAGMA foreign_key_check`` before it commits.

PostgreSQL: nothing to do (sequences never hand out an id twice).

Revision ID: 0008_ids_never_reused
Revises: 0007
"""

from __future__ import annotations

import msgspec
import sqlalchemy as sa
from alembic import op

revision = "0008_ids_never_reused"
down_revision = "0007"
branch_labels = None
depends_on = None

#: the tables with an ``id`` as of this revision (custom_field_option_ids had it from 0003)
TABLES = (
    "accounts",
    "users",
    "api_keys",
    "lead_statuses",
    "customer_sources",
    "custom_field_definitions",
    "leads",
    "contact_types",
    "pipelines",
    "pipeline_stages",
    "companies",
    "people",
    "opportunities",
    "activities",
)
#: columns that may still hold the id of a deleted row: table -> (table, column) pairs
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "opportunities": (("leads", "converted_opportunity_id"),),
    "people": (("opportunities", "primary_contact_id"),),
    "companies": (("people", "company_id"), ("opportunities", "company_id")),
}
#: JSON lists of ``{"lead_id": ...}`` that outlive the lead
CONVERTED_FROM = ("people", "opportunities")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    if conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one():
        raise RuntimeError(
            "migration 0008 rebuilds tables and must run with foreign keys off (a table "
            "dropped with them on would cascade to the rows pointing at it): upgrade with "
            "`verdigris db upgrade`"
        )
    for table in TABLES:
        if _has_autoincrement(conn, table):
            continue
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    for table in TABLES:
        _raise_sequence(conn, table, _largest_known_id(conn, table))


def _has_autoincrement(conn: sa.Connection, table: str) -> bool:
    sql = conn.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": table},
    ).scalar_one()
    return "AUTOINCREMENT" in str(sql).upper()


def _largest_known_id(conn: sa.Connection, table: str) -> int:
    found = [conn.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar_one()]
    for other, column in REFERENCES.get(table, ()):
        found.append(conn.exec_driver_sql(f"SELECT max({column}) FROM {other}").scalar_one())
    if table == "leads":
        for other in CONVERTED_FROM:
            rows = conn.exec_driver_sql(f"SELECT leads_converted_from FROM {other}")
            for (text,) in rows:
                for item in msgspec.json.decode(text or "[]"):
                    found.append(item.get("lead_id"))
    return max((int(n) for n in found if isinstance(n, int)), default=0)


def _raise_sequence(conn: sa.Connection, table: str, largest: int) -> None:
    if largest <= 0:
        return
    params = {"name": table, "seq": largest}
    updated = conn.execute(
        sa.text("UPDATE sqlite_sequence SET seq = max(seq, :seq) WHERE name = :name"), params
    ).rowcount
    if not updated:
        conn.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"), params
        )


def downgrade() -> None:
    # The tables keep AUTOINCREMENT: the older revisions work the same with it, and taking
    # it away would let ids be handed out again.
    pass
