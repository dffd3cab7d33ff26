"""How a :class:`~verdigris.domain.leads.Lead` becomes a row of ``leads`` and back, and
the prebuilt statements that write, read and match leads (used by
:class:`~verdigris.store.leads_sql.SqlLeads`).
"""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa

from verdigris.domain.leads import Address, Email, Lead, Link, Phone
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search_keys import text_key
from verdigris.store import schema as t
from verdigris.store import search_sql, wire_form
from verdigris.store.rows import whole_number

_json = msgspec.json.Encoder()
_phones = msgspec.json.Decoder(list[Phone])
_links = msgspec.json.Decoder(list[Link])
_tags = msgspec.json.Decoder(list[str])
_custom = msgspec.json.Decoder(dict[int, Any])

# Hot-path statements, built once: executing a prebuilt statement skips SQLAlchemy's
# per-call construction and cache-key work (a third of an upsert's time when built per call).
#: every column of ``leads`` but its wire form (verdigris.store.wire_form): a lead read
#: to be shown or changed is built from its columns
LEAD_COLUMNS = tuple(c.key for c in t.leads.columns if c.key != "wire")
_GET_LEAD = sa.select(*(t.leads.c[k] for k in LEAD_COLUMNS)).where(
    t.leads.c.id == sa.bindparam("lead_id"), t.leads.c.account_id == sa.bindparam("account_id")
)
_GET_LEAD_FOR_UPDATE = _GET_LEAD.with_for_update()
# Email and name matches read the search indexes on the lowered, truncated keys
# (ix_leads_by_email, ix_leads_by_name) and check the full value on the row: every
# lead whose value matches has that key, and a separate index per match column would
# cost every write one more index entry (migration 0006).
_MATCH_EMAIL = sa.select(t.leads.c.id).where(
    t.leads.c.account_id == sa.bindparam("account_id"),
    t.leads.c.email_key == sa.bindparam("key"),
    t.leads.c.email_norm == sa.bindparam("value"),
    t.leads.c.converted_at.is_(None),
)
_MATCH_NAME = sa.select(t.leads.c.id).where(
    t.leads.c.account_id == sa.bindparam("account_id"),
    t.leads.c.name_key == sa.bindparam("key"),
    t.leads.c.name == sa.bindparam("value"),
    t.leads.c.converted_at.is_(None),
)
_MATCH_CUSTOM = (
    sa.select(t.lead_custom_values.c.lead_id)
    .join(t.leads, t.leads.c.id == t.lead_custom_values.c.lead_id)
    .where(
        t.lead_custom_values.c.account_id == sa.bindparam("account_id"),
        t.lead_custom_values.c.definition_id == sa.bindparam("definition_id"),
        t.lead_custom_values.c.value_key == sa.bindparam("value"),
        t.leads.c.converted_at.is_(None),
    )
    .distinct()
    .limit(sa.bindparam("limit"))
)
_MATCH_EMAIL = _MATCH_EMAIL.limit(sa.bindparam("limit"))
_MATCH_NAME = _MATCH_NAME.limit(sa.bindparam("limit"))


def lead_row(lead: Lead) -> dict[str, Any]:
    address = lead.address or Address()
    return {
        "account_id": lead.account_id,
        "name": lead.name,
        "prefix": lead.prefix,
        "first_name": lead.first_name,
        "middle_name": lead.middle_name,
        "last_name": lead.last_name,
        "suffix": lead.suffix,
        "title": lead.title,
        "company_name": lead.company_name,
        "details": lead.details,
        "email": lead.email.email if lead.email else None,
        "email_category": lead.email.category if lead.email else None,
        "email_norm": lead.email_key,
        "street": address.street,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "country": address.country,
        "assignee_id": lead.assignee_id,
        "customer_source_id": lead.customer_source_id,
        "status_id": lead.status_id,
        "monetary_value": lead.monetary_value,
        "monetary_unit": lead.monetary_unit,
        "interaction_count": lead.interaction_count,
        "phone_numbers": _json.encode(lead.phone_numbers).decode(),
        "socials": _json.encode(lead.socials).decode(),
        "websites": _json.encode(lead.websites).decode(),
        "tags": _json.encode(lead.tags).decode(),
        "custom_fields": _json.encode(lead.custom_fields).decode(),
        "date_created": lead.date_created,
        "date_modified": lead.date_modified,
        "date_last_contacted": lead.date_last_contacted,
        "converted_at": lead.converted_at,
        "converted_opportunity_id": lead.converted_opportunity_id,
        "converted_value": lead.converted_value,
        "converted_unit": lead.converted_unit,
        **search_sql.search_keys(lead),
    }


def stored_row(lead: Lead) -> dict[str, Any]:
    """:func:`lead_row` with the lead's wire form: every column an insert writes."""
    row = lead_row(lead)
    row["wire"] = wire_form.from_row(row)
    return row


def lead_from_row(row: Any) -> Lead:
    return lead_from_mapping(row._mapping)


_INSERT_LEAD_FAST = (
    t.leads.insert()
    .values({k: sa.bindparam(k) for k in (*lead_row(Lead(account_id=0)), "wire")})
    .returning(t.leads.c.id)
)
_CUSTOM_VALUE_COLUMNS = ("lead_id", "account_id", "definition_id", "value_key", "value_num")
_INSERT_CUSTOM_VALUE = t.lead_custom_values.insert().values(
    {k: sa.bindparam(k) for k in _CUSTOM_VALUE_COLUMNS}
)
_DELETE_CUSTOM_VALUES = t.lead_custom_values.delete().where(
    t.lead_custom_values.c.lead_id == sa.bindparam("lead_id")
)
_INSERT_TAG = t.lead_tags.insert().values(
    {c.name: sa.bindparam(c.name) for c in t.lead_tags.columns}
)
_INSERT_PHONE = t.lead_phones.insert().values(
    {c.name: sa.bindparam(c.name) for c in t.lead_phones.columns}
)
_DELETE_TAGS = t.lead_tags.delete().where(t.lead_tags.c.lead_id == sa.bindparam("lead_id"))
_DELETE_PHONES = t.lead_phones.delete().where(t.lead_phones.c.lead_id == sa.bindparam("lead_id"))


def _update_lead_stmt(columns: tuple[str, ...]) -> sa.Update:
    return (
        t.leads.update()
        .where(t.leads.c.id == sa.bindparam("target_id"))
        .values({k: sa.bindparam(k) for k in columns})
    )


def match_statement(
    account_id: int, criteria: MatchCriteria, limit: int
) -> tuple[str, sa.Select[Any], dict[str, Any], tuple[str, str] | None]:
    """An upsert's match: (cache key, statement, parameters, index SQLite must use)."""
    params = {"account_id": account_id, "value": criteria.value, "limit": limit}
    if criteria.field in ("email", "name"):
        params["key"] = text_key(criteria.value)
        stmt = _MATCH_EMAIL if criteria.field == "email" else _MATCH_NAME
        return f"match_{criteria.field}", stmt, params, ("leads", f"ix_leads_by_{criteria.field}")
    params["definition_id"] = criteria.definition_id
    return "match_custom", _MATCH_CUSTOM, params, None


def lead_from_mapping(m: Any) -> Lead:
    address = None
    if any(m[k] is not None for k in ("street", "city", "state", "postal_code", "country")):
        address = Address(m["street"], m["city"], m["state"], m["postal_code"], m["country"])
    return Lead(
        id=m["id"],
        account_id=m["account_id"],
        name=m["name"],
        prefix=m["prefix"],
        first_name=m["first_name"],
        middle_name=m["middle_name"],
        last_name=m["last_name"],
        suffix=m["suffix"],
        title=m["title"],
        company_name=m["company_name"],
        details=m["details"],
        email=Email(m["email"], m["email_category"]) if m["email"] is not None else None,
        phone_numbers=_phones.decode(m["phone_numbers"]),
        socials=_links.decode(m["socials"]),
        websites=_links.decode(m["websites"]),
        address=address,
        assignee_id=m["assignee_id"],
        customer_source_id=m["customer_source_id"],
        status_id=m["status_id"],
        monetary_value=whole_number(m["monetary_value"]),
        monetary_unit=m["monetary_unit"],
        tags=_tags.decode(m["tags"]),
        interaction_count=m["interaction_count"],
        custom_fields=_custom.decode(m["custom_fields"]),
        date_created=m["date_created"],
        date_modified=m["date_modified"],
        date_last_contacted=m["date_last_contacted"],
        converted_at=m["converted_at"],
        converted_opportunity_id=m["converted_opportunity_id"],
        converted_value=whole_number(m["converted_value"]),
        converted_unit=m["converted_unit"],
    )
