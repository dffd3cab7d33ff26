"""``POST /people/search`` and ``POST /companies/search`` as storage-neutral queries.

Copper's parameters (developer.copper.com, "List People (Search)" and "List Companies
(Search)"): paging, sort, and filters that combine with AND. They read like the lead
search's (:mod:`verdigris.domain.search`), whose value parsers they share: the body and
the query string both count (the body wins), ids may be strings, ``-2`` stands for
"none", ``phone_number`` finds numbers *ending with* the digits (partial/fuzzy), ``tags``
takes a list or ``{"option": "ANY"|"ALL", "value": [...], "allow_empty": ...}``, and
``""`` for city, state or postal code finds records without one. Unknown keys are
refused as Copper refuses them (``Base: Unrecognized attributes specified``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from verdigris.domain.errors import UNRECOGNIZED_PREFIX, FieldErrors, ValidationFailed
from verdigris.domain.search import (
    HARMLESS_QUERY_KEYS,
    AgedSearchPage,
    Range,
    TagFilter,
    _emails,
    _ids,
    _maybe_json,
    _optional_key,
    _phone,
    _range,
    _tags,
    _text,
    merge_params,
)
from verdigris.domain.search_keys import text_key
from verdigris.domain.values import DEFAULT_PAGE_SIZE, paging, too_many, whole

#: footnote 1 of "List People (Search)"
PEOPLE_SORT_FIELDS = (
    "name",
    "first_name",
    "last_name",
    "title",
    "email",
    "phone",
    "date_modified",
    "date_created",
    "city",
    "state",
    "country",
    "zip",
)
#: footnote 1 of "List Companies (Search)", those verdigris sorts by (see COMPANY_SORT_UNSUPPORTED)
COMPANY_SORT_FIELDS = (
    "name",
    "phone",
    "date_modified",
    "date_created",
    "email_domain",
    "city",
    "state",
    "country",
    "zip",
    "assignee",
    "contact_group",
    "last_interaction",
    "interaction_count",
)
#: Copper's company sorts on a record's people or websites: refused as ``unsupported``
COMPANY_SORT_UNSUPPORTED = ("contact", "contact_first_name", "contact_last_name", "primary_website")

_COMMON_KEYS = frozenset(
    {
        "page_number",
        "page_size",
        "sort_by",
        "sort_direction",
        "ids",
        "name",
        "phone_number",
        "contact_type_ids",
        "assignee_ids",
        "city",
        "state",
        "postal_code",
        "country",
        "tags",
        "followed",
        "age",
        "custom_fields",
        *(
            f"{side}_{name}"
            for side in ("minimum", "maximum")
            for name in ("interaction_count", "interaction_date", "created_date")
        ),
    }
)
#: every parameter of "List People (Search)"
PEOPLE_SEARCH_KEYS = _COMMON_KEYS | {"emails", "company_ids", "opportunity_ids"}
#: every parameter of "List Companies (Search)"
COMPANY_SEARCH_KEYS = _COMMON_KEYS | {"email_domains"}


#: no bound on either side
_OPEN = Range()


@dataclass(frozen=True)
class RecordQuery(AgedSearchPage):
    """A validated people or companies search; ``None`` means "no filter"."""

    page_number: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort_by: str = "first_name"
    descending: bool = False
    ids: tuple[int, ...] | None = None
    name_prefix: str | None = None
    phone_suffix: str | None = None
    #: people: email address keys; companies: email domain keys
    emails: tuple[str, ...] | None = None
    contact_type_ids: tuple[int, ...] | None = None
    assignee_ids: tuple[int, ...] | None = None
    company_ids: tuple[int, ...] | None = None
    opportunity_ids: tuple[int, ...] | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    tags: TagFilter | None = None
    followed: bool | None = None
    max_age: int | None = None
    interaction_count: Range = _OPEN
    interaction_date: Range = _OPEN
    created_date: Range = _OPEN


def record_search_params(
    body: Any, query: Iterable[tuple[str, str]], known: frozenset[str]
) -> dict[str, Any]:
    """The parameters of a people or companies search, refusing keys Copper does not
    document for it (as the lead search does)."""
    items = list(query)
    unknown: dict[str, None] = {}
    for raw_key, _value in items:
        key = raw_key[:-2] if raw_key.endswith("[]") else raw_key
        if key not in known and key not in HARMLESS_QUERY_KEYS:
            unknown.setdefault(raw_key, None)
    if isinstance(body, Mapping):
        for key in body:
            if key not in known:
                unknown.setdefault(str(key), None)
    if unknown:
        raise ValidationFailed({"base": ["unrecognized"]}, UNRECOGNIZED_PREFIX + ", ".join(unknown))
    return merge_params(body, items)


def _domains(p: FieldErrors, raw: Any) -> tuple[str, ...] | None:
    """``email_domains``: one domain, a list, or ``"a.com,b.com"``."""
    raw = _maybe_json(raw)
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = [part for part in raw.split(",")]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        p.add("email_domains", "invalid_type", "email_domains must be a domain or a list of them")
        return None
    if too_many(p, "email_domains", raw):
        return None
    keys = tuple(dict.fromkeys(k for k in (text_key(d).lstrip("@") for d in raw) if k))
    return keys or None


def _sort(
    p: FieldErrors, params: Mapping[str, Any], fields: tuple[str, ...], default: str
) -> tuple[str, bool]:
    sort_by = (_text(p, "sort_by", params.get("sort_by")) or default).strip().lower()
    if sort_by in COMPANY_SORT_UNSUPPORTED and fields is COMPANY_SORT_FIELDS:
        p.add("sort_by", "unsupported", f"verdigris does not sort companies by {sort_by}")
    elif sort_by not in fields:
        p.add("sort_by", "invalid", f"sort_by must be one of {', '.join(fields)}")
    direction = (_text(p, "sort_direction", params.get("sort_direction")) or "asc").strip()
    if direction.lower() not in ("asc", "desc"):
        p.add("sort_direction", "invalid", "sort_direction must be asc or desc")
    return sort_by, direction.lower() == "desc"


def _parse(p: FieldErrors, params: Mapping[str, Any]) -> RecordQuery:
    """The parameters both searches share (every bad one added to ``p``)."""
    page_number, page_size = paging(p, params)
    followed = whole(p, "followed", params.get("followed"))
    if followed not in (None, 1, 2):
        p.add("followed", "invalid", "followed must be 1 (followed) or 2 (not followed)")
    age = whole(p, "age", params.get("age"))
    if age is not None and age < 0:
        p.add("age", "invalid", "age is a number of seconds, 0 or more")
    custom = _maybe_json(params.get("custom_fields"))
    if custom not in (None, "", []):
        p.add(
            "custom_fields",
            "unsupported",
            "verdigris filters people and companies by custom fields in a later release",
        )
    return RecordQuery(
        page_number=page_number,
        page_size=page_size,
        ids=_ids(p, "ids", params.get("ids")),
        name_prefix=_optional_key(p, params, "name", empty_ok=False),
        phone_suffix=_phone(p, params.get("phone_number")),
        contact_type_ids=_ids(p, "contact_type_ids", params.get("contact_type_ids")),
        assignee_ids=_ids(p, "assignee_ids", params.get("assignee_ids")),
        city=_optional_key(p, params, "city", empty_ok=True),
        state=_optional_key(p, params, "state", empty_ok=True),
        postal_code=_optional_key(p, params, "postal_code", empty_ok=True),
        country=_optional_key(p, params, "country", empty_ok=False),
        tags=_tags(p, params.get("tags")),
        followed=None if followed is None else followed == 1,
        max_age=age,
        interaction_count=_range(p, params, "interaction_count", whole=True),
        interaction_date=_range(p, params, "interaction_date", whole=True),
        created_date=_range(p, params, "created_date", whole=True),
    )


def parse_people_search(params: Mapping[str, Any]) -> RecordQuery:
    """Validate "List People (Search)" parameters (default sort: ``first_name``)."""
    p = FieldErrors()
    query = _parse(p, params)
    sort_by, descending = _sort(p, params, PEOPLE_SORT_FIELDS, "first_name")
    query = replace(
        query,
        sort_by=sort_by,
        descending=descending,
        emails=_emails(p, params.get("emails")),
        company_ids=_ids(p, "company_ids", params.get("company_ids")),
        opportunity_ids=_ids(p, "opportunity_ids", params.get("opportunity_ids")),
    )
    p.raise_if_any()
    return query


def parse_company_search(params: Mapping[str, Any]) -> RecordQuery:
    """Validate "List Companies (Search)" parameters (default sort: ``date_modified``)."""
    p = FieldErrors()
    query = _parse(p, params)
    sort_by, descending = _sort(p, params, COMPANY_SORT_FIELDS, "date_modified")
    query = replace(
        query,
        sort_by=sort_by,
        descending=descending,
        emails=_domains(p, params.get("email_domains")),
    )
    p.raise_if_any()
    return query
