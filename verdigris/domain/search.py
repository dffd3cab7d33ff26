"""Lead search: Copper's ``POST /leads/search`` parameters as a storage-neutral query.

Parameters arrive in the JSON body, in the query string (n8n sends its filters and
``page_size`` there with an empty body), or both; the body wins key by key. Numbers
may be strings (``"page_number": "1"``). :func:`parse_search` validates everything
at once into a :class:`SearchQuery`; the store turns that into SQL.

Text filters are turned into the comparison keys of :mod:`verdigris.domain.search_keys`,
the same functions the store uses to write the keys next to each lead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Self

import msgspec

from verdigris.domain.custom_field_filters import CustomFilter
from verdigris.domain.errors import (
    UNRECOGNIZED_PREFIX,
    FieldErrors,
    MalformedRequest,
    ValidationFailed,
)
from verdigris.domain.search_keys import NO_VALUE_ID, tag_key, text_key
from verdigris.domain.values import (
    DEFAULT_PAGE_SIZE,
    fits_int64,
    number_problem,
    paging,
    parse_int,
    parse_number,
    too_many,
    whole,
)
from verdigris.wire import catalogue

#: Copper's sort fields (footnote 1 of "List Leads (Search)")
SORT_FIELDS = (
    "name",
    "first_name",
    "last_name",
    "company_name",
    "title",
    "value",
    "email",
    "phone",
    "date_modified",
    "date_created",
    "city",
    "state",
    "country",
    "zip",
    "inactive_days",
)
#: Copper returns at most the first 100,000 records of a search, whatever the paging
RESULT_WINDOW = 100_000
TAG_OPTIONS = ("ANY", "ALL")
#: Copper's phone number search schemes ("Search by Phone Number", introduction/search.html)
PHONE_MATCHES = ("partial", "fuzzy")
#: fuzzy search strips 1 to this many leading digits ...
FUZZY_STRIPPED = 6
#: ... and drops what is left when it is shorter than this
FUZZY_MIN_DIGITS = 6
#: every parameter of Copper's "List Leads (Search)" (custom field filters included)
SEARCH_KEYS = frozenset(
    {
        "page_number",
        "page_size",
        "sort_by",
        "sort_direction",
        "ids",
        "name",
        "phone_number",
        "emails",
        "assignee_ids",
        "status_ids",
        "customer_source_ids",
        "city",
        "state",
        "postal_code",
        "country",
        "tags",
        "socials",
        "followed",
        "age",
        "include_converted_leads",
        "custom_fields",
        *(
            f"{side}_{name}"
            for side in ("minimum", "maximum")
            for name in (
                "monetary_value",
                "interaction_count",
                "interaction_date",
                "created_date",
                "modified_date",
            )
        ),
    }
)
#: query-string keys that are not search parameters but harmless: Copper's own
#: ``custom_field_computed_values`` switch, and ``_``, the cache buster that jQuery
#: and other browser clients add (``?_=1700000000000``)
HARMLESS_QUERY_KEYS = frozenset({"custom_field_computed_values", "_"})


@dataclass(frozen=True)
class Range:
    """Inclusive bounds; ``None`` leaves that side open."""

    low: float | None = None
    high: float | None = None

    @property
    def active(self) -> bool:
        return self.low is not None or self.high is not None


@dataclass(frozen=True)
class TagFilter:
    """``keys`` (tag keys): leads with any (or all) of them; ``empty``: leads without tags."""

    keys: tuple[str, ...] = ()
    match_all: bool = False
    empty: bool = False


class SearchPage:
    """What every search query (leads, people, companies, opportunities) derives from
    its paging and ``followed`` fields, mixed into their dataclasses."""

    page_number: int
    page_size: int
    followed: bool | None

    @property
    def offset(self) -> int:
        return (self.page_number - 1) * self.page_size

    @property
    def limit(self) -> int:
        """Rows of this page inside Copper's 100,000-record window (0 past it)."""
        return max(0, min(self.page_size, RESULT_WINDOW - self.offset))

    @property
    def matches_nothing(self) -> bool:
        """True when the filters exclude every record (verdigris has no followers:
        ``followed: 1`` matches nothing)."""
        return self.followed is True


class AgedSearchPage(SearchPage):
    """A :class:`SearchPage` with Copper's ``age`` filter (leads, people, companies)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]
    max_age: int | None
    created_date: Range

    def at(self, now: int) -> Self:
        """The query with ``age`` turned into a lower bound on the creation date."""
        if self.max_age is None:
            return self
        since = now - self.max_age
        low = self.created_date.low
        bound = since if low is None else max(low, since)
        return replace(self, max_age=None, created_date=Range(bound, self.created_date.high))


@dataclass(frozen=True)
class SearchQuery(AgedSearchPage):
    """A validated lead search. ``None`` means "no filter" throughout.

    Text filters hold comparison keys (:func:`text_key`); for city, state and
    postal_code the key ``""`` means "leads without one". Id lists may contain
    :data:`NO_VALUE_ID`.
    """

    page_number: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort_by: str = "name"
    descending: bool = False
    ids: tuple[int, ...] | None = None
    name_prefix: str | None = None
    #: the digits one of a lead's phone numbers must end with (see :func:`phone_suffix`)
    phone_suffix: str | None = None
    emails: tuple[str, ...] | None = None
    assignee_ids: tuple[int, ...] | None = None
    status_ids: tuple[int, ...] | None = None
    customer_source_ids: tuple[int, ...] | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    tags: TagFilter | None = None
    followed: bool | None = None
    max_age: int | None = None
    monetary_value: Range = Range()
    interaction_count: Range = Range()
    interaction_date: Range = Range()
    created_date: Range = Range()
    modified_date: Range = Range()
    include_converted: bool = False
    #: filters on custom fields (issue 5), resolved against the account's definitions
    custom_fields: tuple[CustomFilter, ...] = ()


# --- reading the parameters ---------------------------------------------------------------


def merge_params(body: Any, query: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """One parameter dict from the query string and the JSON body (the body wins).

    A key repeated in the query string (``status_ids=1&status_ids=2``) or written with
    brackets (``status_ids[]=1``) gives a list.
    """
    if body is not None and not isinstance(body, Mapping):
        raise MalformedRequest(catalogue.SEARCH_BODY_MESSAGE)
    params: dict[str, Any] = {}
    for raw_key, value in query:
        key = raw_key[:-2] if raw_key.endswith("[]") else raw_key
        if key in params:
            held = params[key]
            params[key] = [*held, value] if isinstance(held, list) else [held, value]
        else:
            params[key] = [value] if raw_key.endswith("[]") else value
    params.update(body or {})
    return params


def unrecognized_keys(body: Any, query: Iterable[tuple[str, str]]) -> list[str]:
    """The keys of a lead search that are not Copper search parameters, in the order
    sent (query string first, as on the wire; each key once).

    Body keys must be search parameters; query-string keys may also be one of
    :data:`HARMLESS_QUERY_KEYS`, and may carry brackets (``tags[]``).
    """
    unknown: dict[str, None] = {}
    for raw_key, _value in query:
        key = raw_key[:-2] if raw_key.endswith("[]") else raw_key
        if key not in SEARCH_KEYS and key not in HARMLESS_QUERY_KEYS:
            unknown.setdefault(raw_key, None)
    if isinstance(body, Mapping):
        for key in body:
            if key not in SEARCH_KEYS:
                unknown.setdefault(str(key), None)
    return list(unknown)


def search_params(body: Any, query: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """:func:`merge_params` for ``POST /leads/search``, refusing unknown keys as Copper
    does: ``Invalid input: Validation errors: Base: Unrecognized attributes specified:
    KEY1, KEY2`` (a misspelled filter must not silently match every lead)."""
    items = list(query)
    unknown = unrecognized_keys(body, items)
    if unknown:
        raise ValidationFailed(
            {"base": ["unrecognized"]},
            UNRECOGNIZED_PREFIX + ", ".join(unknown),
        )
    return merge_params(body, items)


def _maybe_json(raw: Any) -> Any:
    """Query-string values may carry JSON lists or objects (``tags=["a","b"]``)."""
    if isinstance(raw, str) and raw.strip()[:1] in ("[", "{"):
        try:
            return msgspec.json.decode(raw.strip())
        except (msgspec.DecodeError, RecursionError):
            return raw
    return raw


def _number(p: FieldErrors, field: str, raw: Any) -> float | None:
    if raw is None or raw == "" or isinstance(raw, bool):
        return None
    number = parse_number(raw)
    if number is None:
        if number_problem(raw) == "invalid":
            p.add(field, "invalid", f"{field} must be a finite number")
        else:
            p.add(field, "invalid_type", f"{field} must be a number")
        return None
    return float(number)


def _text(p: FieldErrors, field: str, raw: Any) -> str | None:
    """A string filter; numbers are read as text (a postal code sent as 18503)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    p.add(field, "invalid_type", f"{field} must be a string")
    return None


def _bool(p: FieldErrors, field: str, raw: Any) -> bool | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    p.add(field, "invalid_type", f"{field} must be true or false")
    return None


def _ids(p: FieldErrors, field: str, raw: Any) -> tuple[int, ...] | None:
    """An id list: a JSON list, one id, or ``"1,2"``; an empty list is no filter."""
    raw = _maybe_json(raw)
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    elif not isinstance(raw, list):
        raw = [raw]
    if too_many(p, field, raw):
        return None
    out: list[int] = []
    for item in raw:
        value = parse_int(item)
        if value is None or (value < 0 and value != NO_VALUE_ID):
            p.add(field, "invalid", f"{field} must be a list of ids (-2 for none)")
            return None
        out.append(value)
    return tuple(dict.fromkeys(out)) or None


def _emails(p: FieldErrors, raw: Any) -> tuple[str, ...] | None:
    """Copper documents one string for leads; a list (as People search takes) also works."""
    raw = _maybe_json(raw)
    if raw is None:
        return None
    items = raw if isinstance(raw, list) else [raw]
    if too_many(p, "emails", items):
        return None
    if not all(isinstance(item, str) for item in items):
        p.add("emails", "invalid_type", "emails must be an email address (or a list of them)")
        return None
    keys = tuple(dict.fromkeys(k for k in (text_key(item) for item in items) if k))
    return keys or None


def _tags(p: FieldErrors, raw: Any) -> TagFilter | None:
    raw = _maybe_json(raw)
    if raw is None:
        return None
    match_all = False
    empty = False
    if isinstance(raw, Mapping):
        option = str(raw.get("option") or "ANY").strip().upper()
        if option not in TAG_OPTIONS:
            p.add("tags", "invalid", "tags option must be ANY or ALL")
            return None
        match_all = option == "ALL"
        empty = _bool(p, "tags", raw.get("allow_empty")) or False
        raw = _maybe_json(raw.get("value"))
        if raw is None:
            raw = []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        p.add("tags", "invalid_type", 'tags must be a list of strings or {"option", "value"}')
        return None
    if too_many(p, "tags", raw):
        return None
    keys = tuple(dict.fromkeys(k for k in (tag_key(t) for t in raw) if k))
    if not keys and not empty:
        return None  # an empty list filters nothing (clients send "tags": [] by default)
    return TagFilter(keys, match_all and bool(keys), empty)


def _range(p: FieldErrors, params: Mapping[str, Any], name: str, *, whole: bool) -> Range:
    bounds = []
    for side in ("minimum", "maximum"):
        field = f"{side}_{name}"
        raw = params.get(field)
        value: float | None
        if whole:
            number = _number(p, field, raw)
            value = None if number is None else float(int(number))
            if number is not None and not fits_int64(int(number)):
                p.add(field, "invalid", f"{field} must fit in 64 bits")
                value = None
        else:
            value = _number(p, field, raw)
        bounds.append(value)
    return Range(bounds[0], bounds[1])


def _sorting(p: FieldErrors, params: Mapping[str, Any]) -> tuple[str, bool]:
    sort_by = _text(p, "sort_by", params.get("sort_by")) or "name"
    sort_by = sort_by.strip().lower()
    if sort_by not in SORT_FIELDS:
        p.add("sort_by", "invalid", f"sort_by must be one of {', '.join(SORT_FIELDS)}")
    direction = (_text(p, "sort_direction", params.get("sort_direction")) or "asc").strip()
    if direction.lower() not in ("asc", "desc"):
        p.add("sort_direction", "invalid", "sort_direction must be asc or desc")
    return sort_by, direction.lower() == "desc"


def phone_suffix(digits: str, match: str | None = None) -> str:
    """The digits a lead's phone number must end with to match a phone search.

    Copper: a *partial* search finds the numbers ending with the digits; a *fuzzy* one
    also tries the digits with 1 to 6 leading digits stripped, dropping what is shorter
    than 6 digits. The default is fuzzy from 7 digits on, partial below. Every fuzzy
    candidate is a suffix of the digits, so "ends with one of them" is "ends with the
    shortest": ``4085551234`` fuzzy finds what ends with ``551234``.
    """
    if (match or "fuzzy") == "partial" or len(digits) <= FUZZY_MIN_DIGITS:
        return digits
    return digits[-max(len(digits) - FUZZY_STRIPPED, FUZZY_MIN_DIGITS) :]


def _phone(p: FieldErrors, raw: Any) -> str | None:
    """``phone_number``: a string (or number), or ``{"value": ..., "match": ...}``."""
    raw = _maybe_json(raw)
    match: str | None = None
    if isinstance(raw, Mapping):
        option = _text(p, "phone_number", raw.get("match"))
        match = (option or "").strip().lower() or None
        if match is not None and match not in PHONE_MATCHES:
            p.add("phone_number", "invalid", "phone_number match must be partial or fuzzy")
            return None
        raw = raw.get("value")
    phone = _text(p, "phone_number", raw) or ""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip() and not digits:
        p.add("phone_number", "invalid", "phone_number must contain digits")
    return phone_suffix(digits, match) if digits else None


def _optional_key(p: FieldErrors, params: Mapping[str, Any], field: str, *, empty_ok: bool) -> Any:
    """A text filter as a key. ``""`` means "without one" where Copper allows it."""
    raw = _text(p, field, params.get(field))
    if raw is None:
        return None
    key = text_key(raw)
    return key if key or empty_ok else None


def parse_search(params: Mapping[str, Any]) -> SearchQuery:
    """Validate search parameters; raise :class:`ValidationFailed` naming every bad one.

    Keys it does not know are not read here: :func:`search_params` refuses them first.
    """
    p = FieldErrors()
    page_number, page_size = paging(p, params)
    sort_by, descending = _sorting(p, params)

    followed = whole(p, "followed", params.get("followed"))
    if followed not in (None, 1, 2):
        p.add("followed", "invalid", "followed must be 1 (followed) or 2 (not followed)")
    age = whole(p, "age", params.get("age"))
    if age is not None and age < 0:
        p.add("age", "invalid", "age is a number of seconds, 0 or more")

    socials = _maybe_json(params.get("socials"))
    if socials not in (None, "", []):
        p.add("socials", "unsupported", "verdigris does not filter leads by socials")
    # custom_fields filters need the account's definitions: see parse_custom_filters

    query = SearchQuery(
        page_number=page_number,
        page_size=page_size,
        sort_by=sort_by,
        descending=descending,
        ids=_ids(p, "ids", params.get("ids")),
        name_prefix=_optional_key(p, params, "name", empty_ok=False),
        phone_suffix=_phone(p, params.get("phone_number")),
        emails=_emails(p, params.get("emails")),
        assignee_ids=_ids(p, "assignee_ids", params.get("assignee_ids")),
        status_ids=_ids(p, "status_ids", params.get("status_ids")),
        customer_source_ids=_ids(p, "customer_source_ids", params.get("customer_source_ids")),
        city=_optional_key(p, params, "city", empty_ok=True),
        state=_optional_key(p, params, "state", empty_ok=True),
        postal_code=_optional_key(p, params, "postal_code", empty_ok=True),
        country=_optional_key(p, params, "country", empty_ok=False),
        tags=_tags(p, params.get("tags")),
        followed=None if followed is None else followed == 1,
        max_age=age,
        monetary_value=_range(p, params, "monetary_value", whole=False),
        interaction_count=_range(p, params, "interaction_count", whole=True),
        interaction_date=_range(p, params, "interaction_date", whole=True),
        created_date=_range(p, params, "created_date", whole=True),
        modified_date=_range(p, params, "modified_date", whole=True),
        include_converted=_bool(p, "include_converted_leads", params.get("include_converted_leads"))
        or False,
    )
    p.raise_if_any()
    return query
