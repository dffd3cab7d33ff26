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

#: the ``postgresql_where`` of the partial indexes, by index name: a ``postgresql_*``
#: argument imports SQLAlchemy's PostgreSQL dialect, some 40-70 ms of a SQLite server's
#: start-up, so verdigris.store.postgres adds them when it is imported
#: (:func:`add_postgresql_options`)
POSTGRESQL_WHERE = {
    "ix_lead_versions_run": "import_run IS NOT NULL",
    "ix_lead_versions_deleted": "event = 'delete'",
    "ix_record_versions_deleted": "event = 'delete'",
}


def add_postgresql_options() -> None:
    """Give the partial indexes their PostgreSQL ``WHERE`` (idempotent)."""
    for table in metadata.tables.values():
        for index in table.indexes:
            where = POSTGRESQL_WHERE.get(index.name or "")
            if where is not None:
                index.dialect_options["postgresql"]["where"] = sa.text(where)


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
    # each of the two interaction keys carries the other after the usual tail (0012), so a
    # search on both, or on one sorted by the other (inactive_days), is read from one
    # index without visiting the rows
    sa.Index(
        "ix_leads_by_contacted",
        "account_id",
        "contacted_key",
        "id",
        "converted_at",
        "interaction_count",
    ),
    sa.Index(
        "ix_leads_by_interactions",
        "account_id",
        "interaction_count",
        "id",
        "converted_at",
        "contacted_key",
    ),
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
    # the lead's JSON less what a search page fills in (verdigris.store.wire_form, 0018);
    # null on rows written before it until they are next written
    sa.Column("wire", sa.LargeBinary, nullable=True),
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
    #: search keys (0011): the trimmed, lower-cased name, and close_date as Unix seconds
    sa.Column("name_key", Key, nullable=True),
    sa.Column("close_key", sa.BigInteger, nullable=True),
    sa.Index("ix_opportunities_account", "account_id"),
    sa.Index("ix_opportunities_company", "company_id"),
    sa.Index("ix_opportunities_primary_contact", "primary_contact_id"),
    sa.Index("ix_opportunities_name_key", "account_id", "name_key", "id"),
    sa.Index("ix_opportunities_stage", "account_id", "pipeline_stage_id", "id"),
    # 0017: the company filter, and the date-modified sort with its tie-breakers
    sa.Index("ix_opportunities_by_company", "account_id", "company_id", "id"),
    sa.Index("ix_opportunities_by_modified", "account_id", "date_modified", "name_key", "id"),
    sqlite_autoincrement=True,
)

# --- opportunities (issue 21): loss reasons and the tags an opportunity search reads -------

loss_reasons = sa.Table(
    "loss_reasons",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Index("ix_loss_reasons_account", "account_id"),
    sqlite_autoincrement=True,
)

opportunity_tags = sa.Table(
    "opportunity_tags",
    metadata,
    sa.Column(
        "opportunity_id",
        Id,
        sa.ForeignKey("opportunities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("tag", Key, primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Index("ix_opportunity_tags_search", "account_id", "tag", "opportunity_id"),
)

#: an opportunity's custom field values, one row per value (per item for MultiSelect), as
#: lead_custom_values: what the custom field filters of an opportunity search read
opportunity_custom_values = sa.Table(
    "opportunity_custom_values",
    metadata,
    sa.Column(
        "opportunity_id",
        Id,
        sa.ForeignKey("opportunities.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("definition_id", Id, nullable=False),
    sa.Column("value_key", sa.String(255), nullable=False),
    sa.Column("value_num", sa.Float, nullable=True),
    sa.Index("ix_opportunity_custom_values_key", "account_id", "definition_id", "value_key"),
    sa.Index("ix_opportunity_custom_values_num", "account_id", "definition_id", "value_num"),
    sa.Index("ix_opportunity_custom_values_opportunity", "opportunity_id"),
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
    #: set when the activity is deleted: Copper answers a deleted activity as a stub (0012)
    sa.Column("deleted_at", sa.BigInteger, nullable=True),
    # a record's timeline, newest first, and its interactions (0012 added the date and id)
    sa.Index(
        "ix_activities_parent", "account_id", "parent_type", "parent_id", "activity_date", "id"
    ),
    # POST /activities/search without a parent: the account's activities, newest first (0012)
    sa.Index("ix_activities_date", "account_id", "activity_date", "id"),
    sqlite_autoincrement=True,
)

#: an account's user activity types with an id of their own (Phone Call, Meeting: Copper
#: assigns their ids when the account is created); Note (user 0) and the system types
#: (1, 3) have Copper's hard-coded ids and are not stored (verdigris.domain.activities)
activity_types = sa.Table(
    "activity_types",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("is_disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("count_as_interaction", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Index("ix_activity_types_account", "account_id"),
    sqlite_autoincrement=True,
)

# --- tasks and related items (issue 16) -------------------------------------------------------

#: a task relates to one record at most (Copper: "limit 1 total"): related_type/related_id
#: is the relation, read from either side (ix_tasks_related serves a lead's related items)
tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("name_key", Key, nullable=False, server_default=""),
    sa.Column("related_type", sa.String(16), nullable=True),
    sa.Column("related_id", Id, nullable=True),
    sa.Column("assignee_id", Id, nullable=True),
    sa.Column("due_date", sa.BigInteger, nullable=True),
    sa.Column("reminder_date", sa.BigInteger, nullable=True),
    sa.Column("completed_date", sa.BigInteger, nullable=True),
    sa.Column("priority", sa.String(8), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("details", sa.Text, nullable=True),
    sa.Column("tags", sa.Text, nullable=False),  # JSON
    sa.Column("custom_fields", sa.Text, nullable=False),  # JSON {definition id: value}
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Column("date_modified", sa.BigInteger, nullable=False),
    # due_date as a search sorts it: a task without one is due at the end of time
    sa.Column("due_key", sa.BigInteger, nullable=False),
    sa.Index("ix_tasks_account", "account_id", "id"),
    sa.Index("ix_tasks_related", "account_id", "related_type", "related_id"),
    # the default order of a task search (due_date, then id), read in index order
    sa.Index("ix_tasks_due", "account_id", "due_key", "id"),
    sa.Index("ix_tasks_name", "account_id", "name_key", "id"),
    sqlite_autoincrement=True,
)

#: a task's tags as keys, one row each (the tags filter of a task search, and GET /tags)
task_tags = sa.Table(
    "task_tags",
    metadata,
    sa.Column("task_id", Id, sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag", Key, primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Index("ix_task_tags_search", "account_id", "tag", "task_id"),
)

#: a lead's versions (issue 19, migration 0013): one row per write of a lead, holding the
#: lead as that write left it (``data``: JSON; for a delete, the lead as it was deleted),
#: with who, when, which route and request and, for an import, its run id
lead_versions = sa.Table(
    "lead_versions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    # no foreign key: the versions of a deleted lead outlive it
    sa.Column("lead_id", Id, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("cause", sa.String(32), nullable=True),
    sa.Column("data", sa.Text, nullable=False),  # JSON
    sa.Column("user_id", Id, nullable=True),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("route", sa.String(128), nullable=True),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Column("import_run", sa.String(64), nullable=True),
    # a write of a lead adds one entry, to this index: the others are partial (only an
    # import's versions, only deletes), and retention by age walks the ids (history_sql.py)
    sa.Index("ux_lead_versions_lead", "account_id", "lead_id", "version", unique=True),
    sa.Index(
        "ix_lead_versions_run",
        "account_id",
        "import_run",
        "lead_id",
        sqlite_where=sa.text("import_run IS NOT NULL"),
    ),
    sa.Index(
        "ix_lead_versions_deleted",
        "account_id",
        "lead_id",
        sqlite_where=sa.text("event = 'delete'"),
    ),
    sqlite_autoincrement=True,
)

#: idempotency keys (issue 19, migration 0013): the answer of a write sent with an
#: ``Idempotency-Key``, stored in the write's own transaction
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    #: sha256 of the method, route and canonical body
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("headers", sa.Text, nullable=False),  # JSON [[name, value], ...]
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Index("ux_idempotency_keys_key", "account_id", "key", unique=True),
    sa.Index("ix_idempotency_keys_created", "created_at"),
    sqlite_autoincrement=True,
)

# --- people and companies written and searched by clients (issue 21, migration 0014) -------

#: lower-cased sort and filter keys on people; "" when the person has no value
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
#: the same on companies (``name_key`` there is conversion's fuzzy key: ``sort_name_key``)
COMPANY_KEYS = (
    "sort_name_key",
    "email_domain_key",
    "phone_key",
    "city_key",
    "state_key",
    "postal_key",
    "country_key",
)
for _key in PERSON_KEYS:
    people.append_column(sa.Column(_key, Key, nullable=False, server_default=""))
for _key in COMPANY_KEYS:
    companies.append_column(sa.Column(_key, Key, nullable=False, server_default=""))

#: one index per sort order and per filter, each starting with the account and ending with id
PEOPLE_INDEXES = (
    # first_name_key too: a name prefix sorted by first name (the default) is index-only
    sa.Index(
        "ix_people_by_name",
        people.c.account_id,
        people.c.name_key,
        people.c.first_name_key,
        people.c.id,
    ),
    *(
        sa.Index(
            f"ix_people_by_{key.removesuffix('_key')}",
            people.c.account_id,
            people.c[key],
            people.c.name_key,
            people.c.id,
        )
        for key in PERSON_KEYS
        if key != "name_key"
    ),
    sa.Index("ix_people_by_created", people.c.account_id, people.c.date_created, people.c.id),
    sa.Index("ix_people_by_modified", people.c.account_id, people.c.date_modified, people.c.id),
    sa.Index("ix_people_by_assignee", people.c.account_id, people.c.assignee_id, people.c.id),
    sa.Index("ix_people_by_company", people.c.account_id, people.c.company_id, people.c.id),
    sa.Index(
        "ix_people_by_contact_type", people.c.account_id, people.c.contact_type_id, people.c.id
    ),
)
COMPANY_INDEXES = (
    sa.Index(
        "ix_companies_by_name", companies.c.account_id, companies.c.sort_name_key, companies.c.id
    ),
    *(
        sa.Index(
            f"ix_companies_by_{key.removesuffix('_key')}",
            companies.c.account_id,
            companies.c[key],
            companies.c.sort_name_key,
            companies.c.id,
        )
        for key in COMPANY_KEYS
        if key != "sort_name_key"
    ),
    sa.Index(
        "ix_companies_by_created", companies.c.account_id, companies.c.date_created, companies.c.id
    ),
    sa.Index(
        "ix_companies_by_modified",
        companies.c.account_id,
        companies.c.date_modified,
        companies.c.id,
    ),
    sa.Index(
        "ix_companies_by_assignee", companies.c.account_id, companies.c.assignee_id, companies.c.id
    ),
    sa.Index(
        "ix_companies_by_contact_type",
        companies.c.account_id,
        companies.c.contact_type_id,
        companies.c.id,
    ),
)

#: a person's email addresses, normalized (trimmed, lower-cased): search and fetch_by_email
person_emails = sa.Table(
    "person_emails",
    metadata,
    sa.Column("person_id", Id, sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("email", Key, primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Index("ix_person_emails_search", "account_id", "email", "person_id"),
)

#: a person's phone digits, and backwards: "ends with" is a range (as lead_phones, 0007)
person_phones = sa.Table(
    "person_phones",
    metadata,
    sa.Column("person_id", Id, sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("digits", sa.String(255), primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("digits_reversed", Key, nullable=False),
    sa.Index("ix_person_phones_suffix", "account_id", "digits_reversed", "person_id"),
)

person_tags = sa.Table(
    "person_tags",
    metadata,
    sa.Column("person_id", Id, sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag", Key, primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Index("ix_person_tags_search", "account_id", "tag", "person_id"),
)

company_phones = sa.Table(
    "company_phones",
    metadata,
    sa.Column(
        "company_id", Id, sa.ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("digits", sa.String(255), primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("digits_reversed", Key, nullable=False),
    sa.Index("ix_company_phones_suffix", "account_id", "digits_reversed", "company_id"),
)

company_tags = sa.Table(
    "company_tags",
    metadata,
    sa.Column(
        "company_id", Id, sa.ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("tag", Key, primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Index("ix_company_tags_search", "account_id", "tag", "company_id"),
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

#: the versions of people, companies and opportunities (issue 21, migration 0016): one row
#: per write of one of them, as ``lead_versions`` holds a lead's (``entity`` says which
#: kind; ``data``: the record as JSON, for a delete the record as it was deleted)
record_versions = sa.Table(
    "record_versions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    #: person, company or opportunity
    sa.Column("entity", sa.String(32), nullable=False),
    # no foreign key: the versions of a deleted record outlive it
    sa.Column("record_id", Id, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("cause", sa.String(32), nullable=True),
    sa.Column("data", sa.Text, nullable=False),  # JSON
    sa.Column("user_id", Id, nullable=True),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("route", sa.String(128), nullable=True),
    sa.Column("request_id", sa.String(64), nullable=True),
    # a write adds one entry, to this index (the other is partial: only deletes)
    sa.Index(
        "ux_record_versions_record", "account_id", "entity", "record_id", "version", unique=True
    ),
    sa.Index(
        "ix_record_versions_deleted",
        "account_id",
        "entity",
        "record_id",
        sqlite_where=sa.text("event = 'delete'"),
    ),
    sqlite_autoincrement=True,
)
