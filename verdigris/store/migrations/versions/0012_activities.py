"""activities (issue 16): per-account user activity types (Phone Call, Meeting), seeded
for every account that already exists; deleted activities kept as stubs (``deleted_at``);
the timeline index gains the activity date, and the account's activities get one by date;
the leads' two interaction indexes each carry the other interaction key (covering)

Revision ID: 0012_activities
Revises: 0011_opportunities
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_activities"
down_revision = "0011_opportunities"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: Copper's default user types beside Note, in the order the account lists them (as in
#: verdigris.domain.activities.DEFAULT_USER_TYPES; copied here: migrations stay frozen)
_DEFAULT_USER_TYPES = ("Phone Call", "Meeting")


#: (name, key) of the two lead interaction indexes; each carries the other key last
_LEAD_INDEXES = (
    ("ix_leads_by_contacted", "contacted_key", "interaction_count"),
    ("ix_leads_by_interactions", "interaction_count", "contacted_key"),
)


def _lead_indexes(*, carry: bool) -> None:
    for name, key, other in _LEAD_INDEXES:
        op.drop_index(name, table_name="leads")
        tail = [other] if carry else []
        op.create_index(name, "leads", ["account_id", key, "id", "converted_at", *tail])


def upgrade() -> None:
    _lead_indexes(carry=True)
    op.create_table(
        "activity_types",
        sa.Column("id", _Id, autoincrement=True, nullable=False),
        sa.Column("account_id", _Id, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("count_as_interaction", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("activity_types", schema=None) as batch_op:
        batch_op.create_index("ix_activity_types_account", ["account_id"], unique=False)
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.BigInteger(), nullable=True))
        batch_op.drop_index("ix_activities_parent")
        batch_op.create_index(
            "ix_activities_parent",
            ["account_id", "parent_type", "parent_id", "activity_date", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_activities_date", ["account_id", "activity_date", "id"], unique=False
        )
    accounts = sa.table("accounts", sa.column("id"))
    types = sa.table("activity_types", sa.column("account_id"), sa.column("name"))
    bind = op.get_bind()
    # one account after the other, each type in order: ids follow the seeding of new accounts
    for (account_id,) in bind.execute(sa.select(accounts.c.id).order_by(accounts.c.id)).all():
        for name in _DEFAULT_USER_TYPES:
            bind.execute(types.insert().values(account_id=account_id, name=name))


def downgrade() -> None:
    _lead_indexes(carry=False)
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_date")
        batch_op.drop_index("ix_activities_parent")
        batch_op.create_index(
            "ix_activities_parent", ["account_id", "parent_type", "parent_id"], unique=False
        )
        batch_op.drop_column("deleted_at")
    with op.batch_alter_table("activity_types", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_types_account")
    op.drop_table("activity_types")
