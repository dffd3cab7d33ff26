"""Spreadsheet rows and Copper leads: columns named after Copper's fields, both ways.

A row's columns (after ``--map`` renames) are Copper field names: ``name``, ``prefix``,
``first_name``, ``middle_name``, ``last_name``, ``suffix``, ``title``, ``company_name``,
``details``, ``email`` (+ ``email_category``), ``phone_numbers`` (alias ``phone``),
``websites``, ``socials``, ``street``, ``city``, ``state``, ``postal_code``, ``country``,
``tags``, ``status``, ``status_id``, ``assignee_id``, ``customer_source_id``,
``monetary_value``, ``monetary_unit`` and ``custom:<definition id>``. List cells hold
items separated by ``;``, each optionally prefixed by its category (``mobile:555-0100``).
Empty cells are not sent (an update leaves that field as it is). Read-only columns of an
export (``id``, ``date_created`` ...) and columns starting with ``_`` are ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from verdigris.client import CustomFieldDefinitionOut, LeadOut, Match

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


class RowReader:
    """Turns rows (CSV strings or JSON values) into upsert properties."""

    def __init__(
        self,
        columns: Iterable[str],
        renames: Mapping[str, str] | None = None,
        definitions: Mapping[int, CustomFieldDefinitionOut] | None = None,
    ) -> None:
        self.renames = dict(renames or {})
        self.definitions = definitions
        self.check(columns)

    def check(self, columns: Iterable[str]) -> None:
        """Refuse columns that are neither Copper fields, nor mapped, nor ignored."""
        columns = list(columns)
        unknown = [c for c in columns if self._target(c) == "?"]
        if unknown:
            raise ValueError(
                f"unknown column(s): {', '.join(unknown)}; name them after Copper's fields, "
                "map them with --map COLUMN=FIELD, or ignore them with --map COLUMN="
            )
        if self.definitions is not None:
            defined = self.definitions
            missing = sorted(
                {i for c in columns if (i := custom_id(self._target(c))) and i not in defined}
            )
            if missing:
                raise ValueError(f"no custom field definition on leads with id {missing}")

    def _target(self, column: str) -> str:
        """The Copper field of a column; ``""`` ignores it, ``"?"`` is unknown."""
        field = self.renames.get(column, column).strip()
        field = ALIASES.get(field, field)
        if not field or field.startswith("_") or field in READ_ONLY:
            return ""
        if field in KNOWN or custom_id(field) is not None:
            return field
        return "?"

    def properties(self, row: Mapping[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = {}
        address: dict[str, Any] = {}
        custom: list[dict[str, Any]] = []
        email_category = None
        for column, value in row.items():
            field = self._target(column)
            if field == "?":
                raise RowError(f"unknown field {column!r}")
            if not field or value is None or value == "":
                continue
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            if field in ADDRESS:
                address[field] = value
            elif field == "address":
                if not isinstance(value, dict):
                    raise RowError("address must be an object in Copper's shape")
                address = {**value, **address}
            elif field == "custom_fields":
                if not isinstance(value, list):
                    raise RowError("custom_fields must be a list in Copper's shape")
                custom.extend(value)
            elif (def_id := custom_id(field)) is not None:
                custom.append(
                    {"custom_field_definition_id": def_id, "value": self._custom(def_id, value)}
                )
            elif field == "email_category":
                email_category = value
            else:
                props[field] = _value(field, value)
        if address:
            props["address"] = address
        if custom:
            props["custom_fields"] = custom
        if email_category and isinstance(props.get("email"), dict):
            props["email"]["category"] = email_category
        return props

    def _custom(self, def_id: int, value: Any) -> Any:
        definition = (self.definitions or {}).get(def_id)
        if definition is None or not isinstance(value, str):
            return value  # the server checks and coerces it
        return coerce_custom(definition, value)


def _value(field: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value  # already JSON (a JSONL row in Copper's own shape)
    if field == "email":
        return {"email": value, "category": "work"}
    if field == "tags":
        return [t.strip() for t in value.split(SEPARATOR) if t.strip()]
    if field in LISTS:
        default, categories = LISTS[field]
        key = "number" if field == "phone_numbers" else "url"
        items = []
        for item in (i.strip() for i in value.split(SEPARATOR)):
            category, sep, rest = item.partition(":")
            if sep and category.strip().lower() in categories and rest.strip():
                items.append({key: rest.strip(), "category": category.strip().lower()})
            elif item:
                items.append({key: item, "category": default})
        return items
    if field in INTS:
        if not value.isdigit():
            raise RowError(f"{field} must be a whole number, got {value!r}")
        return int(value)
    if field == "monetary_value":
        try:
            number = float(value)
        except ValueError:
            raise RowError(f"monetary_value must be a number, got {value!r}") from None
        return int(number) if number.is_integer() else number
    return value


def coerce_custom(definition: CustomFieldDefinitionOut, text: str) -> Any:
    """A cell's text as the value a custom field of this type takes."""
    kind = definition.data_type
    if kind in ("Float", "Percentage", "Currency"):
        try:
            number = float(text)
        except ValueError:
            raise RowError(f"{definition.name} must be a number, got {text!r}") from None
        return int(number) if number.is_integer() else number
    if kind == "Checkbox":
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise RowError(f"{definition.name} must be true or false, got {text!r}")
    if kind == "Date":
        if text.isdigit():
            return int(text)
        try:
            when = dt.datetime.fromisoformat(text)
        except ValueError:
            raise RowError(f"{definition.name} must be a date (YYYY-MM-DD), got {text!r}") from None
        return int(when.replace(tzinfo=when.tzinfo or dt.UTC).timestamp())
    if kind in ("Dropdown", "MultiSelect"):
        ids = [_option(definition, part.strip()) for part in text.split(SEPARATOR) if part.strip()]
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
