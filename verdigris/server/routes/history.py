"""Lead history routes (issue 19), under ``/verdigris/v1``: versions, diff, restore,
deleted leads, and the revert of an import run."""

from __future__ import annotations

from typing import Any

import msgspec

from verdigris import wire
from verdigris.domain import history as history_rules
from verdigris.domain.errors import ValidationFailed
from verdigris.domain.values import parse_int
from verdigris.server import render
from verdigris.server.routes import EXTENSION_BASE, Call, RouteSpec
from verdigris.services import Services
from verdigris.services.history import ShownVersion
from verdigris.wire import catalogue
from verdigris.wire.history import (
    FieldChangeOut,
    NoBodyIn,
    RevertOut,
    SkippedOut,
    VersionDiffOut,
    VersionOut,
)

#: the most versions, deleted leads or reverted leads one call returns
MAX_LIMIT = 200


def _query_int(call: Call, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = call.query.get(name)
    if raw is None:
        return default
    value = parse_int(raw)
    if value is None or not low <= value <= high:
        raise ValidationFailed(
            {name: ["invalid"]},
            catalogue.HISTORY_PARAMETER_MESSAGE.format(
                label=name.capitalize(), name=name, low=low, high=high
            ),
        )
    return value


def _limit(call: Call, default: int = 50) -> int:
    value = _query_int(call, "limit", default, 1, MAX_LIMIT)
    assert value is not None
    return value


def version_out(shown: ShownVersion) -> VersionOut:
    v = shown.version
    return VersionOut(
        version=v.version,
        event=v.event,
        cause=v.cause,
        user_id=v.user_id,
        date_created=v.at,
        route=v.route,
        request_id=v.request_id,
        import_run=v.import_run,
        lead=render.lead_out(shown.shown),
    )


def versions(services: Services, call: Call) -> list[VersionOut]:
    before = _query_int(call, "before", None, 1, 2**31 - 1)
    found = services.lead_versions(
        call.principal, call.path["id"], before=before, limit=_limit(call)
    )
    return [version_out(v) for v in found]


def version(services: Services, call: Call) -> VersionOut:
    return version_out(services.lead_version(call.principal, call.path["id"], call.path["n"]))


def diff(services: Services, call: Call) -> VersionDiffOut:
    first = _query_int(call, "from", None, 1, 2**31 - 1)
    second = _query_int(call, "to", None, 1, 2**31 - 1)
    if first is None or second is None:
        raise ValidationFailed(
            {"from" if first is None else "to": ["blank"]}, catalogue.VERSIONS_PARAMETERS_MESSAGE
        )
    a, b = services.lead_version_pair(call.principal, call.path["id"], first, second)
    before: dict[str, Any] = msgspec.to_builtins(render.lead_out(a.shown))
    after: dict[str, Any] = msgspec.to_builtins(render.lead_out(b.shown))
    changes = [
        FieldChangeOut(key, old, new)
        for key, old, new in history_rules.diff(before, after)
        if key not in ("date_modified",)
    ]
    return VersionDiffOut(call.path["id"], first, second, changes)


def restore(services: Services, call: Call) -> wire.LeadOut:
    shown = services.restore_version(call.principal, call.path["id"], call.path["n"])
    return render.lead_out(shown)


def deleted(services: Services, call: Call) -> list[VersionOut]:
    after = _query_int(call, "after", None, 0, 2**63 - 1)
    return [
        version_out(v)
        for v in services.deleted_leads(call.principal, after=after, limit=_limit(call))
    ]


def restore_deleted(services: Services, call: Call) -> wire.LeadOut:
    return render.lead_out(services.restore_deleted(call.principal, call.path["id"]))


def revert_import(services: Services, call: Call) -> RevertOut:
    after = _query_int(call, "after", None, 0, 2**63 - 1)
    step = services.revert_import(
        call.principal, call.path["run"], after=after, limit=_limit(call, 100)
    )
    return RevertOut(
        step.reverted,
        [SkippedOut(i, reason) for i, reason in step.skipped],
        step.next_after,
        step.leads,
    )


ROUTES = [
    RouteSpec(
        "GET",
        "/leads/{id:int}/versions",
        versions,
        "A lead's versions, newest first (?before=N&limit=50)",
        response=list[VersionOut],
        base=EXTENSION_BASE,
    ),
    RouteSpec(
        "GET",
        "/leads/{id:int}/versions/{n:int}",
        version,
        "One version of a lead",
        response=VersionOut,
        base=EXTENSION_BASE,
    ),
    RouteSpec(
        "GET",
        "/leads/{id:int}/diff",
        diff,
        "What changed between two versions of a lead (?from=N&to=M)",
        response=VersionDiffOut,
        base=EXTENSION_BASE,
    ),
    RouteSpec(
        "POST",
        "/leads/{id:int}/versions/{n:int}/restore",
        restore,
        "Make a lead what one of its versions holds (a new version; a deleted lead comes back)",
        request=NoBodyIn,
        response=wire.LeadOut,
        base=EXTENSION_BASE,
    ),
    RouteSpec(
        "GET",
        "/leads/deleted",
        deleted,
        "Deleted leads, by id, each as it was deleted (?after=ID&limit=50)",
        response=list[VersionOut],
        base=EXTENSION_BASE,
    ),
    RouteSpec(
        "POST",
        "/leads/{id:int}/restore",
        restore_deleted,
        "Restore a deleted lead, with its id, as it was deleted",
        request=NoBodyIn,
        response=wire.LeadOut,
        base=EXTENSION_BASE,
    ),
    RouteSpec(
        "POST",
        "/imports/{run}/revert",
        revert_import,
        "Undo an import run's creates and updates (?after=ID&limit=100), "
        "skipping leads written since",
        request=NoBodyIn,
        response=RevertOut,
        base=EXTENSION_BASE,
    ),
]
