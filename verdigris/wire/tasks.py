"""Copper JSON for tasks, a lead's related items and the account's tags (issue 16).

Key names and order follow Copper's Tasks pages (the Update a Task example: ``id``,
``name``, ``related_resource``, ``assignee_id``, ``due_date``, ``reminder_date``,
``completed_date``, ``priority``, ``status``, ``details``, ``tags``, ``custom_fields``,
``date_created``, ``date_modified``) and its Related Items pages (identifiers
``{"id", "type"}``; a removal answers ``{"removed": true, "resource": {...}}``).
"""

from __future__ import annotations

import msgspec

from verdigris.wire.common import CustomFieldValueOut


class RelatedResourceOut(msgspec.Struct):
    """A task's related record; both null when the task relates to none."""

    id: int | None
    type: str | None


class TaskOut(msgspec.Struct):
    id: int
    name: str
    related_resource: RelatedResourceOut
    assignee_id: int | None
    due_date: int | None
    reminder_date: int | None
    completed_date: int | None
    priority: str
    status: str
    details: str | None
    tags: list[str]
    custom_fields: list[CustomFieldValueOut]
    date_created: int
    date_modified: int


class RelatedOut(msgspec.Struct):
    """One related item, as Copper's Related Items API identifies it."""

    id: int
    type: str


class RelationOut(msgspec.Struct):
    """``POST /leads/{id}/related``: the resource now related."""

    resource: RelatedOut


class RemovedRelationOut(msgspec.Struct):
    """``DELETE /leads/{id}/related`` (Copper's Remove relationship example)."""

    removed: bool
    resource: RelatedOut


class TagOut(msgspec.Struct):
    """One tag of the account and how many leads and tasks carry it."""

    name: str
    count: int


class RelatedIn(msgspec.Struct):
    """The body of ``POST``/``DELETE /leads/{id}/related``."""

    resource: RelatedOut


class TaskIn(msgspec.Struct, omit_defaults=True):
    """A task as sent to ``POST /tasks`` and ``PUT /tasks/{id}`` (every key optional on
    update; ``name`` required on create)."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    related_resource: RelatedResourceOut | msgspec.UnsetType | None = msgspec.UNSET
    assignee_id: int | msgspec.UnsetType | None = msgspec.UNSET
    due_date: int | msgspec.UnsetType | None = msgspec.UNSET
    reminder_date: int | msgspec.UnsetType | None = msgspec.UNSET
    completed_date: int | msgspec.UnsetType | None = msgspec.UNSET
    priority: str | msgspec.UnsetType = msgspec.UNSET
    status: str | msgspec.UnsetType = msgspec.UNSET
    details: str | msgspec.UnsetType | None = msgspec.UNSET
    tags: list[str] | msgspec.UnsetType = msgspec.UNSET
    custom_fields: list[CustomFieldValueOut] | msgspec.UnsetType = msgspec.UNSET


class TaskSearchIn(msgspec.Struct, omit_defaults=True):
    """The body of ``POST /tasks/search`` (Copper's List Tasks (Search) parameters)."""

    ids: list[int] | msgspec.UnsetType = msgspec.UNSET
    page_number: int = 1
    page_size: int = 20
    sort_by: str = "due_date"
    sort_direction: str = "asc"
    assignee_ids: list[int] | msgspec.UnsetType = msgspec.UNSET
    opportunity_ids: list[int] | msgspec.UnsetType = msgspec.UNSET
    project_ids: list[int] | msgspec.UnsetType = msgspec.UNSET
    statuses: list[str] | msgspec.UnsetType = msgspec.UNSET
    tags: list[str] | msgspec.UnsetType = msgspec.UNSET
    followed: int | msgspec.UnsetType = msgspec.UNSET
    minimum_due_date: int | msgspec.UnsetType = msgspec.UNSET
    maximum_due_date: int | msgspec.UnsetType = msgspec.UNSET
    minimum_created_date: int | msgspec.UnsetType = msgspec.UNSET
    maximum_created_date: int | msgspec.UnsetType = msgspec.UNSET
    minimum_modified_date: int | msgspec.UnsetType = msgspec.UNSET
    maximum_modified_date: int | msgspec.UnsetType = msgspec.UNSET
