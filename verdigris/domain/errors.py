"""Errors raised by the domain and the services.

They carry what went wrong in domain terms; ``verdigris.server.errors`` is the one
place that turns them into HTTP statuses and Copper's JSON bodies. Their codes and
messages come from :mod:`verdigris.wire.catalogue`. :class:`FieldErrors` is the one
collector every validator reports field errors to.

    VerdigrisError
    ├── MalformedRequest       the body is not JSON, or not the expected JSON shape
    ├── ValidationFailed       one or more fields are invalid (field -> error codes)
    ├── NotFound               no such resource in the caller's account
    ├── AmbiguousMatch         an upsert matched more than one lead
    │   └── AmbiguousCompany   a conversion's company name fits several companies
    ├── BulkTooLarge           a bulk request carried more items than the limit
    ├── AlreadyConverted       a lead can be converted once only
    ├── Unauthenticated        missing or wrong credentials
    ├── RateLimited            the caller is over a rate limit
    └── Unprocessable          refused as a whole, with a message only (a webhook target)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from verdigris.wire import catalogue
from verdigris.wire.catalogue import CODE_TEXT, UNRECOGNIZED_PREFIX, VALIDATION_PREFIX

__all__ = [
    "CODE_TEXT",
    "UNRECOGNIZED_PREFIX",
    "VALIDATION_PREFIX",
    "AlreadyConverted",
    "AmbiguousCompany",
    "AmbiguousMatch",
    "BulkTooLarge",
    "FieldErrors",
    "MalformedRequest",
    "NotFound",
    "RateLimited",
    "Unauthenticated",
    "Unprocessable",
    "ValidationFailed",
    "VerdigrisError",
    "describe_errors",
    "field_failure",
]


class VerdigrisError(Exception):
    """Base of every error verdigris raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedRequest(VerdigrisError):
    """The request body could not be read as the JSON the endpoint expects."""


class ValidationFailed(VerdigrisError):
    """Field-level validation errors, as Copper's ``{field: [{"error": code}]}``."""

    def __init__(self, errors: Mapping[str, Sequence[str]], message: str | None = None) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        super().__init__(message or describe_errors(self.errors))


class NotFound(VerdigrisError):
    """No resource with that id in the caller's account."""


class AmbiguousMatch(VerdigrisError):
    """An upsert's match criteria found more than one lead."""

    def __init__(self, ids: Sequence[int], truncated: bool) -> None:
        self.ids = list(ids)
        self.truncated = truncated
        if truncated:
            msg = catalogue.TOO_MANY_MATCHES_MESSAGE
        else:
            msg = catalogue.AMBIGUOUS_MATCH_MESSAGE.format(count=len(self.ids))
        super().__init__(msg)


class AmbiguousCompany(AmbiguousMatch):
    """A lead conversion named a company that fuzzily matches several companies."""

    def __init__(self, name: str, ids: Sequence[int]) -> None:
        VerdigrisError.__init__(
            self, catalogue.AMBIGUOUS_COMPANY_MESSAGE.format(name=name, count=len(ids))
        )
        self.ids = list(ids)
        self.truncated = False


class BulkTooLarge(VerdigrisError):
    """A bulk request is over the per-request item limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(catalogue.BULK_TOO_LARGE_MESSAGE.format(limit=limit))


class AlreadyConverted(VerdigrisError):
    """The lead was converted before."""


class Unauthenticated(VerdigrisError):
    """Missing or invalid API credentials."""


class RateLimited(VerdigrisError):
    """Over a rate limit; ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unprocessable(VerdigrisError):
    """A request refused as a whole (422 with a message and no field errors), e.g. a
    webhook target Copper would not take."""


class FieldErrors:
    """THE field-error collector: every validator adds ``(field, code, note)`` while it
    reads a body, then raises them all at once as Copper's message (the notes, which
    say what was wrong in plain words, follow in parentheses).

    ``distinct``: a code is listed once per field however often it is added (the
    notes are all kept).
    """

    def __init__(self, *, distinct: bool = False) -> None:
        self.by_field: dict[str, list[str]] = {}
        self.notes: list[str] = []
        self.distinct = distinct

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def add(self, field: str, code: str, note: str | None = None) -> None:
        codes = self.by_field.setdefault(field, [])
        if not (self.distinct and code in codes):
            codes.append(code)
        if note:
            self.notes.append(note)

    def failure(self) -> ValidationFailed:
        """The :class:`ValidationFailed` naming every field, with the notes appended."""
        message = describe_errors(self.by_field)
        if self.notes:
            message += " (" + "; ".join(self.notes) + ")"
        return ValidationFailed(self.by_field, message)

    def raise_if_any(self) -> None:
        """Raise :meth:`failure` if any error was added."""
        if self.by_field:
            raise self.failure()


def describe_errors(errors: Mapping[str, Sequence[str]]) -> str:
    """Copper's wording: ``Invalid input: Validation errors: Name: can't be blank``."""
    lines = []
    for field, codes in errors.items():
        label = field.replace("_", " ").capitalize()
        texts = ", ".join(CODE_TEXT.get(code, code) for code in codes)
        lines.append(f"{label}: {texts}")
    return VALIDATION_PREFIX + "\n".join(lines)


def field_failure(field: str, code: str, text: str) -> ValidationFailed:
    """A failure of one field whose message is Copper's prefix and ``text`` alone
    (no ``Field: text`` line), as the upsert's ``match`` errors read."""
    return ValidationFailed({field: [code]}, VALIDATION_PREFIX + text)


class IdempotencyKeyReused(VerdigrisError):
    """An ``Idempotency-Key`` sent again for a different request (422), or not a key."""


class IdempotencyKeyBusy(VerdigrisError):
    """The first request with this ``Idempotency-Key`` is still running (409)."""
