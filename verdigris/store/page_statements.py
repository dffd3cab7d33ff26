"""Search page statements kept compiled, for searches that come back.

Building and compiling a search's page statement with SQLAlchemy costs about as much as
SQLite takes to read a page of 200 leads. A search seen for the first time runs through
SQLAlchemy like any statement (its compiled cache is keyed by the statement's shape, so
that stays cheap); a search seen again, which is what paging through it or repeating
it does, is compiled once with its filter values and kept: from then on it is sent
straight to the driver (:mod:`verdigris.store.fast`), binding only the page's size and
start. The filter values are part of the key, so a search whose bounds move on every
call (``age``, a poller's ``minimum_modified_date``) is never kept and costs what any
first search costs; nor is one listing more than :data:`MAX_LISTED` ids, emails or
other values (each entry would hold its lists).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from verdigris.cache import BoundedCache
from verdigris.domain.search import SearchQuery
from verdigris.store import fast, search_sql

#: distinct searches each store keeps compiled (and as many more remembered as seen once)
KEPT = 512
#: searches listing more values than this in all (ids, emails, statuses...) are not kept
MAX_LISTED = 100


def page_key(query: SearchQuery) -> SearchQuery:
    """The query with its page set aside (its size and start are parameters)."""
    return dataclasses.replace(query, page_number=1, page_size=0)


def listed(query: SearchQuery) -> int:
    """How many values the query's lists hold in all (ids, emails, custom filters...)."""
    return sum(
        len(value)
        for value in (getattr(query, f.name) for f in dataclasses.fields(query))
        if isinstance(value, tuple)
    )


def compile_page(
    dialect: Dialect,
    account_id: int,
    query: SearchQuery,
    by_index: bool,
    columns: tuple[Any, ...] | None,
) -> fast.Prepared:
    """The page statement of ``query`` compiled for ``dialect``, its filter values fixed
    in it and the page's size and start left as parameters (``columns=None``: the
    statement of the page's ids only, :func:`select_ids`)."""
    where = search_sql.conditions(account_id, query)
    if columns is None:
        page = select_ids(where, query, by_index)
    else:
        page = select_page(where, query, by_index, columns)
    variable = frozenset({search_sql.PAGE_LIMIT, search_sql.PAGE_OFFSET})
    return fast.compile_statement(page, dialect, variable=variable)


class PageStatements:
    """A store's kept page statements (least recently used dropped beyond ``size``; as
    many more searches remembered as seen once)."""

    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self._kept: BoundedCache[Hashable, fast.Prepared] = BoundedCache(size)
        self._seen: BoundedCache[Hashable, bool] = BoundedCache(size)
        #: kept statements used and compiled (diagnostics; approximate under threads)
        self.hits = 0
        self.compiled = 0

    def lookup(
        self, query: SearchQuery, key: Hashable, compile_page: Callable[[], fast.Prepared]
    ) -> fast.Prepared | None:
        """The kept statement for ``key``; compiled with ``compile_page`` and kept when
        ``key`` comes back; None the first time (and always for a query listing more
        than :data:`MAX_LISTED` values): run the page through SQLAlchemy then."""
        if listed(query) > MAX_LISTED:
            return None
        prepared = self.get(key)
        if prepared is None and self.seen_again(key):
            prepared = compile_page()
            self.put(key, prepared)
        return prepared

    def get(self, key: Hashable) -> fast.Prepared | None:
        prepared = self._kept.get(key)
        if prepared is not None:
            self.hits += 1
        return prepared

    def seen_again(self, key: Hashable) -> bool:
        """Whether ``key`` was seen before (and is not kept); notes it as seen if not."""
        if self._seen.pop(key):
            return True
        self._seen.put(key, True)
        return False

    def put(self, key: Hashable, prepared: fast.Prepared) -> None:
        self._kept.put(key, prepared)
        self.compiled += 1

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        self._kept.clear()
        self._seen.clear()


def select_page(
    where: list[Any], query: SearchQuery, by_index: bool, columns: tuple[Any, ...]
) -> sa.Select[Any]:
    """The page statement for SQLAlchemy's own path (a search seen for the first time)."""
    order = search_sql.order_by(query, by_index=by_index)
    _, page = search_sql.page_statements(where, query, order, columns)
    return page


def select_ids(where: list[Any], query: SearchQuery, by_index: bool) -> sa.Select[Any]:
    """The statement of the page's ids alone, in the page's order."""
    order = search_sql.order_by(query, by_index=by_index)
    ids, _ = search_sql.page_statements(where, query, order)
    return ids
