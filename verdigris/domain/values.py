"""Reading the values clients send, and the bounds every value keeps.

ONE parser per kind of value, shared by every validator in the domain (leads, custom
field values, upsert matches, searches, conversion, activities): ids and other whole
numbers (:func:`parse_int`), numbers (:func:`parse_number`, :func:`number_problem`,
:func:`canonical_number`), dates (:func:`parse_date`), text (:func:`check_text`),
paging (:func:`paging`) and list caps (:func:`too_many`). Problems go into the one
collector, :class:`verdigris.domain.errors.FieldErrors`.

The bounds are one check per concern, so that SQLite and PostgreSQL answer bad input
alike (a 4xx in Copper's shape) instead of one storing it and the other failing on it:

- whole numbers (ids, dates, counts, paging) fit a signed 64-bit integer;
- numbers (``monetary_value``, Float custom fields, range bounds) are finite doubles;
- text holds no NUL character (PostgreSQL cannot store one) and fits its column;
- a list filter holds at most :data:`MAX_LIST_VALUES` values, and a search has at most
  :data:`MAX_CUSTOM_FILTERS` custom field filters.
"""

from __future__ import annotations

import calendar
import datetime
import math
import re
from collections.abc import Iterable, Mapping, Sequence
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
#: integers a double holds exactly: a whole float below this reads as an int
INT_EXACT = 2**53
#: a search's (and the activity list's) page size when none is sent, and its maximum
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
_US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


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


# --- whole numbers: ids, counts, dates, paging ------------------------------------------------


def parse_int(value: Any) -> int | None:
    """An id or another whole number as clients send it: an int, an integral float or a
    string of digits (``"12"``, ``" -3 "``), within signed 64 bits. ``None`` if not one
    (``True`` is not ``1``)."""
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if text.removeprefix("-").isdecimal():
            number = int(text)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    return number if number is not None and fits_int64(number) else None


def parse_date(value: Any) -> int | None:
    """A date as Unix seconds: a whole number (64-bit), or Copper's documented
    ``mm/dd/yyyy`` (midnight UTC). ``None`` if neither."""
    if isinstance(value, str) and (m := _US_DATE.match(value)):
        month, day, year = (int(g) for g in m.groups())
        try:
            return calendar.timegm(datetime.date(year, month, day).timetuple())
        except ValueError:
            return None
    number = canonical_number(parse_number(value))
    return number if isinstance(number, int) and fits_int64(number) else None


# --- numbers -----------------------------------------------------------------------------------


def parse_number(value: Any) -> float | int | None:
    """A finite number from a JSON number (kept as sent) or a numeric string (a float).
    ``None`` for anything else, NaN, infinities and ints past a double."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    elif not isinstance(value, int | float):
        return None
    return value if is_finite(value) else None


def number_problem(value: Any) -> str | None:
    """Why ``value`` is not a number :func:`parse_number` reads: ``invalid_type`` when it
    is no number at all, ``invalid`` when it is one but not finite (``"nan"``, ``1e999``,
    a 400-digit integer); ``None`` when it reads."""
    if parse_number(value) is not None:
        return None
    if isinstance(value, str):
        try:
            float(value.strip())
        except ValueError:
            return "invalid_type"
        return "invalid"
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return "invalid" if numeric else "invalid_type"


def parse_amount(value: Any) -> float | int | None:
    """A money amount (``monetary_value``, kept in a double column): :func:`parse_number`,
    a whole number past 64 bits as the double it is, a numeric string's whole value as
    an int (``"12"`` -> ``12``)."""
    number = parse_number(value)
    if isinstance(value, str) and isinstance(number, float) and number.is_integer():
        return int(number)
    if isinstance(number, int) and not fits_int64(number):
        return float(number)
    return number


def canonical_number(number: float | int | None) -> float | int | None:
    """One form per number: a whole float a double holds exactly reads as the int it is
    (``42.0`` -> ``42``); others as they are."""
    if isinstance(number, float) and number.is_integer() and abs(number) < INT_EXACT:
        return int(number)
    return number


# --- text ----------------------------------------------------------------------------------------


def check_text(errors: FieldErrors, field: str, value: Any, limit: int | None) -> str | None:
    """A text field: ``None`` stays ``None``; not a string is ``invalid_type``; a NUL
    character ``invalid`` and past ``limit`` characters ``too_long``, each with a note."""
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(field, "invalid_type")
        return None
    return value if text_ok(errors, field, value, limit, label=field) else None


def text_ok(errors: FieldErrors, field: str, value: str, limit: int | None, *, label: str) -> bool:
    """Whether ``value`` keeps :func:`text_problem`'s bounds; if not, the problem is added
    under ``field`` with a note naming ``label`` (``address.city``)."""
    problem = text_problem(value, limit)
    if problem is None:
        return True
    if problem == "too_long":
        errors.add(field, problem, f"{label} must be at most {limit} characters")
    else:
        errors.add(field, problem, f"{label} must not contain a NUL character (\\u0000)")
    return False


#: the column length of each tag (of a lead, person, company, opportunity or task)
TAG_MAX = 255


def parse_tags(errors: FieldErrors, raw: Any) -> list[str]:
    """A record's ``tags``: a list of strings (``None``: none), each stripped, empty ones
    dropped, duplicates kept once in order; a tag with a NUL character is ``invalid``,
    one past :data:`TAG_MAX` characters ``too_long``."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        errors.add("tags", "invalid_type", "tags must be a list of strings")
        return []
    seen: dict[str, None] = {}
    for tag in raw:
        tag = tag.strip()
        problem = text_problem(tag, TAG_MAX)
        if problem is not None:
            errors.add("tags", problem)
        elif tag:
            seen.setdefault(tag, None)
    return list(seen)


# --- lists and paging ----------------------------------------------------------------------------


def too_many(
    errors: FieldErrors,
    field: str,
    values: Sequence[Any],
    *,
    limit: int = MAX_LIST_VALUES,
    label: str | None = None,
    noun: str = "values",
) -> bool:
    """Whether a list is over ``limit`` items (then ``invalid`` is added under ``field``:
    ``{label} takes at most {limit} {noun}``, the label being the field by default)."""
    if len(values) <= limit:
        return False
    errors.add(field, "invalid", f"{label or field} takes at most {limit:,} {noun}")
    return True


def whole(errors: FieldErrors, field: str, raw: Any) -> int | None:
    """An optional whole-number parameter (``None`` or ``""`` when absent)."""
    if raw is None or raw == "":
        return None
    value = parse_int(raw)
    if value is None:
        errors.add(field, "invalid_type", f"{field} must be a whole number (64-bit)")
    return value


def paging(
    errors: FieldErrors,
    params: Mapping[str, Any],
    *,
    default_size: int = DEFAULT_PAGE_SIZE,
    max_size: int = MAX_PAGE_SIZE,
) -> tuple[int, int]:
    """``(page_number, page_size)`` of any Copper list or search: ``page_number`` from
    1, ``page_size`` from 1 to ``max_size``; a bad one is reported and its default used."""
    page_number = whole(errors, "page_number", params.get("page_number"))
    if page_number is not None and page_number < 1:
        errors.add("page_number", "invalid", "page_number starts at 1")
    page_size = whole(errors, "page_size", params.get("page_size"))
    if page_size is not None and not 1 <= page_size <= max_size:
        errors.add("page_size", "invalid", f"page_size must be between 1 and {max_size}")
    return page_number or 1, page_size or default_size


def parse_paging(params: Mapping[str, Any]) -> tuple[int, int]:
    """:func:`paging` alone, raising :class:`ValidationFailed` (``POST /users/search``)."""
    errors = FieldErrors()
    result = paging(errors, params)
    errors.raise_if_any()
    return result
