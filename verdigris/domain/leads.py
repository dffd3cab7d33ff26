"""The lead: its record, the validation of what clients send, and the merge rules.

Everything here is pure. Lookups that need the account's data (statuses, sources,
users, custom field definitions) come in through the :class:`AccountContext`
protocol, which the service layer backs with the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import msgspec

from verdigris.domain.custom_fields import CustomFieldDefinition, parse_values
from verdigris.domain.errors import FieldErrors, ValidationFailed
from verdigris.domain.names import NameParts, compose_name, split_name
from verdigris.domain.values import (
    check_text,
    number_problem,
    parse_amount,
    parse_int,
    parse_tags,
    text_ok,
)

EMAIL_CATEGORIES = ("work", "personal", "other")
PHONE_CATEGORIES = ("mobile", "work", "home", "other")
SOCIAL_CATEGORIES = (
    "linkedin",
    "twitter",
    "googleplus",
    "facebook",
    "youtube",
    "quora",
    "foursquare",
    "klout",
    "gravatar",
    "other",
)
WEBSITE_CATEGORIES = ("work", "personal", "other")
DEFAULT_STATUSES = ("New", "Unqualified", "Contacted", "Qualified")
DEFAULT_SOURCES = ("Email", "Cold Call", "Advertising", "Web Form")
SHORT_TEXT_MAX = 255
#: the postal code column's length (store/schema.py); other address parts: SHORT_TEXT_MAX
POSTAL_CODE_MAX = 64
ADDRESS_KEYS = ("street", "city", "state", "postal_code", "country")
NAME_PART_KEYS = ("prefix", "first_name", "middle_name", "last_name", "suffix")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


class Email(msgspec.Struct, frozen=True):
    email: str
    category: str


class Phone(msgspec.Struct, frozen=True):
    number: str
    category: str


class Link(msgspec.Struct, frozen=True):
    """A social profile or a website: ``{url, category}``."""

    url: str
    category: str


class Address(msgspec.Struct, frozen=True):
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Lead(msgspec.Struct, kw_only=True):
    """A lead as verdigris stores it (Pythonic names, account-scoped)."""

    id: int = 0
    account_id: int
    name: str | None = None
    prefix: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    suffix: str | None = None
    title: str | None = None
    company_name: str | None = None
    details: str | None = None
    email: Email | None = None
    phone_numbers: list[Phone] = msgspec.field(default_factory=list)
    socials: list[Link] = msgspec.field(default_factory=list)
    websites: list[Link] = msgspec.field(default_factory=list)
    address: Address | None = None
    assignee_id: int | None = None
    customer_source_id: int | None = None
    status_id: int | None = None
    monetary_value: float | int | None = None
    monetary_unit: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    interaction_count: int = 0
    custom_fields: dict[int, Any] = msgspec.field(default_factory=dict)
    date_created: int = 0
    date_modified: int = 0
    date_last_contacted: int | None = None
    converted_at: int | None = None
    converted_opportunity_id: int | None = None
    converted_value: float | int | None = None
    converted_unit: str | None = None

    @property
    def email_key(self) -> str | None:
        return normalize_email(self.email.email) if self.email else None

    def name_parts(self) -> NameParts:
        return NameParts(
            self.prefix, self.first_name, self.middle_name, self.last_name, self.suffix
        )


def normalize_email(value: str) -> str:
    """The form emails are matched in: trimmed and lower-cased."""
    return value.strip().lower()


def normalize_name(value: str) -> str:
    """The form names are stored and matched in: trimmed."""
    return value.strip()


class AccountContext(Protocol):
    """What validation needs to know about the caller's account."""

    def status_id_for_name(self, name: str) -> int | None: ...
    def has_status(self, status_id: int) -> bool: ...
    def has_source(self, source_id: int) -> bool: ...
    def has_user(self, user_id: int) -> bool: ...
    def custom_field(self, definition_id: int) -> CustomFieldDefinition | None: ...
    def lead_custom_field(self, definition_id: int) -> CustomFieldDefinition | None: ...


# --- parsing and validating what a client sent -----------------------------------------


def _categorized(
    errors: FieldErrors,
    field: str,
    value: Any,
    key: str,
    categories: tuple[str, ...],
    make: Callable[[str, str], Any],
) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add(field, "invalid_type")
        return []
    out = []
    for item in value:
        if not isinstance(item, Mapping):
            errors.add(field, "invalid_type")
            continue
        raw = item.get(key)
        if not isinstance(raw, str) or not raw.strip():
            errors.add(field, "invalid", f"{field} needs a non-empty '{key}'")
            continue
        category = item.get("category") or "other"
        if category not in categories:
            errors.add(
                field,
                "invalid_category",
                f"{field} category must be one of {', '.join(categories)}",
            )
            continue
        out.append(make(raw.strip(), category))
    return out


#: the categorized lists of a lead, person or company: key, value key, categories, type
_CONTACT_LISTS: tuple[tuple[str, str, tuple[str, ...], Callable[[str, str], Any]], ...] = (
    ("phone_numbers", "number", PHONE_CATEGORIES, Phone),
    ("socials", "url", SOCIAL_CATEGORIES, Link),
    ("websites", "url", WEBSITE_CATEGORIES, Link),
)


def _parse_contact_lists(
    errors: FieldErrors, data: Mapping[str, Any], changes: dict[str, Any]
) -> None:
    """``phone_numbers``, ``socials`` and ``websites``, those sent, into ``changes``."""
    for field, key, categories, make in _CONTACT_LISTS:
        if field in data:
            changes[field] = _categorized(errors, field, data[field], key, categories, make)


def parse_changes(data: Mapping[str, Any], ctx: AccountContext) -> dict[str, Any]:
    """Validate the writable keys of ``data`` into a dict of changes.

    Read-only and unknown keys are ignored. Raises :class:`ValidationFailed` naming
    every invalid field at once.
    """
    errors = FieldErrors()
    changes: dict[str, Any] = {}

    if "name" in data:
        name = check_text(errors, "name", data["name"], SHORT_TEXT_MAX)
        changes["name"] = normalize_name(name) if name is not None else None
    for key in (*NAME_PART_KEYS, "title", "company_name"):
        if key in data:
            changes[key] = check_text(errors, key, data[key], SHORT_TEXT_MAX)
    if "details" in data:
        changes["details"] = check_text(errors, "details", data["details"], None)

    if "email" in data:
        changes["email"] = _parse_email(errors, data["email"])
    _parse_contact_lists(errors, data, changes)
    if "address" in data:
        changes["address"] = _parse_address(errors, data["address"])

    _parse_references(errors, data, ctx, changes)

    if "monetary_value" in data:
        raw = data["monetary_value"]
        number = parse_amount(raw)
        if raw is not None and number is None:
            if number_problem(raw) == "invalid":
                errors.add("monetary_value", "invalid", "monetary_value must be a finite number")
            else:
                errors.add("monetary_value", "invalid_type")
        changes["monetary_value"] = number
    if "monetary_unit" in data:
        unit = data["monetary_unit"]
        if unit is None:
            changes["monetary_unit"] = None
        elif isinstance(unit, str) and len(unit.strip()) == 3 and unit.strip().isalpha():
            changes["monetary_unit"] = unit.strip().upper()
        else:
            errors.add("monetary_unit", "invalid", "monetary_unit must be a 3-letter code")
    if "tags" in data:
        changes["tags"] = parse_tags(errors, data["tags"])
    if "custom_fields" in data:
        changes["custom_fields"] = _parse_custom_fields(errors, data["custom_fields"], ctx)

    errors.raise_if_any()
    return changes


def _parse_email(errors: FieldErrors, raw: Any) -> Email | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        errors.add("email", "invalid_type", "email must be an object {email, category}")
        return None
    address = raw.get("email")
    if not isinstance(address, str) or not _EMAIL_RE.match(address.strip()):
        errors.add("email", "invalid", "email.email must be an email address")
        return None
    if not text_ok(errors, "email", address.strip(), SHORT_TEXT_MAX, label="email.email"):
        return None
    category = raw.get("category") or "work"
    if category not in EMAIL_CATEGORIES:
        errors.add(
            "email",
            "invalid_category",
            f"email category must be one of {', '.join(EMAIL_CATEGORIES)}",
        )
        return None
    return Email(address.strip(), category)


def _parse_address(errors: FieldErrors, raw: Any) -> Address | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        errors.add("address", "invalid_type")
        return None
    values: dict[str, str | None] = {}
    for key in ADDRESS_KEYS:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            errors.add("address", "invalid_type", f"address.{key} must be a string")
            return None
        limit = POSTAL_CODE_MAX if key == "postal_code" else SHORT_TEXT_MAX
        if value is not None and not text_ok(
            errors, "address", value, limit, label=f"address.{key}"
        ):
            return None
        values[key] = value
    if not any(values.values()):
        return None
    return Address(**values)


def _parse_references(
    errors: FieldErrors, data: Mapping[str, Any], ctx: AccountContext, changes: dict[str, Any]
) -> None:
    checks: tuple[tuple[str, Callable[[int], bool]], ...] = (
        ("assignee_id", ctx.has_user),
        ("customer_source_id", ctx.has_source),
        ("status_id", ctx.has_status),
    )
    for key, exists in checks:
        if key not in data:
            continue
        raw = data[key]
        if raw is None:
            if key == "status_id":
                continue  # a lead always has a status; a null echo changes nothing
            changes[key] = None
            continue
        ident = parse_int(raw)
        if ident is None:
            errors.add(key, "invalid_type")
        elif not exists(ident):
            errors.add(key, "not_found", f"{key} {ident} does not exist in this account")
        else:
            changes[key] = ident
    if "status" in data and data["status"] is not None:
        raw = data["status"]
        status_id = ctx.status_id_for_name(raw) if isinstance(raw, str) else None
        if status_id is None:
            errors.add("status", "invalid", f"status {raw!r} is not a lead status")
        else:
            changes["status_by_name"] = status_id


def _parse_custom_fields(errors: FieldErrors, raw: Any, ctx: AccountContext) -> dict[int, Any]:
    values = parse_values(
        errors,
        raw,
        ctx.custom_field,
        entity="lead",
        unavailable=("not_available", "leads"),
        show_value=True,
    )
    return values or {}


# --- building and merging ----------------------------------------------------------------


def _resolve_status(changes: Mapping[str, Any], current: int | None) -> int | None:
    by_id = changes.get("status_id")
    by_name = changes.get("status_by_name")
    if by_id is not None and by_name is not None and by_id != by_name:
        # A full-object echo carries both: the one the client changed wins.
        return int(by_name if by_id == current else by_id)
    if by_id is not None:
        return int(by_id)
    if by_name is not None:
        return int(by_name)
    return current


def _merge_names(lead: Lead, changes: Mapping[str, Any]) -> dict[str, Any]:
    name_changed = "name" in changes and changes["name"] != lead.name
    parts_sent = [k for k in NAME_PART_KEYS if k in changes]
    if name_changed and changes["name"]:
        parts = split_name(changes["name"])
        return {"name": changes["name"], **parts._asdict()}
    if name_changed and not any(changes.get(k) for k in ("first_name", "last_name")):
        # cleared, and no first or last name sent to rebuild it
        return {"name": None, **dict.fromkeys(NAME_PART_KEYS)}
    if parts_sent:
        merged = lead.name_parts()._replace(**{k: changes[k] for k in parts_sent})
        if merged == lead.name_parts() and not name_changed:
            return {}
        return {"name": compose_name(merged), **merged._asdict()}
    return {}


_PLAIN_KEYS = (
    "title",
    "company_name",
    "details",
    "email",
    "phone_numbers",
    "socials",
    "websites",
    "address",
    "assignee_id",
    "customer_source_id",
    "monetary_value",
    "monetary_unit",
    "tags",
)


def apply_changes(lead: Lead, changes: Mapping[str, Any], now: int) -> Lead:
    """Return ``lead`` with ``changes`` applied (partial update semantics).

    Only keys present change; list fields replace; custom fields merge by
    definition id and a ``None`` value clears one. When no value differs from the
    stored lead, ``lead`` itself comes back, ``date_modified`` untouched (Copper:
    "no updates will be made"). A lead that has a name cannot lose it: a ``name``
    cleared without a first or last name to rebuild it is ``name: invalid``.
    """
    updates: dict[str, Any] = {k: changes[k] for k in _PLAIN_KEYS if k in changes}
    updates.update(_merge_names(lead, changes))
    status_id = _resolve_status(changes, lead.status_id)
    if status_id != lead.status_id:
        updates["status_id"] = status_id
    if "custom_fields" in changes:
        merged = dict(lead.custom_fields)
        for def_id, value in changes["custom_fields"].items():
            if value is None:
                merged.pop(def_id, None)
            else:
                merged[def_id] = value
        updates["custom_fields"] = merged
    updates = {k: v for k, v in updates.items() if not _same(getattr(lead, k), v)}
    if not updates:
        return lead
    if lead.name and "name" in updates and not updates["name"]:
        errors = FieldErrors()
        errors.add("name", "invalid", "a lead's name cannot be removed")
        errors.raise_if_any()
    updates["date_modified"] = now
    return msgspec.structs.replace(lead, **updates)


#: types whose values are equal exactly when ``==`` says so (no bool/int mix inside)
_PLAIN_TYPES = frozenset({str, int, float, type(None)})


def _same(stored: Any, sent: Any) -> bool:
    """Equal values of one field (``1 == 1.0``, but ``True`` is not ``1``)."""
    kind = type(stored)
    if kind is type(sent) and kind in _PLAIN_TYPES:
        return bool(stored == sent)  # the common case, without the checks below
    if isinstance(stored, bool) != isinstance(sent, bool):
        return False
    if isinstance(stored, dict) and isinstance(sent, dict):
        return stored.keys() == sent.keys() and all(_same(stored[k], sent[k]) for k in stored)
    if isinstance(stored, list) and isinstance(sent, list):
        return len(stored) == len(sent) and all(map(_same, stored, sent))
    return bool(stored == sent)


def new_lead(
    changes: Mapping[str, Any], *, account_id: int, now: int, default_status_id: int | None
) -> Lead:
    """Build a lead from validated ``changes``; a name (or its parts) is required."""
    blank = Lead(account_id=account_id, status_id=default_status_id)
    lead = apply_changes(blank, changes, now)
    if not lead.name:
        raise ValidationFailed({"name": ["blank"]})
    return msgspec.structs.replace(lead, date_created=now, date_modified=now)
