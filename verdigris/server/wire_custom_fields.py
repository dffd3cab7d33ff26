"""Custom field definitions on the wire, in the shape and key order Copper documents.

``options`` appears only on Dropdown and MultiSelect definitions and ``currency`` only
on Currency ones, as in Copper's examples.
"""

from __future__ import annotations

import msgspec

from verdigris.domain.custom_fields import OPTION_TYPES, CustomFieldDefinition


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


def definition_out(d: CustomFieldDefinition) -> CustomFieldDefinitionOut:
    out = CustomFieldDefinitionOut(
        id=d.id,
        name=d.name,
        canonical_name=d.canonical_name,
        data_type=d.data_type,
        available_on=list(d.available_on),
        is_filterable=d.is_filterable,
    )
    if d.data_type in OPTION_TYPES:
        ranked = sorted(d.options, key=lambda o: o.rank)
        out.options = [OptionOut(o.id, o.name, o.rank) for o in ranked]
    if d.data_type == "Currency":
        out.currency = d.currency
    return out
