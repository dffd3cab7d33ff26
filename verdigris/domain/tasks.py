"""Tasks, what they relate to, and how a task search reads (Copper's Tasks and Related
Items pages).

A task relates to at most one record (Copper's Related Items overview: "Tasks:
Companies, People, Opportunities, Leads, Projects (limit 1 total)"), so the relation is
the task's ``related_resource``: relating a task to a lead through ``POST
/leads/{id}/related`` and creating it with ``related_resource: {"id": .., "type":
"lead"}`` are one and the same thing, seen from either side.

Pure rules, no I/O: what the rules need from the account (users, records that a task may
point at, custom field definitions) comes through :class:`TaskContext`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import msgspec

from verdigris.domain.custom_fields import CustomFieldDefinition, parse_values
from verdigris.domain.errors import FieldErrors, MalformedRequest, ValidationFailed
from verdigris.domain.values import (
    MAX_LIST_VALUES,
    check_text,
    paging,
    parse_date,
    parse_int,
    parse_tags,
    too_many,
)
from verdigris.wire import catalogue
from verdigris.wire.catalogue import UNRECOGNIZED_PREFIX

#: the column length of a task's name
SHORT_TEXT_MAX = 255
PRIORITIES = ("None", "High")
STATUSES = ("Open", "Completed")
#: what a task's ``related_resource.type`` may name (Copper's Related Items overview)
RELATED_TYPES = ("lead", "person", "company", "opportunity", "project")
#: what a lead relates to (Copper: "Leads: Tasks")
LEAD_RELATED_TYPES = ("task",)
#: the fields a task search sorts on (Copper's footnote 1 of List Tasks (Search))
SORT_FIELDS = (
    "name",
    "assigned_to",
    "related_to",
    "status",
    "priority",
    "due_date",
    "reminder_date",
    "completed_date",
    "date_created",
    "date_modified",
)
DEFAULT_SORT = "due_date"
#: the parameters of Copper's List Tasks (Search)
SEARCH_KEYS = frozenset(
    (
        "ids",
        "page_number",
        "page_size",
        "sort_by",
        "sort_direction",
        "assignee_ids",
        "opportunity_ids",
        "project_ids",
        "statuses",
        "tags",
        "followed",
        "minimum_due_date",
        "maximum_due_date",
        "minimum_created_date",
        "maximum_created_date",
        "minimum_modified_date",
        "maximum_modified_date",
        "custom_fields",
    )
)
#: ``-2`` in an id filter: "none" (tasks with no assignee, no project)
NONE_ID = -2


class Task(msgspec.Struct, kw_only=True):
    id: int = 0
    account_id: int
    name: str
    related_type: str | None = None
    related_id: int | None = None
    assignee_id: int | None = None
    due_date: int | None = None
    reminder_date: int | None = None
    completed_date: int | None = None
    priority: str = "None"
    status: str = "Open"
    details: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    custom_fields: dict[int, Any] = msgspec.field(default_factory=dict)
    date_created: int
    date_modified: int


class TaskQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A validated task search."""

    ids: tuple[int, ...] | None = None
    assignee_ids: tuple[int, ...] | None = None
    opportunity_ids: tuple[int, ...] | None = None
    project_ids: tuple[int, ...] | None = None
    statuses: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    #: 1: followed tasks only, 2: tasks not followed (verdigris has no followers)
    followed: int | None = None
    due: tuple[int | None, int | None] = (None, None)
    created: tuple[int | None, int | None] = (None, None)
    modified: tuple[int | None, int | None] = (None, None)
    sort_by: str = DEFAULT_SORT
    descending: bool = False
    page_number: int = 1
    page_size: int = 20

    @property
    def offset(self) -> int:
        return (self.page_number - 1) * self.page_size


class TaskContext(Protocol):
    """What validating a task needs from its account."""

    def has_user(self, user_id: int) -> bool: ...

    def record_exists(self, kind: str, record_id: int) -> bool: ...

    def task_custom_field(self, definition_id: int) -> CustomFieldDefinition | None:
        """A definition of the account, available on tasks or not (None: no such one)."""


def on_tasks(definition: CustomFieldDefinition) -> bool:
    return "task" in definition.available_on


# --- reading what clients send -------------------------------------------------------------


def parse_changes(data: Mapping[str, Any], ctx: TaskContext, *, creating: bool) -> dict[str, Any]:
    """The writable keys of ``data`` as changes; read-only and unknown keys are ignored.
    Raises :class:`ValidationFailed` naming every invalid field at once."""
    errors = FieldErrors()
    changes: dict[str, Any] = {}
    if "name" in data or creating:
        name = check_text(errors, "name", data.get("name"), SHORT_TEXT_MAX)
        if name is None or not name.strip():
            if "name" not in errors.by_field:
                errors.add("name", "blank")
        else:
            changes["name"] = name.strip()
    if "related_resource" in data:
        changes["related"] = parse_related(errors, data["related_resource"], ctx)
    if "assignee_id" in data:
        raw = data["assignee_id"]
        assignee = parse_int(raw)
        if raw is None:
            changes["assignee_id"] = None
        elif assignee is None:
            errors.add("assignee_id", "invalid_type", "assignee_id must be a user id")
        elif not ctx.has_user(assignee):
            errors.add("assignee_id", "not_found", f"user {assignee} is not in this account")
        else:
            changes["assignee_id"] = assignee
    for key in ("due_date", "reminder_date", "completed_date"):
        if key in data:
            raw = data[key]
            when = parse_date(raw)
            if raw is not None and when is None:
                errors.add(key, "invalid", f"{key} must be Unix seconds or mm/dd/yyyy")
            changes[key] = when
    if "priority" in data:
        raw = data["priority"]
        if raw is None:
            changes["priority"] = "None"
        elif raw in PRIORITIES:
            changes["priority"] = raw
        else:
            errors.add("priority", "invalid", "priority must be None or High")
    if "status" in data:
        raw = data["status"]
        if raw in STATUSES:
            changes["status"] = raw
        else:
            errors.add("status", "invalid", "status must be Open or Completed")
    if "details" in data:
        changes["details"] = check_text(errors, "details", data["details"], None)
    if "tags" in data:
        changes["tags"] = parse_tags(errors, data["tags"])
    if "custom_fields" in data:
        changes["custom_fields"] = _parse_custom_fields(errors, data["custom_fields"], ctx)
    errors.raise_if_any()
    return changes


def parse_related(
    errors: FieldErrors, raw: Any, ctx: TaskContext, field: str = "related_resource"
) -> tuple[str, int] | None:
    """A task's ``related_resource`` (``{"id", "type"}``); ``None`` (or both keys null)
    unrelates it. The record must exist in the account."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        errors.add(field, "invalid_type", f"{field} must be an object {{id, type}}")
        return None
    if raw.get("id") is None and raw.get("type") is None:
        return None
    kind = raw.get("type")
    record_id = parse_int(raw.get("id"))
    if kind not in RELATED_TYPES:
        errors.add(field, "invalid", f"{field}.type must be one of {', '.join(RELATED_TYPES)}")
        return None
    if record_id is None:
        errors.add(field, "invalid", f"{field}.id must be an id")
        return None
    if not ctx.record_exists(kind, record_id):
        errors.add(field, "not_found", f"{kind} {record_id} does not exist in this account")
        return None
    return kind, record_id


def parse_lead_resource(body: Any) -> int:
    """The task id of a ``POST``/``DELETE /leads/{id}/related`` body, ``{"resource":
    {"id": N, "type": "task"}}``: a lead relates to tasks only."""
    if not isinstance(body, Mapping):
        raise MalformedRequest(catalogue.NOT_AN_OBJECT_MESSAGE.format(what="request body"))
    resource = body.get("resource")
    errors = FieldErrors()
    if not isinstance(resource, Mapping):
        errors.add("resource", "blank" if resource is None else "invalid_type")
        errors.raise_if_any()
    assert isinstance(resource, Mapping)
    kind = resource.get("type")
    task_id = parse_int(resource.get("id"))
    if kind not in LEAD_RELATED_TYPES:
        errors.add("resource", "invalid", f"a lead relates to tasks only, not to {kind!r}")
    elif task_id is None:
        errors.add("resource", "invalid", "resource.id must be an id")
    errors.raise_if_any()
    assert task_id is not None
    return task_id


def _parse_custom_fields(errors: FieldErrors, raw: Any, ctx: TaskContext) -> dict[int, Any]:
    values = parse_values(
        errors,
        raw,
        ctx.task_custom_field,
        entity="task",
        unavailable=("not_on_tasks", "tasks"),
        show_value=False,
    )
    return values or {}


# --- building and merging ----------------------------------------------------------------


def new_task(changes: Mapping[str, Any], *, account_id: int, user_id: int, now: int) -> Task:
    """A task from validated changes. Unsent: assigned to the caller, priority "None",
    status "Open"; a task created "Completed" is completed now unless told when."""
    related = changes.get("related")
    task = Task(
        account_id=account_id,
        name=changes["name"],
        related_type=related[0] if related else None,
        related_id=related[1] if related else None,
        assignee_id=changes.get("assignee_id", user_id),
        due_date=changes.get("due_date"),
        reminder_date=changes.get("reminder_date"),
        completed_date=changes.get("completed_date"),
        priority=changes.get("priority", "None"),
        status=changes.get("status", "Open"),
        details=changes.get("details"),
        tags=list(changes.get("tags", [])),
        custom_fields={k: v for k, v in changes.get("custom_fields", {}).items() if v is not None},
        date_created=now,
        date_modified=now,
    )
    return _completion(task, changes, now)


def apply_changes(task: Task, changes: Mapping[str, Any], now: int) -> Task:
    """``task`` with ``changes``; the task itself (same object) when nothing differs."""
    updates: dict[str, Any] = {}
    for key in (
        "name",
        "assignee_id",
        "due_date",
        "reminder_date",
        "completed_date",
        "priority",
        "status",
        "details",
        "tags",
    ):
        if key in changes:
            updates[key] = changes[key]
    if "related" in changes:
        related = changes["related"]
        updates["related_type"] = related[0] if related else None
        updates["related_id"] = related[1] if related else None
    if "custom_fields" in changes:
        merged = dict(task.custom_fields)
        for def_id, value in changes["custom_fields"].items():
            if value is None:
                merged.pop(def_id, None)
            else:
                merged[def_id] = value
        updates["custom_fields"] = merged
    candidate = _completion(msgspec.structs.replace(task, **updates), changes, now)
    if candidate == task:
        return task
    return msgspec.structs.replace(candidate, date_modified=now)


def _completion(task: Task, changes: Mapping[str, Any], now: int) -> Task:
    """Copper keeps ``completed_date`` with ``status``: a task that becomes Completed
    without a ``completed_date`` sent is completed now; one that becomes Open is not."""
    if "status" not in changes:
        return task
    if task.status == "Completed" and task.completed_date is None:
        return msgspec.structs.replace(task, completed_date=now)
    if task.status == "Open" and "completed_date" not in changes:
        return msgspec.structs.replace(task, completed_date=None)
    return task


def relate(task: Task, lead_id: int, now: int) -> Task:
    """``task`` related to lead ``lead_id``. A task relates to one record at most: one
    already related to another record is refused (remove that relation first)."""
    if task.related_type == "lead" and task.related_id == lead_id:
        return task
    if task.related_type is not None:
        errors = FieldErrors()
        errors.add(
            "resource",
            "invalid",
            f"task {task.id} is already related to {task.related_type} {task.related_id}; "
            "a task relates to one record at most (remove that relation first)",
        )
        errors.raise_if_any()
    return msgspec.structs.replace(task, related_type="lead", related_id=lead_id, date_modified=now)


def unrelate(task: Task, now: int) -> Task:
    return msgspec.structs.replace(task, related_type=None, related_id=None, date_modified=now)


# --- search --------------------------------------------------------------------------------


def parse_search(body: Any) -> TaskQuery:
    """A ``POST /tasks/search`` body as a :class:`TaskQuery`. Unknown keys are refused as
    Copper's lead search refuses them (a misspelled filter must not match every task)."""
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise MalformedRequest(catalogue.SEARCH_BODY_MESSAGE)
    unknown = [str(k) for k in body if k not in SEARCH_KEYS]
    if unknown:
        raise ValidationFailed({"base": ["unrecognized"]}, UNRECOGNIZED_PREFIX + ", ".join(unknown))
    errors = FieldErrors()
    if body.get("custom_fields"):
        errors.add(
            "custom_fields",
            "unsupported",
            "verdigris does not filter tasks by custom field yet",
        )
    page_number, page_size = paging(errors, body)
    sort_by = body.get("sort_by")
    if sort_by is None or sort_by == "":
        sort_by = DEFAULT_SORT
    elif sort_by not in SORT_FIELDS:
        errors.add("sort_by", "invalid", f"sort_by must be one of {', '.join(SORT_FIELDS)}")
        sort_by = DEFAULT_SORT
    direction = body.get("sort_direction")
    if direction not in (None, "", "asc", "desc"):
        errors.add("sort_direction", "invalid", "sort_direction must be asc or desc")
    query: dict[str, Any] = {
        "page_number": page_number,
        "page_size": page_size,
        "sort_by": sort_by,
        "descending": direction == "desc",
    }
    for key in ("ids", "assignee_ids", "opportunity_ids", "project_ids"):
        query[key] = _id_list(errors, key, body.get(key))
    for key, allowed in (("statuses", STATUSES), ("tags", None)):
        query[key] = _text_list(errors, key, body.get(key), allowed)
    followed = body.get("followed")
    if followed is not None:
        number = parse_int(followed)
        if number not in (1, 2):
            errors.add("followed", "invalid", "followed must be 1 (followed) or 2 (not followed)")
        query["followed"] = number
    for name, key in (
        ("due", "due_date"),
        ("created", "created_date"),
        ("modified", "modified_date"),
    ):
        query[name] = (
            _bound(errors, f"minimum_{key}", body.get(f"minimum_{key}")),
            _bound(errors, f"maximum_{key}", body.get(f"maximum_{key}")),
        )
    errors.raise_if_any()
    return TaskQuery(**query)


def _id_list(errors: FieldErrors, key: str, raw: Any) -> tuple[int, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        errors.add(key, "invalid_type", f"{key} must be a list of ids")
        return None
    if too_many(errors, key, raw, limit=MAX_LIST_VALUES):
        return None
    ids = [parse_int(v) for v in raw]
    if any(i is None for i in ids):
        errors.add(key, "invalid", f"{key} must hold ids (64-bit)")
        return None
    return tuple(i for i in ids if i is not None)


def _text_list(
    errors: FieldErrors, key: str, raw: Any, allowed: tuple[str, ...] | None
) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        errors.add(key, "invalid_type", f"{key} must be a list of strings")
        return None
    if too_many(errors, key, raw, limit=MAX_LIST_VALUES):
        return None
    if allowed is not None and any(v not in allowed for v in raw):
        errors.add(key, "invalid", f"{key} must hold {' or '.join(allowed)}")
        return None
    return tuple(raw)


def _bound(errors: FieldErrors, key: str, raw: Any) -> int | None:
    if raw is None:
        return None
    value = parse_date(raw)
    if value is None:
        errors.add(key, "invalid", f"{key} must be Unix seconds")
    return value
