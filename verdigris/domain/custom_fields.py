"""Custom field definitions and the values leads hold for them.

A value goes through three forms: what a client sends (``coerce_value`` checks it
against the definition's type and returns the stored form), what is stored (one
canonical Python value per type, ``None`` when unset) and what Copper renders
(``render_value``: unset MultiSelect is ``[]`` and unset Checkbox ``false``, as in
Copper's own responses). ``index_entries`` turns a stored value into the rows of the
per-account value index behind custom-field upsert matches and search filters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from verdigris.domain.values import (
    INT_EXACT,
    canonical_number,
    is_finite,
    parse_date,
    parse_int,
    parse_number,
)

if TYPE_CHECKING:
    from verdigris.domain.errors import FieldErrors

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
#: types a search filters on by range (``minimum_value``/``maximum_value``/``value``)
RANGE_TYPES = ("Date", *NUMBER_TYPES)
#: types a search can filter on (Copper: "Text fields are not searchable at this point")
SEARCHABLE_TYPES = ("Dropdown", "MultiSelect", "Checkbox", *RANGE_TYPES)
AVAILABLE_ON = ("lead", "person", "company", "opportunity", "project", "task")
STRING_MAX = 255
#: index keys longer than this are stored as a digest (see :func:`value_key`)
KEY_MAX = 255
_DIGEST_MARK = "\x1f"


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


# --- the one check of a definition a lead value, match or filter names ------------------------

#: what a client uses a custom field for: a lead's value, an upsert's match key, a search filter
Use = Literal["value", "match", "filter"]


def definition_problem(
    definition: CustomFieldDefinition | None, definition_id: int, use: Use
) -> tuple[str, str] | None:
    """Why the definition a client names cannot serve ``use``: ``(code, note)``, or
    ``None`` when it can. Every use needs a definition of the account available on
    leads; a match or a filter also needs a type it works on and a filterable field."""
    if definition is None:
        return (
            "not_found",
            f"custom field definition {definition_id} does not exist in this account",
        )
    label = definition.label
    kind = definition.data_type
    if not definition.on_leads:
        return "not_available", f"custom field {label} is not available on leads"
    if use == "match" and kind not in MATCHABLE_TYPES:
        return (
            "not_matchable",
            f"custom field {label}: a {kind} custom field cannot be a match key "
            f"(use one of {', '.join(MATCHABLE_TYPES)})",
        )
    if use == "filter" and kind not in SEARCHABLE_TYPES:
        return (
            "unsupported",
            f"custom field {label} is a {kind}: text and connect fields are not "
            f"searchable (searchable types: {', '.join(SEARCHABLE_TYPES)})",
        )
    if use != "value" and not definition.is_filterable:
        return "not_filterable", f"custom field {label} is not filterable (is_filterable is false)"
    return None


# --- coercion of what clients send --------------------------------------------------------


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
        number = canonical_number(parse_number(value))
        return number is not None, number
    if kind == "Date":
        date = parse_date(value)
        return date is not None, date
    if kind == "Dropdown":
        option = parse_int(value)
        return option is not None and option in definition.option_ids(), option
    if kind == "MultiSelect":
        if not isinstance(value, list):
            return False, None
        ids = [parse_int(v) for v in value]
        allowed = definition.option_ids()
        if not all(i is not None and i in allowed for i in ids):
            return False, None
        return True, sorted({i for i in ids if i is not None}) or None
    if kind == "Connect":
        items = value if isinstance(value, list) else [value]
        parsed = [parse_int(v) for v in items]
        if not all(p is not None for p in parsed):
            return False, None
        return True, parsed or None
    return False, None


def number_text(value: int | float) -> str:
    """A JSON number sent for a text field, as its decimal string: ``42`` -> ``"42"``,
    ``4.5`` -> ``"4.5"``; a float with no fraction reads as the integer it is
    (``42.0`` -> ``"42"``, which is how JavaScript clients print it)."""
    number = canonical_number(value)
    return repr(number) if isinstance(number, float) else str(number)


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


def shown(value: Any) -> str:
    """A short rendering of a rejected value for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_values(
    errors: FieldErrors,
    raw: Any,
    lookup: Callable[[int], CustomFieldDefinition | None],
    *,
    entity: str,
    unavailable: tuple[str, str],
    show_value: bool,
    bad_item: tuple[str, str | None] = ("invalid_type", None),
) -> dict[int, Any] | None:
    """``custom_fields: [{custom_field_definition_id, value}]`` of a record: the values by
    definition id, each definition found by ``lookup`` and available on ``entity`` (its
    ``available_on``); ``None`` when ``raw`` is null or not a list. Each kind of record
    words its errors its own way: ``unavailable`` is the code and the place (``"custom
    field X is not available on <place>"``) of a definition not on ``entity``,
    ``show_value`` adds the rejected value to a bad value's message, and ``bad_item`` is
    the code and note of an item that is not an object."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        errors.add("custom_fields", "invalid_type", "custom_fields must be a list")
        return None
    values: dict[int, Any] = {}
    for item in raw:
        if not isinstance(item, Mapping):
            errors.add("custom_fields", *bad_item)
            continue
        def_id = parse_int(item.get("custom_field_definition_id"))
        if def_id is None:
            errors.add("custom_fields", "invalid", "custom_field_definition_id must be an id")
            continue
        definition = lookup(def_id)
        if definition is None:
            errors.add(
                "custom_fields",
                "not_found",
                f"custom field definition {def_id} does not exist in this account",
            )
            continue
        if entity not in definition.available_on:
            code, place = unavailable
            errors.add(
                "custom_fields",
                code,
                f"custom field {definition.label} is not available on {place}",
            )
            continue
        ok, value = coerce_value(definition, item.get("value"))
        if not ok:
            rejected = f", not {shown(item.get('value'))}" if show_value else ""
            errors.add(
                "custom_fields",
                "invalid",
                f"custom field {definition.label} is a {definition.data_type}: "
                f"its value must be {expected(definition)}{rejected}",
            )
            continue
        values[def_id] = value
    return values


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
        return float(stored) if abs(stored) < INT_EXACT else stored
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
    if isinstance(value, int | float):
        return number_text(value)
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
    """The index key an upsert looks up for ``raw`` (a definition
    :func:`definition_problem` passed for a match); ``ValueError`` says why it can't."""
    ok, stored = coerce_value(definition, raw)
    if not ok or stored is None:
        raise ValueError(f"the match value must be {expected(definition)}")
    return value_key(stored)
