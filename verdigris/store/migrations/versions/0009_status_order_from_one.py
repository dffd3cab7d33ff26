"""Lead statuses are numbered from 1, as in Copper's List Lead Statuses example

Accounts seeded before this revision numbered their statuses from 0; each such account's
statuses move up by one, which keeps their relative order. Accounts already numbered from 1
are left alone.

Revision ID: 0009_status_order_from_one
Revises: 0008_ids_never_reused
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_status_order_from_one"
down_revision = "0008_ids_never_reused"
branch_labels = None
depends_on = None

_STATUSES = sa.table("lead_statuses", sa.column("account_id"), sa.column("order"))


def _shift(from_order: int, by: int) -> None:
    s = _STATUSES.c
    numbered_from = (
        sa.select(s.account_id).group_by(s.account_id).having(sa.func.min(s.order) == from_order)
    )
    op.get_bind().execute(
        _STATUSES.update().where(s.account_id.in_(numbered_from)).values(order=s.order + by)
    )


def upgrade() -> None:
    _shift(0, 1)


def downgrade() -> None:
    _shift(1, -1)
