"""THE error table: every error verdigris answers, its HTTP status and its JSON body.

Bodies follow Copper: ``{"success": false, "status": N, "message": "..."}``, with
``errors`` (field -> [{"error": code}]) on validation failures and ``ids`` on
ambiguous upserts. The bulk size limit answers Copper's exact documented body.
docs/errors.md lists the same table for users.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import ClientDisconnect

from verdigris.domain import errors as e
from verdigris.store.base import StoreUnavailable
from verdigris.wire import catalogue

log = logging.getLogger("verdigris.errors")

#: error class -> HTTP status
STATUS: dict[type[Exception], int] = {
    e.MalformedRequest: 400,
    e.Unauthenticated: 401,
    e.NotFound: 404,
    e.ValidationFailed: 422,
    e.AmbiguousMatch: 422,
    e.BulkTooLarge: 422,
    e.AlreadyConverted: 422,
    e.RateLimited: 429,
    e.Unprocessable: 422,
    StoreUnavailable: 503,
}

INTERNAL_ERROR_MESSAGE = catalogue.INTERNAL_ERROR_MESSAGE
UNAVAILABLE_MESSAGE = catalogue.UNAVAILABLE_MESSAGE
CLIENT_CLOSED_MESSAGE = catalogue.CLIENT_CLOSED_MESSAGE


class BodyTooLarge(e.VerdigrisError):
    """The request body is over the configured size limit (413)."""


class RouteNotFound(e.VerdigrisError):
    """No such path (404)."""


class MethodNotAllowed(e.VerdigrisError):
    """The path exists but not for this method (405)."""


STATUS.update({BodyTooLarge: 413, RouteNotFound: 404, MethodNotAllowed: 405})
STATUS.update({e.IdempotencyKeyReused: 422, e.IdempotencyKeyBusy: 409})
#: the client went away while its body was being read: nothing was done, and the answer
#: cannot be delivered; logged as information, not as a server error
STATUS[ClientDisconnect] = 499


def _field_errors(errors: dict[str, list[str]]) -> dict[str, list[dict[str, str]]]:
    return {field: [{"error": code} for code in codes] for field, codes in errors.items()}


def render(exc: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    """``(status, body, extra headers)`` for any exception."""
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 500)
    headers: dict[str, str] = {}
    if isinstance(exc, e.BulkTooLarge):
        return status, {"error": exc.message}, headers
    if status == 499:
        log.info("the client closed the connection before its request's body arrived")
        return 499, {"success": False, "status": 499, "message": CLIENT_CLOSED_MESSAGE}, headers
    if status == 500:
        log.error("unhandled error", exc_info=exc)
        return 500, {"success": False, "status": 500, "message": INTERNAL_ERROR_MESSAGE}, headers
    if isinstance(exc, StoreUnavailable):
        log.warning("store unavailable: %s", exc)
        message = UNAVAILABLE_MESSAGE
    else:
        message = getattr(exc, "message", str(exc))
    body: dict[str, Any] = {"success": False, "status": status, "message": message}
    if isinstance(exc, e.ValidationFailed):
        body["errors"] = _field_errors(exc.errors)
    elif isinstance(exc, e.AmbiguousMatch) and not exc.truncated:
        body["ids"] = exc.ids
    elif isinstance(exc, e.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, StoreUnavailable):
        headers["Retry-After"] = "1"
    return status, body, headers
