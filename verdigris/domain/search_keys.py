"""How leads compare in search: the keys stored next to each lead and used by queries.

The store writes them with every lead (and migration 0002 computed them for existing
leads); :mod:`verdigris.domain.search` turns filter values into the same keys. Keys are
never null, so that SQLite and PostgreSQL sort missing values alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: the id that stands for "no value" in assignee_ids and customer_source_ids
NO_VALUE_ID = -2
KEY_MAX = 255


def text_key(value: str | None) -> str:
    """How text is compared and sorted: trimmed, lower-cased; ``""`` when absent."""
    return (value or "").strip().lower()[:KEY_MAX]


#: ``str.translate`` table deleting every ASCII character that is not a digit
_ASCII_NON_DIGITS = str.maketrans(
    "", "", "".join(chr(c) for c in range(128) if not chr(c).isdigit())
)


def phone_digits(number: str | None) -> str:
    """A phone number as its digits only: ``"415-999-4321"`` -> ``"4159994321"``.

    Digits are what ``str.isdigit`` says (other scripts' digits too). An ASCII number,
    the usual case, is filtered in one ``translate`` (a generator over its characters
    costs three times as much)."""
    if not number:
        return ""
    if number.isascii():
        return number.translate(_ASCII_NON_DIGITS)[:KEY_MAX]
    return "".join(ch for ch in number if ch.isdigit())[:KEY_MAX]


def tag_key(tag: str) -> str:
    """Tags match ignoring letter case and surrounding spaces."""
    return tag.strip().lower()[:KEY_MAX]


def lead_keys(
    *,
    name: str | None,
    first_name: str | None,
    last_name: str | None,
    company_name: str | None,
    title: str | None,
    email: str | None,
    phones: Iterable[str],
    city: str | None,
    state: str | None,
    postal_code: str | None,
    country: str | None,
    monetary_value: float | None,
    date_last_contacted: int | None,
    assignee_id: int | None,
    customer_source_id: int | None,
    tags: Iterable[str],
) -> dict[str, Any]:
    """The sort and filter keys stored with a lead (never null, so both engines sort alike).

    A missing value sorts as ``""`` (text), ``0`` (value) or ``0`` (last contact); a
    missing assignee or source is :data:`NO_VALUE_ID`, as Copper's filters spell it.
    """
    first_phone = next(iter(phones), None)
    return {
        "name_key": text_key(name),
        "first_name_key": text_key(first_name),
        "last_name_key": text_key(last_name),
        "company_key": text_key(company_name),
        "title_key": text_key(title),
        "email_key": text_key(email),
        "phone_key": phone_digits(first_phone),
        "city_key": text_key(city),
        "state_key": text_key(state),
        "postal_key": text_key(postal_code),
        "country_key": text_key(country),
        "value_key": float(monetary_value or 0),
        "contacted_key": int(date_last_contacted or 0),
        "assignee_key": NO_VALUE_ID if assignee_id is None else assignee_id,
        "source_key": NO_VALUE_ID if customer_source_id is None else customer_source_id,
        "tag_count": len(tag_keys(tags)),
    }


def tag_keys(tags: Iterable[str]) -> list[str]:
    """The tag rows of a lead: its distinct tag keys."""
    return list(dict.fromkeys(k for k in (tag_key(t) for t in tags) if k))


def phone_keys(numbers: Iterable[str]) -> list[str]:
    """The phone rows of a lead: the distinct digit strings of its numbers."""
    return list(dict.fromkeys(d for d in map(phone_digits, numbers) if d))


def reversed_digits(digits: str) -> str:
    """A phone row's digits backwards: "ends with" becomes "starts with", an index range
    (``"4085551234"`` -> ``"4321555804"``; migration 0007 computed it for existing rows)."""
    return digits[::-1]
