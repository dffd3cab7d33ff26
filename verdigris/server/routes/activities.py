"""Activities (issue 16): ``/activity_types``, ``/activities`` and its search and bulk
create. Thin: each route runs one service and renders Copper's JSON."""

from __future__ import annotations

from verdigris import wire
from verdigris.domain.activities import Activity, ActivityType
from verdigris.server import render
from verdigris.server.routes import Call, Reply, RouteSpec
from verdigris.services import ItemFailure, Services
from verdigris.wire.activities import (
    ActivitiesSearchIn,
    ActivityBulkFailureOut,
    ActivityBulkIn,
    ActivityDeletedOut,
    ActivityIn,
    ActivityTypeDetailOut,
    ActivityTypesOut,
)


def _type_out(kind: ActivityType) -> ActivityTypeDetailOut:
    return ActivityTypeDetailOut(
        kind.id, kind.category, kind.name, kind.is_disabled, kind.count_as_interaction
    )


def activity_types(services: Services, call: Call) -> ActivityTypesOut:
    types = services.activity_types(call.principal)
    return ActivityTypesOut(
        [_type_out(t) for t in types.user], [_type_out(t) for t in types.system]
    )


def _shown(activity: Activity) -> wire.ActivityOut | ActivityDeletedOut:
    if activity.deleted_at is not None:  # Copper: deleted activities read as stubs
        return ActivityDeletedOut(activity.id, True)
    return render.activity_out(activity)


def create_activity(services: Services, call: Call) -> wire.ActivityOut:
    return render.activity_out(services.create_activity(call.principal, call.body))


def get_activity(services: Services, call: Call) -> wire.ActivityOut | ActivityDeletedOut:
    return _shown(services.get_activity(call.principal, call.path["id"]))


def update_activity(services: Services, call: Call) -> wire.ActivityOut:
    updated = services.update_activity(call.principal, call.path["id"], call.body)
    return render.activity_out(updated)


def delete_activity(services: Services, call: Call) -> ActivityDeletedOut:
    return ActivityDeletedOut(services.delete_activity(call.principal, call.path["id"]), True)


def search_activities(services: Services, call: Call) -> Reply:
    total, found = services.search_activities(call.principal, call.body)
    return Reply([render.activity_out(a) for a in found], {"X-PW-TOTAL": str(total)})


def _bulk_out(result: Activity | ItemFailure) -> wire.ActivityOut | ActivityBulkFailureOut:
    if isinstance(result, Activity):
        return render.activity_out(result)
    message = {f: [{"error": code} for code in codes] for f, codes in result.errors.items()}
    return ActivityBulkFailureOut(False, message)


def bulk_create_activities(
    services: Services, call: Call
) -> list[wire.ActivityOut | ActivityBulkFailureOut]:
    return [_bulk_out(r) for r in services.bulk_create_activities(call.principal, call.body)]


ROUTES = [
    RouteSpec(
        "GET",
        "/activity_types",
        activity_types,
        "The account's activity types: user (Note, Phone Call, Meeting) and system",
        response=ActivityTypesOut,
    ),
    RouteSpec(
        "POST",
        "/activities",
        create_activity,
        "Log a user activity (note, call, meeting) on a lead, person, company or opportunity",
        request=ActivityIn,
        response=wire.ActivityOut,
    ),
    RouteSpec(
        "POST",
        "/activities/search",
        search_activities,
        "Search activities, newest first; the total is in the X-PW-TOTAL header",
        request=ActivitiesSearchIn,
        response=list[wire.ActivityOut],
        writes=False,
    ),
    RouteSpec(
        "POST",
        "/activities/bulk_create",
        bulk_create_activities,
        "Create up to 10 activities; one result per item, in request order",
        bulk=True,
        request=ActivityBulkIn,
        response=list[wire.ActivityOut],
    ),
    RouteSpec(
        "GET",
        "/activities/{id:int}",
        get_activity,
        "Fetch an activity by id (a deleted one reads as {id, is_deleted})",
        response=wire.ActivityOut,
    ),
    RouteSpec(
        "PUT",
        "/activities/{id:int}",
        update_activity,
        "Update a user activity (only the keys sent change)",
        request=ActivityIn,
        response=wire.ActivityOut,
    ),
    RouteSpec(
        "DELETE",
        "/activities/{id:int}",
        delete_activity,
        "Delete a user activity",
        response=ActivityDeletedOut,
    ),
]
