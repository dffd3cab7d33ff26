"""Activities: the timeline of a record, and the system entries verdigris writes.

Copper has two activity categories: ``user`` (notes, calls, meetings, entered by
people) and ``system`` (read-only, written by Copper itself). Copper's system
types are "Property Changed" (id 1) and "Pipeline Stage Changed" (id 3).
verdigris writes three system activities on a lead, all of type 1: when it is
created, when its status changes and when it is converted. As in Copper's List
Activities (Search) example, whose "Property Changed" entries on a lead carry
``details: null``, they have no text: what changed is in ``old_value``/``new_value``
(a status change: ``{"id", "name"}`` of each status; a conversion: the new records).

User types (List Activity Types): Note has Copper's hard-coded id 0 and does not count
as an interaction; Phone Call and Meeting get ids when the account is created (rows of
``activity_types``) and count. A user activity whose type counts, logged on a lead,
counts toward that lead's ``interaction_count`` and ``date_last_contacted``
(:func:`interactions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from verdigris.domain.errors import FieldErrors, MalformedRequest
from verdigris.domain.values import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paging, parse_int
from verdigris.wire import catalogue

PROPERTY_CHANGED = 1
PIPELINE_STAGE_CHANGED = 3
CATEGORIES = ("user", "system")
PARENT_TYPES = ("lead", "person", "company", "opportunity", "project", "task")
PAGE_SIZE_DEFAULT = DEFAULT_PAGE_SIZE
PAGE_SIZE_MAX = MAX_PAGE_SIZE
#: Note's hard-coded id (Copper: "Notes have a hard-coded ID of 0")
NOTE = 0
#: the user types Copper creates with an account, beside Note, in list order
DEFAULT_USER_TYPES = ("Phone Call", "Meeting")
#: the parents an activity can be logged on (Copper also names project and task, which
#: verdigris does not hold)
LOGGABLE_PARENTS = ("lead", "person", "company", "opportunity")


class ActivityType(msgspec.Struct, frozen=True, kw_only=True):
    """One activity type as List Activity Types shows it."""

    id: int
    category: str
    name: str
    is_disabled: bool = False
    count_as_interaction: bool = False


#: the types every account has under Copper's hard-coded ids
NOTE_TYPE = ActivityType(id=NOTE, category="user", name="Note")
SYSTEM_TYPES = (
    ActivityType(id=PROPERTY_CHANGED, category="system", name="Property Changed"),
    ActivityType(id=PIPELINE_STAGE_CHANGED, category="system", name="Pipeline Stage Changed"),
)


def user_types(stored: list[ActivityType]) -> list[ActivityType]:
    """An account's user types: Note, then its own (Phone Call, Meeting...) by id."""
    return [NOTE_TYPE, *sorted(stored, key=lambda t: t.id)]


def counting_type_ids(types: list[ActivityType]) -> list[int]:
    """The ids of the user types whose activities count as interactions (Copper:
    ``count_as_interaction``, "whether or not Activities of this type are counted toward
    interactions data"); a lead's ``interaction_count`` is the number of its activities
    of these types, its ``date_last_contacted`` the latest of their dates."""
    return [t.id for t in types if t.category == "user" and t.count_as_interaction]


class Activity(msgspec.Struct, kw_only=True):
    id: int = 0
    account_id: int
    parent_type: str
    parent_id: int
    type_id: int = PROPERTY_CHANGED
    type_category: str = "system"
    user_id: int | None = None
    details: str | None = None
    activity_date: int
    old_value: Any = None
    new_value: Any = None
    date_created: int
    date_modified: int
    #: when it was deleted (Copper then shows it as a stub); None while it lives
    deleted_at: int | None = None


class ActivityQuery(msgspec.Struct, frozen=True):
    """Which activities of one parent to list: type filter and page."""

    types: tuple[tuple[str, int], ...] = ()
    page_number: int = 1
    page_size: int = PAGE_SIZE_DEFAULT

    @property
    def offset(self) -> int:
        return (self.page_number - 1) * self.page_size


def _system(account_id: int, lead_id: int, user_id: int, now: int, **kw: Any) -> Activity:
    return Activity(
        account_id=account_id,
        parent_type="lead",
        parent_id=lead_id,
        user_id=user_id,
        activity_date=now,
        date_created=now,
        date_modified=now,
        **kw,
    )


def lead_created(account_id: int, lead_id: int, user_id: int, now: int) -> Activity:
    return _system(account_id, lead_id, user_id, now)


def lead_status_changed(
    account_id: int,
    lead_id: int,
    user_id: int,
    now: int,
    old: tuple[int | None, str | None],
    new: tuple[int | None, str | None],
) -> Activity:
    """``old``/``new`` are (status id, status name)."""
    return _system(
        account_id,
        lead_id,
        user_id,
        now,
        old_value={"id": old[0], "name": old[1]},
        new_value={"id": new[0], "name": new[1]},
    )


def lead_converted(
    account_id: int,
    lead_id: int,
    user_id: int,
    now: int,
    *,
    person_id: int,
    company_id: int | None,
    opportunity_id: int | None,
) -> Activity:
    return _system(
        account_id,
        lead_id,
        user_id,
        now,
        new_value={
            "person_id": person_id,
            "company_id": company_id,
            "opportunity_id": opportunity_id,
        },
    )


def parse_query(body: Any) -> ActivityQuery:
    """Read ``{"activity_types": [{"id", "category"}], "page_number", "page_size"}``.

    Every key is optional; an empty or missing body lists the first page of all types.
    """
    if body is None:
        return ActivityQuery()
    if not isinstance(body, Mapping):
        raise MalformedRequest(catalogue.BODY_NOT_AN_OBJECT_MESSAGE)
    errors = FieldErrors()
    types: list[tuple[str, int]] = []
    raw_types = body.get("activity_types")
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
    number, size = paging(errors, body, default_size=PAGE_SIZE_DEFAULT, max_size=PAGE_SIZE_MAX)
    errors.raise_if_any()
    return ActivityQuery(tuple(types), number, size)
