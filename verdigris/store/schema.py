"""The tables, in SQLAlchemy Core. Alembic migrations create them; a test keeps the
two in step (tests/store/test_migrations.py)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: 64-bit ids on PostgreSQL; SQLite needs plain INTEGER for its rowid alias
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("date_created", sa.BigInteger, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("email", sa.String(255), nullable=False),
    sa.Column("email_norm", sa.String(255), nullable=False, unique=True),
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Index("ix_users_account", "account_id"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Index("ix_api_keys_user", "user_id"),
)

lead_statuses = sa.Table(
    "lead_statuses",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("order", sa.Integer, nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False),
    sa.Index("ix_lead_statuses_account", "account_id"),
)

customer_sources = sa.Table(
    "customer_sources",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Index("ix_customer_sources_account", "account_id"),
)

custom_field_definitions = sa.Table(
    "custom_field_definitions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("data_type", sa.String(32), nullable=False),
    sa.Column("available_on", sa.Text, nullable=False),  # JSON list
    sa.Column("is_filterable", sa.Boolean, nullable=False),
    sa.Column("options", sa.Text, nullable=False),  # JSON list of {id, name, rank}
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("canonical_name", sa.String(255), nullable=True),  # 0003
    sa.Index("ix_custom_field_definitions_account", "account_id"),
    sa.Index("ux_custom_field_definitions_canonical", "account_id", "canonical_name", unique=True),
)

#: hands out option ids: unique across accounts and never reused (0003)
custom_field_option_ids = sa.Table(
    "custom_field_option_ids",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sqlite_autoincrement=True,
)

leads = sa.Table(
    "leads",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=True),
    sa.Column("prefix", sa.String(255), nullable=True),
    sa.Column("first_name", sa.String(255), nullable=True),
    sa.Column("middle_name", sa.String(255), nullable=True),
    sa.Column("last_name", sa.String(255), nullable=True),
    sa.Column("suffix", sa.String(255), nullable=True),
    sa.Column("title", sa.String(255), nullable=True),
    sa.Column("company_name", sa.String(255), nullable=True),
    sa.Column("details", sa.Text, nullable=True),
    sa.Column("email", sa.String(255), nullable=True),
    sa.Column("email_category", sa.String(16), nullable=True),
    sa.Column("email_norm", sa.String(255), nullable=True),
    sa.Column("street", sa.String(255), nullable=True),
    sa.Column("city", sa.String(255), nullable=True),
    sa.Column("state", sa.String(255), nullable=True),
    sa.Column("postal_code", sa.String(64), nullable=True),
    sa.Column("country", sa.String(255), nullable=True),
    sa.Column("assignee_id", Id, nullable=True),
    sa.Column("customer_source_id", Id, nullable=True),
    sa.Column("status_id", Id, nullable=True),
    sa.Column("monetary_value", sa.Float, nullable=True),
    sa.Column("monetary_unit", sa.String(3), nullable=True),
    sa.Column("interaction_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("phone_numbers", sa.Text, nullable=False),  # JSON
    sa.Column("socials", sa.Text, nullable=False),  # JSON
    sa.Column("websites", sa.Text, nullable=False),  # JSON
    sa.Column("tags", sa.Text, nullable=False),  # JSON
    sa.Column("custom_fields", sa.Text, nullable=False),  # JSON {definition id: value}
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Column("date_modified", sa.BigInteger, nullable=False),
    sa.Column("date_last_contacted", sa.BigInteger, nullable=True),
    sa.Column("converted_at", sa.BigInteger, nullable=True),
    sa.Column("converted_opportunity_id", Id, nullable=True),
    sa.Column("converted_value", sa.Float, nullable=True),
    sa.Column("converted_unit", sa.String(3), nullable=True),
    sa.Index("ix_leads_account_email", "account_id", "email_norm"),
    sa.Index("ix_leads_account_name", "account_id", "name"),
)

#: one row per (lead, custom field value, list item): the index behind custom-field upsert
#: matches (value_key) and search filters (value_key, and value_num for ranges)
lead_custom_values = sa.Table(
    "lead_custom_values",
    metadata,
    sa.Column("lead_id", Id, sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("definition_id", Id, nullable=False),
    sa.Column("value_key", sa.String(255), nullable=False),
    sa.Column("value_num", sa.Float, nullable=True),  # 0003
    sa.Index("ix_lead_custom_values_match", "account_id", "definition_id", "value_key"),
    sa.Index("ix_lead_custom_values_lead", "lead_id"),
    sa.Index("ix_lead_custom_values_num", "account_id", "definition_id", "value_num"),
)
