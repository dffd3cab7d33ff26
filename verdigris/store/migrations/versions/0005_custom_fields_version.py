"""accounts.custom_fields_version: lets workers cache custom field definitions

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("custom_fields_version", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # plain DROP COLUMN (SQLite >= 3.35): a batch table copy would trip the foreign keys
    # that point at accounts
    op.drop_column("accounts", "custom_fields_version")
