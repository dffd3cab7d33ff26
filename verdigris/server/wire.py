"""Copper's JSON on the wire: request decoding and response models with exact names.

Requests are decoded into plain JSON values and validated by the domain (so field
errors come out in Copper's ``{field: [{"error": code}]}`` shape). Responses are
msgspec structs whose field order and names are Copper's; ``/openapi.json`` is
generated from the same structs.
"""

from __future__ import annotations

from typing import Any

import msgspec

from verdigris.domain import custom_fields as cf
from verdigris.domain.errors import MalformedRequest
from verdigris.domain.leads import Lead
from verdigris.services import ItemFailure, Shown
from verdigris.store.base import AccountRecord, SourceRecord, StatusRecord, UserRecord
from verdigris.wire import catalogue


class EmailOut(msgspec.Struct):
    email: str
    category: str


class PhoneOut(msgspec.Struct):
    number: str
    category: str


class LinkOut(msgspec.Struct):
    url: str
    category: str


class AddressOut(msgspec.Struct):
    street: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None


class CustomFieldValueOut(msgspec.Struct, omit_defaults=True):
    """One custom field of a lead; ``computed_value`` only when the client asks for it."""

    custom_field_definition_id: int
    value: Any
    computed_value: Any | msgspec.UnsetType = msgspec.UNSET


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


class DeletedOut(msgspec.Struct):
    id: int
    is_deleted: bool


class StatusOut(msgspec.Struct):
    id: int
    name: str
    order: int
    is_default: bool


class SourceOut(msgspec.Struct):
    id: int
    name: str


class GroupOut(msgspec.Struct):
    """A team a user belongs to (verdigris has no teams: the list is always empty)."""

    id: int
    name: str


class UserOut(msgspec.Struct):
    id: int
    name: str
    email: str
    groups: list[GroupOut]


class AccountSettingsOut(msgspec.Struct):
    setting_team_permissions_enabled: bool
    setting_enable_leads: bool


class AccountOut(msgspec.Struct):
    id: int
    name: str
    primary_timezone: str
    settings: AccountSettingsOut


class BulkFailureOut(msgspec.Struct):
    success: bool
    message: dict[str, list[dict[str, str]]]
    id: int | None


class ErrorOut(msgspec.Struct):
    success: bool
    status: int
    message: str


_decoder = msgspec.json.Decoder()
encoder = msgspec.json.Encoder()


def decode_body(raw: bytes) -> Any:
    """Parse a request body; an empty body is ``None``."""
    if not raw.strip():
        return None
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise MalformedRequest(catalogue.MALFORMED_JSON_MESSAGE.format(reason=exc)) from None
    except RecursionError:
        # msgspec gives up past ~1,000 arrays/objects inside one another
        raise MalformedRequest(
            catalogue.MALFORMED_JSON_MESSAGE.format(reason=NESTED_TOO_DEEP)
        ) from None


#: the end of the malformed-body message for a body nested past what the decoder takes
NESTED_TOO_DEEP = catalogue.NESTED_TOO_DEEP


def custom_fields_out(shown: Shown, computed: bool) -> list[CustomFieldValueOut]:
    """Every lead definition, in id order; ``computed`` adds Copper's ``computed_value``."""
    values = shown.lead.custom_fields
    return [custom_field_out(d, values.get(d.id), computed) for d in shown.definitions]


def custom_field_out(
    definition: cf.CustomFieldDefinition, stored: Any, computed: bool
) -> CustomFieldValueOut:
    """One definition's entry for a stored value (``None``: the lead has none)."""
    value = CustomFieldValueOut(definition.id, cf.render_value(definition, stored))
    if computed:
        value.computed_value = cf.computed_value(definition, stored)
    return value


def lead_out(shown: Shown, computed: bool = False) -> LeadOut:
    """A lead in Copper's shape; ``computed`` is ``?custom_field_computed_values=true``."""
    lead = shown.lead
    a = lead.address
    return LeadOut(
        id=lead.id,
        name=lead.name,
        prefix=lead.prefix,
        first_name=lead.first_name,
        last_name=lead.last_name,
        middle_name=lead.middle_name,
        suffix=lead.suffix,
        address=AddressOut(a.street, a.city, a.state, a.postal_code, a.country) if a else None,
        assignee_id=lead.assignee_id,
        company_name=lead.company_name,
        customer_source_id=lead.customer_source_id,
        details=lead.details,
        email=EmailOut(lead.email.email, lead.email.category) if lead.email else None,
        interaction_count=lead.interaction_count,
        monetary_unit=lead.monetary_unit,
        monetary_value=lead.monetary_value,
        socials=[LinkOut(s.url, s.category) for s in lead.socials],
        status=shown.status,
        status_id=lead.status_id,
        tags=list(lead.tags),
        title=lead.title,
        websites=[LinkOut(w.url, w.category) for w in lead.websites],
        phone_numbers=[PhoneOut(p.number, p.category) for p in lead.phone_numbers],
        custom_fields=custom_fields_out(shown, computed),
        date_created=lead.date_created,
        date_modified=lead.date_modified,
        date_last_contacted=lead.date_last_contacted,
        **_converted(lead),
    )


def _converted(lead: Lead) -> dict[str, Any]:
    """The ``converted_*`` keys of a converted lead; nothing for any other lead."""
    if lead.converted_at is None:
        return {}
    return {
        "converted_unit": lead.converted_unit,
        "converted_value": lead.converted_value,
        "converted_opportunity_id": lead.converted_opportunity_id,
        "converted_at": lead.converted_at,
    }


def bulk_out(result: Shown | ItemFailure, computed: bool = False) -> LeadOut | BulkFailureOut:
    if isinstance(result, Shown):
        return lead_out(result, computed)
    message = {f: [{"error": code} for code in codes] for f, codes in result.errors.items()}
    return BulkFailureOut(False, message, result.lead_id)


def status_out(s: StatusRecord) -> StatusOut:
    return StatusOut(s.id, s.name, s.order, s.is_default)


def source_out(s: SourceRecord) -> SourceOut:
    return SourceOut(s.id, s.name)


def user_out(u: UserRecord) -> UserOut:
    return UserOut(u.id, u.name, u.email, [])


#: verdigris stores Unix timestamps only; the account's time zone is informative
ACCOUNT_TIMEZONE = "UTC"


def account_out(a: AccountRecord) -> AccountOut:
    # no team permissions in verdigris; leads are what it serves
    return AccountOut(a.id, a.name, ACCOUNT_TIMEZONE, AccountSettingsOut(False, True))
