"""What clients send about activities (issue 16): a new activity, changes to one, and an
activities search, read with the one parser per kind of value of :mod:`values`.

Copper's Activity Properties mark ``type``, ``parent`` and ``details`` required;
``activity_date`` defaults to the time of the call and ``user_id`` to the caller. Type
objects "need only specify the category and id fields. Any other values provided will
be ignored" (List Activity Types). What the account holds (the parent, the type, the
user) is checked by the service, which has the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from verdigris.domain.activities import CATEGORIES, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, PARENT_TYPES
from verdigris.domain.errors import FieldErrors, MalformedRequest, ValidationFailed
from verdigris.domain.values import check_text, paging, parse_date, parse_int, whole
from verdigris.wire import catalogue

#: the keys of POST /activities/search (Copper's List Activities (Search) table)
SEARCH_KEYS = frozenset(
    (
        "parent",
        "activity_types",
        "page_number",
        "page_size",
        "minimum_activity_date",
        "maximum_activity_date",
        "full_result",
    )
)


class ActivityInput(msgspec.Struct, kw_only=True):
    """The fields a create or an update sets; unset ones are ``None`` (an update keeps
    the activity's own)."""

    parent: tuple[str, int] | None = None
    type: tuple[str, int] | None = None
    details: str | None = None
    activity_date: int | None = None
    user_id: int | None = None
    has_details: bool = False


class ActivitySearch(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed POST /activities/search."""

    parent: tuple[str, int] | None = None
    types: tuple[tuple[str, int], ...] = ()
    minimum_date: int | None = None
    maximum_date: int | None = None
    page_number: int = 1
    page_size: int = PAGE_SIZE_DEFAULT

    @property
    def offset(self) -> int:
        return (self.page_number - 1) * self.page_size


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedRequest(catalogue.NOT_AN_OBJECT_MESSAGE.format(what=what))
    return value


def _parent(errors: FieldErrors, raw: Any, kinds: tuple[str, ...]) -> tuple[str, int] | None:
    if raw is None:
        errors.add("parent", "blank")
        return None
    if not isinstance(raw, Mapping):
        errors.add("parent", "invalid_type", "parent must be an object {type, id}")
        return None
    kind, ident = raw.get("type"), parse_int(raw.get("id"))
    if kind not in kinds:
        errors.add("parent", "invalid", f"parent.type must be one of: {', '.join(kinds)}")
        return None
    if ident is None:
        errors.add("parent", "invalid", "parent.id must be a whole number (64-bit)")
        return None
    return str(kind), ident


def _type(errors: FieldErrors, raw: Any) -> tuple[str, int] | None:
    if raw is None:
        errors.add("type", "blank")
        return None
    if not isinstance(raw, Mapping):
        errors.add("type", "invalid_type", "type must be an object {category, id}")
        return None
    category, ident = raw.get("category"), parse_int(raw.get("id"))
    if category not in CATEGORIES or ident is None:
        errors.add("type", "invalid", 'type must be {"category": "user", "id": N}')
        return None
    if category == "system":
        errors.add("type", "invalid", "system activities are read-only")
        return None
    return str(category), ident


def parse_activity(body: Any, parents: tuple[str, ...], *, new: bool) -> ActivityInput:
    """A new activity (``new``: parent, type and details required) or an update's
    changes (only the keys sent). Raises :class:`ValidationFailed` naming every field."""
    data = _object(body, "request body")
    errors = FieldErrors()
    found = ActivityInput()
    if new or "parent" in data:
        found.parent = _parent(errors, data.get("parent"), parents)
    if new or "type" in data:
        found.type = _type(errors, data.get("type"))
    if new or "details" in data:
        if data.get("details") is None:
            errors.add("details", "blank")
        else:
            found.details = check_text(errors, "details", data["details"], None)
            found.has_details = True
    if data.get("activity_date") is not None:
        found.activity_date = parse_date(data["activity_date"])
        if found.activity_date is None:
            errors.add("activity_date", "invalid_type", "activity_date must be Unix seconds")
    if data.get("user_id") is not None:
        found.user_id = parse_int(data["user_id"])
        if found.user_id is None:
            errors.add("user_id", "invalid_type", "user_id must be a whole number (64-bit)")
    errors.raise_if_any()
    return found


def parse_search(body: Any) -> ActivitySearch:
    """POST /activities/search. Every key is optional (an empty body lists the account's
    activities, newest first); unknown keys are refused as on the lead search."""
    if body is None:
        return ActivitySearch()
    data = _object(body, "request body")
    unknown = [str(k) for k in data if k not in SEARCH_KEYS]
    if unknown:
        raise ValidationFailed(
            {"base": ["unrecognized"]}, catalogue.UNRECOGNIZED_PREFIX + ", ".join(unknown)
        )
    errors = FieldErrors()
    parent = None
    if data.get("parent") is not None:
        parent = _parent(errors, data["parent"], PARENT_TYPES)
    types: list[tuple[str, int]] = []
    raw_types = data.get("activity_types")
    if raw_types is not None:
        if not isinstance(raw_types, list):
            errors.add("activity_types", "invalid_type")
        else:
            for item in raw_types:
                ident = parse_int(item.get("id")) if isinstance(item, Mapping) else None
                category = item.get("category") if isinstance(item, Mapping) else None
                if ident is None or category not in CATEGORIES:
                    errors.add("activity_types", "invalid")
                    break
                types.append((str(category), ident))
    low = whole(errors, "minimum_activity_date", data.get("minimum_activity_date"))
    high = whole(errors, "maximum_activity_date", data.get("maximum_activity_date"))
    if data.get("full_result") is not None and not isinstance(data["full_result"], bool):
        errors.add("full_result", "invalid_type")
    number, size = paging(errors, data, default_size=PAGE_SIZE_DEFAULT, max_size=PAGE_SIZE_MAX)
    errors.raise_if_any()
    return ActivitySearch(
        parent=parent,
        types=tuple(types),
        minimum_date=low,
        maximum_date=high,
        page_number=number,
        page_size=size,
    )
