"""Custom field definitions and the coercion of values to their data types."""

from __future__ import annotations

import math
from typing import Any

import msgspec

DATA_TYPES = (
    "String",
    "Text",
    "Dropdown",
    "MultiSelect",
    "Date",
    "Checkbox",
    "Float",
    "URL",
    "Percentage",
    "Currency",
    "Connect",
)
AVAILABLE_ON = ("lead", "person", "company", "opportunity", "project", "task")
STRING_MAX = 255


class Option(msgspec.Struct, frozen=True):
    id: int
    name: str
    rank: int


class CustomFieldDefinition(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    account_id: int
    name: str
    data_type: str
    available_on: tuple[str, ...] = ()
    is_filterable: bool = False
    options: tuple[Option, ...] = ()
    currency: str | None = None

    @property
    def canonical_name(self) -> str:
        return self.name.strip().lower().replace(" ", "_")

    def option_ids(self) -> frozenset[int]:
        return frozenset(o.id for o in self.options)


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() else value
    return int(value)


def _option_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def coerce_value(definition: CustomFieldDefinition, value: Any) -> tuple[bool, Any]:
    """Check ``value`` against the definition's type: ``(ok, stored value)``.

    ``None`` is always valid (it clears the value).
    """
    if value is None:
        return True, None
    kind = definition.data_type
    if kind in ("String", "URL"):
        ok = isinstance(value, str) and len(value) <= STRING_MAX
        return ok, value if ok else None
    if kind == "Text":
        return isinstance(value, str), value
    if kind == "Checkbox":
        return isinstance(value, bool), value
    if kind in ("Float", "Percentage", "Currency"):
        number = _number(value)
        return number is not None, number
    if kind == "Date":
        number = _number(value)
        ok = isinstance(number, int)
        return ok, number if ok else None
    if kind == "Dropdown":
        option = _option_id(value)
        ok = option is not None and option in definition.option_ids()
        return ok, option
    if kind == "MultiSelect":
        if not isinstance(value, list):
            return False, None
        ids = [_option_id(v) for v in value]
        allowed = definition.option_ids()
        ok = all(i is not None and i in allowed for i in ids)
        return ok, sorted({i for i in ids if i is not None}) if ok else None
    if kind == "Connect":
        ids = value if isinstance(value, list) else [value]
        parsed = [_option_id(v) for v in ids]
        ok = all(p is not None for p in parsed)
        return ok, parsed if ok else None
    return False, None
