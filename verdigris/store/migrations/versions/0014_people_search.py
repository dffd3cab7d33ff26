"""People and companies: sort and filter keys, email, phone and tag rows (issue 21)

``POST /people/search``, ``POST /companies/search`` and ``POST /people/fetch_by_email``
read indexes, never the records: key columns on ``people`` and ``companies`` (lower-cased
text, "" when absent) with one index per sort order and filter, and side tables for the
lists: ``person_emails`` (normalized addresses), ``person_phones`` / ``company_phones``
(digits, and the same backwards: Copper's "ends with" phone search is a range, as
``lead_phones`` since 0007) and ``person_tags`` / ``company_tags``. People and companies
that lead conversions made before this revision get their keys and rows here.

Revision ID: 0014_people_search
Revises: 0013_history
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014_people_search"
down_revision = "0013_history"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Key = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")

PERSON_KEYS = (
    "name_key",
    "first_name_key",
    "last_name_key",
    "title_key",
    "email_key",
    "phone_key",
    "city_key",
    "state_key",
    "postal_key",
    "country_key",
)
COMPANY_KEYS = (
    "sort_name_key",
    "email_domain_key",
    "phone_key",
    "city_key",
    "state_key",
    "postal_key",
    "country_key",
)


def _indexes() -> list[tuple[str, str, list[str]]]:
    out = [("ix_people_by_name", "people", ["account_id", "name_key", "first_name_key", "id"])]
    out += [
        (f"ix_people_by_{k.removesuffix('_key')}", "people", ["account_id", k, "name_key", "id"])
        for k in PERSON_KEYS
        if k != "name_key"
    ]
    out += [
        ("ix_people_by_created", "people", ["account_id", "date_created", "id"]),
        ("ix_people_by_modified", "people", ["account_id", "date_modified", "id"]),
        ("ix_people_by_assignee", "people", ["account_id", "assignee_id", "id"]),
        ("ix_people_by_company", "people", ["account_id", "company_id", "id"]),
        ("ix_people_by_contact_type", "people", ["account_id", "contact_type_id", "id"]),
        ("ix_companies_by_name", "companies", ["account_id", "sort_name_key", "id"]),
    ]
    out += [
        (
            f"ix_companies_by_{k.removesuffix('_key')}",
            "companies",
            ["account_id", k, "sort_name_key", "id"],
        )
        for k in COMPANY_KEYS
        if k != "sort_name_key"
    ]
    out += [
        ("ix_companies_by_created", "companies", ["account_id", "date_created", "id"]),
        ("ix_companies_by_modified", "companies", ["account_id", "date_modified", "id"]),
        ("ix_companies_by_assignee", "companies", ["account_id", "assignee_id", "id"]),
        ("ix_companies_by_contact_type", "companies", ["account_id", "contact_type_id", "id"]),
    ]
    return out


def _side(name: str, parent: str, parent_col: str, value: str, reversed_: bool) -> None:
    columns: list[Any] = [
        sa.Column(
            parent_col,
            Id,
            sa.ForeignKey(f"{parent}.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(value, Key if value != "digits" else sa.String(255), primary_key=True),
        sa.Column("account_id", Id, nullable=False),
    ]
    if reversed_:
        columns.append(sa.Column("digits_reversed", Key, nullable=False))
    op.create_table(name, *columns)


def upgrade() -> None:
    for key in PERSON_KEYS:
        op.add_column("people", sa.Column(key, Key, nullable=False, server_default=""))
    for key in COMPANY_KEYS:
        op.add_column("companies", sa.Column(key, Key, nullable=False, server_default=""))
    for name, table, cols in _indexes():
        op.create_index(name, table, cols)
    _side("person_emails", "people", "person_id", "email", False)
    op.create_index(
        "ix_person_emails_search", "person_emails", ["account_id", "email", "person_id"]
    )
    _side("person_phones", "people", "person_id", "digits", True)
    op.create_index(
        "ix_person_phones_suffix", "person_phones", ["account_id", "digits_reversed", "person_id"]
    )
    _side("person_tags", "people", "person_id", "tag", False)
    op.create_index("ix_person_tags_search", "person_tags", ["account_id", "tag", "person_id"])
    _side("company_phones", "companies", "company_id", "digits", True)
    op.create_index(
        "ix_company_phones_suffix",
        "company_phones",
        ["account_id", "digits_reversed", "company_id"],
    )
    _side("company_tags", "companies", "company_id", "tag", False)
    op.create_index("ix_company_tags_search", "company_tags", ["account_id", "tag", "company_id"])
    _backfill()


def _backfill() -> None:
    """Keys and side rows of the people and companies conversions made so far."""
    # imported here: the store's own writers, so that a backfilled row is what a write makes
    from verdigris.domain.crm import Company, Person
    from verdigris.store import schema as t
    from verdigris.store.people_sql import (
        COMPANY_JSON,
        PERSON_JSON,
        write_company_keys,
        write_person_keys,
    )
    from verdigris.store.rows import record_from_row

    bind = op.get_bind()
    for row in bind.execute(sa.select(t.people)).fetchall():
        write_person_keys(bind, record_from_row(row, Person, PERSON_JSON), replace=False)
    for row in bind.execute(sa.select(t.companies)).fetchall():
        write_company_keys(bind, record_from_row(row, Company, COMPANY_JSON), replace=False)


def downgrade() -> None:
    for table in (
        "company_tags",
        "company_phones",
        "person_tags",
        "person_phones",
        "person_emails",
    ):
        op.drop_table(table)
    for name, table, _cols in reversed(_indexes()):
        op.drop_index(name, table_name=table)
    for key in reversed(COMPANY_KEYS):
        op.drop_column("companies", key)
    for key in reversed(PERSON_KEYS):
        op.drop_column("people", key)
