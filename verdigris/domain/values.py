"""The bounds every value a client sends must keep before it goes near a database.

One check per concern, shared by every parser in the domain, so that SQLite and
PostgreSQL answer bad input alike (a 4xx in Copper's shape) instead of one storing it
and the other failing on it:

- whole numbers (ids, dates, counts, paging) fit a signed 64-bit integer;
- numbers (``monetary_value``, Float custom fields, range bounds) are finite doubles;
- text holds no NUL character (PostgreSQL cannot store one) and fits its column;
- a list filter holds at most :data:`MAX_LIST_VALUES` values, and a search has at most
  :data:`MAX_CUSTOM_FILTERS` custom field filters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from verdigris.domain.errors import FieldErrors

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: values in one list filter of a search (``ids``, ``status_ids``, ``emails``, ``tags``, …);
#: PostgreSQL takes at most 65,535 parameters in one statement
MAX_LIST_VALUES = 1000
#: custom field filters in one search (each may list up to MAX_LIST_VALUES option ids)
MAX_CUSTOM_FILTERS = 20
NUL = "\x00"


def fits_int64(value: int) -> bool:
    """Whether a whole number fits the 64-bit columns ids, dates and counts live in."""
    return INT64_MIN <= value <= INT64_MAX


def is_finite(value: float | int) -> bool:
    """Whether a number is a finite double (no NaN, no infinity, no int past ~1.8e308)."""
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            return False
        return True
    return math.isfinite(value)


def text_problem(value: str, limit: int | None) -> str | None:
    """The error code for a text value, or ``None`` when it is fine.

    ``invalid`` for a NUL character, ``too_long`` past ``limit`` characters (the
    column's length; ``None`` for unbounded text)."""
    if NUL in value:
        return "invalid"
    if limit is not None and len(value) > limit:
        return "too_long"
    return None


def nul_location(data: Any) -> str | None:
    """Where the first NUL character of a decoded JSON value is, or ``None``.

    The answer is the top-level key that holds it (a key with a NUL names itself),
    ``""`` when the value is not an object. Iterative: depth does not matter."""
    stack: list[tuple[str, Any]] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            label = str(key).replace(NUL, "")
            if NUL in str(key):
                return label or "key"
            stack.append((label, value))
    else:
        stack.append(("", data))
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return where
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if NUL in str(key):
                    return where
                stack.append((where, item))
        elif isinstance(value, list):
            stack.extend((where, item) for item in value)
    return None


def reject_nul(body: Any, query: Iterable[tuple[str, str]] = ()) -> None:
    """Raise :class:`ValidationFailed` (``invalid``) if a request's JSON body or query
    string holds a NUL character anywhere: in a field verdigris stores, a filter, or a
    key it would ignore. PostgreSQL cannot store or compare one; SQLite would store it."""
    where = nul_location(body)
    if where is None:
        where = next((k.replace(NUL, "") or "key" for k, v in query if NUL in k + v), None)
    if where is not None:
        field = where or "body"
        errors = FieldErrors()
        errors.add(field, "invalid", f"{field} contains a NUL character (\\u0000)")
        errors.raise_if_any()
