"""Request bodies of the people and companies endpoints (issue 21), for ``/openapi.json``.

Responses are :class:`~verdigris.wire.crm.PersonOut` and
:class:`~verdigris.wire.crm.CompanyOut`, the shapes lead conversion already answers with
(Copper's "Create a New Person", "Fetch a Person by Email", "Create a New Company" and
search examples). As for leads, the domain validates the plain JSON by hand.
"""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from verdigris.wire.requests import (
    AddressIn,
    CustomFieldValueIn,
    EmailIn,
    LinkIn,
    PhoneIn,
    TagFilterIn,
    _In,
    _NamedIn,
    _SearchIn,
)


class PersonIn(_NamedIn):
    """``POST /people`` (``name`` required) and ``PUT /people/{id}`` (partial)."""

    address: AddressIn | UnsetType | None = UNSET
    assignee_id: int | UnsetType | None = UNSET
    company_id: int | UnsetType | None = UNSET
    contact_type_id: int | UnsetType | None = UNSET
    details: str | UnsetType | None = UNSET
    emails: list[EmailIn] | UnsetType | None = UNSET
    phone_numbers: list[PhoneIn] | UnsetType | None = UNSET
    socials: list[LinkIn] | UnsetType | None = UNSET
    tags: list[str] | UnsetType | None = UNSET
    title: str | UnsetType | None = UNSET
    websites: list[LinkIn] | UnsetType | None = UNSET
    custom_fields: list[CustomFieldValueIn] | UnsetType | None = UNSET


class CompanyIn(_In):
    """``POST /companies`` (``name`` required) and ``PUT /companies/{id}`` (partial)."""

    name: str | UnsetType | None = UNSET
    address: AddressIn | UnsetType | None = UNSET
    assignee_id: int | UnsetType | None = UNSET
    contact_type_id: int | UnsetType | None = UNSET
    details: str | UnsetType | None = UNSET
    email_domain: str | UnsetType | None = UNSET
    phone_numbers: list[PhoneIn] | UnsetType | None = UNSET
    socials: list[LinkIn] | UnsetType | None = UNSET
    tags: list[str] | UnsetType | None = UNSET
    websites: list[LinkIn] | UnsetType | None = UNSET
    custom_fields: list[CustomFieldValueIn] | UnsetType | None = UNSET


class FetchByEmailIn(_In):
    """``POST /people/fetch_by_email``."""

    email: str


class _RecordSearchIn(_SearchIn):
    contact_type_ids: list[int] | UnsetType = UNSET
    assignee_ids: list[int] | UnsetType = UNSET
    city: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    postal_code: str | UnsetType = UNSET
    country: str | UnsetType = UNSET
    tags: list[str] | TagFilterIn | UnsetType = UNSET
    followed: int | UnsetType = UNSET
    age: int | UnsetType = UNSET
    minimum_interaction_count: int | UnsetType = UNSET
    maximum_interaction_count: int | UnsetType = UNSET
    minimum_interaction_date: int | UnsetType = UNSET
    maximum_interaction_date: int | UnsetType = UNSET
    minimum_created_date: int | UnsetType = UNSET
    maximum_created_date: int | UnsetType = UNSET


class PeopleSearchIn(_RecordSearchIn):
    """``POST /people/search``; the same keys also work in the query string."""

    emails: list[str] | str | UnsetType = UNSET
    company_ids: list[int] | UnsetType = UNSET
    opportunity_ids: list[int] | UnsetType = UNSET


class CompanySearchIn(_RecordSearchIn):
    """``POST /companies/search``; the same keys also work in the query string."""

    email_domains: list[str] | str | UnsetType = UNSET
