"""Custom fields in SQLAlchemy Core (issue 5): definition rows and search filters.

Definitions keep ``available_on`` and ``options`` as JSON text. Each search filter
(:class:`~verdigris.domain.custom_field_filters.CustomFilter`) becomes ``leads.id [NOT]
IN (SELECT lead_id FROM lead_custom_values WHERE account_id = ? AND definition_id = ?
AND ...)``: the subquery seeks ``ix_lead_custom_values_match`` (option ids, checkbox)
or ``ix_lead_custom_values_num`` (ranges), so a filter costs the number of leads holding
the values, never a scan of the account's leads.
"""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from verdigris.domain.custom_field_filters import CustomFilter
from verdigris.domain.custom_fields import CustomFieldDefinition, Option, value_key
from verdigris.store import schema as t

v = t.lead_custom_values.c
_json = msgspec.json.Encoder()
_options = msgspec.json.Decoder(tuple[Option, ...])
_strings = msgspec.json.Decoder(tuple[str, ...])


def definition_row(d: CustomFieldDefinition) -> dict[str, Any]:
    return {
        "account_id": d.account_id,
        "name": d.name,
        "canonical_name": d.canonical_name,
        "data_type": d.data_type,
        "available_on": _json.encode(d.available_on).decode(),
        "is_filterable": d.is_filterable,
        "options": _json.encode(d.options).decode(),
        "currency": d.currency,
    }


def definition_from_row(row: Any) -> CustomFieldDefinition:
    m = row._mapping
    return CustomFieldDefinition(
        id=m["id"],
        account_id=m["account_id"],
        name=m["name"],
        data_type=m["data_type"],
        available_on=_strings.decode(m["available_on"]),
        is_filterable=bool(m["is_filterable"]),
        options=_options.decode(m["options"]),
        currency=m["currency"],
        canonical_name=m["canonical_name"],
    )


# --- search filters -----------------------------------------------------------------------


def _holders(account_id: int, f: CustomFilter, *conds: ColumnElement[bool]) -> sa.Select[Any]:
    return sa.select(v.lead_id).where(
        v.account_id == account_id, v.definition_id == f.definition_id, *conds
    )


def custom_condition(
    lead_id: sa.Column[Any], account_id: int, f: CustomFilter
) -> ColumnElement[bool] | None:
    """The condition on ``lead_id`` for one filter (``None`` when it filters nothing)."""
    if f.kind == "checked":
        ticked = lead_id.in_(_holders(account_id, f, v.value_key == value_key(True)))
        return ticked if f.checked else sa.not_(ticked)
    if f.kind == "range":
        bounds = []
        if f.low is not None:
            bounds.append(v.value_num >= f.low)
        if f.high is not None:
            bounds.append(v.value_num <= f.high)
        return lead_id.in_(_holders(account_id, f, *bounds))
    empty = lead_id.not_in(_holders(account_id, f))
    if not f.keys:
        return empty if f.allow_empty else None
    if f.mode == "NONE":
        return lead_id.not_in(_holders(account_id, f, v.value_key.in_(f.keys)))
    if f.mode == "ALL":
        match: ColumnElement[bool] = sa.and_(
            *(lead_id.in_(_holders(account_id, f, v.value_key == k)) for k in f.keys)
        )
    else:
        match = lead_id.in_(_holders(account_id, f, v.value_key.in_(f.keys)))
    return sa.or_(match, empty) if f.allow_empty else match


def custom_conditions(
    lead_id: sa.Column[Any], account_id: int, filters: tuple[CustomFilter, ...]
) -> list[ColumnElement[bool]]:
    """The conditions of every filter, to AND with the rest of a search."""
    out = []
    for f in filters:
        condition = custom_condition(lead_id, account_id, f)
        if condition is not None:
            out.append(condition)
    return out
