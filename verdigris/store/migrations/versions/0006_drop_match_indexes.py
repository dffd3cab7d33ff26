"""Drop ix_leads_account_email and ix_leads_account_name: matches use the search indexes

Upserts matching on email or name now look the key up in ix_leads_by_email /
ix_leads_by_name (lower-cased, truncated keys) and check the full value on the row.
Each dropped index was one more entry to write with every lead created.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_leads_account_email", table_name="leads")
    op.drop_index("ix_leads_account_name", table_name="leads")


def downgrade() -> None:
    op.create_index("ix_leads_account_name", "leads", ["account_id", "name"])
    op.create_index("ix_leads_account_email", "leads", ["account_id", "email_norm"])
