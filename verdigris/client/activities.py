"""The SDK's activity calls (issue 16), as steps of :class:`~verdigris.client.core.Core`
that :mod:`verdigris.client.aio` (and the generated sync client) carry out.

Activities decode into the server's own wire structs: :class:`verdigris.wire.ActivityOut`,
and :class:`verdigris.wire.activities.ActivityTypesOut` for ``GET /activity_types``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from verdigris.client.core import Core, Request, Step, decode
from verdigris.client.errors import (
    AuthenticationError,
    CopperError,
    NotFoundError,
    RequestTooLargeError,
    ServerError,
    field_codes,
)
from verdigris.client.models import BulkItemFailure, DeletedOut
from verdigris.wire import ActivityOut
from verdigris.wire.activities import ActivityTypesOut

ActivityResult = ActivityOut | BulkItemFailure


@dataclass(frozen=True)
class ActivityPage:
    """One page of ``POST /activities/search``, with the server's ``X-PW-TOTAL``."""

    activities: list[ActivityOut]
    total: int | None


def activity_types(core: Core) -> Step[ActivityTypesOut]:
    return core.call(Request("GET", "/activity_types"), ActivityTypesOut)


def create_activity(core: Core, activity: Mapping[str, Any]) -> Step[ActivityOut]:
    request = core.create_request("/activities", activity)
    return core.call(request, ActivityOut)


def get_activity(core: Core, activity_id: int) -> Step[ActivityOut | DeletedOut]:
    """An activity; a deleted one is Copper's stub ``{id, is_deleted: true}``."""
    reply = yield from core.exchange(Request("GET", f"/activities/{int(activity_id)}"))
    found = msgspec.json.decode(reply.content) if reply.content else None
    if isinstance(found, dict) and found.get("is_deleted") is True:
        return decode(reply.content, DeletedOut)
    return decode(reply.content, ActivityOut)


def update_activity(core: Core, activity_id: int, changes: Mapping[str, Any]) -> Step[ActivityOut]:
    request = Request.json("PUT", f"/activities/{int(activity_id)}", changes)
    return core.call(request, ActivityOut)


def delete_activity(core: Core, activity_id: int) -> Step[DeletedOut]:
    return core.call(Request("DELETE", f"/activities/{int(activity_id)}"), DeletedOut)


def search_activities_page(
    core: Core, filters: Mapping[str, Any] | None, page_number: int, page_size: int
) -> Step[ActivityPage]:
    body = {**(filters or {}), "page_number": page_number, "page_size": page_size}
    reply = yield from core.exchange(Request.json("POST", "/activities/search", body))
    total = reply.headers.get("x-pw-total", "")
    return ActivityPage(
        decode(reply.content, list[ActivityOut]), int(total) if total.isdigit() else None
    )


def bulk_create_activities(
    core: Core, activities: Iterable[Mapping[str, Any]]
) -> Step[list[ActivityResult]]:
    """Any number of activities, in requests of the server's limit (paced as bulk calls);
    one result per input item, in order: an ActivityOut or a BulkItemFailure."""
    items = list(activities)
    results: list[ActivityResult] = []
    start = 0
    while start < len(items):
        chunk = items[start : start + core.bulk_size]
        key = core.key()
        request = Request.json(
            "POST",
            "/activities/bulk_create",
            {"activities": chunk},
            idempotent=False,
            bulk=True,
            headers=key,
            keyed=bool(key),
        )
        try:
            reply = yield from core.exchange(request)
            raws = decode(reply.content, list[msgspec.Raw])
            if len(raws) != len(chunk):
                raise ServerError(reply.status, f"{len(raws)} results for {len(chunk)} items")
            results.extend(_item(raw, start + offset) for offset, raw in enumerate(raws))
        except RequestTooLargeError as exc:
            if exc.limit and 0 < exc.limit < len(chunk):
                core.bulk_size = exc.limit
                continue
            results.extend(_failed(len(chunk), start, exc))
        except (AuthenticationError, NotFoundError):
            raise
        except CopperError as exc:
            results.extend(_failed(len(chunk), start, exc))
        start += len(chunk)
    return results


def _item(raw: msgspec.Raw, index: int) -> ActivityResult:
    try:
        return decode(raw, ActivityOut)
    except ServerError:
        pass
    item = msgspec.json.decode(raw)
    errors = field_codes(item.get("message") if isinstance(item, dict) else None)
    message = "; ".join(f"{f}: {', '.join(c)}" for f, c in errors.items()) or "failed"
    return BulkItemFailure(index, None, message, errors)


def _failed(size: int, start: int, exc: CopperError) -> list[ActivityResult]:
    return [BulkItemFailure(start + i, None, exc.message, error=exc) for i in range(size)]
