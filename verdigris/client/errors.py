"""Errors the SDK raises: one hierarchy that mirrors the server's error table.

    CopperError                      (alias VerdigrisClientError) base of everything below
    ├── TransportError               no HTTP answer (refused, reset, timed out), after retries
    └── ApiError                     an HTTP error answer: .status, .message, .body
        ├── BadRequestError          400 (and 405, 413, any other 4xx not listed here)
        ├── AuthenticationError      401, 403: wrong or missing key, email or application
        ├── NotFoundError            404
        ├── ValidationError          422 with field errors: .errors {field: [code, ...]}
        │   └── RequestTooLargeError 422 {"error": "Request size too large, limit is N"}: .limit
        ├── AmbiguousMatchError      422 an upsert matched several leads: .ids (empty when > 30)
        ├── RateLimitedError         429: .retry_after (seconds, or None)
        └── ServerError              5xx

:func:`error_for` is the one place that turns a status and body into one of these. It
reads verdigris's bodies (``errors``, ``ids``) and Copper's (where the same facts are only
in ``message``), so the SDK behaves the same against either.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from typing import Any

import msgspec


class CopperError(Exception):
    """Base of every error the SDK raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


VerdigrisClientError = CopperError


class TransportError(CopperError):
    """The request got no HTTP answer. ``maybe_applied`` is True when it may have reached
    the server (the connection broke after sending), so a create may have happened."""

    def __init__(self, message: str, *, maybe_applied: bool) -> None:
        super().__init__(message)
        self.maybe_applied = maybe_applied


class ApiError(CopperError):
    """The server answered with an error status."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"


class BadRequestError(ApiError):
    """400, 405, 413 or another 4xx: the request itself is not acceptable."""


class AuthenticationError(ApiError):
    """401 or 403: the key, the user's email or the application header is wrong."""


class NotFoundError(ApiError):
    """404: no such resource (or it belongs to another account)."""


class ValidationError(ApiError):
    """422: invalid input. ``errors`` maps field names to error codes when the server
    lists them (verdigris does; Copper only words them in ``message``)."""

    def __init__(
        self,
        status: int,
        message: str,
        body: Any = None,
        errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(status, message, body)
        self.errors: dict[str, list[str]] = dict(errors or {})


class RequestTooLargeError(ValidationError):
    """422 ``{"error": "Request size too large, limit is N"}`` from a bulk endpoint."""

    def __init__(self, status: int, message: str, body: Any = None, limit: int | None = None):
        super().__init__(status, message, body)
        self.limit = limit


class AmbiguousMatchError(ApiError):
    """422: an upsert's match found several leads. ``ids`` lists them (ascending); it is
    empty when more than 30 matched (Copper then omits them)."""

    def __init__(self, status: int, message: str, body: Any = None, ids: list[int] | None = None):
        super().__init__(status, message, body)
        self.ids = list(ids or [])


class RateLimitedError(ApiError):
    """429 after the retries allowed. ``retry_after`` is the server's wait, in seconds."""

    def __init__(
        self, status: int, message: str, body: Any = None, retry_after: float | None = None
    ) -> None:
        super().__init__(status, message, body)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed (or, for 503, is busy or its database unreachable)."""


_TOO_LARGE = re.compile(r"request size too large.*?(\d+)", re.IGNORECASE)
# Copper words an ambiguous upsert in the message only (its exact body is undocumented):
# verdigris says "3 leads match the given criteria" / "More than 30 leads match ...".
_AMBIGUOUS = re.compile(
    r"(more than (one|30)|multiple|several|ambiguous|\d+ (leads|records) match)", re.IGNORECASE
)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _decode(content: bytes) -> Any:
    try:
        return msgspec.json.decode(content) if content else None
    except msgspec.DecodeError:
        return content.decode("utf-8", "replace")


def field_codes(raw: Any) -> dict[str, list[str]]:
    """``{field: [{"error": code}]}`` (Copper's shape) as ``{field: [code]}``."""
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, list[str]] = {}
    for field, items in raw.items():
        codes = items if isinstance(items, list) else [items]
        out[str(field)] = [str(c.get("error")) if isinstance(c, Mapping) else str(c) for c in codes]
    return out


def error_for(status: int, headers: Mapping[str, str], content: bytes) -> ApiError:
    """The exception for an error answer (``status`` >= 400)."""
    body = _decode(content)
    obj = body if isinstance(body, Mapping) else {}
    message = obj.get("message")
    if not isinstance(message, str):
        message = obj.get("error") if isinstance(obj.get("error"), str) else None
    text = message or (body if isinstance(body, str) and body else f"HTTP {status}")
    if status in (401, 403):
        return AuthenticationError(status, text, body)
    if status == 404:
        return NotFoundError(status, text, body)
    if status == 429:
        wait = retry_after_seconds(headers.get("retry-after"))
        return RateLimitedError(status, text, body, retry_after=wait)
    if status >= 500:
        return ServerError(status, text, body)
    if status == 422:
        too_large = _TOO_LARGE.search(str(obj.get("error") or ""))
        if too_large:
            return RequestTooLargeError(status, text, body, limit=int(too_large.group(1)))
        ids = obj.get("ids")
        worded = "match" in text.lower() and _AMBIGUOUS.search(text) is not None
        if isinstance(ids, list) or ("errors" not in obj and worded):
            found = ids if isinstance(ids, list) else []
            return AmbiguousMatchError(status, text, body, ids=[int(i) for i in found])
        return ValidationError(status, text, body, errors=field_codes(obj.get("errors")))
    return BadRequestError(status, text, body)
