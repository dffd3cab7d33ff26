"""Request bodies as ``/openapi.json`` describes them.

verdigris does not decode requests into these structs: the domain validates the plain
JSON by hand (Copper's field errors, ids as strings, unknown keys ignored; see
docs/architecture.md). They document the keys each endpoint reads and their types,
so that clients, and schema-driven fuzzers, send what reaches the validators.
Every key is optional unless Copper requires it.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType


class _In(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base: keyword-only, unset keys left out."""


class EmailIn(_In):
    email: str
    category: str | UnsetType = UNSET


class PhoneIn(_In):
    number: str
    category: str | UnsetType = UNSET


class LinkIn(_In):
    url: str
    category: str | UnsetType = UNSET


class AddressIn(_In):
    street: str | UnsetType | None = UNSET
    city: str | UnsetType | None = UNSET
    state: str | UnsetType | None = UNSET
    postal_code: str | UnsetType | None = UNSET
    country: str | UnsetType | None = UNSET


class CustomFieldValueIn(_In):
    custom_field_definition_id: int
    value: Any = None


class _NamedIn(_In):
    """Base: a lead's or a person's name and its parts, their first keys."""

    name: str | UnsetType | None = UNSET
    prefix: str | UnsetType | None = UNSET
    first_name: str | UnsetType | None = UNSET
    middle_name: str | UnsetType | None = UNSET
    last_name: str | UnsetType | None = UNSET
    suffix: str | UnsetType | None = UNSET


class LeadIn(_NamedIn):
    """The writable keys of a lead (create, update, upsert ``properties``)."""

    title: str | UnsetType | None = UNSET
    company_name: str | UnsetType | None = UNSET
    details: str | UnsetType | None = UNSET
    email: EmailIn | UnsetType | None = UNSET
    phone_numbers: list[PhoneIn] | UnsetType | None = UNSET
    socials: list[LinkIn] | UnsetType | None = UNSET
    websites: list[LinkIn] | UnsetType | None = UNSET
    address: AddressIn | UnsetType | None = UNSET
    assignee_id: int | UnsetType | None = UNSET
    customer_source_id: int | UnsetType | None = UNSET
    status_id: int | UnsetType | None = UNSET
    status: str | UnsetType | None = UNSET
    monetary_value: int | float | str | UnsetType | None = UNSET
    monetary_unit: str | UnsetType | None = UNSET
    tags: list[str] | UnsetType | None = UNSET
    custom_fields: list[CustomFieldValueIn] | UnsetType | None = UNSET


class LeadUpdateIn(LeadIn):
    """A ``bulk_update`` item: the lead's id (required) and the keys that change."""

    id: int | str | UnsetType = UNSET


class BulkCreateIn(_In):
    leads: list[LeadIn]


class BulkUpdateIn(_In):
    leads: list[LeadUpdateIn]


class MatchIn(_In):
    """``name`` or ``email`` match a string; ``custom`` a ``{custom_field_definition_id,
    value}`` object."""

    field_name: str
    field_value: Any


class UpsertIn(_In):
    properties: LeadIn
    match: MatchIn


class TagFilterIn(_In):
    value: list[str] | UnsetType = UNSET
    option: str | UnsetType = UNSET
    allow_empty: bool | UnsetType = UNSET


class CustomFieldFilterIn(_In):
    custom_field_definition_id: int
    value: Any = None
    option: str | UnsetType = UNSET
    allow_empty: bool | UnsetType = UNSET
    minimum_value: int | float | UnsetType = UNSET
    maximum_value: int | float | UnsetType = UNSET


class PagingIn(_In):
    page_number: int | UnsetType = UNSET
    page_size: int | UnsetType = UNSET


class _SearchIn(PagingIn):
    """Base: the first keys of the lead, people and company searches."""

    sort_by: str | UnsetType = UNSET
    sort_direction: str | UnsetType = UNSET
    ids: list[int] | UnsetType = UNSET
    name: str | UnsetType = UNSET
    phone_number: str | UnsetType = UNSET


class LeadSearchIn(_SearchIn):
    """``POST /leads/search``; the same keys also work in the query string.

    List filters take at most 1,000 values each (docs/errors.md)."""

    emails: str | list[str] | UnsetType = UNSET
    assignee_ids: list[int] | UnsetType = UNSET
    status_ids: list[int] | UnsetType = UNSET
    customer_source_ids: list[int] | UnsetType = UNSET
    city: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    postal_code: str | UnsetType = UNSET
    country: str | UnsetType = UNSET
    tags: list[str] | TagFilterIn | UnsetType = UNSET
    socials: list[str] | UnsetType = UNSET
    followed: int | UnsetType = UNSET
    age: int | UnsetType = UNSET
    minimum_monetary_value: int | float | UnsetType = UNSET
    maximum_monetary_value: int | float | UnsetType = UNSET
    minimum_interaction_count: int | UnsetType = UNSET
    maximum_interaction_count: int | UnsetType = UNSET
    minimum_interaction_date: int | UnsetType = UNSET
    maximum_interaction_date: int | UnsetType = UNSET
    minimum_created_date: int | UnsetType = UNSET
    maximum_created_date: int | UnsetType = UNSET
    minimum_modified_date: int | UnsetType = UNSET
    maximum_modified_date: int | UnsetType = UNSET
    include_converted_leads: bool | UnsetType = UNSET
    custom_fields: list[CustomFieldFilterIn] | UnsetType = UNSET


class ActivityTypeIn(_In):
    id: int
    category: str


class ActivitySearchIn(PagingIn):
    activity_types: list[ActivityTypeIn] | UnsetType = UNSET


class ConvertPersonIn(_In):
    name: str | UnsetType | None = UNSET
    contact_type_id: int | UnsetType | None = UNSET
    assignee_id: int | UnsetType | None = UNSET


class ConvertCompanyIn(_In):
    id: int | UnsetType | None = UNSET
    name: str | UnsetType | None = UNSET
    exact_match: bool | UnsetType = UNSET


class ConvertOpportunityIn(_In):
    name: str | UnsetType | None = UNSET
    pipeline_id: int | UnsetType | None = UNSET
    pipeline_stage_id: int | UnsetType | None = UNSET
    monetary_value: int | float | UnsetType | None = UNSET
    assignee_id: int | UnsetType | None = UNSET


class ConvertDetailsIn(_In):
    person: ConvertPersonIn | UnsetType = UNSET
    company: ConvertCompanyIn | UnsetType = UNSET
    opportunity: ConvertOpportunityIn | UnsetType | None = UNSET


class ConvertIn(_In):
    details: ConvertDetailsIn


class CustomFieldOptionIn(_In):
    name: str
    id: int | UnsetType = UNSET
    rank: int | UnsetType = UNSET


class CustomFieldDefinitionIn(_In):
    name: str | UnsetType = UNSET
    data_type: str | UnsetType = UNSET
    canonical_name: str | UnsetType | None = UNSET
    available_on: list[str] | UnsetType = UNSET
    is_filterable: bool | UnsetType = UNSET
    options: list[CustomFieldOptionIn] | UnsetType = UNSET
    currency: str | UnsetType | None = UNSET
