"""A page of leads in Copper's shape, rendered from their stored fields (search results).

:func:`leads_out` gives, for every lead of a :class:`LeadPage`, exactly the JSON of
``render.lead_out`` (tests/server/test_lead_page.py compares the bytes) at a fraction
of the cost: no :class:`Lead`, no ``LeadOut``, and the lists the store keeps as JSON
(socials, websites, phone numbers, tags) are spliced in as they are stored
(``msgspec.Raw``) instead of being decoded and encoded again. That is only right
because the store writes them with msgspec from ``Phone``/``Link``/``str`` lists,
whose encoding is the wire's: ``[{"number":…,"category":…}]``, ``[{"url":…,…}]``.
Custom field values are decoded and rendered by the same code as ``render.lead_out``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from verdigris.server.render import custom_field_out
from verdigris.services import LeadPage
from verdigris.wire import AddressOut, EmailOut, LeadOut

# A struct with LeadOut's keys in LeadOut's order, built by keyword: LeadOut is the one
# declaration of that order. The converted_* keys default to UNSET (left out).
_Lead = msgspec.defstruct(
    "_Lead",
    [
        (f.name, Any) if f.required else (f.name, Any, f.default)
        for f in msgspec.structs.fields(LeadOut)
    ],
    kw_only=True,
)
_custom_values = msgspec.json.Decoder(dict[int, Any])  # as the store decodes them
_NO_VALUES = "{}"


def leads_out(page: LeadPage, computed: bool = False) -> list[Any]:
    """Every lead of ``page`` as ``render.lead_out`` renders it, ready for the encoder."""
    statuses = page.statuses
    definitions = page.definitions
    unset = [custom_field_out(d, None, computed) for d in definitions]
    raw = msgspec.Raw
    out: list[Any] = []
    for (
        ident,
        name,
        prefix,
        first_name,
        last_name,
        middle_name,
        suffix,
        street,
        city,
        state,
        postal_code,
        country,
        assignee_id,
        company_name,
        customer_source_id,
        details,
        email,
        email_category,
        interaction_count,
        monetary_unit,
        converted_unit,
        socials,
        status_id,
        tags,
        title,
        websites,
        phone_numbers,
        custom_fields,
        date_created,
        date_modified,
        date_last_contacted,
        converted_opportunity_id,
        converted_at,
        monetary_value,
        converted_value,
    ) in page.leads:
        # amounts are stored as floats; whole ones render as integers, as on Lead
        if type(monetary_value) is float and monetary_value.is_integer():
            monetary_value = int(monetary_value)
        if (
            street is None
            and city is None
            and state is None
            and postal_code is None
            and country is None
        ):
            address = None
        else:
            address = AddressOut(street, city, state, postal_code, country)
        if custom_fields == _NO_VALUES:
            values = unset
        else:
            stored = _custom_values.decode(custom_fields)
            values = [custom_field_out(d, stored.get(d.id), computed) for d in definitions]
        lead: Any = _Lead(
            id=ident,
            name=name,
            prefix=prefix,
            first_name=first_name,
            last_name=last_name,
            middle_name=middle_name,
            suffix=suffix,
            address=address,
            assignee_id=assignee_id,
            company_name=company_name,
            customer_source_id=customer_source_id,
            details=details,
            email=EmailOut(email, email_category) if email is not None else None,  # type: ignore[arg-type]
            interaction_count=interaction_count,
            monetary_unit=monetary_unit,
            monetary_value=monetary_value,
            socials=raw(socials),
            status=statuses.get(status_id) if status_id is not None else None,
            status_id=status_id,
            tags=raw(tags),
            title=title,
            websites=raw(websites),
            phone_numbers=raw(phone_numbers),
            custom_fields=values,
            date_created=date_created,
            date_modified=date_modified,
            date_last_contacted=date_last_contacted,
        )
        if converted_at is not None:
            if type(converted_value) is float and converted_value.is_integer():
                converted_value = int(converted_value)
            lead.converted_unit = converted_unit
            lead.converted_value = converted_value
            lead.converted_opportunity_id = converted_opportunity_id
            lead.converted_at = converted_at
        out.append(lead)
    return out
