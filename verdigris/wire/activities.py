"""Copper JSON for activities and their types (issue 16): List Activity Types, the
activity requests (for ``/openapi.json``) and a failed bulk-create item.

Key names and order follow Copper's examples (developer.copper.com, Activities: List
Activity Types, Create a New Activity, Bulk Create Activities). An activity itself is
:class:`verdigris.wire.crm.ActivityOut`.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from verdigris.wire.requests import ActivityTypeIn, PagingIn, _In


class ActivityTypeDetailOut(msgspec.Struct):
    """One activity type as List Activity Types shows it."""

    id: int
    category: str
    name: str
    is_disabled: bool
    count_as_interaction: bool


class ActivityTypesOut(msgspec.Struct):
    """``GET /activity_types``: the user types, then the system types."""

    user: list[ActivityTypeDetailOut]
    system: list[ActivityTypeDetailOut]


class ActivityDeletedOut(msgspec.Struct):
    """A deleted activity: what DELETE answers, and what GET answers ever after."""

    id: int
    is_deleted: bool


class ActivityBulkFailureOut(msgspec.Struct):
    """A failed item of ``POST /activities/bulk_create``, as Copper documents it."""

    success: bool
    message: dict[str, list[dict[str, str]]]


class ActivityParentIn(_In):
    type: str
    id: int


class ActivityIn(_In):
    """``POST /activities`` and ``PUT /activities/{id}`` (a PUT sends only what changes)."""

    parent: ActivityParentIn | UnsetType = UNSET
    type: ActivityTypeIn | UnsetType = UNSET
    details: str | UnsetType = UNSET
    activity_date: int | UnsetType = UNSET
    user_id: int | UnsetType = UNSET


class ActivityBulkIn(_In):
    activities: list[ActivityIn]


class ActivitiesSearchIn(PagingIn):
    parent: ActivityParentIn | UnsetType = UNSET
    activity_types: list[ActivityTypeIn] | UnsetType = UNSET
    minimum_activity_date: int | UnsetType = UNSET
    maximum_activity_date: int | UnsetType = UNSET
    full_result: bool | UnsetType = UNSET
