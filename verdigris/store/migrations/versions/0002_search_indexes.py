"""search keys, tag and phone side tables, search indexes (issue 4)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00.000000

Existing leads get their keys and side-table rows computed by the same functions the
store uses for new writes (verdigris.domain.search), in batches.
"""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa
from alembic import op

from verdigris.domain.search_keys import lead_keys, phone_keys, tag_keys

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Key = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")
TEXT_KEYS = (
    "name_key",
    "first_name_key",
    "last_name_key",
    "company_key",
    "title_key",
    "email_key",
    "phone_key",
    "city_key",
    "state_key",
    "postal_key",
    "country_key",
)
INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("name", ("name_key",)),
    *((k.removesuffix("_key"), (k, "name_key")) for k in TEXT_KEYS if k != "name_key"),
    ("value", ("value_key",)),
    ("created", ("date_created",)),
    ("modified", ("date_modified",)),
    ("contacted", ("contacted_key",)),
    ("interactions", ("interaction_count",)),
    ("status", ("status_id", "name_key")),
    ("assignee", ("assignee_key", "name_key")),
    ("source", ("source_key", "name_key")),
    ("tag_count", ("tag_count", "name_key")),
)
#: the other key columns: (name, type, default for existing rows before the backfill)
NUMBER_KEYS: tuple[tuple[str, Any, str], ...] = (
    ("value_key", sa.Float(), "0"),
    ("contacted_key", sa.BigInteger(), "0"),
    ("assignee_key", Id, "-2"),
    ("source_key", Id, "-2"),
    ("tag_count", sa.Integer(), "0"),
)
SOURCE_COLUMNS = (
    "id",
    "account_id",
    "name",
    "first_name",
    "last_name",
    "company_name",
    "title",
    "email",
    "phone_numbers",
    "city",
    "state",
    "postal_code",
    "country",
    "monetary_value",
    "date_last_contacted",
    "assignee_id",
    "customer_source_id",
    "tags",
)
BATCH = 2000


def upgrade() -> None:
    for key in TEXT_KEYS:
        op.add_column("leads", sa.Column(key, Key, nullable=False, server_default=""))
    for key, kind, default in NUMBER_KEYS:
        op.add_column("leads", sa.Column(key, kind, nullable=False, server_default=default))
    op.create_table(
        "lead_tags",
        sa.Column("lead_id", Id, nullable=False),
        sa.Column("tag", Key, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("lead_id", "tag"),
    )
    op.create_table(
        "lead_phones",
        sa.Column("lead_id", Id, nullable=False),
        sa.Column("digits", sa.String(255), nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("lead_id", "digits"),
    )
    _backfill(op.get_bind())
    for suffix, columns in INDEXES:
        op.create_index(
            f"ix_leads_by_{suffix}", "leads", ["account_id", *columns, "id", "converted_at"]
        )
    op.create_index("ix_lead_tags_search", "lead_tags", ["account_id", "tag", "lead_id"])
    op.create_index("ix_lead_phones_search", "lead_phones", ["account_id", "digits", "lead_id"])


def _backfill(conn: sa.Connection) -> None:
    keys = (*TEXT_KEYS, *(k for k, _, _ in NUMBER_KEYS))
    leads = sa.table("leads", *(sa.column(c) for c in (*SOURCE_COLUMNS, *keys)))
    tags_t = sa.table("lead_tags", sa.column("lead_id"), sa.column("tag"), sa.column("account_id"))
    phones_t = sa.table(
        "lead_phones", sa.column("lead_id"), sa.column("digits"), sa.column("account_id")
    )
    # executemany: each parameter dict sets the key columns it names
    update = leads.update().where(leads.c.id == sa.bindparam("lead_id"))
    last = 0
    while True:
        source = [leads.c[name] for name in SOURCE_COLUMNS]
        rows = conn.execute(
            sa.select(*source).where(leads.c.id > last).order_by(leads.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        updates, tags, phones = [], [], []
        for row in rows:
            m: Any = row._mapping
            numbers = [p.get("number") or "" for p in msgspec.json.decode(m["phone_numbers"])]
            tag_list = msgspec.json.decode(m["tags"])
            computed = lead_keys(
                name=m["name"],
                first_name=m["first_name"],
                last_name=m["last_name"],
                company_name=m["company_name"],
                title=m["title"],
                email=m["email"],
                phones=numbers,
                city=m["city"],
                state=m["state"],
                postal_code=m["postal_code"],
                country=m["country"],
                monetary_value=m["monetary_value"],
                date_last_contacted=m["date_last_contacted"],
                assignee_id=m["assignee_id"],
                customer_source_id=m["customer_source_id"],
                tags=tag_list,
            )
            # only the keys this revision adds (lead_keys may know more in later versions)
            updates.append({"lead_id": m["id"], **{k: computed[k] for k in keys}})
            base = {"lead_id": m["id"], "account_id": m["account_id"]}
            tags += [{**base, "tag": k} for k in tag_keys(tag_list)]
            phones += [{**base, "digits": d} for d in phone_keys(numbers)]
        conn.execute(update, updates)
        if tags:
            conn.execute(tags_t.insert(), tags)
        if phones:
            conn.execute(phones_t.insert(), phones)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_lead_phones_search", "lead_phones")
    op.drop_index("ix_lead_tags_search", "lead_tags")
    for suffix, _ in reversed(INDEXES):
        op.drop_index(f"ix_leads_by_{suffix}", "leads")
    op.drop_table("lead_phones")
    op.drop_table("lead_tags")
    # plain DROP COLUMN (SQLite 3.35+): a batch copy of leads would, with foreign keys on,
    # cascade-delete the rows that reference it
    for key in (*(k for k, _, _ in reversed(NUMBER_KEYS)), *reversed(TEXT_KEYS)):
        op.drop_column("leads", key)
