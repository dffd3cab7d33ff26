"""History of people, companies and opportunities (issue 21)

One table for the three kinds, told apart by ``entity`` (person, company, opportunity),
with the columns of ``lead_versions`` (0013) but the import run (imports write leads).

Revision ID: 0016_record_history
Revises: 0015_webhooks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_record_history"
down_revision = "0015_webhooks"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "record_versions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("record_id", Id, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("cause", sa.String(32), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("user_id", Id, nullable=True),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("route", sa.String(128), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ux_record_versions_record",
        "record_versions",
        ["account_id", "entity", "record_id", "version"],
        unique=True,
    )
    # partial: a plain write adds no entry to it
    deleted = sa.text("event = 'delete'")
    op.create_index(
        "ix_record_versions_deleted",
        "record_versions",
        ["account_id", "entity", "record_id"],
        sqlite_where=deleted,
        postgresql_where=deleted,
    )


def downgrade() -> None:
    op.drop_table("record_versions")
