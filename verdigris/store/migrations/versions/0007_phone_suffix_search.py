"""lead_phones.digits_reversed: phone search by "ends with" (issue 14)

Copper's phone number search finds the numbers that *end with* the digits searched. A
number's digits stored backwards turn that into "starts with", which an index serves
as a range: ix_lead_phones_suffix (account_id, digits_reversed, lead_id) replaces
ix_lead_phones_search (account_id, digits, lead_id), which only served exact matches.

Existing rows get their reversed digits in one UPDATE: PostgreSQL has ``reverse()``;
on SQLite the migration's connection is given one that does what
verdigris.domain.search_keys.reversed_digits does. The column is then made NOT NULL
(a copy of lead_phones on SQLite, a side table nothing points at).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from verdigris.domain.search_keys import reversed_digits

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Key = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


def upgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_lead_phones_search", table_name="lead_phones")
    op.add_column("lead_phones", sa.Column("digits_reversed", Key, nullable=True))
    if bind.dialect.name == "sqlite":
        driver = bind.connection.driver_connection
        assert driver is not None
        driver.create_function("reverse", 1, reversed_digits, deterministic=True)
    op.execute("UPDATE lead_phones SET digits_reversed = reverse(digits)")
    with op.batch_alter_table("lead_phones") as batch:
        batch.alter_column("digits_reversed", existing_type=Key, nullable=False)
    op.create_index(
        "ix_lead_phones_suffix", "lead_phones", ["account_id", "digits_reversed", "lead_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_lead_phones_suffix", table_name="lead_phones")
    # plain DROP COLUMN (SQLite >= 3.35), as 0005
    op.drop_column("lead_phones", "digits_reversed")
    op.create_index("ix_lead_phones_search", "lead_phones", ["account_id", "digits", "lead_id"])
