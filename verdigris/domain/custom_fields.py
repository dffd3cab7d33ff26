"""Custom field definitions and the values leads hold for them.

A value goes through three forms: what a client sends (``coerce_value`` checks it
against the definition's type and returns the stored form), what is stored (one
canonical Python value per type, ``None`` when unset) and what Copper renders
(``render_value``: unset MultiSelect is ``[]`` and unset Checkbox ``false``, as in
Copper's own responses). ``index_entries`` turns a stored value into the rows of the
per-account value index behind custom-field upsert matches and search filters.
"""

from __future__ import annotations

import calendar
import datetime
import hashlib
import re
from typing import Any

import msgspec

from verdigris.domain.values import fits_int64, is_finite

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
#: Copper's create page lists every type but Connect
CREATABLE_TYPES = tuple(t for t in DATA_TYPES if t != "Connect")
OPTION_TYPES = ("Dropdown", "MultiSelect")
MIN_OPTIONS = {"Dropdown": 1, "MultiSelect": 2}
NUMBER_TYPES = ("Float", "Percentage", "Currency")
TEXT_TYPES = ("String", "Text", "URL")
#: types whose value can identify one lead in an upsert match
MATCHABLE_TYPES = ("String", "Text", "URL", "Dropdown", "Date", "Float", "Percentage", "Currency")
AVAILABLE_ON = ("lead", "person", "company", "opportunity", "project", "task")
STRING_MAX = 255
#: index keys longer than this are stored as a digest (see :func:`value_key`)
KEY_MAX = 255
_DIGEST_MARK = "\x1f"
_INT_EXACT = 2**53
_INT64 = 2**63
_US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


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
    canonical_name: str | None = None

    @property
    def on_leads(self) -> bool:
        return "lead" in self.available_on

    @property
    def label(self) -> str:
        """How messages name the definition: ``'Size' (12)``."""
        return f"{self.name!r} ({self.id})"

    def option_ids(self) -> frozenset[int]:
        return frozenset(o.id for o in self.options)

    def option_name(self, option_id: int) -> str | None:
        return next((o.name for o in self.options if o.id == option_id), None)


# --- coercion of what clients send --------------------------------------------------------


def parse_number(value: Any) -> float | int | None:
    """A finite number from a JSON number or a numeric string; integral values as int."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not is_finite(value):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < _INT_EXACT else value
    return int(value)


def parse_id(value: Any) -> int | None:
    """An id: an int, an integral float or a string of digits, within signed 64 bits."""
    ident: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        ident = value
    elif isinstance(value, float) and value.is_integer():
        ident = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        ident = int(value.strip())
    return ident if ident is not None and fits_int64(ident) else None


def parse_date(value: Any) -> int | None:
    """Unix seconds; also Copper's documented ``mm/dd/yyyy`` (midnight UTC)."""
    if isinstance(value, str) and (m := _US_DATE.match(value)):
        month, day, year = (int(g) for g in m.groups())
        try:
            return calendar.timegm(datetime.date(year, month, day).timetuple())
        except ValueError:
            return None
    number = parse_number(value)
    if isinstance(number, int) and abs(number) < _INT64:
        return number
    return None


def coerce_value(definition: CustomFieldDefinition, value: Any) -> tuple[bool, Any]:
    """Check ``value`` against the definition's type: ``(ok, stored value)``.

    A stored value of ``None`` means unset: ``None`` itself, ``""`` for the text types,
    ``false`` for a Checkbox and ``[]`` for a MultiSelect all clear the value.
    """
    if value is None:
        return True, None
    kind = definition.data_type
    if kind in TEXT_TYPES:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not is_finite(value):
                return False, None
            value = number_text(value)  # a CLI sends ``--field 1=42`` as the number 42
        if not isinstance(value, str):
            return False, None
        if kind == "String" and len(value) > STRING_MAX:
            return False, None
        return True, value or None
    if kind == "Checkbox":
        return isinstance(value, bool), True if value is True else None
    if kind in NUMBER_TYPES:
        number = parse_number(value)
        return number is not None, number
    if kind == "Date":
        date = parse_date(value)
        return date is not None, date
    if kind == "Dropdown":
        option = parse_id(value)
        return option is not None and option in definition.option_ids(), option
    if kind == "MultiSelect":
        if not isinstance(value, list):
            return False, None
        ids = [parse_id(v) for v in value]
        allowed = definition.option_ids()
        if not all(i is not None and i in allowed for i in ids):
            return False, None
        return True, sorted({i for i in ids if i is not None}) or None
    if kind == "Connect":
        items = value if isinstance(value, list) else [value]
        parsed = [parse_id(v) for v in items]
        if not all(p is not None for p in parsed):
            return False, None
        return True, parsed or None
    return False, None


def number_text(value: int | float) -> str:
    """A JSON number sent for a text field, as its decimal string: ``42`` -> ``"42"``,
    ``4.5`` -> ``"4.5"``; a float with no fraction reads as the integer it is
    (``42.0`` -> ``"42"``, which is how JavaScript clients print it)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _INT_EXACT:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def expected(definition: CustomFieldDefinition) -> str:
    """What a valid value of ``definition`` is, for error messages."""
    kind = definition.data_type
    ids = ", ".join(str(o.id) for o in definition.options) or "none"
    return {
        "String": f"a string (or a number) of at most {STRING_MAX} characters",
        "Text": "a string (or a number)",
        "URL": "a string (or a number)",
        "Checkbox": "true or false",
        "Date": "a date in Unix seconds",
        "Dropdown": f"one of its option ids ({ids})",
        "MultiSelect": f"a list of its option ids ({ids})",
        "Connect": "a list of ids",
    }.get(kind, "a number")


def migrate_value(definition: CustomFieldDefinition, value: Any) -> Any:
    """A stored value carried over to a changed definition; ``None`` drops it.

    MultiSelect values keep the options that still exist (a Dropdown value becomes a
    one-item list; a one-item MultiSelect becomes a Dropdown value); anything else that
    is not valid for the new definition (removed option, new data type) is dropped.
    """
    if value is None or not definition.on_leads:
        return None
    if definition.data_type == "MultiSelect":
        items = value if isinstance(value, list) else [value]  # from a Dropdown
        kept = [v for v in items if v in definition.option_ids()]
        return kept or None
    if definition.data_type == "Dropdown" and isinstance(value, list):
        value = value[0] if len(value) == 1 else None  # from a MultiSelect
    ok, stored = coerce_value(definition, value)
    return stored if ok else None


# --- rendering --------------------------------------------------------------------------


def render_value(definition: CustomFieldDefinition, stored: Any) -> Any:
    """The ``value`` Copper shows for a stored value (``None`` = unset)."""
    if stored is None:
        if definition.data_type == "MultiSelect":
            return []
        if definition.data_type == "Checkbox":
            return False
        return None
    if definition.data_type in ("Float", "Currency") and isinstance(stored, int):
        return float(stored) if abs(stored) < _INT_EXACT else stored
    return stored


def computed_value(definition: CustomFieldDefinition, stored: Any) -> Any:
    """Copper's ``computed_value``: option labels for Dropdown/MultiSelect, else the value."""
    rendered = render_value(definition, stored)
    if definition.data_type == "Dropdown" and rendered is not None:
        return definition.option_name(rendered)
    if definition.data_type == "MultiSelect":
        names = (definition.option_name(i) for i in rendered)
        return [n for n in names if n is not None]
    return rendered


# --- the value index ----------------------------------------------------------------------


def value_key(value: Any) -> str:
    """The index key of one scalar stored value.

    Numbers use their canonical form (``1`` and ``1.0`` are the same key); strings are
    exact. A string that does not fit the key column, or that starts with the digest
    mark, is stored as a digest, so two different strings never share a key.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _INT_EXACT:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if len(text) > KEY_MAX or text.startswith(_DIGEST_MARK):
        return _DIGEST_MARK + "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def index_entries(value: Any) -> list[tuple[str, float | None]]:
    """``(key, number)`` rows of the value index for one stored value (one per list item)."""
    items = value if isinstance(value, list) else [value]
    out: list[tuple[str, float | None]] = []
    for item in items:
        if item is None or item is False:
            continue
        number = float(item) if isinstance(item, int | float) and item is not True else None
        out.append((value_key(item), number))
    return out


def match_key(definition: CustomFieldDefinition, raw: Any) -> str:
    """The index key an upsert looks up for ``raw``; ``ValueError`` says why it can't."""
    if definition.data_type not in MATCHABLE_TYPES:
        raise ValueError(
            f"a {definition.data_type} custom field cannot be a match key "
            f"(use one of {', '.join(MATCHABLE_TYPES)})"
        )
    ok, stored = coerce_value(definition, raw)
    if not ok or stored is None:
        raise ValueError(f"the match value must be {expected(definition)}")
    return value_key(stored)
