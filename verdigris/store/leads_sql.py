"""``tx.leads`` in SQLAlchemy Core: leads, their side rows (custom values, tags,
phones), upsert matches and search (:class:`SqlLeads`).

How a lead becomes a row, and the prebuilt lead statements, are in lead_rows.py; the
conditions and ORDER BY of a search in search_sql.py. Engines subclass
:class:`SqlLeads` for what differs (PostgreSQL: advisory locks, snapshots).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from itertools import pairwise
from typing import Any, cast

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from verdigris.domain.custom_fields import index_entries
from verdigris.domain.leads import Lead
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search import SearchQuery
from verdigris.store import page_statements, search_sql, wire_form
from verdigris.store import schema as t
from verdigris.store.base import LeadFields, Leads, WireFields
from verdigris.store.count_cache import CountCache
from verdigris.store.fast import FastCursor, Prepared, compile_statement
from verdigris.store.lead_rows import (
    _DELETE_CUSTOM_VALUES,
    _DELETE_PHONES,
    _DELETE_TAGS,
    _GET_LEAD,
    _GET_LEAD_FOR_UPDATE,
    _INSERT_CUSTOM_VALUE,
    _INSERT_LEAD_FAST,
    _INSERT_PHONE,
    _INSERT_TAG,
    LEAD_COLUMNS,
    _update_lead_stmt,
    lead_from_mapping,
    lead_from_row,
    lead_row,
    match_statement,
    stored_row,
)
from verdigris.store.page_statements import PageStatements
from verdigris.store.rows import SqlRepository

#: searches with at most this many matches sort them instead of walking a sort index
SORT_MATCHES_UP_TO = 10_000
#: a bounded walk (search_sql.bounded_walk) reads at most this many index entries per
#: match before giving up and sorting the matches
WALK_ENTRIES_PER_MATCH = 2
#: leads read ahead per statement (read_ahead_for_update)
READ_AHEAD_CHUNK = 100


def _read_ahead(n: int) -> sa.Select[Any]:
    """The leads of ``n`` ids of one account, locked, in id order."""
    ids: list[sa.BindParameter[int]] = [sa.bindparam(f"id{i}") for i in range(n)]
    return (
        sa.select(*(t.leads.c[k] for k in LEAD_COLUMNS))
        .where(t.leads.c.account_id == sa.bindparam("account_id"), t.leads.c.id.in_(ids))
        .order_by(t.leads.c.id)
        .with_for_update()
    )


def count_key(account_id: int, query: SearchQuery) -> Hashable:
    """The key of a search's kept total (:class:`CountCache`): the account and the query
    with what does not change its total (paging, sort) set aside."""
    return (
        account_id,
        dataclasses.replace(query, page_number=1, page_size=0, sort_by="", descending=False),
    )


#: the columns of :class:`LeadFields`, in its order
FIELD_COLUMNS = tuple(t.leads.c[name] for name in LeadFields._fields)
#: the columns of :class:`WireFields`, in its order: what a search page reads
WIRE_COLUMNS = tuple(t.leads.c[name] for name in WireFields._fields)


def reads_sort_index(query: SearchQuery, total: int) -> bool:
    """Whether the page of ``query`` (``total`` matches) is read in the order of the
    sort's index (:func:`search_sql.order_by`), rather than its matches sorted: when
    one index holds the matches in that order (:func:`search_sql.in_index_order`: one
    city sorted by name, whatever the count), or when many match.

    Sort few matches rather than walk a sort index: with ORDER BY ... LIMIT, planners
    like walking the sort index and filtering as they go, which visits every lead when
    the filters match few. SQLite (without STAT4 histograms) cannot tell a range
    matching 50 leads from one matching 500,000; PostgreSQL misjudges correlated
    conditions. The count has just said how many match: when they are at most
    :data:`SORT_MATCHES_UP_TO`, the ORDER BY is written so that no index can serve it,
    and the planner reads the matches through the filters' indexes and sorts them. When
    more match, walking the sort index meets one soon enough.
    """
    return search_sql.in_index_order(query) or total > SORT_MATCHES_UP_TO


def kept_page(
    pages: PageStatements,
    dialect: Dialect,
    account_id: int,
    query: SearchQuery,
    by_index: bool,
    columns: tuple[Any, ...] | None,
) -> Prepared | None:
    """The search's page statement as :class:`PageStatements` keeps it (None: not kept,
    a search seen for the first time; ``columns=None``: the page's ids only)."""
    filters = page_statements.page_key(query)
    return pages.lookup(
        query,
        (account_id, filters, by_index),
        lambda: page_statements.compile_page(dialect, account_id, filters, by_index, columns),
    )


def page_values(query: SearchQuery) -> dict[str, int]:
    """The parameters of a page statement that tell the page (its size and start)."""
    return {search_sql.PAGE_LIMIT: query.limit, search_sql.PAGE_OFFSET: query.offset}


#: a page statement's size and start as psycopg's named parameters (PostgreSQL)
_PAGE_BOUNDS = re.compile(
    rf"%\(({search_sql.PAGE_LIMIT}|{search_sql.PAGE_OFFSET})\)s(?:::INTEGER)?"
)


def page_with_bounds(prepared: Prepared, query: SearchQuery) -> tuple[str, Any]:
    """A kept page statement for PostgreSQL, its size and start written into it (whole
    numbers of our own) rather than sent: ``(sql, parameters)``.

    psycopg prepares a statement sent five times, and PostgreSQL then plans it anew on
    every execution until a generic plan (one for all parameter values) looks as cheap
    as those it made for the values seen. With ``LIMIT $1`` the generic plan cannot
    know the page is 200 rows, never looks as cheap, and every search paid a planning
    (~0.4-0.7 ms of PostgreSQL's CPU, a third of a page's at 1M leads). With the
    bounds written in, each page size and start is its own statement, whose generic
    plan PostgreSQL keeps (docs/performance.md)."""
    values = page_values(query)
    sql, n = _PAGE_BOUNDS.subn(lambda m: str(int(values[m.group(1)])), prepared.sql)
    if n != 2:  # not the statement expected: sent as compiled
        return prepared.sql, prepared.params(values)
    return sql, prepared.params({})


def _page_rows(n: int, columns: tuple[sa.Column[Any], ...] = WIRE_COLUMNS) -> sa.Select[Any]:
    """The rows (:class:`WireFields`' columns, or ``columns``) of ``n`` ids of one
    account, in no order (see :attr:`SqlLeads.ids_then_rows`)."""
    ids: list[sa.BindParameter[int]] = [sa.bindparam(f"id{i}") for i in range(n)]
    return sa.select(*columns).where(
        t.leads.c.account_id == sa.bindparam("account_id"), t.leads.c.id.in_(ids)
    )


class SqlLeads(SqlRepository, Leads):
    """The leads of one transaction."""

    #: whether a search page reads its ids first, then their rows by id in a second
    #: statement, put in order in Python (SQLite: the ids statement reads an index in
    #: the page's order, and joining the rows in the same statement made SQLite sort
    #: the 200 whole rows again); False: one statement (PostgreSQL: one round trip)
    ids_then_rows = True

    def __init__(self, conn: sa.Connection, fast: FastCursor) -> None:
        super().__init__(conn, fast)
        #: rows read by get in this transaction (column -> value), so update can diff
        #: without reading them again (one round trip less per update on PostgreSQL)
        self._read: dict[int, dict[str, Any]] = {}
        #: rows read and locked ahead (read_ahead_for_update), each handed out once
        self._ahead: dict[int, tuple[dict[str, Any], Lead]] = {}
        #: the store's search totals, if it keeps them, and how this engine tells whether
        #: anything was committed (verdigris.store.count_cache); set by the store
        self.counts: CountCache | None = None
        #: the store's kept search page statements (verdigris.store.page_statements)
        self.pages: PageStatements | None = None
        #: the data version read as this transaction began, before its first read (SQLite;
        #: None: unknown, nothing is kept)
        self.start_version: Hashable | None = None

    @contextmanager
    def forgetting_reads(self) -> Iterator[None]:
        """Rows read inside the block are forgotten if it raises (its savepoint rolled back:
        they are stale)."""
        read, ahead = dict(self._read), dict(self._ahead)
        try:
            yield
        except BaseException:
            self._read, self._ahead = read, ahead
            raise

    def insert(self, lead: Lead) -> Lead:
        # values as execution parameters: one compiled statement, cached, for every insert
        ident = self.fast.run("insert_lead", _INSERT_LEAD_FAST, stored_row(lead)).fetchone()[0]
        lead = msgspec.structs.replace(lead, id=ident)
        self._write_custom_values(lead, replace=False)
        self._write_search_rows(lead)
        return lead

    def reinsert(self, lead: Lead) -> None:
        self.conn.execute(t.leads.insert().values({**stored_row(lead), "id": lead.id}))
        self._write_custom_values(lead, replace=False)
        self._write_search_rows(lead)

    def update(self, lead: Lead) -> None:
        """Write only the columns that changed (on SQLite an UPDATE rewrites the entries
        of every index on a column it sets), and the side rows only if theirs did.

        The columns compared with are those this transaction read (:meth:`get`), so a
        column another writer changed since, and this update does not, is left as is.
        """
        old = self._read.pop(lead.id, None)
        self._ahead.pop(lead.id, None)
        if old is None or old["account_id"] != lead.account_id:
            old = self._fetch_lead(_GET_LEAD, lead.account_id, lead.id)
        if old is None:
            return
        new = lead_row(lead)
        changed = {k: v for k, v in new.items() if old[k] != v}
        if not changed:
            return
        if not wire_form.COLUMNS.isdisjoint(changed):
            changed["wire"] = wire_form.from_row(new)
        columns = tuple(changed)
        # no result read: on PostgreSQL sent with the next statement that needs one
        self.fast.defer(
            "update_lead:" + ",".join(columns),
            lambda: _update_lead_stmt(columns),
            {**changed, "target_id": lead.id},
        )
        if "custom_fields" in changed:
            self._write_custom_values(lead, replace=True)
        if "tags" in changed or "phone_numbers" in changed:
            self.fast.defer("delete_tags", _DELETE_TAGS, {"lead_id": lead.id})
            self.fast.defer("delete_phones", _DELETE_PHONES, {"lead_id": lead.id})
            self._write_search_rows(lead)

    def _write_custom_values(self, lead: Lead, *, replace: bool) -> None:
        if replace:
            self.fast.defer("delete_custom_values", _DELETE_CUSTOM_VALUES, {"lead_id": lead.id})
        rows = [
            {
                "lead_id": lead.id,
                "account_id": lead.account_id,
                "definition_id": def_id,
                "value_key": key,
                "value_num": number,
            }
            for def_id, value in lead.custom_fields.items()
            for key, number in index_entries(value)
        ]
        if rows:
            self.fast.defer_many("insert_custom_value", _INSERT_CUSTOM_VALUE, rows)

    def get(self, account_id: int, lead_id: int) -> Lead | None:
        return self._read_lead(_GET_LEAD, account_id, lead_id)

    def get_for_update(self, account_id: int, lead_id: int) -> Lead | None:
        ahead = self._ahead.pop(lead_id, None)
        if ahead is not None and ahead[0]["account_id"] == account_id:
            self._read[lead_id] = ahead[0]
            return ahead[1]
        return self._read_lead(_GET_LEAD_FOR_UPDATE, account_id, lead_id)

    def read_ahead_for_update(self, account_id: int, lead_ids: Sequence[int]) -> dict[int, Lead]:
        """One statement for a bulk request's leads (in id order, so that two requests
        lock their common rows in the same order), instead of one per item."""
        wanted = sorted(set(lead_ids))
        found: dict[int, Lead] = {}
        for start in range(0, len(wanted), READ_AHEAD_CHUNK):
            chunk = wanted[start : start + READ_AHEAD_CHUNK]
            n = len(chunk)
            params: dict[str, Any] = {f"id{i}": ident for i, ident in enumerate(chunk)}
            params["account_id"] = account_id
            cur = self.fast.run(f"read_ahead_for_update:{n}", partial(_read_ahead, n), params)
            for values in cur.fetchall():
                row = dict(zip(LEAD_COLUMNS, values, strict=True))
                lead = found[row["id"]] = lead_from_mapping(row)
                self._ahead[row["id"]] = (row, lead)
        return found

    def _read_lead(self, stmt: sa.Select[Any], account_id: int, lead_id: int) -> Lead | None:
        row = self._fetch_lead(stmt, account_id, lead_id)
        if row is None:
            return None
        self._read[lead_id] = row  # update compares with it instead of reading again
        return lead_from_mapping(row)

    def _fetch_lead(self, stmt: sa.Select[Any], account_id: int, lead_id: int) -> Any:
        """The lead's columns as a dict, or None."""
        key = "get_lead_for_update" if stmt is _GET_LEAD_FOR_UPDATE else "get_lead"
        cur = self.fast.run(key, stmt, {"lead_id": lead_id, "account_id": account_id})
        values = cur.fetchone()
        return None if values is None else dict(zip(LEAD_COLUMNS, values, strict=True))

    def delete(self, account_id: int, lead_id: int) -> bool:
        self._ahead.pop(lead_id, None)
        for side in (t.lead_tags, t.lead_phones):
            self.conn.execute(
                side.delete().where(side.c.lead_id == lead_id, side.c.account_id == account_id)
            )
        self.conn.execute(
            t.lead_custom_values.delete().where(
                t.lead_custom_values.c.lead_id == lead_id,
                t.lead_custom_values.c.account_id == account_id,
            )
        )
        result = self.conn.execute(
            t.leads.delete().where(t.leads.c.id == lead_id, t.leads.c.account_id == account_id)
        )
        return bool(result.rowcount)

    def lock_match(self, account_id: int, criteria: MatchCriteria) -> None:
        """No-op by default: engines whose write transactions already serialize."""

    def match_ids(self, account_id: int, criteria: MatchCriteria, limit: int) -> Sequence[int]:
        key, stmt, params, index = match_statement(account_id, criteria, limit)
        cur = self.fast.run(key, stmt, params, sqlite_index=index)
        return [r[0] for r in cur.fetchall()]

    def with_custom_value(self, account_id: int, definition_id: int) -> list[Lead]:
        v = t.lead_custom_values.c
        holders = (
            sa.select(v.lead_id)
            .where(v.account_id == account_id, v.definition_id == definition_id)
            .distinct()
        )
        rows = self.conn.execute(
            sa.select(t.leads)
            .where(t.leads.c.account_id == account_id, t.leads.c.id.in_(holders))
            .order_by(t.leads.c.id)
        )
        return [lead_from_row(r) for r in rows]

    # search (issue 4) -------------------------------------------------------------------
    def _write_search_rows(self, lead: Lead) -> None:
        """Insert the ``lead_tags`` and ``lead_phones`` rows of ``lead``."""
        tags, phones = search_sql.side_rows(lead)
        if tags:
            self.fast.defer_many("insert_tag", _INSERT_TAG, tags)
        if phones:
            self.fast.defer_many("insert_phone", _INSERT_PHONE, phones)

    def search(self, account_id: int, query: SearchQuery) -> tuple[int, Sequence[WireFields]]:
        total, rows = self._search_rows(account_id, query)
        if any(row[1] is None for row in rows):
            rows = self._with_wire_forms(account_id, rows)
        # rows in WireFields' order, not WireFields themselves (see its docstring)
        return total, cast(Sequence[WireFields], rows)

    def _with_wire_forms(self, account_id: int, rows: Sequence[Any]) -> list[Any]:
        """``rows`` with the wire form of those written without one (before migration
        0018 filled them, by an older server), made from their columns."""
        missing = [row[0] for row in rows if row[1] is None]
        n = len(missing)
        values: dict[str, Any] = {f"id{i}": ident for i, ident in enumerate(missing)}
        values["account_id"] = account_id
        statement = partial(_page_rows, n, FIELD_COLUMNS)
        cur = self.fast.run(f"page_fields:{n}", statement, values)
        made = {row[0]: wire_form.template(row) for row in cur}
        return [row if row[1] is not None else (row[0], made[row[0]], *row[2:]) for row in rows]

    def _search_rows(self, account_id: int, query: SearchQuery) -> tuple[int, Sequence[Any]]:
        """``(total, rows)``: the count, then the page's rows, tuples of
        :class:`LeadFields`' columns.

        The conditions are built only when they are needed: for a total not kept, or a
        page statement not kept (verdigris.store.page_statements)."""
        where: list[Any] | None = None
        counts = self.counts
        total = None
        if counts is not None:
            # the version first: see count_cache.py for why this order is safe
            key = count_key(account_id, query)
            total = counts.get(key, self._data_version())
        if total is None:
            where = search_sql.conditions(account_id, query)
            total, version = self._count(where)
            if counts is not None:
                counts.put(key, version, total)
        if query.limit == 0 or query.offset >= total:
            return total, []
        by_index = reads_sort_index(query, total)
        if not by_index and self.ids_then_rows and search_sql.walk_checks_in_index(query):
            walked = self._bounded_walk(account_id, query, total)
            if walked is not None:
                return total, self._rows_in_order(account_id, walked)
        columns = None if self.ids_then_rows else WIRE_COLUMNS
        if self.pages is not None:
            dialect = self.conn.dialect
            prepared = kept_page(self.pages, dialect, account_id, query, by_index, columns)
            if prepared is not None:
                sql, params = self._page_statement(prepared, query)
                if columns is not None:
                    return total, self._fetch_page(sql, params)
                rows = self.fast.execute(sql, params)
                return total, self._rows_in_order(account_id, [row[0] for row in rows])
        if where is None:
            where = search_sql.conditions(account_id, query)
        if columns is not None:
            page = page_statements.select_page(where, query, by_index, columns)
            return total, self.conn.execute(page).all()
        ids = self.conn.execute(page_statements.select_ids(where, query, by_index)).scalars()
        return total, self._rows_in_order(account_id, list(ids))

    def _page_statement(self, prepared: Prepared, query: SearchQuery) -> tuple[str, Any]:
        """A kept page statement (its size and start bound as parameters) as sent:
        ``(sql, parameters)``."""
        return prepared.sql, prepared.params(page_values(query))

    def _fetch_page(self, sql: str, params: Any) -> list[Any]:
        """The rows of a kept page statement (:attr:`ids_then_rows` False)."""
        return cast(list[Any], self.fast.execute(sql, params).fetchall())

    def _bounded_walk(self, account_id: int, query: SearchQuery, total: int) -> list[int] | None:
        """The page's ids, read by a walk of the sort's index that checks the filters in
        the index (:func:`search_sql.bounded_walk`), or None if the walk met fewer than
        the page's matches within its budget (the matches are then sorted as usual).

        Few matches are sorted rather than walked to (:func:`reads_sort_index`), since a
        walk meets every lead when few match. When the index itself holds what the
        filters check, each entry walked costs far less than a match sorted, so the walk
        is tried first, for at most :data:`WALK_ENTRIES_PER_MATCH` entries per match:
        leads with at least 1 interaction sorted by ``inactive_days``, 8,571 of 10,000,
        read ~230 index entries in place of sorting 8,571 (docs/performance.md)."""
        budget = max(WALK_ENTRIES_PER_MATCH * total, query.offset + query.limit)
        values = {
            search_sql.WALK_BUDGET: budget,
            search_sql.PAGE_LIMIT: query.limit,
            search_sql.PAGE_OFFSET: query.offset,
        }
        variable = frozenset(values)
        rows: list[Any]
        prepared = None
        if self.pages is not None:
            prepared = self.pages.lookup(
                query,
                (account_id, "walk", page_statements.page_key(query)),
                lambda: compile_statement(
                    search_sql.bounded_walk(account_id, query), self.conn.dialect, variable=variable
                ),
            )
        if prepared is not None:
            rows = self.fast.execute(prepared.sql, prepared.params(values)).fetchall()
        else:
            rows = list(self.conn.execute(search_sql.bounded_walk(account_id, query), values))
        if len(rows) < query.limit and query.offset + len(rows) < total:
            return None  # the budget ran out first
        keys = [(key, ident) for ident, key in rows]
        descending = search_sql.descending(query)
        pairs = pairwise(keys)
        if not all(a > b if descending else a < b for a, b in pairs):
            return None  # not in the walk's order: never seen, but then sorted all the same
        return [ident for ident, _ in rows]

    def _rows_in_order(self, account_id: int, ids: list[int]) -> list[Any]:
        """The rows of ``ids`` (:class:`WireFields`' columns), in the order of ``ids``.

        One statement reads them by primary key in whatever order; they are put in the
        page's order here, by id, rather than sorted again by the database."""
        if not ids:
            return []
        n = len(ids)
        values: dict[str, Any] = {f"id{i}": ident for i, ident in enumerate(ids)}
        values["account_id"] = account_id
        cur = self.fast.run(f"page_rows:{n}", partial(_page_rows, n), values)
        by_id = {row[0]: row for row in cur}
        return [by_id[i] for i in ids if i in by_id]

    def _data_version(self) -> Hashable | None:
        """Equal at two moments only if nothing was committed between them (None: unknown);
        see verdigris.store.count_cache. SQLite: the version read before this transaction
        read anything, i.e. before its snapshot began."""
        return self.start_version

    def _count(self, where: list[Any]) -> tuple[int, Hashable | None]:
        """The matches of ``where``, and the data version they were counted at."""
        version = self._data_version()
        return int(self.conn.execute(search_sql.count_statement(where)).scalar_one()), version

    def set_interactions(
        self, account_id: int, lead_id: int, count: int, last_contacted: int | None
    ) -> None:
        values = {
            "interaction_count": count,
            "date_last_contacted": last_contacted,
            "contacted_key": int(last_contacted or 0),
        }
        self.conn.execute(
            t.leads.update()
            .where(t.leads.c.id == lead_id, t.leads.c.account_id == account_id)
            .values(values)
        )
        read = self._read.get(lead_id)
        if read is not None:  # a later update in this transaction diffs against it
            read.update(values)
