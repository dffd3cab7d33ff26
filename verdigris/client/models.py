"""What the SDK sends and returns.

Leads, statuses, sources, users and the account decode straight into the server's own
wire structs (:mod:`verdigris.wire`), so the SDK's lead model is the one the server
renders and can never drift from it. Defined here: the values that are the SDK's own
(:class:`BulkItemFailure`, :class:`Match`) and a custom field definition that tolerates
missing keys (every key but ``id``, ``name`` and ``data_type`` has a default, ``options``
is always a list), where :class:`verdigris.wire.CustomFieldDefinitionOut` states exactly
what verdigris sends (and ``/openapi.json`` requires it) and leaves ``options`` out on
types without options.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from verdigris.client.errors import CopperError
from verdigris.wire import (
    AccountOut,
    AddressOut,
    CustomFieldValueOut,
    DeletedOut,
    EmailOut,
    LeadOut,
    LinkOut,
    OpportunityOut,
    PhoneOut,
    RelatedOut,
    RelationOut,
    RemovedRelationOut,
    SourceOut,
    StatusOut,
    TagOut,
    TaskOut,
    UserOut,
)

__all__ = [
    "AccountOut",
    "AddressOut",
    "BulkItemFailure",
    "BulkResult",
    "CustomFieldDefinitionOut",
    "CustomFieldValueOut",
    "DeletedOut",
    "EmailOut",
    "LeadOut",
    "LinkOut",
    "Match",
    "OpportunityPage",
    "OptionOut",
    "PhoneOut",
    "RelatedOut",
    "RelationOut",
    "RemovedRelationOut",
    "SearchPage",
    "SourceOut",
    "StatusOut",
    "TagOut",
    "TaskOut",
    "TaskPage",
    "UserOut",
]


class OptionOut(msgspec.Struct):
    id: int
    name: str
    rank: int | None = None


class CustomFieldDefinitionOut(msgspec.Struct):
    """A custom field definition as Copper returns it (GET /custom_field_definitions)."""

    id: int
    name: str
    data_type: str
    canonical_name: str | None = None
    available_on: list[str] = msgspec.field(default_factory=list)
    is_filterable: bool = False
    options: list[OptionOut] = msgspec.field(default_factory=list)
    currency: str | None = None


@dataclass(frozen=True)
class BulkItemFailure:
    """One item of a bulk call that was not applied.

    ``index`` is the item's position in the caller's input; ``id`` the lead id when known
    (bulk_update). ``errors`` are the server's field errors (``{field: [code]}``). When the
    whole request carrying the item failed (rate limit exhausted, 5xx, a broken
    connection), ``error`` is that exception and ``errors`` is empty.
    """

    index: int
    id: int | None
    message: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    error: CopperError | None = None

    @property
    def success(self) -> Literal[False]:
        return False


BulkResult = LeadOut | BulkItemFailure


@dataclass(frozen=True)
class SearchPage:
    """One page of ``POST /leads/search``. ``total`` is the server's ``X-PW-TOTAL`` (Copper
    calls it an upper bound of the matches), None when absent."""

    leads: list[LeadOut]
    total: int | None


@dataclass
class TaskPage:
    """One page of ``POST /tasks/search``; ``total`` is the server's ``X-PW-TOTAL``."""

    tasks: list[TaskOut]
    total: int | None


@dataclass(frozen=True)
class Match:
    """An upsert's match criteria: ``Match.email(...)``, ``Match.name(...)`` or
    ``Match.custom(definition_id, value)``."""

    field_name: Literal["email", "name", "custom"]
    field_value: Any

    @classmethod
    def email(cls, address: str) -> Match:
        return cls("email", address)

    @classmethod
    def name(cls, name: str) -> Match:
        return cls("name", name)

    @classmethod
    def custom(cls, definition_id: int, value: Any) -> Match:
        return cls("custom", {"custom_field_definition_id": int(definition_id), "value": value})

    def wire(self) -> Mapping[str, Any]:
        return {"field_name": self.field_name, "field_value": self.field_value}


@dataclass(frozen=True)
class OpportunityPage:
    """One page of ``POST /opportunities/search`` (issue 21), with ``X-PW-TOTAL`` (None
    when absent)."""

    opportunities: list[OpportunityOut]
    total: int | None
