"""Errors raised by the domain and the services.

They carry what went wrong in domain terms; ``verdigris.server.errors`` is the one
place that turns them into HTTP statuses and Copper's JSON bodies.

    VerdigrisError
    ├── MalformedRequest       the body is not JSON, or not the expected JSON shape
    ├── ValidationFailed       one or more fields are invalid (field -> error codes)
    ├── NotFound               no such resource in the caller's account
    ├── AmbiguousMatch         an upsert matched more than one lead
    │   └── AmbiguousCompany   a conversion's company name fits several companies
    ├── BulkTooLarge           a bulk request carried more items than the limit
    ├── AlreadyConverted       a lead can be converted once only
    ├── Unauthenticated        missing or wrong credentials
    └── RateLimited            the caller is over a rate limit
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


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
            msg = "More than 30 leads match the given criteria; refine the match"
        else:
            msg = f"{len(self.ids)} leads match the given criteria; refine the match"
        super().__init__(msg)


class AmbiguousCompany(AmbiguousMatch):
    """A lead conversion named a company that fuzzily matches several companies."""

    def __init__(self, name: str, ids: Sequence[int]) -> None:
        VerdigrisError.__init__(
            self,
            f"Company name {name!r} matches {len(ids)} companies; pass company.id, "
            "or exact_match: true to use the company with exactly this name",
        )
        self.ids = list(ids)
        self.truncated = False


class BulkTooLarge(VerdigrisError):
    """A bulk request is over the per-request item limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"Request size too large, limit is {limit}")


class AlreadyConverted(VerdigrisError):
    """The lead was converted before."""


class Unauthenticated(VerdigrisError):
    """Missing or invalid API credentials."""


class RateLimited(VerdigrisError):
    """Over a rate limit; ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


#: every validation error code, with the words Copper's messages use for it
CODE_TEXT = {
    "blank": "can't be blank",
    "invalid": "is invalid",
    "invalid_type": "has the wrong type",
    "invalid_category": "has an unknown category",
    "too_long": "is too long",
    "not_found": "was not found",
    "unsupported": "is not supported",
    "not_filterable": "is not filterable",
    "not_available": "is not available on leads",
    "taken": "has already been taken",
    "not_matchable": "cannot be a match key",
    "unrecognized": "unrecognized attributes specified",
}
#: how every validation message starts (Copper's wording); ``Field: text`` lines follow
VALIDATION_PREFIX = "Invalid input: Validation errors: "
#: Copper's message for unknown search parameters; the key names follow, comma-separated
UNRECOGNIZED_PREFIX = VALIDATION_PREFIX + "Base: Unrecognized attributes specified: "


class FieldErrors:
    """Collects field errors while a body is validated, then raises them all at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}
        self.notes: list[str] = []

    def add(self, field: str, code: str, note: str | None = None) -> None:
        self.by_field.setdefault(field, []).append(code)
        if note:
            self.notes.append(note)

    def raise_if_any(self) -> None:
        """Raise :class:`ValidationFailed` naming every field, with the notes appended."""
        if self.by_field:
            message = describe_errors(self.by_field)
            if self.notes:
                message += " (" + "; ".join(self.notes) + ")"
            raise ValidationFailed(self.by_field, message)


def describe_errors(errors: Mapping[str, Sequence[str]]) -> str:
    """Copper's wording: ``Invalid input: Validation errors: Name: can't be blank``."""
    lines = []
    for field, codes in errors.items():
        label = field.replace("_", " ").capitalize()
        texts = ", ".join(CODE_TEXT.get(code, code) for code in codes)
        lines.append(f"{label}: {texts}")
    return VALIDATION_PREFIX + "\n".join(lines)
