"""The small structs every resource shares: contact entries, addresses, custom field
values, and the bodies of deletes, bulk item failures and errors."""

from __future__ import annotations

from typing import Any

import msgspec


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


class DeletedOut(msgspec.Struct):
    id: int
    is_deleted: bool


class BulkFailureOut(msgspec.Struct):
    success: bool
    message: dict[str, list[dict[str, str]]]
    id: int | None


class ErrorOut(msgspec.Struct):
    success: bool
    status: int
    message: str
