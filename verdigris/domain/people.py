"""People and companies written by clients (issue 21): validation, merge, search keys.

``POST /people``, ``PUT /people/{id}``, ``POST /companies`` and ``PUT /companies/{id}``
take Copper's record shapes (developer.copper.com, "Create a New Person", "Update a
Person", "Create a New Company", "Update a Company"). Everything here is pure: the
account's users, contact types, companies and custom field definitions come in through
:class:`RecordContext`. The records themselves are :class:`~verdigris.domain.crm.Person`
and :class:`~verdigris.domain.crm.Company`, the ones lead conversion creates.

Updates are partial (only keys sent change; ``null`` clears), as for leads; an update
that changes nothing returns the record itself (no write, ``date_modified`` kept).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import msgspec

from verdigris.domain.crm import Company, Person
from verdigris.domain.custom_fields import CustomFieldDefinition, parse_values
from verdigris.domain.errors import FieldErrors, ValidationFailed
from verdigris.domain.leads import (
    EMAIL_CATEGORIES,
    NAME_PART_KEYS,
    SHORT_TEXT_MAX,
    Email,
    _categorized,
    _parse_address,
    _parse_contact_lists,
    _same,
    normalize_email,
    normalize_name,
)
from verdigris.domain.names import NameParts, compose_name, split_name
from verdigris.domain.search_keys import phone_keys, tag_keys, text_key
from verdigris.domain.values import check_text, parse_int, parse_tags, text_ok

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
_DOMAIN_RE = re.compile(r"^[^@\s/]+\.[^@\s/]+$")


class RecordContext(Protocol):
    """What validating a person or a company needs to know about the caller's account."""

    def has_user(self, user_id: int) -> bool: ...
    def has_contact_type(self, contact_type_id: int) -> bool: ...
    def company(self, company_id: int) -> Company | None: ...
    def custom_field(self, definition_id: int) -> CustomFieldDefinition | None: ...


# --- reading what a client sent ----------------------------------------------------------


def _emails(errors: FieldErrors, raw: Any) -> list[Email]:
    found = _categorized(errors, "emails", raw, "email", EMAIL_CATEGORIES, Email)
    out: list[Email] = []
    for item in found:
        if not _EMAIL_RE.match(item.email):
            errors.add("emails", "invalid", f"{item.email!r} is not an email address")
        elif text_ok(errors, "emails", item.email, SHORT_TEXT_MAX, label="emails.email"):
            out.append(item)
    return out


def _reference(
    errors: FieldErrors,
    data: Mapping[str, Any],
    key: str,
    exists: Callable[[int], bool],
    changes: dict[str, Any],
) -> None:
    if key not in data:
        return
    raw = data[key]
    if raw is None:
        changes[key] = None
        return
    ident = parse_int(raw)
    if ident is None:
        errors.add(key, "invalid_type")
    elif not exists(ident):
        errors.add(key, "not_found", f"{key} {ident} does not exist in this account")
    else:
        changes[key] = ident


def custom_values(errors: FieldErrors, raw: Any, ctx: RecordContext, entity: str) -> dict[int, Any]:
    """``custom_fields: [{custom_field_definition_id, value}]`` of a person or a company:
    each definition must exist and be available on ``entity`` (its ``available_on``)."""
    values = parse_values(
        errors,
        raw,
        ctx.custom_field,
        entity=entity,
        unavailable=("not_available_here", f"{entity} records"),
        show_value=True,
    )
    return values or {}


def _common(
    errors: FieldErrors, data: Mapping[str, Any], ctx: RecordContext, entity: str
) -> dict[str, Any]:
    """The keys people and companies share."""
    changes: dict[str, Any] = {}
    if "details" in data:
        changes["details"] = check_text(errors, "details", data["details"], None)
    _parse_contact_lists(errors, data, changes)
    if "address" in data:
        changes["address"] = _parse_address(errors, data["address"])
    if "tags" in data:
        changes["tags"] = parse_tags(errors, data["tags"])
    _reference(errors, data, "assignee_id", ctx.has_user, changes)
    _reference(errors, data, "contact_type_id", ctx.has_contact_type, changes)
    if "custom_fields" in data:
        changes["custom_fields"] = custom_values(errors, data["custom_fields"], ctx, entity)
    return changes


def parse_person(data: Mapping[str, Any], ctx: RecordContext) -> dict[str, Any]:
    """Validate the writable keys of a person body into changes (read-only and unknown
    keys are ignored, as Copper does); :class:`ValidationFailed` names every bad field."""
    errors = FieldErrors()
    changes = _common(errors, data, ctx, "person")
    if "name" in data:
        name = check_text(errors, "name", data["name"], SHORT_TEXT_MAX)
        changes["name"] = normalize_name(name) if name is not None else None
    for key in (*NAME_PART_KEYS, "title"):
        if key in data:
            changes[key] = check_text(errors, key, data[key], SHORT_TEXT_MAX)
    if "emails" in data:
        changes["emails"] = _emails(errors, data["emails"])
    if "company_id" in data:
        raw = data["company_id"]
        if raw is None:
            changes["company"] = None
        else:
            ident = parse_int(raw)
            company = ctx.company(ident) if ident is not None else None
            if ident is None:
                errors.add("company_id", "invalid_type")
            elif company is None:
                errors.add("company_id", "not_found", f"company {ident} does not exist")
            else:
                changes["company"] = company
    errors.raise_if_any()
    return changes


def parse_company(data: Mapping[str, Any], ctx: RecordContext) -> dict[str, Any]:
    """:func:`parse_person` for a company body."""
    errors = FieldErrors()
    changes = _common(errors, data, ctx, "company")
    if "name" in data:
        name = check_text(errors, "name", data["name"], SHORT_TEXT_MAX)
        changes["name"] = normalize_name(name) if name is not None else None
    if "email_domain" in data:
        domain = check_text(errors, "email_domain", data["email_domain"], SHORT_TEXT_MAX)
        domain = (domain or "").strip().lower() or None
        if domain is not None and not _DOMAIN_RE.match(domain):
            errors.add("email_domain", "invalid", "email_domain must be a domain (example.com)")
        changes["email_domain"] = domain
    errors.raise_if_any()
    return changes


# --- building and merging ------------------------------------------------------------------

_PERSON_KEYS = (
    "title",
    "details",
    "emails",
    "phone_numbers",
    "socials",
    "websites",
    "address",
    "assignee_id",
    "contact_type_id",
    "tags",
)
_COMPANY_KEYS = (
    "name",
    "details",
    "email_domain",
    "phone_numbers",
    "socials",
    "websites",
    "address",
    "assignee_id",
    "contact_type_id",
    "tags",
)


def _merged_custom(current: Mapping[int, Any], sent: Mapping[int, Any]) -> dict[int, Any]:
    merged = dict(current)
    for def_id, value in sent.items():
        if value is None:
            merged.pop(def_id, None)
        else:
            merged[def_id] = value
    return merged


def _person_names(person: Person, changes: Mapping[str, Any]) -> dict[str, Any]:
    stored = NameParts(
        person.prefix, person.first_name, person.middle_name, person.last_name, person.suffix
    )
    name_changed = "name" in changes and changes["name"] != person.name
    parts_sent = [k for k in NAME_PART_KEYS if k in changes]
    if name_changed and changes["name"]:
        return {"name": changes["name"], **split_name(changes["name"])._asdict()}
    if name_changed and not any(changes.get(k) for k in ("first_name", "last_name")):
        return {"name": None, **dict.fromkeys(NAME_PART_KEYS)}
    if parts_sent:
        merged = stored._replace(**{k: changes[k] for k in parts_sent})
        if merged == stored and not name_changed:
            return {}
        return {"name": compose_name(merged), **merged._asdict()}
    return {}


def apply_person(person: Person, changes: Mapping[str, Any], now: int) -> Person:
    """``person`` with ``changes`` applied; ``person`` itself when nothing differs.

    A person always keeps a name: clearing it without a first or last name to rebuild
    it is ``name: blank``."""
    updates: dict[str, Any] = {k: changes[k] for k in _PERSON_KEYS if k in changes}
    updates.update(_person_names(person, changes))
    if "company" in changes:
        company: Company | None = changes["company"]
        updates["company_id"] = company.id if company else None
        updates["company_name"] = company.name if company else None
    if "custom_fields" in changes:
        updates["custom_fields"] = _merged_custom(person.custom_fields, changes["custom_fields"])
    updates = {k: v for k, v in updates.items() if not _same(getattr(person, k), v)}
    if not updates:
        return person
    if "name" in updates and not updates["name"]:
        raise ValidationFailed({"name": ["blank"]})
    updates["date_modified"] = now
    return msgspec.structs.replace(person, **updates)


def new_person(changes: Mapping[str, Any], *, account_id: int, now: int) -> Person:
    """A person from validated ``changes``; Copper requires a name."""
    blank = Person(account_id=account_id)
    person = apply_person(blank, changes, now)
    if not person.name:
        raise ValidationFailed({"name": ["blank"]})
    return msgspec.structs.replace(person, date_created=now, date_modified=now)


def apply_company(
    company: Company, changes: Mapping[str, Any], now: int, key: Callable[[str], str]
) -> Company:
    """``company`` with ``changes`` applied; ``company`` itself when nothing differs.
    ``key`` is the fuzzy name key conversion matches companies by
    (:func:`verdigris.domain.crm.company_key`)."""
    updates: dict[str, Any] = {k: changes[k] for k in _COMPANY_KEYS if k in changes}
    if "custom_fields" in changes:
        updates["custom_fields"] = _merged_custom(company.custom_fields, changes["custom_fields"])
    updates = {k: v for k, v in updates.items() if not _same(getattr(company, k), v)}
    if not updates:
        return company
    if "name" in updates:
        if not updates["name"]:
            raise ValidationFailed({"name": ["blank"]})
        updates["name_key"] = key(updates["name"])
    updates["date_modified"] = now
    return msgspec.structs.replace(company, **updates)


def new_company(
    changes: Mapping[str, Any], *, account_id: int, now: int, key: Callable[[str], str]
) -> Company:
    """A company from validated ``changes``; Copper requires a name."""
    if not changes.get("name"):
        raise ValidationFailed({"name": ["blank"]})
    blank = Company(account_id=account_id, name="")
    company = apply_company(blank, changes, now, key)
    return msgspec.structs.replace(company, date_created=now, date_modified=now)


def fetch_email(data: Any) -> str:
    """The key of ``POST /people/fetch_by_email``'s ``{"email": ...}``."""
    errors = FieldErrors()
    raw = data.get("email") if isinstance(data, Mapping) else None
    if raw is None:
        errors.add("email", "blank")
    elif not isinstance(raw, str):
        errors.add("email", "invalid_type", "email must be a string")
    elif not raw.strip():
        errors.add("email", "blank")
    else:
        text_ok(errors, "email", raw, SHORT_TEXT_MAX, label="email")
    errors.raise_if_any()
    return normalize_email(str(raw))


# --- search keys ---------------------------------------------------------------------------


def email_keys(person: Person) -> list[str]:
    """The distinct, normalized addresses of a person (``person_emails`` rows)."""
    return list(dict.fromkeys(k for k in (normalize_email(e.email) for e in person.emails) if k))


def person_keys(person: Person) -> dict[str, Any]:
    """The sort and filter keys stored with a person (never null: both engines sort alike)."""
    address = person.address
    phones = phone_keys(p.number for p in person.phone_numbers)
    emails = email_keys(person)
    return {
        "name_key": text_key(person.name),
        "first_name_key": text_key(person.first_name),
        "last_name_key": text_key(person.last_name),
        "title_key": text_key(person.title),
        "email_key": emails[0][:255] if emails else "",
        "phone_key": phones[0] if phones else "",
        "city_key": text_key(address.city if address else None),
        "state_key": text_key(address.state if address else None),
        "postal_key": text_key(address.postal_code if address else None),
        "country_key": text_key(address.country if address else None),
    }


def company_keys(company: Company) -> dict[str, Any]:
    """:func:`person_keys` for a company (``sort_name_key``: its ``name_key`` is the
    fuzzy key conversion matches by)."""
    address = company.address
    phones = phone_keys(p.number for p in company.phone_numbers)
    return {
        "sort_name_key": text_key(company.name),
        "email_domain_key": text_key(company.email_domain),
        "phone_key": phones[0] if phones else "",
        "city_key": text_key(address.city if address else None),
        "state_key": text_key(address.state if address else None),
        "postal_key": text_key(address.postal_code if address else None),
        "country_key": text_key(address.country if address else None),
    }


__all__ = [
    "RecordContext",
    "apply_company",
    "apply_person",
    "company_keys",
    "custom_values",
    "email_keys",
    "fetch_email",
    "new_company",
    "new_person",
    "parse_company",
    "parse_person",
    "person_keys",
    "phone_keys",
    "tag_keys",
]
