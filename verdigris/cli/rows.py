"""Spreadsheet rows and Copper leads: columns named after Copper's fields, both ways.

A row's columns (after ``--map`` renames) are Copper field names: ``name``, ``prefix``,
``first_name``, ``middle_name``, ``last_name``, ``suffix``, ``title``, ``company_name``,
``details``, ``email`` (+ ``email_category``), ``phone_numbers`` (alias ``phone``),
``websites``, ``socials``, ``street``, ``city``, ``state``, ``postal_code``, ``country``,
``tags``, ``status``, ``status_id``, ``assignee_id``, ``customer_source_id``,
``monetary_value``, ``monetary_unit`` and ``custom:<definition id>``; also names the
server looks up: ``status``, ``source`` (a customer source) and ``owner`` (a user, by email
or name); and a list field with its items' category (``phone_numbers:mobile``). Other
headers are mapped by :func:`resolve_column` (a custom field definition's name, the other
CRM's headers in :mod:`verdigris.cli.presets`). List cells hold items separated by ``;``
(tags: the preset's separator), each optionally prefixed by its category
(``mobile:555-0100``). Empty cells are not sent (an update leaves that field as it is).
Read-only columns of an export (``id``, ``date_created`` ...) and columns starting with
``_`` are ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from verdigris.cli.presets import PLAIN, Preset, alias_target, header_key
from verdigris.client import CustomFieldDefinitionOut, LeadOut, Match
from verdigris.domain.values import parse_int

if TYPE_CHECKING:
    from verdigris.cli.lookups import Lookups

TEXT = (
    "name", "prefix", "first_name", "middle_name", "last_name", "suffix", "title",
    "company_name", "details", "monetary_unit", "status",
)  # fmt: skip
INTS = ("status_id", "assignee_id", "customer_source_id")
ADDRESS = ("street", "city", "state", "postal_code", "country")
#: list fields: (default category, categories Copper knows)
LISTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "phone_numbers": ("work", ("mobile", "work", "home", "other")),
    "websites": ("work", ("work", "personal", "other")),
    "socials": ("other", ("linkedin", "twitter", "googleplus", "facebook", "youtube", "quora",
                          "foursquare", "klout", "gravatar", "other")),
}  # fmt: skip
ALIASES = {"phone": "phone_numbers", "phone_number": "phone_numbers", "zip": "postal_code"}
READ_ONLY = (
    "id", "interaction_count", "date_created", "date_modified", "date_last_contacted",
    "converted_unit", "converted_value", "converted_opportunity_id",
)  # fmt: skip
KNOWN = {
    *TEXT, *INTS, *ADDRESS, *LISTS, "email", "email_category", "tags", "monetary_value",
    "address", "custom_fields",  # in Copper's JSON shape (JSONL rows)
}  # fmt: skip
#: names looked up on the server: a lead status, a customer source, a user (by email or name)
LOOKED_UP = ("status", "source", "owner")
EMAIL_CATEGORIES = ("work", "personal", "other")
SEPARATOR = ";"
TRUE = ("true", "yes", "y", "1", "x", "on")
FALSE = ("false", "no", "n", "0", "off")


class RowError(ValueError):
    """A row that cannot become a lead; the message says why."""


def parse_map(specs: Sequence[str]) -> dict[str, str]:
    """``--map COLUMN=FIELD`` flags as ``{column: field}``; an empty FIELD ignores it."""
    renames = {}
    for spec in specs:
        column, sep, target = spec.partition("=")
        if not sep or not column:
            raise ValueError(f"--map wants COLUMN=FIELD, got {spec!r}")
        renames[column] = target.strip()
    return renames


def custom_id(field: str) -> int | None:
    """The definition id of a ``custom:<id>`` field name."""
    prefix, sep, rest = field.partition(":")
    if sep and prefix == "custom" and rest.strip().isdigit():
        return int(rest)
    return None


def valid_target(target: str) -> str | None:
    """``target`` in its canonical spelling when the importer can write it, else None."""
    target = ALIASES.get(target, target)
    if custom_id(target) is not None:
        return target
    base, sep, category = target.partition(":")
    if not sep:
        return target if target in KNOWN or target in LOOKED_UP else None
    if base in LISTS and category in LISTS[base][1]:
        return target
    if base == "email" and category in EMAIL_CATEGORIES:
        return target
    return None


@dataclass(frozen=True)
class Column:
    """Where a column goes: ``target`` is a field (``""``: ignored, ``"?"``: unknown) and
    ``how`` says why (shown by the mapping)."""

    target: str
    how: str


def resolve_column(
    column: str,
    renames: Mapping[str, str],
    preset: Preset | None = None,
    definitions: Mapping[int, CustomFieldDefinitionOut] | None = None,
) -> Column:
    """A column's field: ``--map`` first, then Copper's own field names, a custom field
    definition of that name, the preset's headers and the shared aliases."""
    if column in renames:
        wanted = renames[column]
        if not wanted:
            return Column("", "ignored (--map)")
        target = valid_target(wanted)
        return Column(target, "--map") if target else Column("?", f"--map to unknown {wanted!r}")
    name = column.strip()
    if not name or name.startswith("_"):
        return Column("", "ignored (_ column)")
    if name in READ_ONLY:
        return Column("", "read-only: ignored")
    if (target := valid_target(name)) is not None:
        return Column(target, "Copper field")
    key = header_key(name)
    for def_id, definition in (definitions or {}).items():
        if key and header_key(definition.name) == key:
            return Column(f"custom:{def_id}", f"custom field {definition.name!r}")
    found = alias_target(name, preset)
    if found is not None:
        return Column(*found)
    return Column("?", "unmapped")


class RowReader:
    """Turns rows (CSV strings or JSON values) into upsert properties.

    Columns are resolved by :func:`resolve_column`. With ``lookups`` (the account's
    statuses, customer sources and users) names in ``status``, ``source`` and ``owner``
    columns become ids, and a name the account does not have is a :class:`RowError`.
    """

    def __init__(
        self,
        columns: Iterable[str],
        renames: Mapping[str, str] | None = None,
        definitions: Mapping[int, CustomFieldDefinitionOut] | None = None,
        *,
        preset: Preset | None = None,
        lookups: Lookups | None = None,
        ignore_unmapped: bool = False,
    ) -> None:
        self.renames = dict(renames or {})
        self.definitions = definitions
        self.preset = preset or PLAIN
        self.lookups = lookups
        self.ignore_unmapped = ignore_unmapped
        self._columns: dict[str, Column] = {}
        self.check(columns)

    def column(self, name: str) -> Column:
        found = self._columns.get(name)
        if found is None:
            found = resolve_column(name, self.renames, self.preset, self.definitions)
            self._columns[name] = found
        return found

    def unmapped(self, columns: Iterable[str]) -> list[str]:
        return [c for c in columns if self.column(c).target == "?"]

    def check(self, columns: Iterable[str]) -> None:
        """Refuse columns that are neither Copper fields, nor mapped, nor ignored."""
        columns = list(columns)
        unknown = self.unmapped(columns)
        if unknown and not self.ignore_unmapped:
            raise ValueError(
                f"unknown column(s): {', '.join(unknown)}; name them after Copper's fields, "
                "map them with --map COLUMN=FIELD, ignore them with --map COLUMN= "
                "or --ignore-unmapped"
            )
        if self.definitions is not None:
            defined = self.definitions
            missing = sorted(
                {i for c in columns if (i := custom_id(self.column(c).target)) and i not in defined}
            )
            if missing:
                raise ValueError(f"no custom field definition on leads with id {missing}")

    def _target(self, column: str) -> str:
        """The Copper field of a column; ``""`` ignores it, ``"?"`` is unknown."""
        return self.column(column).target

    def properties(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The upsert properties of a row. When several columns go to one field, list
        fields (phones, websites, socials, tags) take the items of all of them and other
        fields the first non-empty cell."""
        props: dict[str, Any] = {}
        address: dict[str, Any] = {}
        custom: list[dict[str, Any]] = []
        lists: dict[str, list[Any]] = {}
        email_category = None
        for column, value in row.items():
            field = self._target(column)
            if field == "?":
                if self.ignore_unmapped:
                    continue
                raise RowError(f"unknown field {column!r}")
            if not field or value is None or value == "":
                continue
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            base, _, category = field.partition(":")
            if base in ADDRESS:
                address.setdefault(base, value)
            elif field == "address":
                if not isinstance(value, dict):
                    raise RowError("address must be an object in Copper's shape")
                address = {**value, **address}
            elif field == "custom_fields":
                if not isinstance(value, list):
                    raise RowError("custom_fields must be a list in Copper's shape")
                custom.extend(value)
            elif (def_id := custom_id(field)) is not None:
                if any(c.get("custom_field_definition_id") == def_id for c in custom):
                    continue
                custom.append(
                    {"custom_field_definition_id": def_id, "value": self._custom(def_id, value)}
                )
            elif field == "email_category":
                email_category = value
            elif base in LOOKED_UP:
                key, ident = self._look_up(base, str(value))
                props.setdefault(key, ident)  # an id column (status_id ...) wins
            elif isinstance(value, str) and (base in LISTS or base == "tags"):
                lists.setdefault(base, []).extend(self._items(base, category, value))
            elif base == "email" and isinstance(value, str):
                props.setdefault("email", {"email": value, "category": category or "work"})
            elif base in INTS:
                props[base] = _value(base, value)
            else:
                props.setdefault(base, _value(base, value))
        for base, items in lists.items():
            if base in props and isinstance(props[base], list):
                props[base] = [*props[base], *items]
            else:
                props[base] = items
        if address:
            props["address"] = address
        if custom:
            props["custom_fields"] = custom
        if email_category and isinstance(props.get("email"), dict):
            props["email"]["category"] = email_category
        return props

    def _items(self, base: str, category: str, value: str) -> list[Any]:
        if base == "tags":
            return [t for t in _split(value, self.preset.separators) if t]
        default, categories = LISTS[base]
        key = "number" if base == "phone_numbers" else "url"
        items = []
        for item in (i.strip() for i in value.split(SEPARATOR)):
            named, sep, rest = item.partition(":")
            if sep and named.strip().lower() in categories and rest.strip():
                items.append({key: rest.strip(), "category": named.strip().lower()})
            elif item:
                items.append({key: item, "category": category or default})
        return items

    def _look_up(self, base: str, text: str) -> tuple[str, Any]:
        """``(property, value)`` for a status, source or owner named in a cell."""
        if self.lookups is None:
            if base == "status":
                return "status", text  # by name: the server resolves it
            raise RowError(f"{base} {text!r}: the server's lookups were not loaded")
        if base == "status":
            return "status_id", self.lookups.status_id(text, self.preset)
        if base == "source":
            return "customer_source_id", self.lookups.source_id(text, self.preset)
        return "assignee_id", self.lookups.user_id(text)

    def _custom(self, def_id: int, value: Any) -> Any:
        definition = (self.definitions or {}).get(def_id)
        if definition is None or not isinstance(value, str):
            return value  # the server checks and coerces it
        return coerce_custom(definition, value, self.preset)


def _split(text: str, separators: str) -> list[str]:
    parts = [text]
    for sep in separators:
        parts = [piece for part in parts for piece in part.split(sep)]
    return [p.strip() for p in parts]


def parse_amount(text: str) -> float | int | None:
    """A money cell as exports write it: ``2500``, ``$1,200,000.00``, ``USD 5000``."""
    cleaned = _CURRENCY.sub("", text.strip()).replace(",", "").replace(" ", "")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


_CURRENCY = re.compile(r"^[A-Za-z]{3}\s*|[$€£¥]")


def _value(field: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value  # already JSON (a JSONL row in Copper's own shape)
    if field == "email":
        return {"email": value, "category": "work"}
    if field in INTS:
        ident = parse_int(value)
        if ident is None:
            raise RowError(f"{field} must be a whole number, got {value!r}")
        return ident
    if field == "monetary_value":
        number = parse_amount(value)
        if number is None:
            raise RowError(f"monetary_value must be a number, got {value!r}")
        return number
    return value


def parse_date(text: str, formats: Sequence[str] = ()) -> int | None:
    """A date cell as Unix seconds (UTC): the preset's formats, ISO 8601, or seconds."""
    seconds = parse_int(text)
    if seconds is not None:
        return seconds
    for fmt in formats:
        try:
            when = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return int(when.replace(tzinfo=dt.UTC).timestamp())
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return int(when.replace(tzinfo=when.tzinfo or dt.UTC).timestamp())


def coerce_custom(
    definition: CustomFieldDefinitionOut, text: str, preset: Preset | None = None
) -> Any:
    """A cell's text as the value a custom field of this type takes."""
    preset = preset or PLAIN
    kind = definition.data_type
    if kind in ("Float", "Percentage", "Currency"):
        number = parse_amount(text.rstrip("%") if kind == "Percentage" else text)
        if number is None:
            raise RowError(f"{definition.name} must be a number, got {text!r}")
        return number
    if kind == "Checkbox":
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise RowError(f"{definition.name} must be true or false, got {text!r}")
    if kind == "Date":
        when = parse_date(text, preset.date_formats)
        if when is None:
            shown = " or ".join(f for f in (*preset.date_formats, "%Y-%m-%d"))
            raise RowError(f"{definition.name} must be a date ({shown}), got {text!r}")
        return when
    if kind in ("Dropdown", "MultiSelect"):
        parts = _split(text, preset.separators) if kind == "MultiSelect" else [text]
        ids = [_option(definition, part) for part in parts if part]
        return ids if kind == "MultiSelect" else ids[0]
    if kind == "Connect":
        return [int(p) for p in text.split(SEPARATOR) if p.strip().isdigit()]
    return text


def _option(definition: CustomFieldDefinitionOut, text: str) -> int:
    for option in definition.options:
        if text == str(option.id) or text.lower() == option.name.lower():
            return option.id
    names = ", ".join(o.name for o in definition.options)
    raise RowError(f"{definition.name} has no option {text!r} (options: {names})")


def row_upsert(
    reader: RowReader, key: str, row: Mapping[str, Any] | None, problem: str | None
) -> tuple[dict[str, Any], Match]:
    """A file row's upsert properties and match (``--match KEY``), as the import and its
    preview read them; :class:`RowError` (the source's ``problem``, an empty row, or what
    the row lacks) when it has none."""
    if problem or row is None:
        raise RowError(problem or "empty row")
    properties = reader.properties(row)
    return properties, match_for(key, properties)


def match_for(key: str, props: Mapping[str, Any]) -> Match:
    """The upsert match of ``--match KEY`` for a row's properties."""
    if key == "email":
        email = props.get("email")
        address = email.get("email") if isinstance(email, Mapping) else None
        if not address:
            raise RowError("no email to match on")
        return Match.email(str(address))
    if key == "name":
        name = props.get("name") or " ".join(
            str(props[p]) for p in ("first_name", "last_name") if props.get(p)
        )
        if not name:
            raise RowError("no name to match on")
        return Match.name(str(name))
    def_id = custom_id(key)
    if def_id is None:
        raise ValueError(f"--match must be email, name or custom:<definition id>, got {key!r}")
    for item in props.get("custom_fields") or []:
        if isinstance(item, Mapping) and str(item.get("custom_field_definition_id")) == str(def_id):
            if item.get("value") in (None, "", []):
                break
            return Match.custom(def_id, item["value"])
    raise RowError(f"no value of custom:{def_id} to match on")


# export -----------------------------------------------------------------------------------
BASE_COLUMNS = (
    "id", "name", "prefix", "first_name", "middle_name", "last_name", "suffix", "title",
    "company_name", "email", "email_category", "phone_numbers", "websites", "socials",
    "street", "city", "state", "postal_code", "country", "tags", "status", "status_id",
    "assignee_id", "customer_source_id", "monetary_value", "monetary_unit", "details",
    "interaction_count", "date_created", "date_modified", "date_last_contacted",
)  # fmt: skip


def export_columns(lead: LeadOut) -> list[str]:
    return [*BASE_COLUMNS, *(f"custom:{c.custom_field_definition_id}" for c in lead.custom_fields)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return SEPARATOR.join(_cell(v) for v in value)
    return str(value)


def export_row(lead: LeadOut) -> dict[str, str]:
    """A lead as a row that ``leads import`` reads back into the same lead."""
    row = {c: _cell(getattr(lead, c, None)) for c in BASE_COLUMNS}
    row["email"] = lead.email.email if lead.email else ""
    row["email_category"] = lead.email.category if lead.email else ""
    row["phone_numbers"] = SEPARATOR.join(f"{p.category}:{p.number}" for p in lead.phone_numbers)
    for field in ("websites", "socials"):
        links = getattr(lead, field)
        row[field] = SEPARATOR.join(f"{link.category}:{link.url}" for link in links)
    for part in ADDRESS:
        row[part] = _cell(getattr(lead.address, part)) if lead.address else ""
    for value in lead.custom_fields:
        row[f"custom:{value.custom_field_definition_id}"] = _cell(value.value)
    return row
