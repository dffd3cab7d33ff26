"""A lead as Copper returns it."""

from __future__ import annotations

import msgspec

from verdigris.wire.common import AddressOut, CustomFieldValueOut, EmailOut, LinkOut, PhoneOut


class LeadOut(msgspec.Struct, kw_only=True):
    """A lead exactly as Copper returns it: every key, always, in Copper's order.

    Converted leads also carry ``converted_unit``, ``converted_value`` (after
    ``monetary_value``), ``converted_opportunity_id`` and ``converted_at`` (after
    ``date_last_contacted``), where real Copper responses put them; on other leads
    these keys are absent (``UNSET``).
    """

    id: int
    name: str | None
    prefix: str | None
    first_name: str | None
    last_name: str | None
    middle_name: str | None
    suffix: str | None
    address: AddressOut | None
    assignee_id: int | None
    company_name: str | None
    customer_source_id: int | None
    details: str | None
    email: EmailOut | None
    interaction_count: int
    monetary_unit: str | None
    monetary_value: float | int | None
    converted_unit: str | msgspec.UnsetType | None = msgspec.UNSET
    converted_value: float | int | msgspec.UnsetType | None = msgspec.UNSET
    socials: list[LinkOut]
    status: str | None
    status_id: int | None
    tags: list[str]
    title: str | None
    websites: list[LinkOut]
    phone_numbers: list[PhoneOut]
    custom_fields: list[CustomFieldValueOut]
    date_created: int
    date_modified: int
    date_last_contacted: int | None
    converted_opportunity_id: int | msgspec.UnsetType | None = msgspec.UNSET
    converted_at: int | msgspec.UnsetType | None = msgspec.UNSET


#: ``LeadOut``'s keys, in its order
LEAD_KEYS: tuple[str, ...] = LeadOut.__struct_fields__
#: the keys only converted leads have (``UNSET`` on every other lead)
CONVERTED_KEYS: tuple[str, ...] = tuple(
    f.name for f in msgspec.structs.fields(LeadOut) if f.default is msgspec.UNSET
)
