"""Creating and changing custom field definitions: validation, option ids, merges.

Pure rules. The service hands in the current definition (on update) and a function
that allocates a new, never reused option id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from verdigris.domain.custom_fields import (
    AVAILABLE_ON,
    CREATABLE_TYPES,
    DATA_TYPES,
    MIN_OPTIONS,
    OPTION_TYPES,
    CustomFieldDefinition,
    Option,
)
from verdigris.domain.errors import FieldErrors
from verdigris.domain.values import parse_int, text_ok

NAME_MAX = 255
_TYPES_BY_LOWER = {t.lower(): t for t in DATA_TYPES}


@dataclass(frozen=True)
class OptionSpec:
    """One option as a client sent it: a name, and the id of an option it keeps."""

    id: int | None
    name: str


def _name(errors: FieldErrors, field: str, value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors.add(field, "blank", f"{field} must be a non-empty string")
        return None
    if not text_ok(errors, field, value.strip(), NAME_MAX, label=field):
        return None
    return value.strip()


def _options(errors: FieldErrors, raw: Any) -> list[OptionSpec] | None:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.add("options", "invalid_type", "options must be a list of {name}")
        return None
    ranked = all(isinstance(o, Mapping) and isinstance(o.get("rank"), int) for o in raw)
    items = sorted(raw, key=lambda o: int(o["rank"])) if ranked and raw else raw
    specs: list[OptionSpec] = []
    for item in items:
        entry = item if isinstance(item, Mapping) else {"name": item}
        name = _name(errors, "options", entry.get("name"))
        ident = entry.get("id")
        option_id = parse_int(ident) if ident is not None else None
        if ident is not None and option_id is None:
            errors.add("options", "invalid", f"option id {ident!r} is not an id")
            continue
        if name is not None:
            specs.append(OptionSpec(option_id, name))
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        errors.add("options", "invalid", "option names must be unique")
    ids = [s.id for s in specs if s.id is not None]
    if len(set(ids)) != len(ids):
        errors.add("options", "invalid", "an option id appears twice")
    return specs


def parse_definition(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The writable keys of a create or update body, validated one by one.

    Unknown and read-only keys (``id``) are ignored. On create, ``name`` and
    ``data_type`` are required.
    """
    errors = FieldErrors()
    changes: dict[str, Any] = {}
    if "name" in data or creating:
        changes["name"] = _name(errors, "name", data.get("name"))
    if "data_type" in data or creating:
        raw = data.get("data_type")
        kind = _TYPES_BY_LOWER.get(raw.strip().lower()) if isinstance(raw, str) else None
        if kind is None or kind not in CREATABLE_TYPES:
            errors.add(
                "data_type",
                "blank" if raw is None else "invalid",
                f"data_type must be one of {', '.join(CREATABLE_TYPES)}",
            )
        changes["data_type"] = kind
    if "canonical_name" in data:
        raw = data["canonical_name"]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            changes["canonical_name"] = None
        elif not isinstance(raw, str) or len(raw.strip()) > NAME_MAX:
            errors.add("canonical_name", "invalid", "canonical_name must be a short string")
        else:
            changes["canonical_name"] = raw.strip().lower()
    if "available_on" in data:
        changes["available_on"] = _available_on(errors, data["available_on"])
    if "is_filterable" in data:
        raw = data["is_filterable"]
        if raw is not None and not isinstance(raw, bool):
            errors.add("is_filterable", "invalid_type", "is_filterable must be true or false")
        changes["is_filterable"] = bool(raw)
    if "options" in data:
        changes["options"] = _options(errors, data["options"])
    if "currency" in data:
        raw = data["currency"]
        if raw is None:
            changes["currency"] = None
        elif isinstance(raw, str) and len(raw.strip()) == 3 and raw.strip().isalpha():
            changes["currency"] = raw.strip().upper()
        else:
            errors.add("currency", "invalid", "currency must be a 3-letter code such as USD")
    errors.raise_if_any()
    return changes


def _available_on(errors: FieldErrors, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        errors.add("available_on", "invalid_type", "available_on must be a list of strings")
        return ()
    out: dict[str, None] = {}
    for value in raw:
        entity = value.strip().lower()
        if entity not in AVAILABLE_ON:
            errors.add(
                "available_on", "invalid", f"available_on entries must be among {AVAILABLE_ON}"
            )
        else:
            out.setdefault(entity, None)
    return tuple(out)


def build_definition(
    current: CustomFieldDefinition | None,
    changes: Mapping[str, Any],
    *,
    account_id: int,
    allocate: Callable[[], int],
) -> CustomFieldDefinition:
    """Merge ``changes`` into ``current`` (or a new definition) and check the result.

    Options sent replace the list. An option keeps its id when it names it, or
    failing that when its name is the name of a current option; the others get new
    ids. Rank is the position in the list (after sorting by the ranks sent, when every
    option carries one).
    """
    errors = FieldErrors()
    base = current or CustomFieldDefinition(id=0, account_id=account_id, name="", data_type="")
    kind = changes.get("data_type") or base.data_type
    fields: dict[str, Any] = {
        k: changes[k]
        for k in ("name", "canonical_name", "available_on", "is_filterable")
        if k in changes
    }
    fields["data_type"] = kind

    options = base.options if kind in OPTION_TYPES and base.data_type in OPTION_TYPES else ()
    if "options" in changes:
        sent: list[OptionSpec] = changes["options"]
        if sent and kind not in OPTION_TYPES:
            errors.add(
                "options", "invalid", f"options are only valid for {', '.join(OPTION_TYPES)}"
            )
        elif kind in OPTION_TYPES:
            options = _resolve_options(errors, base, sent, allocate)
    if kind in OPTION_TYPES and len(options) < MIN_OPTIONS[kind]:
        errors.add(
            "options", "blank", f"a {kind} field needs at least {MIN_OPTIONS[kind]} option(s)"
        )
    fields["options"] = options

    currency = changes.get("currency", base.currency) if kind == "Currency" else None
    if kind != "Currency" and changes.get("currency") is not None:
        errors.add("currency", "invalid", "currency is only valid for a Currency field")
    if kind == "Currency" and currency is None:
        errors.add("currency", "blank", "a Currency field needs a 3-letter currency code")
    fields["currency"] = currency
    errors.raise_if_any()
    return msgspec.structs.replace(base, **fields)


def _resolve_options(
    errors: FieldErrors,
    current: CustomFieldDefinition,
    sent: list[OptionSpec],
    allocate: Callable[[], int],
) -> tuple[Option, ...]:
    existing = {o.id: o for o in current.options} if current.data_type in OPTION_TYPES else {}
    claimed = {s.id for s in sent if s.id is not None}
    for ident in claimed - existing.keys():
        errors.add("options", "not_found", f"option id {ident} is not an option of this field")
    by_name = {o.name: o.id for o in existing.values() if o.id not in claimed}
    ids: list[int] = []
    for spec in sent:
        if spec.id is not None:
            ids.append(spec.id)
        elif spec.name in by_name:
            ids.append(by_name.pop(spec.name))
        else:
            ids.append(0)  # allocated below, once the list is known to be valid
    if errors.by_field:
        return ()
    return tuple(
        Option(ident or allocate(), spec.name, rank)
        for rank, (ident, spec) in enumerate(zip(ids, sent, strict=True))
    )


def values_need_migration(old: CustomFieldDefinition, new: CustomFieldDefinition) -> bool:
    """Whether a change can invalidate lead values (then each is passed to ``migrate_value``)."""
    return (
        old.data_type != new.data_type
        or not old.option_ids() <= new.option_ids()
        or (old.on_leads and not new.on_leads)
    )
