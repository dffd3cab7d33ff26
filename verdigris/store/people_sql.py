"""``tx.people`` in SQLAlchemy Core (:class:`SqlPeople`, issue 21): people and companies
written by clients, found by email, and searched through indexes.

A person or company row carries its sort and filter keys
(:func:`verdigris.domain.people.person_keys` / ``company_keys``), and side tables hold
its lists as keys: ``person_emails``, ``person_phones`` / ``company_phones`` (digits and
the same backwards, so "ends with" is an index range, as ``lead_phones``), and
``person_tags`` / ``company_tags``. Every write goes through :func:`insert_person` /
:func:`write_person_keys` (and the company ones), conversion's inserts included
(``SqlCrm.insert_person``), so no record is left out of search.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import Any

import msgspec
import sqlalchemy as sa

from verdigris.domain.crm import Company, Person
from verdigris.domain.people import company_keys, email_keys, person_keys
from verdigris.domain.people_search import RecordQuery
from verdigris.domain.search_keys import NO_VALUE_ID, phone_keys, reversed_digits, tag_keys
from verdigris.store import schema as t
from verdigris.store.base import People
from verdigris.store.count_cache import CountCache
from verdigris.store.fast import FastCursor
from verdigris.store.rows import SqlRepository, record_from_row, record_row

#: columns stored as JSON text (as verdigris.store.crm_sql writes them)
PERSON_JSON = frozenset(
    {"address", "emails", "phone_numbers", "socials", "tags", "websites"}
    | {"custom_fields", "leads_converted_from"}
)
COMPANY_JSON = frozenset(
    ("address", "phone_numbers", "socials", "tags", "websites", "custom_fields")
)
#: above every code point: ``key < prefix + _TOP`` holds for every key starting with prefix
_TOP = "\U0010ffff"

_P, _C = t.people.c, t.companies.c
#: sort field -> ORDER BY columns (ties broken by id, last)
_PEOPLE_SORTS: dict[str, tuple[Any, ...]] = {
    "name": (_P.name_key,),
    "first_name": (_P.first_name_key, _P.name_key),
    "last_name": (_P.last_name_key, _P.name_key),
    "title": (_P.title_key, _P.name_key),
    "email": (_P.email_key, _P.name_key),
    "phone": (_P.phone_key, _P.name_key),
    "city": (_P.city_key, _P.name_key),
    "state": (_P.state_key, _P.name_key),
    "country": (_P.country_key, _P.name_key),
    "zip": (_P.postal_key, _P.name_key),
    "date_modified": (_P.date_modified,),
    "date_created": (_P.date_created,),
}
_COMPANY_SORTS: dict[str, tuple[Any, ...]] = {
    "name": (_C.sort_name_key,),
    "phone": (_C.phone_key, _C.sort_name_key),
    "email_domain": (_C.email_domain_key, _C.sort_name_key),
    "city": (_C.city_key, _C.sort_name_key),
    "state": (_C.state_key, _C.sort_name_key),
    "country": (_C.country_key, _C.sort_name_key),
    "zip": (_C.postal_key, _C.sort_name_key),
    "date_modified": (_C.date_modified,),
    "date_created": (_C.date_created,),
    # NULL sorts differently on the two engines: "none" is -2, as the filters spell it
    "assignee": (sa.func.coalesce(_C.assignee_id, NO_VALUE_ID),),
    "contact_group": (sa.func.coalesce(_C.contact_type_id, NO_VALUE_ID),),
    "interaction_count": (_C.interaction_count,),
    # verdigris records no interactions on companies: every one ties, by id
    "last_interaction": (),
}


# --- writing ---------------------------------------------------------------------------------


def _side_rows(
    conn: sa.Connection,
    table: sa.Table,
    owner: str,
    ident: int,
    account_id: int,
    rows: Sequence[dict[str, Any]],
    *,
    replace: bool,
) -> None:
    if replace:
        conn.execute(table.delete().where(table.c[owner] == ident))
    if rows:
        conn.execute(
            table.insert(), [{owner: ident, "account_id": account_id, **row} for row in rows]
        )


def _phone_rows(numbers: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"digits": d, "digits_reversed": reversed_digits(d)}
        for d in phone_keys(p.number for p in numbers)
    ]


def write_person_keys(conn: sa.Connection, person: Person, *, replace: bool) -> None:
    """The keys and side rows of a stored person (``replace``: drop the old rows first)."""
    conn.execute(t.people.update().where(_P.id == person.id).values(**person_keys(person)))
    _person_sides(conn, person, replace=replace)


def _person_sides(conn: sa.Connection, person: Person, *, replace: bool) -> None:
    pid, acct = person.id, person.account_id
    emails = [{"email": e[:255]} for e in dict.fromkeys(k[:255] for k in email_keys(person))]
    _side_rows(conn, t.person_emails, "person_id", pid, acct, emails, replace=replace)
    phones = _phone_rows(person.phone_numbers)
    _side_rows(conn, t.person_phones, "person_id", pid, acct, phones, replace=replace)
    tags = [{"tag": k} for k in tag_keys(person.tags)]
    _side_rows(conn, t.person_tags, "person_id", pid, acct, tags, replace=replace)


def write_company_keys(conn: sa.Connection, company: Company, *, replace: bool) -> None:
    """The keys and side rows of a stored company (``replace``: drop the old rows first)."""
    conn.execute(t.companies.update().where(_C.id == company.id).values(**company_keys(company)))
    _company_sides(conn, company, replace=replace)


def _company_sides(conn: sa.Connection, company: Company, *, replace: bool) -> None:
    cid, acct = company.id, company.account_id
    phones = _phone_rows(company.phone_numbers)
    _side_rows(conn, t.company_phones, "company_id", cid, acct, phones, replace=replace)
    tags = [{"tag": k} for k in tag_keys(company.tags)]
    _side_rows(conn, t.company_tags, "company_id", cid, acct, tags, replace=replace)


def insert_person(conn: sa.Connection, person: Person) -> Person:
    """Insert a person with its keys and side rows; it comes back with its id."""
    row = record_row(person, PERSON_JSON) | person_keys(person)
    ident = conn.execute(t.people.insert().values(**row).returning(_P.id)).scalar_one()
    person = msgspec.structs.replace(person, id=ident)
    _person_sides(conn, person, replace=False)
    return person


def insert_company(conn: sa.Connection, company: Company) -> Company:
    """Insert a company with its keys and side rows; it comes back with its id."""
    row = record_row(company, COMPANY_JSON) | company_keys(company)
    ident = conn.execute(t.companies.insert().values(**row).returning(_C.id)).scalar_one()
    company = msgspec.structs.replace(company, id=ident)
    _company_sides(conn, company, replace=False)
    return company


# --- search ----------------------------------------------------------------------------------


def _ids_or_none(col: Any, ids: tuple[int, ...]) -> Any:
    real = [i for i in ids if i != NO_VALUE_ID]
    parts = [col.in_(real)] if real else []
    if NO_VALUE_ID in ids:
        parts.append(col.is_(None))
    return sa.or_(*parts)


def _range(col: Any, low: float | None, high: float | None) -> list[Any]:
    out = []
    if low is not None:
        out.append(col >= int(low))
    if high is not None:
        out.append(col <= int(high))
    return out


class _Shape:
    """What differs between the people and the companies search."""

    def __init__(
        self,
        table: sa.Table,
        owner: str,
        phones: sa.Table,
        tags: sa.Table,
        name_key: Any,
        sorts: dict[str, tuple[Any, ...]],
    ) -> None:
        self.table, self.owner, self.phones, self.tags = table, owner, phones, tags
        self.name_key, self.sorts = name_key, sorts


_PEOPLE = _Shape(t.people, "person_id", t.person_phones, t.person_tags, _P.name_key, _PEOPLE_SORTS)
_COMPANIES = _Shape(
    t.companies, "company_id", t.company_phones, t.company_tags, _C.sort_name_key, _COMPANY_SORTS
)


def _side_ids(table: sa.Table, owner: str, account_id: int, *where: Any) -> Any:
    return sa.select(table.c[owner]).where(table.c.account_id == account_id, *where)


#: a page filtered by tags walks its sort index (probing each record's tag rows with a
#: correlated EXISTS) when that meets fewer records than this many times the matches it
#: would otherwise look up and sort
WALK_IF_CHEAPER_BY = 3


def _conditions(shape: _Shape, account_id: int, q: RecordQuery, *, walk: bool = False) -> list[Any]:
    c = shape.table.c
    where: list[Any] = [c.account_id == account_id]
    if q.ids is not None:
        where.append(c.id.in_(q.ids))
    if q.name_prefix:
        where += [shape.name_key >= q.name_prefix, shape.name_key < q.name_prefix + _TOP]
    if q.phone_suffix:
        rev = reversed_digits(q.phone_suffix)
        p = shape.phones.c
        where.append(
            c.id.in_(
                _side_ids(
                    shape.phones,
                    shape.owner,
                    account_id,
                    p.digits_reversed >= rev,
                    p.digits_reversed < rev + _TOP,
                )
            )
        )
    if q.emails is not None:
        if shape is _PEOPLE:
            e = t.person_emails.c
            where.append(
                c.id.in_(_side_ids(t.person_emails, "person_id", account_id, e.email.in_(q.emails)))
            )
        else:
            where.append(c.email_domain_key.in_(q.emails))
    for ids, col in (
        (q.contact_type_ids, c.contact_type_id),
        (q.assignee_ids, c.assignee_id),
        (q.company_ids, c.get("company_id")),
    ):
        if ids is not None and col is not None:
            where.append(_ids_or_none(col, ids))
    if q.opportunity_ids is not None and shape is _PEOPLE:
        o = t.opportunities.c
        where.append(
            c.id.in_(
                sa.select(o.primary_contact_id).where(
                    o.account_id == account_id, o.id.in_(q.opportunity_ids)
                )
            )
        )
    for key, col in (
        (q.city, c.city_key),
        (q.state, c.state_key),
        (q.postal_code, c.postal_key),
        (q.country, c.country_key),
    ):
        if key is not None:
            where.append(col == key)
    if q.tags is not None:
        g = shape.tags.c
        any_tag: list[Any] = []
        if q.tags.keys and walk and not q.tags.match_all:
            owner = shape.tags.c[shape.owner]
            any_tag.append(
                sa.exists().where(owner == c.id, g.account_id == account_id, g.tag.in_(q.tags.keys))
            )
        elif q.tags.keys:
            if q.tags.match_all:
                any_tag.append(
                    sa.and_(
                        *(
                            c.id.in_(_side_ids(shape.tags, shape.owner, account_id, g.tag == k))
                            for k in q.tags.keys
                        )
                    )
                )
            else:
                any_tag.append(
                    c.id.in_(_side_ids(shape.tags, shape.owner, account_id, g.tag.in_(q.tags.keys)))
                )
        if q.tags.empty:
            any_tag.append(c.id.not_in(_side_ids(shape.tags, shape.owner, account_id)))
        where.append(sa.or_(*any_tag))
    where += _range(c.interaction_count, q.interaction_count.low, q.interaction_count.high)
    if q.interaction_date.active:
        last = c.get("date_last_contacted")
        if last is None:
            where.append(sa.false())  # companies: no interaction recorded, none in range
        else:
            where += _range(last, q.interaction_date.low, q.interaction_date.high)
    where += _range(c.date_created, q.created_date.low, q.created_date.high)
    return where


def _count(conn: sa.Connection, table: sa.Table, where: list[Any]) -> tuple[int, Hashable | None]:
    """The matches of ``where``; on PostgreSQL also the snapshot they were counted in
    (one statement, as the lead search counts: verdigris.store.count_cache)."""
    count = sa.select(sa.func.count()).select_from(table).where(*where)
    if conn.dialect.name != "postgresql":
        return int(conn.execute(count).scalar_one()), None
    row = conn.execute(
        sa.select(count.scalar_subquery(), sa.text("pg_current_snapshot()::text"))
    ).one()
    return int(row[0]), str(row[1])


def _total(
    repo: SqlPeople,
    shape: _Shape,
    account_id: int,
    q: RecordQuery,
    where: list[Any] | None = None,
) -> int:
    """The matches of ``q``, kept per (kind, account, filters) while nothing is committed,
    as lead search totals are: a sync job paging through 100k people counts them once."""
    counts = repo.counts
    key = (shape.owner, account_id, replace(q, page_number=1, page_size=1, sort_by=""))
    total = counts.get(key, repo.data_version()) if counts is not None else None
    if total is None:
        if where is None:
            where = _conditions(shape, account_id, q)
        total, version = _count(repo.conn, shape.table, where)
        if counts is not None:
            counts.put(key, repo.start_version if version is None else version, total)
    return total


def _search(
    repo: SqlPeople, shape: _Shape, account_id: int, q: RecordQuery
) -> tuple[int, list[Any]]:
    if q.matches_nothing:
        return 0, []
    conn = repo.conn
    where = _conditions(shape, account_id, q)
    table = shape.table
    total = _total(repo, shape, account_id, q, where)
    if total == 0 or q.limit == 0 or q.offset >= total:
        return total, []
    order = [*shape.sorts[q.sort_by], table.c.id]
    order = [col.desc() if q.descending else col.asc() for col in order]
    # (not for a name prefix: names sort with first names, so its matches are not spread
    # over the sort order, and ix_people_by_name serves the default sort by itself)
    tags = q.tags is not None and bool(q.tags.keys) and not q.tags.match_all
    if tags and total > q.offset + q.limit:
        # records met walking the sort index ~ (all / matches) x (offset + limit)
        everyone = _total(repo, shape, account_id, RecordQuery())
        if everyone * (q.offset + q.limit) < WALK_IF_CHEAPER_BY * total * total:
            where = _conditions(shape, account_id, q, walk=True)
    # the page's ids first, so that a sort the index cannot serve carries ids and keys
    # through its sorter, not whole rows with their JSON lists; then only those rows
    ids = [
        r[0]
        for r in conn.execute(
            sa.select(table.c.id).where(*where).order_by(*order).limit(q.limit).offset(q.offset)
        )
    ]
    if not ids:
        return total, []
    rows = {r.id: r for r in conn.execute(sa.select(table).where(table.c.id.in_(ids)))}
    return total, [rows[i] for i in ids if i in rows]


class SqlPeople(SqlRepository, People):
    """People and companies of one transaction, as clients write and search them."""

    def __init__(self, conn: sa.Connection, fast: FastCursor) -> None:
        super().__init__(conn, fast)
        #: the store's kept search totals (shared with lead search; set by SqlTx)
        self.counts: CountCache | None = None
        #: SQLite: the data version read as this read transaction began (set by SqlTx)
        self.start_version: Hashable | None = None

    def data_version(self) -> Hashable | None:
        """Equal at two moments only if nothing was committed between them (None: unknown).
        SQLite: read before this transaction's snapshot; PostgreSQL: this statement's."""
        if self.conn.dialect.name == "postgresql":
            return str(self.conn.execute(sa.text("SELECT pg_current_snapshot()::text")).scalar())
        return self.start_version

    def insert_person(self, person: Person) -> Person:
        return insert_person(self.conn, person)

    def update_person(self, person: Person) -> None:
        row = record_row(person, PERSON_JSON) | person_keys(person)
        self.conn.execute(
            t.people.update()
            .where(_P.id == person.id, _P.account_id == person.account_id)
            .values(**row)
        )
        _person_sides(self.conn, person, replace=True)

    def get_person_for_update(self, account_id: int, person_id: int) -> Person | None:
        row = self._one(
            sa.select(t.people)
            .where(_P.id == person_id, _P.account_id == account_id)
            .with_for_update()
        )
        return record_from_row(row, Person, PERSON_JSON) if row else None

    def person_ids_by_email(self, account_id: int, email: str, limit: int) -> list[int]:
        e = t.person_emails.c
        rows = self.conn.execute(
            sa.select(e.person_id)
            .where(e.account_id == account_id, e.email == email[:255])
            .order_by(e.person_id)
            .limit(limit)
        )
        return [int(r[0]) for r in rows]

    def search_people(self, account_id: int, query: RecordQuery) -> tuple[int, list[Person]]:
        total, rows = _search(self, _PEOPLE, account_id, query)
        return total, [record_from_row(r, Person, PERSON_JSON) for r in rows]

    def insert_company(self, company: Company) -> Company:
        return insert_company(self.conn, company)

    def update_company(self, company: Company) -> None:
        row = record_row(company, COMPANY_JSON) | company_keys(company)
        self.conn.execute(
            t.companies.update()
            .where(_C.id == company.id, _C.account_id == company.account_id)
            .values(**row)
        )
        _company_sides(self.conn, company, replace=True)

    def get_company_for_update(self, account_id: int, company_id: int) -> Company | None:
        row = self._one(
            sa.select(t.companies)
            .where(_C.id == company_id, _C.account_id == account_id)
            .with_for_update()
        )
        return record_from_row(row, Company, COMPANY_JSON) if row else None

    def rename_company_of_people(self, account_id: int, company_id: int, name: str) -> None:
        self.conn.execute(
            t.people.update()
            .where(_P.account_id == account_id, _P.company_id == company_id)
            .values(company_name=name)
        )

    def search_companies(self, account_id: int, query: RecordQuery) -> tuple[int, list[Company]]:
        total, rows = _search(self, _COMPANIES, account_id, query)
        return total, [record_from_row(r, Company, COMPANY_JSON) for r in rows]

    def reinsert_person(self, person: Person) -> None:
        row = record_row(person, PERSON_JSON) | person_keys(person)
        self.conn.execute(t.people.insert().values(**row, id=person.id))
        _person_sides(self.conn, person, replace=False)

    def reinsert_company(self, company: Company) -> None:
        row = record_row(company, COMPANY_JSON) | company_keys(company)
        self.conn.execute(t.companies.insert().values(**row, id=company.id))
        _company_sides(self.conn, company, replace=False)
