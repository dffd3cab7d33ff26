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
    RANGE_TYPES,
    SEARCHABLE_TYPES,
    CustomFieldDefinition,
    definition_problem,
    value_key,
)
from verdigris.domain.errors import FieldErrors
from verdigris.domain.values import (
    MAX_CUSTOM_FILTERS,
    canonical_number,
    parse_date,
    parse_int,
    parse_number,
    too_many,
)

__all__ = [
    "OPTION_MODES",
    "RANGE_TYPES",
    "SEARCHABLE_TYPES",
    "CustomFilter",
    "parse_custom_filters",
]

OPTION_MODES = ("ANY", "ALL", "NONE")
#: every problem is reported under this one parameter
FIELD = "custom_fields"


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
    p = FieldErrors()
    if not isinstance(raw, list):
        p.add(
            FIELD,
            "invalid_type",
            "custom_fields must be a list of {custom_field_definition_id, ...}",
        )
        raw = []
    elif too_many(p, FIELD, raw, limit=MAX_CUSTOM_FILTERS, noun="filters"):
        raw = []
    filters = []
    for item in raw:
        parsed = _one(p, item, definitions)
        if parsed is not None:
            filters.append(parsed)
    p.raise_if_any()
    return tuple(filters)


def _one(
    p: FieldErrors, item: Any, definitions: Mapping[int, CustomFieldDefinition]
) -> CustomFilter | None:
    if not isinstance(item, Mapping):
        p.add(FIELD, "invalid_type", "each custom_fields filter must be an object")
        return None
    def_id = parse_int(item.get("custom_field_definition_id"))
    if def_id is None:
        p.add(FIELD, "invalid", "custom_field_definition_id must be an id")
        return None
    d = definitions.get(def_id)
    problem = definition_problem(d, def_id, "filter")
    if problem is not None:
        p.add(FIELD, *problem)
        return None
    assert d is not None  # definition_problem answers not_found otherwise
    allow_empty = item.get("allow_empty")
    if allow_empty not in (None, True, False):
        p.add(FIELD, "invalid_type", f"allow_empty of custom field {d.label} must be true or false")
        return None
    if allow_empty and d.data_type not in ("Dropdown", "MultiSelect"):
        p.add(
            FIELD,
            "unsupported",
            f"custom field {d.label}: allow_empty is only for Dropdown and MultiSelect fields",
        )
        return None
    if d.data_type in ("Dropdown", "MultiSelect"):
        return _options(p, item, d, bool(allow_empty))
    if d.data_type == "Checkbox":
        value = item.get("value")
        if not isinstance(value, bool):
            p.add(
                FIELD,
                "invalid",
                f"custom field {d.label} is a Checkbox: value must be true or false",
            )
            return None
        return CustomFilter(d.id, "checked", checked=value)
    return _range(p, item, d)


def _options(
    p: FieldErrors, item: Mapping[str, Any], d: CustomFieldDefinition, allow_empty: bool
) -> CustomFilter | None:
    raw = item.get("value")
    values = [] if raw is None else raw if isinstance(raw, list) else [raw]
    if too_many(p, FIELD, values, label=f"custom field {d.label}: value", noun="ids"):
        return None
    ids = [parse_int(v) for v in values]
    if any(i is None for i in ids):
        p.add(FIELD, "invalid", f"custom field {d.label}: value must be a list of option ids")
        return None
    mode_raw = item.get("option", "ANY")
    mode = mode_raw.strip().upper() if isinstance(mode_raw, str) else None
    allowed = OPTION_MODES if d.data_type == "MultiSelect" else ("ANY",)
    if mode is None or mode not in allowed:
        p.add(
            FIELD,
            "invalid",
            f"custom field {d.label}: option must be one of {', '.join(allowed)} "
            f"for a {d.data_type}",
        )
        return None
    keys = tuple(dict.fromkeys(value_key(i) for i in ids))
    return CustomFilter(d.id, "options", keys=keys, mode=mode, allow_empty=allow_empty)


def _range(
    p: FieldErrors, item: Mapping[str, Any], d: CustomFieldDefinition
) -> CustomFilter | None:
    bounds: dict[str, float | None] = {}
    for key in ("minimum_value", "maximum_value", "value"):
        raw = item.get(key)
        number = _bound(d, raw)
        if raw is not None and number is None:
            kind = "a date in Unix seconds" if d.data_type == "Date" else "a number"
            p.add(FIELD, "invalid", f"custom field {d.label}: {key} must be {kind}")
            return None
        bounds[key] = None if number is None else float(number)
    exact = bounds["value"]
    low = bounds["minimum_value"] if exact is None else exact
    high = bounds["maximum_value"] if exact is None else exact
    if low is None and high is None:
        p.add(
            FIELD,
            "blank",
            f"custom field {d.label}: a {d.data_type} filter needs minimum_value, "
            "maximum_value or value",
        )
        return None
    return CustomFilter(d.id, "range", low=low, high=high)


def _bound(d: CustomFieldDefinition, raw: Any) -> float | int | None:
    if raw is None:
        return None
    return parse_date(raw) if d.data_type == "Date" else canonical_number(parse_number(raw))
