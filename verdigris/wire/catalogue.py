"""Every error code and message verdigris answers with, in one place.

A leaf module (no imports from verdigris): the domain, the server and the SDK all read
it, and docs/errors.md is checked against it (tests/test_error_docs.py). Constants ending
in ``_MESSAGE`` are whole messages; ``{name}`` fields in them are filled with
:meth:`str.format` (a message holding literal braces has no fields and is sent as is).
Constants ending in ``_PREFIX`` start a message whose end varies.

Validation messages are Copper's: :data:`VALIDATION_PREFIX`, then one ``Field: text``
line per field, the texts of :data:`CODE_TEXT`, then details in parentheses
(``verdigris.domain.errors.FieldErrors`` writes them).
"""

from __future__ import annotations

from typing import Final

#: every validation error code, with the words Copper's messages use for it
CODE_TEXT: Final = {
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
    "not_on_tasks": "is not available on tasks",
    "not_available_here": "is not available on this kind of record",
}

# --- 422: validation ----------------------------------------------------------------------

#: how every validation message starts (Copper's wording); ``Field: text`` lines follow
VALIDATION_PREFIX: Final = "Invalid input: Validation errors: "
#: Copper's message for unknown search parameters; the key names follow, comma-separated
UNRECOGNIZED_PREFIX: Final = VALIDATION_PREFIX + "Base: Unrecognized attributes specified: "

# --- 422: other ---------------------------------------------------------------------------

AMBIGUOUS_MATCH_MESSAGE: Final = "{count} leads match the given criteria; refine the match"
TOO_MANY_MATCHES_MESSAGE: Final = "More than 30 leads match the given criteria; refine the match"
AMBIGUOUS_COMPANY_MESSAGE: Final = (
    "Company name {name!r} matches {count} companies; pass company.id, "
    "or exact_match: true to use the company with exactly this name"
)
ALREADY_CONVERTED_MESSAGE: Final = "Lead {lead_id} has already been converted"
CONVERTED_LEAD_MESSAGE: Final = "Lead {lead_id} has been converted and can no longer change"
#: Copper's documented bulk-limit body is ``{"error": BULK_TOO_LARGE_MESSAGE}``, nothing else
BULK_TOO_LARGE_MESSAGE: Final = "Request size too large, limit is {limit}"
#: why a bulk item that is not an object failed (kept with the failure; the wire shows a
#: failed item's ``errors``, not a message)
BULK_ITEM_NOT_AN_OBJECT: Final = "Each item must be an object"
#: Copper's 422 for a webhook target it does not take (an http URL, not a URL)
WEBHOOK_TARGET_MESSAGE: Final = "Invalid input: Invalid URI For External Resource"
#: a webhook target whose address is in a private range (verdigris's safety rule)
WEBHOOK_PRIVATE_TARGET_MESSAGE: Final = (
    "Invalid input: Invalid URI For External Resource (the address is in a private range; "
    "see webhook_allow_private and webhook_allow_hosts)"
)
#: Copper: "You may have up to 100 active subscriptions per account"
WEBHOOK_LIMIT_MESSAGE: Final = (
    "Invalid input: Subscription limit reached: at most {limit} subscriptions per account"
)
#: the note of an invalid delivery mode of a subscription (extension route)
WEBHOOK_MODE_NOTE: Final = 'mode must be "copper" or "reliable"'

# --- 400 ----------------------------------------------------------------------------------

MALFORMED_JSON_MESSAGE: Final = "Malformed JSON in request body: {reason}"
#: the reason of :data:`MALFORMED_JSON_MESSAGE` for a body nested past what the decoder takes
NESTED_TOO_DEEP: Final = "arrays and objects nested too deeply"
NOT_AN_OBJECT_MESSAGE: Final = "The {what} must be a JSON object"
BODY_NOT_AN_OBJECT_MESSAGE: Final = "The request body must be a JSON object"
SEARCH_BODY_MESSAGE: Final = "The request body must be a JSON object of search parameters"
BULK_BODY_MESSAGE: Final = 'The request body must be {"leads": [...]}'
ACTIVITY_BULK_BODY_MESSAGE: Final = 'The request body must be {"activities": [...]}'
CONVERT_DETAILS_MESSAGE: Final = '"details" must be an object {"person", "company", "opportunity"}'

# --- 401 ----------------------------------------------------------------------------------

MISSING_CREDENTIALS_MESSAGE: Final = (
    "Missing credentials: send X-PW-AccessToken and X-PW-UserEmail headers"
)
WRONG_APPLICATION_MESSAGE: Final = "X-PW-Application must be {application!r}"
BAD_CREDENTIALS_MESSAGE: Final = "Invalid API key or user email"

# --- 404, 405, 413 ------------------------------------------------------------------------

NOT_FOUND_MESSAGE: Final = "Resource not found"
METHOD_NOT_ALLOWED_MESSAGE: Final = "Method not allowed for this path"
BODY_TOO_LARGE_MESSAGE: Final = "Request body is larger than the limit of {limit} bytes"

# --- 429 ----------------------------------------------------------------------------------

RATE_LIMITED_MESSAGE: Final = (
    "{limit}: at most {amount} per {multiples} {granularity}; retry after {seconds}s"
)
#: the ``{limit}`` of :data:`RATE_LIMITED_MESSAGE`: every call, and bulk calls
GENERAL_RATE_LIMIT: Final = "API rate limit exceeded"
BULK_RATE_LIMIT: Final = "Bulk API rate limit exceeded"
#: too many failed authentications from one address (or for one email); windows in seconds
AUTH_FAILED_MESSAGE: Final = (
    "Too many failed authentication attempts: at most {amount} per {multiples} seconds; "
    "retry after {seconds}s"
)

# --- 500, 503 -----------------------------------------------------------------------------

INTERNAL_ERROR_MESSAGE: Final = "Internal server error"
UNAVAILABLE_MESSAGE: Final = "The database is unavailable or busy; retry shortly"
#: never delivered: the client is gone (nginx's 499, "client closed request")
CLIENT_CLOSED_MESSAGE: Final = "The client closed the connection before its request arrived"

# --- the emulator's controls (verdigris serve --emulator, /verdigris/v1) --------------------

#: 401: a control called without the admin token the server was started with
EMULATOR_ADMIN_TOKEN_MESSAGE: Final = (
    "Emulator controls need the admin token: send it in X-Verdigris-Admin-Token"
)
#: 401: an account's key asked for what only the admin token may do
EMULATOR_ADMIN_ONLY_MESSAGE: Final = (
    "Only the admin token controls every account; an account's key controls its own"
)
#: 400: a control's body or query that cannot be used
EMULATOR_BAD_CONTROL_MESSAGE: Final = "Invalid emulator control: {reason}"

# --- history, idempotency keys, dry runs (issue 19) ---------------------------------------

#: 422: an ``Idempotency-Key`` sent again with another method, route or body
IDEMPOTENCY_KEY_REUSED_MESSAGE: Final = (
    "Idempotency-Key {key!r} was already used for a different request: "
    "send a new key for a new request"
)
#: 422: an ``Idempotency-Key`` that is empty or longer than 255 characters
IDEMPOTENCY_KEY_INVALID_MESSAGE: Final = "Idempotency-Key must be 1 to 255 printable characters"
#: 409: the first request with this key has not finished (seen only if it never will)
IDEMPOTENCY_KEY_BUSY_MESSAGE: Final = (
    "A request with Idempotency-Key {key!r} is still being processed; retry shortly"
)
#: 422: restoring (as deleted) a lead that exists
LEAD_NOT_DELETED_MESSAGE: Final = "Lead {lead_id} is not deleted"
#: 422: a diff or restore between versions needs two version numbers
VERSIONS_PARAMETERS_MESSAGE: Final = "from and to must be version numbers of this lead"
#: 422: an import run id that is empty or longer than 64 characters
IMPORT_RUN_INVALID_MESSAGE: Final = "X-Verdigris-Import-Run must be 1 to 64 characters"
#: 422: a history route's number parameter (limit, before, after, from, to) out of range
HISTORY_PARAMETER_MESSAGE: Final = (
    VALIDATION_PREFIX + "{label}: is invalid ({name} must be a whole number from {low} to {high})"
)

# --- history of people, companies and opportunities (issue 21) ----------------------------

#: 422: restoring (as deleted) a person, company or opportunity that exists
RECORD_NOT_DELETED_MESSAGE: Final = "{kind} {record_id} is not deleted"
#: 422: a diff between versions of a person, company or opportunity needs two numbers
RECORD_VERSIONS_PARAMETERS_MESSAGE: Final = "from and to must be version numbers of this {kind}"
