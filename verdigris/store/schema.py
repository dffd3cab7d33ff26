"""The tables, in SQLAlchemy Core. Alembic migrations create them; a test keeps the
two in step (tests/store/test_migrations.py)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: 64-bit ids on PostgreSQL; SQLite needs plain INTEGER for its rowid alias
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Ids are never reused: every table with an ``id`` passes ``sqlite_autoincrement=True``
# (SQLite's AUTOINCREMENT keeps the largest id ever handed out in sqlite_sequence; without
# it, the next insert after deleting the highest row takes its id again). PostgreSQL
# sequences never hand an id out twice. Migration 0008 rebuilt the existing SQLite tables.
#: search and sort keys (lower-cased text): byte order on both engines, so that prefix
#: ranges are exact and sorts agree (SQLite compares TEXT bytewise; "C" on PostgreSQL)
Key = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("date_created", sa.BigInteger, nullable=False),
    #: bumped by every change of the account's custom field definitions (cache validity)
    sa.Column("custom_fields_version", sa.BigInteger, nullable=False, server_default="0"),
    sqlite_autoincrement=True,
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
    sqlite_autoincrement=True,
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Index("ix_api_keys_user", "user_id"),
    sqlite_autoincrement=True,
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
    sqlite_autoincrement=True,
)

customer_sources = sa.Table(
    "customer_sources",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Index("ix_customer_sources_account", "account_id"),
    sqlite_autoincrement=True,
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
    sqlite_autoincrement=True,
)

#: hands out option ids: unique across accounts and never reused (0003)
custom_field_option_ids = sa.Table(
    "custom_field_option_ids",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sqlite_autoincrement=True,
)

#: lower-cased text keys on leads (filters and sorts); "" when the lead has no value
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


def _search_index(suffix: str, *columns: str) -> sa.Index:
    # converted_at last: the default "not converted" condition is checked in the index
    return sa.Index(f"ix_leads_by_{suffix}", "account_id", *columns, "id", "converted_at")


#: one index per sort order and per filter; text sorts break ties by name, then id
SEARCH_INDEXES = (
    _search_index("name", "name_key"),
    *(
        _search_index(key.removesuffix("_key"), key, "name_key")
        for key in TEXT_KEYS
        if key != "name_key"
    ),
    _search_index("value", "value_key"),
    _search_index("created", "date_created"),
    _search_index("modified", "date_modified"),
    _search_index("contacted", "contacted_key"),
    _search_index("interactions", "interaction_count"),
    _search_index("status", "status_id", "name_key"),
    _search_index("assignee", "assignee_key", "name_key"),
    _search_index("source", "source_key", "name_key"),
    _search_index("tag_count", "tag_count", "name_key"),
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
    # search and sort keys (issue 4), written with every lead: see verdigris.domain.search
    *(sa.Column(k, Key, nullable=False, server_default="") for k in TEXT_KEYS),
    sa.Column("value_key", sa.Float, nullable=False, server_default="0"),
    sa.Column("contacted_key", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("assignee_key", Id, nullable=False, server_default="-2"),
    sa.Column("source_key", Id, nullable=False, server_default="-2"),
    sa.Column("tag_count", sa.Integer, nullable=False, server_default="0"),
    # upsert matches on email and name read ix_leads_by_email / ix_leads_by_name (0006)
    *SEARCH_INDEXES,
    sqlite_autoincrement=True,
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

#: a lead's tags as keys, one row each (leads without tags: ``leads.tag_count = 0``)
lead_tags = sa.Table(
    "lead_tags",
    metadata,
    sa.Column("lead_id", Id, sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag", Key, primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Index("ix_lead_tags_search", "account_id", "tag", "lead_id"),
)

#: the digits of each of a lead's phone numbers, and the same backwards (0007): a search
#: for numbers *ending with* some digits is a range of ix_lead_phones_suffix
lead_phones = sa.Table(
    "lead_phones",
    metadata,
    sa.Column("lead_id", Id, sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("digits", sa.String(255), primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("digits_reversed", Key, nullable=False),
    sa.Index("ix_lead_phones_suffix", "account_id", "digits_reversed", "lead_id"),
)

# --- conversion (issue 8): what a lead conversion creates, and its lookups ------------------

contact_types = sa.Table(
    "contact_types",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Index("ix_contact_types_account", "account_id"),
    sqlite_autoincrement=True,
)

pipelines = sa.Table(
    "pipelines",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Index("ix_pipelines_account", "account_id"),
    sqlite_autoincrement=True,
)

pipeline_stages = sa.Table(
    "pipeline_stages",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("pipeline_id", Id, sa.ForeignKey("pipelines.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("win_probability", sa.Integer, nullable=False),
    sa.Index("ix_pipeline_stages_account", "account_id"),
    sqlite_autoincrement=True,
)

companies = sa.Table(
    "companies",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("name_key", sa.String(255), nullable=False),
    sa.Column("address", sa.Text, nullable=True),  # JSON
    sa.Column("assignee_id", Id, nullable=True),
    sa.Column("contact_type_id", Id, nullable=True),
    sa.Column("details", sa.Text, nullable=True),
    sa.Column("email_domain", sa.String(255), nullable=True),
    sa.Column("phone_numbers", sa.Text, nullable=False),  # JSON
    sa.Column("socials", sa.Text, nullable=False),  # JSON
    sa.Column("tags", sa.Text, nullable=False),  # JSON
    sa.Column("websites", sa.Text, nullable=False),  # JSON
    sa.Column("custom_fields", sa.Text, nullable=False),  # JSON {definition id: value}
    sa.Column("interaction_count", sa.Integer, nullable=False),
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Column("date_modified", sa.BigInteger, nullable=False),
    sa.Index("ix_companies_account_name_key", "account_id", "name_key"),
    sqlite_autoincrement=True,
)

people = sa.Table(
    "people",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=True),
    sa.Column("prefix", sa.String(255), nullable=True),
    sa.Column("first_name", sa.String(255), nullable=True),
    sa.Column("middle_name", sa.String(255), nullable=True),
    sa.Column("last_name", sa.String(255), nullable=True),
    sa.Column("suffix", sa.String(255), nullable=True),
    sa.Column("address", sa.Text, nullable=True),  # JSON
    sa.Column("assignee_id", Id, nullable=True),
    sa.Column("company_id", Id, nullable=True),
    sa.Column("company_name", sa.String(255), nullable=True),
    sa.Column("contact_type_id", Id, nullable=True),
    sa.Column("details", sa.Text, nullable=True),
    sa.Column("emails", sa.Text, nullable=False),  # JSON
    sa.Column("phone_numbers", sa.Text, nullable=False),  # JSON
    sa.Column("socials", sa.Text, nullable=False),  # JSON
    sa.Column("tags", sa.Text, nullable=False),  # JSON
    sa.Column("title", sa.String(255), nullable=True),
    sa.Column("websites", sa.Text, nullable=False),  # JSON
    sa.Column("custom_fields", sa.Text, nullable=False),  # JSON
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Column("date_modified", sa.BigInteger, nullable=False),
    sa.Column("date_last_contacted", sa.BigInteger, nullable=True),
    sa.Column("interaction_count", sa.Integer, nullable=False),
    sa.Column("leads_converted_from", sa.Text, nullable=False),  # JSON
    sa.Column("date_lead_created", sa.BigInteger, nullable=True),
    sa.Index("ix_people_account", "account_id"),
    sa.Index("ix_people_company", "company_id"),
    sqlite_autoincrement=True,
)

opportunities = sa.Table(
    "opportunities",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("assignee_id", Id, nullable=True),
    sa.Column("close_date", sa.String(32), nullable=True),
    sa.Column("company_id", Id, nullable=True),
    sa.Column("company_name", sa.String(255), nullable=True),
    sa.Column("customer_source_id", Id, nullable=True),
    sa.Column("details", sa.Text, nullable=True),
    sa.Column("loss_reason_id", Id, nullable=True),
    sa.Column("pipeline_id", Id, nullable=False),
    sa.Column("pipeline_stage_id", Id, nullable=False),
    sa.Column("primary_contact_id", Id, nullable=True),
    sa.Column("priority", sa.String(32), nullable=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("tags", sa.Text, nullable=False),  # JSON
    sa.Column("interaction_count", sa.Integer, nullable=False),
    sa.Column("monetary_unit", sa.String(3), nullable=True),
    sa.Column("monetary_value", sa.Float, nullable=True),
    sa.Column("win_probability", sa.Integer, nullable=False),
    sa.Column("date_stage_changed", sa.BigInteger, nullable=True),
    sa.Column("date_last_contacted", sa.BigInteger, nullable=True),
    sa.Column("leads_converted_from", sa.Text, nullable=False),  # JSON
    sa.Column("date_lead_created", sa.BigInteger, nullable=True),
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Column("date_modified", sa.BigInteger, nullable=False),
    sa.Column("custom_fields", sa.Text, nullable=False),  # JSON
    sa.Index("ix_opportunities_account", "account_id"),
    sa.Index("ix_opportunities_company", "company_id"),
    sa.Index("ix_opportunities_primary_contact", "primary_contact_id"),
    sqlite_autoincrement=True,
)

activities = sa.Table(
    "activities",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("parent_type", sa.String(16), nullable=False),
    sa.Column("parent_id", Id, nullable=False),
    sa.Column("type_id", Id, nullable=False),
    sa.Column("type_category", sa.String(16), nullable=False),
    sa.Column("user_id", Id, nullable=True),
    sa.Column("details", sa.Text, nullable=True),
    sa.Column("activity_date", sa.BigInteger, nullable=False),
    sa.Column("old_value", sa.Text, nullable=True),  # JSON
    sa.Column("new_value", sa.Text, nullable=True),  # JSON
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Column("date_modified", sa.BigInteger, nullable=False),
    sa.Index("ix_activities_parent", "account_id", "parent_type", "parent_id"),
    sqlite_autoincrement=True,
)

# --- webhooks (issue 17) --------------------------------------------------------------------

#: Copper's webhook subscriptions (``/webhooks``), with verdigris's delivery settings
webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("secret", sa.Text, nullable=True),  # JSON object
    sa.Column("headers", sa.Text, nullable=True),  # JSON object
    sa.Column("custom_field_computed_values", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    #: "copper" or "reliable"; NULL: the server's setting
    sa.Column("mode", sa.String(16), nullable=True),
    #: the HMAC-SHA256 key of X-Verdigris-Signature (reliable mode)
    sa.Column("signing_secret", sa.String(64), nullable=False),
    sa.Index("ix_webhook_subscriptions_topic", "account_id", "type", "event"),
    sqlite_autoincrement=True,
)

#: events waiting to be sent, written in the transaction of the change they follow
webhook_outbox = sa.Table(
    "webhook_outbox",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("subscription_id", Id, nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    #: ``updated_attributes`` (JSON object) of an update; NULL otherwise
    sa.Column("attributes", sa.Text, nullable=True),
    #: events of one subscription with equal keys may share a notification
    sa.Column("group_key", sa.String(64), nullable=False),
    #: service clock: when the change happened, when the event may be sent
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("due_at", sa.BigInteger, nullable=False),
    #: "pending" or "claimed" (by ``claimed_by`` until ``lease_until``, wall clock)
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    #: set at the first attempt: retries of a notification keep its delivery id
    sa.Column("delivery_id", sa.String(36), nullable=True),
    #: an inbox attempt to send again as it was (``replay``), instead of an event
    sa.Column("replay_of", sa.BigInteger, nullable=True),
    sa.Index("ix_webhook_outbox_state", "state", "id"),
    sa.Index("ix_webhook_outbox_subscription", "subscription_id"),
    sqlite_autoincrement=True,
)

#: the inbox: every delivery attempt, its request and what came back
webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("subscription_id", Id, nullable=False),
    sa.Column("delivery_id", sa.String(36), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("request_headers", sa.Text, nullable=False),  # JSON object
    sa.Column("request_body", sa.Text, nullable=False),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=True),
    #: "delivered", "retrying", "failed" or "dropped"
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("replay_of", sa.BigInteger, nullable=True),
    sa.Index("ix_webhook_attempts_account", "account_id", "id"),
    sqlite_autoincrement=True,
)

#: who delivers on SQLite (one process at a time; PostgreSQL claims rows with SKIP LOCKED)
webhook_lease = sa.Table(
    "webhook_lease",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("holder", sa.String(64), nullable=False),
    sa.Column("until", sa.Float, nullable=False),
)
