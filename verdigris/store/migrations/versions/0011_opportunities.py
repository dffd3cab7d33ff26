"""opportunities (issue 21): loss reasons, the tags and keys an opportunity search reads

Adds ``loss_reasons`` (seeded with Copper's defaults for every account that exists),
``opportunity_tags`` and the ``name_key``/``close_key`` columns of ``opportunities``,
filled in for the opportunities conversions made before this revision.

Revision ID: 0011_opportunities
Revises: 0010_tasks
"""

from __future__ import annotations

import calendar
import datetime
import json
import re

import sqlalchemy as sa
from alembic import op

from verdigris.domain.custom_fields import index_entries

revision = "0011_opportunities"
down_revision = "0010_tasks"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_KEY = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")
#: Copper's default loss reasons (List Loss Reasons), as verdigris.domain.opportunities
_LOSS_REASONS = ("Price", "Features", "Competitor")
_CLOSE_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def upgrade() -> None:
    op.create_table(
        "loss_reasons",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_loss_reasons_account", "loss_reasons", ["account_id"])
    op.create_table(
        "opportunity_tags",
        sa.Column("opportunity_id", _ID, nullable=False),
        sa.Column("tag", _KEY, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(["opportunity_id"], ["opportunities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("opportunity_id", "tag"),
    )
    op.create_index(
        "ix_opportunity_tags_search", "opportunity_tags", ["account_id", "tag", "opportunity_id"]
    )
    op.create_table(
        "opportunity_custom_values",
        sa.Column("opportunity_id", _ID, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("definition_id", _ID, nullable=False),
        sa.Column("value_key", sa.String(length=255), nullable=False),
        sa.Column("value_num", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["opportunity_id"], ["opportunities.id"], ondelete="CASCADE"),
    )
    op.create_index(
        "ix_opportunity_custom_values_key",
        "opportunity_custom_values",
        ["account_id", "definition_id", "value_key"],
    )
    op.create_index(
        "ix_opportunity_custom_values_num",
        "opportunity_custom_values",
        ["account_id", "definition_id", "value_num"],
    )
    op.create_index(
        "ix_opportunity_custom_values_opportunity", "opportunity_custom_values", ["opportunity_id"]
    )
    op.add_column("opportunities", sa.Column("name_key", _KEY, nullable=True))
    op.add_column("opportunities", sa.Column("close_key", sa.BigInteger(), nullable=True))
    op.create_index("ix_opportunities_name_key", "opportunities", ["account_id", "name_key", "id"])
    op.create_index(
        "ix_opportunities_stage", "opportunities", ["account_id", "pipeline_stage_id", "id"]
    )
    _seed_and_fill()


def _close_key(text: str | None) -> int | None:
    m = _CLOSE_DATE.match(text or "")
    if not m:
        return None
    month, day, year = (int(g) for g in m.groups())
    try:
        return calendar.timegm(datetime.date(year, month, day).timetuple())
    except ValueError:
        return None


def _seed_and_fill() -> None:
    conn = op.get_bind()
    accounts = sa.table("accounts", sa.column("id"))
    reasons = sa.table("loss_reasons", sa.column("account_id"), sa.column("name"))
    for account_id in conn.execute(sa.select(accounts.c.id)).scalars().all():
        conn.execute(
            reasons.insert(), [{"account_id": account_id, "name": n} for n in _LOSS_REASONS]
        )
    opportunities = sa.table(
        "opportunities",
        sa.column("id"),
        sa.column("account_id"),
        sa.column("name"),
        sa.column("close_date"),
        sa.column("tags"),
        sa.column("custom_fields"),
        sa.column("name_key"),
        sa.column("close_key"),
    )
    tags = sa.table(
        "opportunity_tags", sa.column("opportunity_id"), sa.column("tag"), sa.column("account_id")
    )
    values = sa.table(
        "opportunity_custom_values",
        sa.column("opportunity_id"),
        sa.column("account_id"),
        sa.column("definition_id"),
        sa.column("value_key"),
        sa.column("value_num"),
    )
    o = opportunities.c
    found = conn.execute(
        sa.select(o.id, o.account_id, o.name, o.close_date, o.tags, o.custom_fields)
    ).all()
    for ident, account_id, name, close_date, tag_json, custom_json in found:
        entries = [
            {
                "opportunity_id": ident,
                "account_id": account_id,
                "definition_id": int(definition_id),
                "value_key": key,
                "value_num": number,
            }
            for definition_id, value in json.loads(custom_json or "{}").items()
            for key, number in index_entries(value)
        ]
        if entries:
            conn.execute(values.insert(), entries)
        conn.execute(
            opportunities.update()
            .where(o.id == ident)
            .values(name_key=(name or "").strip().lower()[:255], close_key=_close_key(close_date))
        )
        keys = dict.fromkeys(t.strip().lower()[:255] for t in json.loads(tag_json or "[]"))
        keys.pop("", None)
        if keys:
            conn.execute(
                tags.insert(),
                [{"opportunity_id": ident, "tag": k, "account_id": account_id} for k in keys],
            )


def downgrade() -> None:
    op.drop_index("ix_opportunities_stage", table_name="opportunities")
    op.drop_index("ix_opportunities_name_key", table_name="opportunities")
    with op.batch_alter_table("opportunities") as batch_op:
        batch_op.drop_column("close_key")
        batch_op.drop_column("name_key")
    op.drop_table("opportunity_custom_values")
    op.drop_index("ix_opportunity_tags_search", table_name="opportunity_tags")
    op.drop_table("opportunity_tags")
    op.drop_index("ix_loss_reasons_account", table_name="loss_reasons")
    op.drop_table("loss_reasons")
