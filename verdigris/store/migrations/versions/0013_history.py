"""Lead history and idempotency keys (issue 19)

Revision ID: 0013_history
Revises: 0012_activities
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_history"
down_revision = "0012_activities"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "lead_versions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("lead_id", Id, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("cause", sa.String(32), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("user_id", Id, nullable=True),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("route", sa.String(128), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("import_run", sa.String(64), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ux_lead_versions_lead",
        "lead_versions",
        ["account_id", "lead_id", "version"],
        unique=True,
    )
    # partial: a plain write adds no entry to them
    imported = sa.text("import_run IS NOT NULL")
    op.create_index(
        "ix_lead_versions_run",
        "lead_versions",
        ["account_id", "import_run", "lead_id"],
        sqlite_where=imported,
        postgresql_where=imported,
    )
    deleted = sa.text("event = 'delete'")
    op.create_index(
        "ix_lead_versions_deleted",
        "lead_versions",
        ["account_id", "lead_id"],
        sqlite_where=deleted,
        postgresql_where=deleted,
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ux_idempotency_keys_key", "idempotency_keys", ["account_id", "key"], unique=True
    )
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("lead_versions")
