"""Search filters on custom fields, as Copper's "Search Entity by Custom Field" documents.

``custom_fields: [{custom_field_definition_id, ...}]`` in a search body; the keys each
filter takes depend on the definition's type:

============ ================================================= ============ ==============
type         keys                                              allow_empty  option
============ ================================================= ============ ==============
Dropdown     ``value``: option ids                             yes          ANY only
MultiSelect  ``value``: option ids                             yes          ANY, ALL, NONE
Checkbox     ``value``: true / false                           no           no
Date, Float, ``minimum_value`` / ``maximum_value`` (inclusive), no           no
Percentage,  or ``value`` for one exact number
Currency
============ ================================================= ============ ==============

String, Text and URL fields are not searchable (Copper: "Text fields are not searchable
at this point"), nor are Connect fields. Filters combine with AND, like every other
search criterion. :func:`parse_custom_filters` checks them against the account's
definitions; the store turns a :class:`CustomFilter` into an indexed lookup on the
lead value index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from verdigris.domain.custom_fields import (
    NUMBER_TYPES,
    CustomFieldDefinition,
    parse_date,
    parse_id,
    parse_number,
    value_key,
)
from verdigris.domain.errors import ValidationFailed, describe_errors
from verdigris.domain.values import MAX_CUSTOM_FILTERS, MAX_LIST_VALUES

OPTION_MODES = ("ANY", "ALL", "NONE")
RANGE_TYPES = ("Date", *NUMBER_TYPES)
SEARCHABLE_TYPES = ("Dropdown", "MultiSelect", "Checkbox", *RANGE_TYPES)


@dataclass(frozen=True)
class CustomFilter:
    """One filter on one definition's values.

    ``kind`` is ``options`` (``keys`` are option-id keys, ``mode`` ANY/ALL/NONE, and
    ``allow_empty`` also admits leads without a value), ``checked`` (``checked`` says
    whether the box must be ticked) or ``range`` (``low``/``high``, inclusive, either
    open).
    """

    definition_id: int
    kind: Literal["options", "checked", "range"]
    keys: tuple[str, ...] = ()
    mode: str = "ANY"
    allow_empty: bool = False
    checked: bool = False
    low: float | None = None
    high: float | None = None


class _Problems:
    def __init__(self) -> None:
        self.notes: list[str] = []
        self.codes: list[str] = []

    def add(self, code: str, note: str) -> None:
        self.codes.append(code)
        self.notes.append(note)


def parse_custom_filters(
    raw: Any, definitions: Mapping[int, CustomFieldDefinition]
) -> tuple[CustomFilter, ...]:
    """Validate the ``custom_fields`` search parameter against the account's definitions.

    Every problem is reported at once under ``custom_fields``, naming the definition.
    """
    if isinstance(raw, str | bytes):
        try:
            raw = msgspec.json.decode(raw)
        except (msgspec.DecodeError, RecursionError):
            raw = "invalid"
    if raw is None or raw == []:
        return ()
    p = _Problems()
    if not isinstance(raw, list):
        p.add("invalid_type", "custom_fields must be a list of {custom_field_definition_id, ...}")
        raw = []
    elif len(raw) > MAX_CUSTOM_FILTERS:
        p.add("invalid", f"custom_fields takes at most {MAX_CUSTOM_FILTERS} filters")
        raw = []
    filters = []
    for item in raw:
        parsed = _one(p, item, definitions)
        if parsed is not None:
            filters.append(parsed)
    if p.codes:
        errors = {"custom_fields": p.codes}
        raise ValidationFailed(errors, describe_errors(errors) + " (" + "; ".join(p.notes) + ")")
    return tuple(filters)


def _one(
    p: _Problems, item: Any, definitions: Mapping[int, CustomFieldDefinition]
) -> CustomFilter | None:
    if not isinstance(item, Mapping):
        p.add("invalid_type", "each custom_fields filter must be an object")
        return None
    def_id = parse_id(item.get("custom_field_definition_id"))
    if def_id is None:
        p.add("invalid", "a custom_fields filter needs a custom_field_definition_id")
        return None
    d = definitions.get(def_id)
    if d is None:
        p.add("not_found", f"custom field definition {def_id} does not exist in this account")
        return None
    if not d.on_leads:
        p.add("not_available", f"custom field {d.label} is not available on leads")
        return None
    if d.data_type not in SEARCHABLE_TYPES:
        p.add(
            "unsupported",
            f"custom field {d.label} is a {d.data_type}: text and connect fields are not "
            f"searchable (searchable types: {', '.join(SEARCHABLE_TYPES)})",
        )
        return None
    if not d.is_filterable:
        p.add(
            "not_filterable",
            f"custom field {d.label} is not filterable (is_filterable is false)",
        )
        return None
    allow_empty = item.get("allow_empty")
    if allow_empty not in (None, True, False):
        p.add("invalid_type", f"allow_empty of custom field {d.label} must be true or false")
        return None
    if allow_empty and d.data_type not in ("Dropdown", "MultiSelect"):
        p.add(
            "unsupported",
            f"custom field {d.label}: allow_empty is only for Dropdown and MultiSelect fields",
        )
        return None
    if d.data_type in ("Dropdown", "MultiSelect"):
        return _options(p, item, d, bool(allow_empty))
    if d.data_type == "Checkbox":
        value = item.get("value")
        if not isinstance(value, bool):
            p.add("invalid", f"custom field {d.label} is a Checkbox: value must be true or false")
            return None
        return CustomFilter(d.id, "checked", checked=value)
    return _range(p, item, d)


def _options(
    p: _Problems, item: Mapping[str, Any], d: CustomFieldDefinition, allow_empty: bool
) -> CustomFilter | None:
    raw = item.get("value")
    values = [] if raw is None else raw if isinstance(raw, list) else [raw]
    if len(values) > MAX_LIST_VALUES:
        p.add("invalid", f"custom field {d.label}: value takes at most {MAX_LIST_VALUES:,} ids")
        return None
    ids = [parse_id(v) for v in values]
    if any(i is None for i in ids):
        p.add("invalid", f"custom field {d.label}: value must be a list of option ids")
        return None
    mode_raw = item.get("option", "ANY")
    mode = mode_raw.strip().upper() if isinstance(mode_raw, str) else None
    allowed = OPTION_MODES if d.data_type == "MultiSelect" else ("ANY",)
    if mode is None or mode not in allowed:
        p.add(
            "invalid",
            f"custom field {d.label}: option must be one of {', '.join(allowed)} "
            f"for a {d.data_type}",
        )
        return None
    keys = tuple(dict.fromkeys(value_key(i) for i in ids))
    return CustomFilter(d.id, "options", keys=keys, mode=mode, allow_empty=allow_empty)


def _range(p: _Problems, item: Mapping[str, Any], d: CustomFieldDefinition) -> CustomFilter | None:
    read = parse_date if d.data_type == "Date" else parse_number
    bounds: dict[str, float | None] = {}
    for key in ("minimum_value", "maximum_value", "value"):
        raw = item.get(key)
        number = None if raw is None else read(raw)
        if raw is not None and number is None:
            kind = "a date in Unix seconds" if d.data_type == "Date" else "a number"
            p.add("invalid", f"custom field {d.label}: {key} must be {kind}")
            return None
        bounds[key] = None if number is None else float(number)
    exact = bounds["value"]
    low = bounds["minimum_value"] if exact is None else exact
    high = bounds["maximum_value"] if exact is None else exact
    if low is None and high is None:
        p.add(
            "blank",
            f"custom field {d.label}: a {d.data_type} filter needs minimum_value, "
            "maximum_value or value",
        )
        return None
    return CustomFilter(d.id, "range", low=low, high=high)
