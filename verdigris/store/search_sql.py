"""Lead search in SQLAlchemy Core (issue 4): the keys written with each lead, and a
:class:`~verdigris.domain.search.SearchQuery` as WHERE conditions and an ORDER BY.

Every condition compares a column that leads an index after ``account_id`` (see
``SEARCH_INDEXES`` in schema.py; tags and phones through their side tables), and every
sort order is that of an index on ``(account_id, key, [name_key,] id, converted_at)``:
a page can be read in order, ties are broken by id inside the index, and the default
"not converted" check never leaves it. Plans at 1M leads: docs/performance.md.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from verdigris.domain.leads import Lead
from verdigris.domain.search import Range, SearchQuery, TagFilter
from verdigris.domain.search_keys import (
    NO_VALUE_ID,
    lead_keys,
    phone_keys,
    reversed_digits,
    tag_keys,
)
from verdigris.store import schema as t
from verdigris.store.custom_fields_sql import custom_conditions

c = t.leads.c

#: sort field -> the columns to order by, before the id that breaks the last ties
SORT_COLUMNS: dict[str, tuple[sa.Column[Any], ...]] = {
    "name": (c.name_key,),
    "first_name": (c.first_name_key, c.name_key),
    "last_name": (c.last_name_key, c.name_key),
    "company_name": (c.company_key, c.name_key),
    "title": (c.title_key, c.name_key),
    "value": (c.value_key,),
    "email": (c.email_key, c.name_key),
    "phone": (c.phone_key, c.name_key),
    "date_modified": (c.date_modified,),
    "date_created": (c.date_created,),
    "city": (c.city_key, c.name_key),
    "state": (c.state_key, c.name_key),
    "country": (c.country_key, c.name_key),
    "zip": (c.postal_key, c.name_key),
    "inactive_days": (c.contacted_key,),
}
#: "inactive_days: sorting is from newest to oldest" (Copper): ascending = latest contact first
_REVERSED = frozenset({"inactive_days"})
#: the parameters of a page statement that differ from page to page
PAGE_LIMIT, PAGE_OFFSET = "page_limit", "page_offset"
#: above every code point: ``key < prefix + _TOP`` holds for every key starting with prefix
_TOP = "\U0010ffff"


def search_keys(lead: Lead) -> dict[str, Any]:
    """The key columns of ``lead`` (merged into its row on every write)."""
    address = lead.address
    return lead_keys(
        name=lead.name,
        first_name=lead.first_name,
        last_name=lead.last_name,
        company_name=lead.company_name,
        title=lead.title,
        email=lead.email.email if lead.email else None,
        phones=[p.number for p in lead.phone_numbers],
        city=address.city if address else None,
        state=address.state if address else None,
        postal_code=address.postal_code if address else None,
        country=address.country if address else None,
        monetary_value=lead.monetary_value,
        date_last_contacted=lead.date_last_contacted,
        assignee_id=lead.assignee_id,
        customer_source_id=lead.customer_source_id,
        tags=lead.tags,
    )


def side_rows(lead: Lead) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of ``lead_tags`` and ``lead_phones`` for ``lead``."""
    base = {"lead_id": lead.id, "account_id": lead.account_id}
    tags = [{**base, "tag": key} for key in tag_keys(lead.tags)]
    phones = [
        {**base, "digits": d, "digits_reversed": reversed_digits(d)}
        for d in phone_keys(p.number for p in lead.phone_numbers)
    ]
    return tags, phones


def descending(query: SearchQuery) -> bool:
    """Whether the page's order is the sort index's walked backwards."""
    return query.descending != (query.sort_by in _REVERSED)


def order_by(query: SearchQuery, *, by_index: bool = True) -> list[ColumnElement[Any]]:
    """ORDER BY the sort field's columns, then id, all in one direction, so that one
    index walked forwards or backwards gives the order.

    ``by_index=False`` orders by the same values written as expressions (``key || ''``,
    ``n + 0``), which no index can serve: the planner then reads the matches through
    the filters' indexes and sorts them (see :func:`~verdigris.store.leads_sql.reads_sort_index`).
    """
    backwards = descending(query)
    columns: list[ColumnElement[Any]] = [*SORT_COLUMNS[query.sort_by], c.id]
    if not by_index:
        columns = [_as_expression(col) for col in columns]
    return [col.desc() if backwards else col.asc() for col in columns]


#: text filters whose index is ``(account_id, key, name_key, id, converted_at)``, and the
#: sort field of that key (a search in one city is in the city index in name order)
_EQUAL_TEXT = {"city": "city", "state": "state", "postal_code": "zip", "country": "country"}
#: id filters whose index is ``(account_id, key, name_key, id, converted_at)``
_EQUAL_IDS = ("assignee_ids", "customer_source_ids")
#: ranges of the sort field's own index (``(account_id, key, id, converted_at...)``)
_RANGE_SORTS = {
    "created_date": "date_created",
    "modified_date": "date_modified",
    "interaction_date": "inactive_days",
}


def in_index_order(q: SearchQuery) -> bool:
    """Whether one index holds the matches of ``q`` together and in the page's order,
    so that reading it from the first match and stopping after the page's rows never
    meets a lead that does not match, however many match.

    That is: no filter at all (the sort's own index), or one filter that is an equality
    on a key whose index goes on with the sort's columns (one city, sorted by name:
    ``ix_leads_by_city`` is ``(account_id, city_key, name_key, id, ...)``), or one
    range of the sort's own key (created in a window, sorted by date created; a name
    prefix sorted by name). Such a page is read in order whatever the count says
    (:func:`~verdigris.store.leads_sql.reads_sort_index` is for the other searches).
    """
    # (one email: a lead or two, sorted in no time; SQLite sorts them whatever the ORDER BY)
    if q.matches_nothing or q.ids or q.emails or q.phone_suffix or q.custom_fields:
        return False
    if q.interaction_count.active:
        return False
    served: list[str | None] = []  # per filter: the sort it serves besides name (None: name)
    for attr, sort in _EQUAL_TEXT.items():
        if getattr(q, attr) is not None:
            served.append(sort)
    for attr in _EQUAL_IDS:
        ids = getattr(q, attr)
        if ids:
            if len(ids) > 1:
                return False
            served.append(None)
    if q.status_ids:
        if len(q.status_ids) > 1 or q.status_ids[0] == NO_VALUE_ID:
            return False
        served.append(None)
    if q.tags is not None:
        if q.tags.keys or not q.tags.empty:
            return False
        served.append(None)  # tag_count = 0
    ranges = [sort for attr, sort in _RANGE_SORTS.items() if getattr(q, attr).active]
    if q.monetary_value.active:
        if _spans_zero(q.monetary_value):  # also "has a value": read on the row
            return False
        ranges.append("value")
    if q.name_prefix:
        ranges.append("name")
    if len(served) + len(ranges) > 1:
        return False
    if ranges:
        return q.sort_by == ranges[0]
    return not served or q.sort_by in ("name", served[0])


def walk_checks_in_index(q: SearchQuery) -> bool:
    """Whether the sort's index holds every column the filters of ``q`` check, so that a
    walk of it in the page's order checks them without reading a row: a range of
    interaction counts sorted by ``inactive_days`` (``ix_leads_by_contacted`` ends with
    ``interaction_count``, 0012). See :func:`bounded_walk`."""
    return (
        q.sort_by == "inactive_days"
        and q.interaction_count.active
        and q == _interaction_count_only(q)
    )


def _interaction_count_only(q: SearchQuery) -> SearchQuery:
    """``q`` with every filter but the interaction count range set aside."""
    return SearchQuery(
        page_number=q.page_number,
        page_size=q.page_size,
        sort_by=q.sort_by,
        descending=q.descending,
        interaction_count=q.interaction_count,
        include_converted=q.include_converted,
    )


#: the parameter of :func:`bounded_walk`: how many index entries the walk may read
WALK_BUDGET = "walk_budget"


def bounded_walk(account_id: int, q: SearchQuery) -> sa.Select[Any]:
    """The page of ``q`` (:func:`walk_checks_in_index`) read by walking the sort's index
    for at most :data:`WALK_BUDGET` entries, the filters checked on the entries walked:
    ``(id, sort key)`` rows, in the walk's order.

    If the page's rows are met within the budget, they are the page's rows; if fewer
    than a page come back, the caller tells from the count whether the matches ended or
    the budget did (and then sorts the matches instead)."""
    where: list[ColumnElement[bool]] = [c.account_id == account_id]
    if not q.include_converted:
        where.append(c.converted_at.is_(None))
    (key,) = SORT_COLUMNS[q.sort_by]
    budget = sa.bindparam(WALK_BUDGET, type_=sa.Integer)
    walk = (
        sa.select(c.id, key, c.interaction_count)
        .where(*where)
        .order_by(*order_by(q))
        .limit(budget)
        .subquery("walk")
    )
    met = _within(walk.c.interaction_count, q.interaction_count, whole=True)
    page = sa.select(walk.c.id, walk.c[key.name]).where(*met)
    page = page.limit(sa.bindparam(PAGE_LIMIT, q.limit, type_=sa.Integer))
    return page.offset(sa.bindparam(PAGE_OFFSET, q.offset, type_=sa.Integer))


def _as_expression(column: ColumnElement[Any]) -> ColumnElement[Any]:
    if isinstance(column.type, sa.String):
        return column.concat("")
    return column + 0


class Statements(NamedTuple):
    total: sa.Select[Any]
    #: the page's ids, in ``order`` (the part whose plan matters)
    ids: sa.Select[Any]
    #: the page's rows: ``ids`` joined back to leads
    page: sa.Select[Any]


def statements(account_id: int, query: SearchQuery, order: list[ColumnElement[Any]]) -> Statements:
    """The statements of a search: the count (``total``), and the page in ``order``.

    The page picks its ids first (read from the index alone where it covers the
    filters), then joins only those rows: skipping OFFSET rows never touches the table.
    """
    where = conditions(account_id, query)
    ids, page = page_statements(where, query, order)
    return Statements(count_statement(where), ids, page)


def count_statement(where: list[ColumnElement[bool]]) -> sa.Select[Any]:
    """How many leads meet ``where`` (the conditions of :func:`conditions`)."""
    return sa.select(sa.func.count()).select_from(t.leads).where(*where)


def page_statements(
    where: list[ColumnElement[bool]],
    query: SearchQuery,
    order: list[ColumnElement[Any]],
    columns: tuple[Any, ...] = (t.leads,),
) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """``(ids, page)`` of :func:`statements`; the page reads ``columns`` of its leads.

    The page's size and start are the parameters named :data:`PAGE_LIMIT` and
    :data:`PAGE_OFFSET`, so that one compiled statement serves every page."""
    ids = _bounded(sa.select(c.id).where(*where).order_by(*order), query)
    # the page's subquery also returns the values it is sorted by, and the rows are
    # ordered by those: the planner sees that the subquery's order is the page's and
    # keeps it through the join (ordered by leads' own columns, PostgreSQL sorted the
    # joined rows again). The same values, in the same directions: the same order.
    keys = [_sort_key(term) for term in order]
    labelled = [key.label(f"sort_{i}") for i, key in enumerate(keys) if key is not c.id]
    chosen = _bounded(sa.select(c.id, *labelled).where(*where).order_by(*order), query)
    page_ids = chosen.subquery("page")
    values = iter(page_ids.c[key.name] for key in labelled)
    again = [
        _same_direction(term, page_ids.c.id if key is c.id else next(values))
        for term, key in zip(order, keys, strict=True)
    ]
    page = sa.select(*columns).join(page_ids, c.id == page_ids.c.id).order_by(*again)
    return ids, page


def _bounded(select: sa.Select[Any], query: SearchQuery) -> sa.Select[Any]:
    select = select.limit(sa.bindparam(PAGE_LIMIT, query.limit, type_=sa.Integer))
    return select.offset(sa.bindparam(PAGE_OFFSET, query.offset, type_=sa.Integer))


def _sort_key(term: ColumnElement[Any]) -> ColumnElement[Any]:
    """The value an ORDER BY term of :func:`order_by` sorts by (its ASC or DESC set aside)."""
    if isinstance(term, UnaryExpression) and term.modifier in (operators.asc_op, operators.desc_op):
        return term.element
    return term


def _same_direction(term: ColumnElement[Any], value: ColumnElement[Any]) -> ColumnElement[Any]:
    """``value`` ordered in the direction of ``term``."""
    if isinstance(term, UnaryExpression) and term.modifier is operators.desc_op:
        return value.desc()
    return value.asc()


def conditions(account_id: int, q: SearchQuery) -> list[ColumnElement[bool]]:
    """The WHERE clause of ``q`` in ``account_id``, as conditions to AND."""
    where: list[ColumnElement[bool]] = [c.account_id == account_id]
    if not q.include_converted:
        where.append(c.converted_at.is_(None))
    if q.matches_nothing:
        where.append(sa.false())
    if q.ids:
        where.append(c.id.in_(q.ids))
    if q.name_prefix:
        where += [c.name_key >= q.name_prefix, c.name_key < q.name_prefix + _TOP]
    if q.emails:
        where.append(c.email_key.in_(q.emails))
    if q.phone_suffix:
        where.append(_phone_ends_with(account_id, q.phone_suffix))
    if q.assignee_ids:
        where.append(_in(c.assignee_key, q.assignee_ids))  # -2 is stored for "none"
    if q.customer_source_ids:
        where.append(_in(c.source_key, q.customer_source_ids))
    if q.status_ids:
        where.append(_status_in(q.status_ids))
    for column, key in (
        (c.city_key, q.city),
        (c.state_key, q.state),
        (c.postal_key, q.postal_code),
        (c.country_key, q.country),
    ):
        if key is not None:
            where.append(column == key)
    if q.tags:
        where.append(_tags(account_id, q.tags))
    if q.monetary_value.active:
        where += _within(c.value_key, q.monetary_value)
        if _spans_zero(q.monetary_value):  # leads without a value have the key 0
            where.append(c.monetary_value.is_not(None))
    if q.interaction_date.active:
        # never contacted (key 0) never matches a window; a positive minimum already says
        # so, and a second lower bound could make the planner range from 0 instead (0012)
        low = q.interaction_date.low
        if low is None or low <= 0:
            where.append(c.contacted_key > 0)
        where += _within(c.contacted_key, q.interaction_date, whole=True)
    where += _within(c.interaction_count, q.interaction_count, whole=True)
    where += _within(c.date_created, q.created_date, whole=True)
    where += _within(c.date_modified, q.modified_date, whole=True)
    where += custom_conditions(c.id, account_id, q.custom_fields)
    return where


def _in(column: sa.Column[Any], values: tuple[Any, ...]) -> ColumnElement[bool]:
    return column == values[0] if len(values) == 1 else column.in_(values)


def _status_in(ids: tuple[int, ...]) -> ColumnElement[bool]:
    """Every lead has a status, so -2 ("none") matches nothing."""
    real = tuple(i for i in ids if i != NO_VALUE_ID)
    return _in(c.status_id, real) if real else sa.false()


def _spans_zero(bounds: Range) -> bool:
    return (bounds.low is None or bounds.low <= 0) and (bounds.high is None or bounds.high >= 0)


def _within(column: ColumnElement[Any], bounds: Range, *, whole: bool = False) -> list[Any]:
    out = []
    if bounds.low is not None:
        out.append(column >= (int(bounds.low) if whole else bounds.low))
    if bounds.high is not None:
        out.append(column <= (int(bounds.high) if whole else bounds.high))
    return out


def _phone_ends_with(account_id: int, digits: str) -> ColumnElement[bool]:
    """Leads with a phone number ending with ``digits``: its reversed digits start with
    them reversed, a range of ``ix_lead_phones_suffix`` (byte order on both engines)."""
    p = t.lead_phones.c
    start = reversed_digits(digits)
    return c.id.in_(
        sa.select(p.lead_id).where(
            p.account_id == account_id,
            p.digits_reversed >= start,
            p.digits_reversed < start + _TOP,
        )
    )


def _tagged(account_id: int, keys: tuple[str, ...]) -> ColumnElement[bool]:
    lt = t.lead_tags.c
    return c.id.in_(sa.select(lt.lead_id).where(lt.account_id == account_id, _in(lt.tag, keys)))


def _tags(account_id: int, f: TagFilter) -> ColumnElement[bool]:
    """ANY: a lead with one of the tags; ALL: with each of them; ``empty``: or with none."""
    if not f.keys:
        return c.tag_count == 0
    if f.match_all:
        wanted = sa.and_(*(_tagged(account_id, (key,)) for key in f.keys))
    else:
        wanted = _tagged(account_id, f.keys)
    return sa.or_(wanted, c.tag_count == 0) if f.empty else wanted
