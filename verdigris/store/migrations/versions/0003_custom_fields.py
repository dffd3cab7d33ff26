"""custom fields: canonical names, option ids, numeric values for range filters

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("custom_field_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("canonical_name", sa.String(length=255), nullable=True))
        batch_op.create_index(
            "ux_custom_field_definitions_canonical",
            ["account_id", "canonical_name"],
            unique=True,
        )
    op.create_table(
        "custom_field_option_ids",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("lead_custom_values", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value_num", sa.Float(), nullable=True))
        batch_op.create_index(
            "ix_lead_custom_values_num",
            ["account_id", "definition_id", "value_num"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("lead_custom_values", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_custom_values_num")
        batch_op.drop_column("value_num")
    op.drop_table("custom_field_option_ids")
    with op.batch_alter_table("custom_field_definitions", schema=None) as batch_op:
        batch_op.drop_index("ux_custom_field_definitions_canonical")
        batch_op.drop_column("canonical_name")
