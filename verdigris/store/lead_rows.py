"""How a :class:`~verdigris.domain.leads.Lead` becomes a row of ``leads`` and back, and
the prebuilt statements that write, read and match leads (used by
:class:`~verdigris.store.leads_sql.SqlLeads`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import sqlalchemy as sa

from verdigris.domain.leads import Address, Email, Lead, Link, Phone
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search_keys import NO_VALUE_ID, text_key
from verdigris.store import schema as t
from verdigris.store import search_sql
from verdigris.store.rows import whole_number

_json = msgspec.json.Encoder()
_phones = msgspec.json.Decoder(list[Phone])
_links = msgspec.json.Decoder(list[Link])
_tags = msgspec.json.Decoder(list[str])
_custom = msgspec.json.Decoder(dict[int, Any])

# Hot-path statements, built once: executing a prebuilt statement skips SQLAlchemy's
# per-call construction and cache-key work (a third of an upsert's time when built per call).
_GET_LEAD = sa.select(t.leads).where(
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


def _id_key(value: int | None) -> int:
    return NO_VALUE_ID if value is None else value


#: the fields of :class:`Lead` that are one column each, in the row's order, with the
#: search key column each one also sets (as :func:`search_sql.search_keys` computes it)
_SCALAR_FIELDS: tuple[tuple[str, tuple[str, Any] | None], ...] = (
    ("account_id", None),
    ("name", ("name_key", text_key)),
    ("prefix", None),
    ("first_name", ("first_name_key", text_key)),
    ("middle_name", None),
    ("last_name", ("last_name_key", text_key)),
    ("suffix", None),
    ("title", ("title_key", text_key)),
    ("company_name", ("company_key", text_key)),
    ("details", None),
    ("assignee_id", ("assignee_key", _id_key)),
    ("customer_source_id", ("source_key", _id_key)),
    ("status_id", None),
    ("monetary_value", ("value_key", lambda v: float(v or 0))),
    ("monetary_unit", None),
    ("interaction_count", None),
    ("date_created", None),
    ("date_modified", None),
    ("date_last_contacted", ("contacted_key", lambda v: int(v or 0))),
    ("converted_at", None),
    ("converted_opportunity_id", None),
    ("converted_value", None),
    ("converted_unit", None),
)
#: the fields whose columns are built from several values (email, address), encoded as
#: JSON, or feeding a key of their own (phones, tags): a change of one of them builds
#: the whole row
_COMPOUND_FIELDS = (
    "email",
    "phone_numbers",
    "socials",
    "websites",
    "address",
    "tags",
    "custom_fields",
)


def changed_columns(old_row: Mapping[str, Any], before: Lead | None, lead: Lead) -> dict[str, Any]:
    """The columns of ``lead_row(lead)`` that differ from ``old_row``, in the row's order.

    ``before`` is the lead ``old_row`` was read as (or None). With it, the columns of the
    fields ``lead`` did not change are not built: only the one-column fields that differ
    from ``before`` and their search keys are, when no other field changed (what a
    PUT or a bulk item of a few text fields does). Otherwise the whole row is built and
    compared (:func:`lead_row`), as it always was; the result is the same either way for
    a row written by :func:`lead_row` (tests/store/test_lead_update_columns.py).
    """
    if before is not None and before is not lead:
        for name in _COMPOUND_FIELDS:
            if getattr(before, name) != getattr(lead, name):
                break
        else:
            changed: dict[str, Any] = {}
            keys: list[tuple[str, Any]] = []
            for name, key in _SCALAR_FIELDS:
                value = getattr(lead, name)
                if value == getattr(before, name):
                    continue
                if old_row[name] != value:
                    changed[name] = value
                if key is not None:
                    keys.append((key[0], key[1](value)))
            for column, value in sorted(keys, key=lambda kv: _KEY_ORDER[kv[0]]):
                if old_row[column] != value:
                    changed[column] = value
            return changed
    return {k: v for k, v in lead_row(lead).items() if old_row[k] != v}


def lead_from_row(row: Any) -> Lead:
    return lead_from_mapping(row._mapping)


#: the columns of ``leads`` in table order, as ``SELECT leads.*`` returns them
LEAD_COLUMNS = tuple(t.leads.c.keys())
#: the search key columns in the order :func:`lead_row` writes them
_KEY_ORDER = {k: i for i, k in enumerate(search_sql.search_keys(Lead(account_id=0)))}
_INSERT_LEAD_FAST = (
    t.leads.insert()
    .values({k: sa.bindparam(k) for k in lead_row(Lead(account_id=0))})
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
