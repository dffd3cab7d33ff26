"""The server's side of the wire: request bodies decoded, domain objects rendered.

Requests are decoded into plain JSON values and validated by the domain (so field
errors come out in Copper's ``{field: [{"error": code}]}`` shape). Responses are the
structs of :mod:`verdigris.wire` (Copper's names and order, shared with the SDK),
filled here from domain objects with ``msgspec.convert(..., from_attributes=True)``
wherever the names match; only what Copper shapes differently is spelled out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import msgspec

from verdigris.domain import custom_fields as cf
from verdigris.domain.activities import Activity
from verdigris.domain.errors import MalformedRequest
from verdigris.services import Conversion, ItemFailure, Shown, WithFields
from verdigris.store.base import AccountRecord, UserRecord
from verdigris.wire import (
    AccountOut,
    AccountSettingsOut,
    ActivityOut,
    ActivityTypeOut,
    BulkFailureOut,
    CompanyOut,
    ConvertOut,
    CustomFieldDefinitionOut,
    CustomFieldValueOut,
    LeadOut,
    OpportunityOut,
    ParentOut,
    PersonOut,
    UserOut,
    catalogue,
)
from verdigris.wire.leads import CONVERTED_KEYS

T = TypeVar("T")

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


def out(obj: Any, kind: type[T], **fields: Any) -> T:
    """``obj`` as the wire struct ``kind``: attributes by name, ``fields`` given instead.

    Nested values (addresses, emails, phone numbers...) convert by attribute too.
    """
    if fields:
        obj = {**msgspec.structs.asdict(obj), **fields}
    return msgspec.convert(obj, kind, from_attributes=True)


def many(objs: Iterable[Any], kind: type[T]) -> list[T]:
    """Every one of ``objs`` as ``kind`` (see :func:`out`)."""
    return [msgspec.convert(o, kind, from_attributes=True) for o in objs]


# --- custom field values --------------------------------------------------------------


def custom_field_out(
    definition: cf.CustomFieldDefinition, stored: Any, computed: bool
) -> CustomFieldValueOut:
    """One definition's entry for a stored value (``None``: the record has none)."""
    value = CustomFieldValueOut(definition.id, cf.render_value(definition, stored))
    if computed:
        value.computed_value = cf.computed_value(definition, stored)
    return value


def custom_fields_out(
    values: Mapping[int, Any],
    definitions: Iterable[cf.CustomFieldDefinition],
    computed: bool,
) -> list[CustomFieldValueOut]:
    """``custom_fields`` of any record: one entry per definition, in the order given."""
    return [custom_field_out(d, values.get(d.id), computed) for d in definitions]


# --- leads ----------------------------------------------------------------------------


def lead_out(shown: Shown, computed: bool = False) -> LeadOut:
    """A lead in Copper's shape; ``computed`` is ``?custom_field_computed_values=true``."""
    lead = shown.lead
    fields = msgspec.structs.asdict(lead)
    fields["status"] = shown.status
    fields["custom_fields"] = custom_fields_out(lead.custom_fields, shown.definitions, computed)
    if lead.converted_at is None:
        # the converted_* keys are absent on a lead that was not converted
        for key in CONVERTED_KEYS:
            del fields[key]
    return msgspec.convert(fields, LeadOut, from_attributes=True)


def bulk_out(result: Shown | ItemFailure, computed: bool = False) -> LeadOut | BulkFailureOut:
    if isinstance(result, Shown):
        return lead_out(result, computed)
    message = {f: [{"error": code} for code in codes] for f, codes in result.errors.items()}
    return BulkFailureOut(False, message, result.lead_id)


# --- the account ----------------------------------------------------------------------


def user_out(u: UserRecord) -> UserOut:
    return UserOut(u.id, u.name, u.email, [])


#: verdigris stores Unix timestamps only; the account's time zone is informative
ACCOUNT_TIMEZONE = "UTC"


def account_out(a: AccountRecord) -> AccountOut:
    # no team permissions in verdigris; leads are what it serves
    return AccountOut(a.id, a.name, ACCOUNT_TIMEZONE, AccountSettingsOut(False, True))


def definition_out(d: cf.CustomFieldDefinition) -> CustomFieldDefinitionOut:
    """``options`` (by rank) only on option types, ``currency`` only on Currency."""
    fields = msgspec.structs.asdict(d)
    if d.data_type in cf.OPTION_TYPES:
        fields["options"] = sorted(d.options, key=lambda o: o.rank)
    else:
        del fields["options"]  # left out (UNSET)
    if d.data_type != "Currency":
        del fields["currency"]
    return msgspec.convert(fields, CustomFieldDefinitionOut, from_attributes=True)


# --- what a conversion creates ----------------------------------------------------------


def _custom(record: Any, shown: WithFields[Any], computed: bool) -> list[CustomFieldValueOut]:
    """``custom_fields`` of a person, company or opportunity, rendered as on leads."""
    definitions = (shown.definitions[i] for i in shown.custom_field_ids)
    return custom_fields_out(record.custom_fields, definitions, computed)


def person_out(shown: WithFields[Any], computed: bool = False) -> PersonOut:
    p = shown.record
    return out(p, PersonOut, custom_fields=_custom(p, shown, computed))


def company_out(shown: WithFields[Any], computed: bool = False) -> CompanyOut:
    c = shown.record
    return out(c, CompanyOut, custom_fields=_custom(c, shown, computed))


def opportunity_out(shown: WithFields[Any], computed: bool = False) -> OpportunityOut:
    o = shown.record
    return out(o, OpportunityOut, custom_fields=_custom(o, shown, computed))


def convert_out(result: Conversion, computed: bool = False) -> ConvertOut:
    """``computed``: ``?custom_field_computed_values=true`` (Copper lists Convert)."""
    return ConvertOut(
        person=person_out(result.person, computed),
        company=company_out(result.company, computed) if result.company else None,
        opportunity=(opportunity_out(result.opportunity, computed) if result.opportunity else None),
    )


def activity_out(a: Activity) -> ActivityOut:
    return out(
        a,
        ActivityOut,
        parent=ParentOut(a.parent_id, a.parent_type),
        type=ActivityTypeOut(a.type_id, a.type_category),
    )
