"""Custom field definitions on the wire, in the shape and key order Copper documents.

``options`` appears only on Dropdown and MultiSelect definitions and ``currency`` only
on Currency ones, as in Copper's examples.
"""

from __future__ import annotations

import msgspec


class OptionOut(msgspec.Struct):
    id: int
    name: str
    rank: int


class CustomFieldDefinitionOut(msgspec.Struct, omit_defaults=True):
    id: int
    name: str
    canonical_name: str | None
    data_type: str
    available_on: list[str]
    is_filterable: bool
    options: list[OptionOut] | msgspec.UnsetType = msgspec.UNSET
    currency: str | msgspec.UnsetType | None = msgspec.UNSET
