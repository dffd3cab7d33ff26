"""Opportunity search indexes (issue 21)

An opportunity search filtered by company counted its matches by reading every
opportunity of the account (``ix_opportunities_company`` leads with ``company_id``, not
the account), and a page sorted by date modified sorted all of the account's rows. Two
indexes serve them: the company filter with the account first, and the date-modified sort
with its tie-breakers (``name_key``, then ``id``), so such a page is read in order.

Revision ID: 0017_opportunity_search
Revises: 0016_record_history
"""

from __future__ import annotations

from alembic import op

revision = "0017_opportunity_search"
down_revision = "0016_record_history"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_opportunities_by_company": ["account_id", "company_id", "id"],
    "ix_opportunities_by_modified": ["account_id", "date_modified", "name_key", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "opportunities", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="opportunities")
