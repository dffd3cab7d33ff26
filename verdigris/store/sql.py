"""The store on SQLAlchemy Core, shared by every engine.

Engines subclass :class:`SqlStore` for what truly differs (connection set-up,
how a write transaction starts, how upserts on one key are serialized).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import msgspec
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Dialect

from verdigris.domain.activities import Activity, ActivityQuery
from verdigris.domain.crm import Company, ContactType, Opportunity, Person, Pipeline, Stage
from verdigris.domain.custom_fields import CustomFieldDefinition, index_entries
from verdigris.domain.leads import Address, Email, Lead, Link, Phone
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search import SearchQuery
from verdigris.domain.search_keys import text_key
from verdigris.store import fast, search_sql
from verdigris.store import schema as t
from verdigris.store.base import (
    AccountRecord,
    LeadFields,
    SourceRecord,
    StatusRecord,
    Store,
    StoreConflict,
    StoreTx,
    StoreUnavailable,
    UserRecord,
)
from verdigris.store.count_cache import CountCache
from verdigris.store.custom_fields_sql import definition_from_row, definition_row
from verdigris.store.fast import FastCursor

log = logging.getLogger(__name__)

_json = msgspec.json.Encoder()
_phones = msgspec.json.Decoder(list[Phone])
_links = msgspec.json.Decoder(list[Link])
_tags = msgspec.json.Decoder(list[str])
_custom = msgspec.json.Decoder(dict[int, Any])

MIGRATIONS = Path(__file__).parent / "migrations"
R = TypeVar("R", bound=msgspec.Struct)
_any = msgspec.json.Decoder()
#: columns stored as JSON text, per record type (conversion, issue 8)
_PERSON_JSON = frozenset(
    {"address", "emails", "phone_numbers", "socials", "tags", "websites"}
    | {"custom_fields", "leads_converted_from"}
)
_COMPANY_JSON = frozenset(
    ("address", "phone_numbers", "socials", "tags", "websites", "custom_fields")
)
_OPPORTUNITY_JSON = frozenset(("tags", "leads_converted_from", "custom_fields"))
ACTIVITY_JSON = frozenset(("old_value", "new_value"))
# Hot-path statements, built once: executing a prebuilt statement skips SQLAlchemy's
# per-call construction and cache-key work (a third of an upsert's time when built per call).
_GET_ACCOUNT = sa.select(t.accounts.c.id, t.accounts.c.name, t.accounts.c.date_created).where(
    t.accounts.c.id == sa.bindparam("account_id")
)
_GET_LEAD = sa.select(t.leads).where(
    t.leads.c.id == sa.bindparam("lead_id"), t.leads.c.account_id == sa.bindparam("account_id")
)
_GET_LEAD_FOR_UPDATE = _GET_LEAD.with_for_update()
# Email and name matches read the search indexes on the lowered, truncated keys
# (ix_leads_by_email, ix_leads_by_name) and check the full value on the row: every
# lead whose value matches has that key, and a separate index per match column would
# cost every write one more index entry (migration 0006).
_MATCH_EMAIL = sa.select(t.leads.c.id).where(
    t.leads.c.account_id == sa.bindparam("account_id"),
    t.leads.c.email_key == sa.bindparam("key"),
    t.leads.c.email_norm == sa.bindparam("value"),
    t.leads.c.converted_at.is_(None),
)
_MATCH_NAME = sa.select(t.leads.c.id).where(
    t.leads.c.account_id == sa.bindparam("account_id"),
    t.leads.c.name_key == sa.bindparam("key"),
    t.leads.c.name == sa.bindparam("value"),
    t.leads.c.converted_at.is_(None),
)
_MATCH_CUSTOM = (
    sa.select(t.lead_custom_values.c.lead_id)
    .join(t.leads, t.leads.c.id == t.lead_custom_values.c.lead_id)
    .where(
        t.lead_custom_values.c.account_id == sa.bindparam("account_id"),
        t.lead_custom_values.c.definition_id == sa.bindparam("definition_id"),
        t.lead_custom_values.c.value_key == sa.bindparam("value"),
        t.leads.c.converted_at.is_(None),
    )
    .distinct()
    .limit(sa.bindparam("limit"))
)
_MATCH_EMAIL = _MATCH_EMAIL.limit(sa.bindparam("limit"))
_MATCH_NAME = _MATCH_NAME.limit(sa.bindparam("limit"))
_FIELDS_VERSION = sa.select(t.accounts.c.custom_fields_version).where(
    t.accounts.c.id == sa.bindparam("account_id")
)
_BUMP_FIELDS_VERSION = (
    t.accounts.update()
    .where(t.accounts.c.id == sa.bindparam("account_id"))
    .values(custom_fields_version=t.accounts.c.custom_fields_version + 1)
)
#: searches with at most this many matches sort them instead of walking a sort index
SORT_MATCHES_UP_TO = 10_000


def lead_row(lead: Lead) -> dict[str, Any]:
    address = lead.address or Address()
    return {
        "account_id": lead.account_id,
        "name": lead.name,
        "prefix": lead.prefix,
        "first_name": lead.first_name,
        "middle_name": lead.middle_name,
        "last_name": lead.last_name,
        "suffix": lead.suffix,
        "title": lead.title,
        "company_name": lead.company_name,
        "details": lead.details,
        "email": lead.email.email if lead.email else None,
        "email_category": lead.email.category if lead.email else None,
        "email_norm": lead.email_key,
        "street": address.street,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "country": address.country,
        "assignee_id": lead.assignee_id,
        "customer_source_id": lead.customer_source_id,
        "status_id": lead.status_id,
        "monetary_value": lead.monetary_value,
        "monetary_unit": lead.monetary_unit,
        "interaction_count": lead.interaction_count,
        "phone_numbers": _json.encode(lead.phone_numbers).decode(),
        "socials": _json.encode(lead.socials).decode(),
        "websites": _json.encode(lead.websites).decode(),
        "tags": _json.encode(lead.tags).decode(),
        "custom_fields": _json.encode(lead.custom_fields).decode(),
        "date_created": lead.date_created,
        "date_modified": lead.date_modified,
        "date_last_contacted": lead.date_last_contacted,
        "converted_at": lead.converted_at,
        "converted_opportunity_id": lead.converted_opportunity_id,
        "converted_value": lead.converted_value,
        "converted_unit": lead.converted_unit,
        **search_sql.search_keys(lead),
    }


def _number(value: float | None) -> float | int | None:
    if value is not None and float(value).is_integer():
        return int(value)
    return value


def lead_from_row(row: Any) -> Lead:
    return lead_from_mapping(row._mapping)


#: the columns of ``leads`` in table order, as ``SELECT leads.*`` returns them
LEAD_COLUMNS = tuple(t.leads.c.keys())
_INSERT_LEAD_FAST = (
    t.leads.insert()
    .values({k: sa.bindparam(k) for k in lead_row(Lead(account_id=0))})
    .returning(t.leads.c.id)
)
_CUSTOM_VALUE_COLUMNS = ("lead_id", "account_id", "definition_id", "value_key", "value_num")
_INSERT_CUSTOM_VALUE = t.lead_custom_values.insert().values(
    {k: sa.bindparam(k) for k in _CUSTOM_VALUE_COLUMNS}
)
_DELETE_CUSTOM_VALUES = t.lead_custom_values.delete().where(
    t.lead_custom_values.c.lead_id == sa.bindparam("lead_id")
)
_INSERT_TAG = t.lead_tags.insert().values(
    {c.name: sa.bindparam(c.name) for c in t.lead_tags.columns}
)
_INSERT_PHONE = t.lead_phones.insert().values(
    {c.name: sa.bindparam(c.name) for c in t.lead_phones.columns}
)
_DELETE_TAGS = t.lead_tags.delete().where(t.lead_tags.c.lead_id == sa.bindparam("lead_id"))
_DELETE_PHONES = t.lead_phones.delete().where(t.lead_phones.c.lead_id == sa.bindparam("lead_id"))


def _update_lead_stmt(columns: tuple[str, ...]) -> sa.Update:
    return (
        t.leads.update()
        .where(t.leads.c.id == sa.bindparam("target_id"))
        .values({k: sa.bindparam(k) for k in columns})
    )


def _count_key(query: SearchQuery) -> SearchQuery:
    """The query with what does not change its total (paging, sort) set aside."""
    return dataclasses.replace(query, page_number=1, page_size=0, sort_by="", descending=False)


def _page_key(query: SearchQuery) -> SearchQuery:
    """The query with its page set aside (its size and start are parameters)."""
    return dataclasses.replace(query, page_number=1, page_size=0)


_FIELD_COLUMNS = tuple(t.leads.c[name] for name in LeadFields._fields)
#: distinct searches whose page statements each process keeps compiled
PAGE_STATEMENTS = 512


@functools.lru_cache(maxsize=PAGE_STATEMENTS)
def _page_statement(
    dialect: Dialect, account_id: int, query: SearchQuery, by_index: bool, fields: bool
) -> fast.Prepared:
    """The page statement of a search (:func:`search_sql.page_statements`), compiled.

    Building and compiling it with SQLAlchemy costs about as much as SQLite takes to
    read a page of 200 leads, so each distinct search (``query`` without its page,
    :func:`_page_key`) is compiled once: paging through a search, or repeating it,
    only binds the page's size and start. The filters' values are part of the key and
    of the SQL (lists for IN are written out), so different values are different
    entries; the least recently used beyond :data:`PAGE_STATEMENTS` are dropped.
    """
    where = search_sql.conditions(account_id, query)
    order = search_sql.order_by(query, by_index=by_index)
    columns = _FIELD_COLUMNS if fields else (t.leads,)
    _, page = search_sql.page_statements(where, query, order, columns)
    variable = frozenset({search_sql.PAGE_LIMIT, search_sql.PAGE_OFFSET})
    return fast.compile_statement(page, dialect, variable=variable)


def match_statement(
    account_id: int, criteria: MatchCriteria, limit: int
) -> tuple[str, sa.Select[Any], dict[str, Any], tuple[str, str] | None]:
    """An upsert's match: (cache key, statement, parameters, index SQLite must use)."""
    params = {"account_id": account_id, "value": criteria.value, "limit": limit}
    if criteria.field in ("email", "name"):
        params["key"] = text_key(criteria.value)
        stmt = _MATCH_EMAIL if criteria.field == "email" else _MATCH_NAME
        return f"match_{criteria.field}", stmt, params, ("leads", f"ix_leads_by_{criteria.field}")
    params["definition_id"] = criteria.definition_id
    return "match_custom", _MATCH_CUSTOM, params, None


def lead_from_mapping(m: Any) -> Lead:
    address = None
    if any(m[k] is not None for k in ("street", "city", "state", "postal_code", "country")):
        address = Address(m["street"], m["city"], m["state"], m["postal_code"], m["country"])
    return Lead(
        id=m["id"],
        account_id=m["account_id"],
        name=m["name"],
        prefix=m["prefix"],
        first_name=m["first_name"],
        middle_name=m["middle_name"],
        last_name=m["last_name"],
        suffix=m["suffix"],
        title=m["title"],
        company_name=m["company_name"],
        details=m["details"],
        email=Email(m["email"], m["email_category"]) if m["email"] is not None else None,
        phone_numbers=_phones.decode(m["phone_numbers"]),
        socials=_links.decode(m["socials"]),
        websites=_links.decode(m["websites"]),
        address=address,
        assignee_id=m["assignee_id"],
        customer_source_id=m["customer_source_id"],
        status_id=m["status_id"],
        monetary_value=_number(m["monetary_value"]),
        monetary_unit=m["monetary_unit"],
        tags=_tags.decode(m["tags"]),
        interaction_count=m["interaction_count"],
        custom_fields=_custom.decode(m["custom_fields"]),
        date_created=m["date_created"],
        date_modified=m["date_modified"],
        date_last_contacted=m["date_last_contacted"],
        converted_at=m["converted_at"],
        converted_opportunity_id=m["converted_opportunity_id"],
        converted_value=_number(m["converted_value"]),
        converted_unit=m["converted_unit"],
    )


class SqlTx(StoreTx):
    """Operations of one transaction on one SQLAlchemy connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        #: the write path's statements, sent straight to the driver (verdigris.store.fast)
        self.fast = FastCursor(conn)
        #: rows read by get_lead in this transaction (column -> value), so update_lead can
        #: diff without reading them again (one round trip less per update on PostgreSQL)
        self._read: dict[int, dict[str, Any]] = {}
        #: the store's search totals, if it keeps them, and how this engine tells whether
        #: anything was committed (verdigris.store.count_cache)
        self.counts: CountCache | None = None
        #: the data version read as this transaction began, before its first read (SQLite;
        #: None: unknown, nothing is kept)
        self.start_version: Hashable | None = None

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        read = dict(self._read)
        try:
            with self.fast.savepoint():
                yield
        except BaseException:
            self._read = read  # rows read inside the rolled-back scope are stale
            raise

    def _one(self, stmt: sa.Executable) -> Any:
        return self.conn.execute(stmt).first()

    # accounts, users and keys -----------------------------------------------------------
    def create_account(self, name: str, now: int) -> AccountRecord:
        ident = self.conn.execute(
            t.accounts.insert().values(name=name, date_created=now).returning(t.accounts.c.id)
        ).scalar_one()
        return AccountRecord(ident, name, now)

    _account_cols = (t.accounts.c.id, t.accounts.c.name, t.accounts.c.date_created)

    def find_account(self, name: str) -> AccountRecord | None:
        row = self._one(sa.select(*self._account_cols).where(t.accounts.c.name == name))
        return AccountRecord(*row) if row else None

    def get_account(self, account_id: int) -> AccountRecord | None:
        row = self.conn.execute(_GET_ACCOUNT, {"account_id": account_id}).first()
        return AccountRecord(*row) if row else None

    _user_cols = (t.users.c.id, t.users.c.account_id, t.users.c.name, t.users.c.email)

    def create_user(self, account_id: int, email: str, name: str, now: int) -> UserRecord:
        ident = self.conn.execute(
            t.users.insert()
            .values(
                account_id=account_id,
                email=email,
                email_norm=email.strip().lower(),
                name=name,
                date_created=now,
            )
            .returning(t.users.c.id)
        ).scalar_one()
        return UserRecord(ident, account_id, name, email)

    def find_user(self, email_norm: str) -> UserRecord | None:
        row = self._one(sa.select(*self._user_cols).where(t.users.c.email_norm == email_norm))
        return UserRecord(*row) if row else None

    def get_user(self, account_id: int, user_id: int) -> UserRecord | None:
        row = self._one(
            sa.select(*self._user_cols).where(
                t.users.c.id == user_id, t.users.c.account_id == account_id
            )
        )
        return UserRecord(*row) if row else None

    def list_users(self, account_id: int) -> list[UserRecord]:
        rows = self.conn.execute(
            sa.select(*self._user_cols)
            .where(t.users.c.account_id == account_id)
            .order_by(t.users.c.id)
        )
        return [UserRecord(*r) for r in rows]

    def count_users(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(t.users)).scalar_one())

    def add_key_hash(self, user_id: int, key_hash: str, now: int) -> None:
        self.conn.execute(
            t.api_keys.insert().values(user_id=user_id, key_hash=key_hash, date_created=now)
        )

    def key_hashes(self, user_id: int) -> list[str]:
        rows = self.conn.execute(
            sa.select(t.api_keys.c.key_hash).where(t.api_keys.c.user_id == user_id)
        )
        return [r[0] for r in rows]

    # account lookups --------------------------------------------------------------------
    def add_status(self, account_id: int, name: str, order: int, is_default: bool) -> int:
        return int(
            self.conn.execute(
                t.lead_statuses.insert()
                .values(account_id=account_id, name=name, order=order, is_default=is_default)
                .returning(t.lead_statuses.c.id)
            ).scalar_one()
        )

    def list_statuses(self, account_id: int) -> list[StatusRecord]:
        c = t.lead_statuses.c
        rows = self.conn.execute(
            sa.select(c.id, c.account_id, c.name, c.order, c.is_default)
            .where(c.account_id == account_id)
            .order_by(c.order, c.id)
        )
        return [StatusRecord(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]

    def add_source(self, account_id: int, name: str) -> int:
        return int(
            self.conn.execute(
                t.customer_sources.insert()
                .values(account_id=account_id, name=name)
                .returning(t.customer_sources.c.id)
            ).scalar_one()
        )

    def list_sources(self, account_id: int) -> list[SourceRecord]:
        c = t.customer_sources.c
        rows = self.conn.execute(
            sa.select(c.id, c.account_id, c.name).where(c.account_id == account_id).order_by(c.id)
        )
        return [SourceRecord(*r) for r in rows]

    def lead_custom_fields(self, account_id: int) -> list[CustomFieldDefinition]:
        return [d for d in self.list_custom_fields(account_id) if d.on_leads]

    # leads ------------------------------------------------------------------------------
    def insert_lead(self, lead: Lead) -> Lead:
        # values as execution parameters: one compiled statement, cached, for every insert
        ident = self.fast.run("insert_lead", _INSERT_LEAD_FAST, lead_row(lead)).fetchone()[0]
        lead = msgspec.structs.replace(lead, id=ident)
        self._write_custom_values(lead, replace=False)
        self._write_search_rows(lead)
        return lead

    def update_lead(self, lead: Lead) -> None:
        """Write only the columns that changed (on SQLite an UPDATE rewrites the entries
        of every index on a column it sets), and the side rows only if theirs did.

        The columns compared with are those this transaction read (get_lead), so a
        column another writer changed since, and this update does not, is left as is.
        """
        old = self._read.pop(lead.id, None)
        if old is None or old["account_id"] != lead.account_id:
            old = self._fetch_lead(_GET_LEAD, lead.account_id, lead.id)
        if old is None:
            return
        changed = {k: v for k, v in lead_row(lead).items() if old[k] != v}
        if not changed:
            return
        columns = tuple(changed)
        self.fast.run(
            "update_lead:" + ",".join(columns),
            lambda: _update_lead_stmt(columns),
            {**changed, "target_id": lead.id},
        )
        if "custom_fields" in changed:
            self._write_custom_values(lead, replace=True)
        if "tags" in changed or "phone_numbers" in changed:
            self.fast.run("delete_tags", _DELETE_TAGS, {"lead_id": lead.id})
            self.fast.run("delete_phones", _DELETE_PHONES, {"lead_id": lead.id})
            self._write_search_rows(lead)

    def _write_custom_values(self, lead: Lead, *, replace: bool) -> None:
        if replace:
            self.fast.run("delete_custom_values", _DELETE_CUSTOM_VALUES, {"lead_id": lead.id})
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
            self.fast.executemany("insert_custom_value", _INSERT_CUSTOM_VALUE, rows)

    def get_lead(self, account_id: int, lead_id: int) -> Lead | None:
        return self._read_lead(_GET_LEAD, account_id, lead_id)

    def _read_lead(self, stmt: sa.Select[Any], account_id: int, lead_id: int) -> Lead | None:
        row = self._fetch_lead(stmt, account_id, lead_id)
        if row is None:
            return None
        self._read[lead_id] = row  # update_lead compares with it instead of reading again
        return lead_from_mapping(row)

    def _fetch_lead(self, stmt: sa.Select[Any], account_id: int, lead_id: int) -> Any:
        """The lead's columns as a dict, or None."""
        key = "get_lead_for_update" if stmt is _GET_LEAD_FOR_UPDATE else "get_lead"
        cur = self.fast.run(key, stmt, {"lead_id": lead_id, "account_id": account_id})
        values = cur.fetchone()
        return None if values is None else dict(zip(LEAD_COLUMNS, values, strict=True))

    def delete_lead(self, account_id: int, lead_id: int) -> bool:
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

    def match_lead_ids(self, account_id: int, criteria: MatchCriteria, limit: int) -> Sequence[int]:
        key, stmt, params, index = match_statement(account_id, criteria, limit)
        cur = self.fast.run(key, stmt, params, sqlite_index=index)
        return [r[0] for r in cur.fetchall()]

    # custom field definitions (issue 5) ----------------------------------------------------
    def custom_fields_version(self, account_id: int) -> int:
        row = self.fast.run(
            "fields_version", _FIELDS_VERSION, {"account_id": account_id}
        ).fetchone()
        return int(row[0]) if row else 0

    def _bump_custom_fields_version(self, account_id: int) -> None:
        self.conn.execute(_BUMP_FIELDS_VERSION, {"account_id": account_id})

    def list_custom_fields(self, account_id: int) -> list[CustomFieldDefinition]:
        c = t.custom_field_definitions.c
        rows = self.conn.execute(
            sa.select(t.custom_field_definitions).where(c.account_id == account_id).order_by(c.id)
        )
        return [definition_from_row(r) for r in rows]

    def get_custom_field(self, account_id: int, definition_id: int) -> CustomFieldDefinition | None:
        c = t.custom_field_definitions.c
        row = self._one(
            sa.select(t.custom_field_definitions).where(
                c.id == definition_id, c.account_id == account_id
            )
        )
        return definition_from_row(row) if row else None

    def insert_custom_field(self, definition: CustomFieldDefinition) -> CustomFieldDefinition:
        try:
            ident = self.conn.execute(
                t.custom_field_definitions.insert()
                .values(**definition_row(definition))
                .returning(t.custom_field_definitions.c.id)
            ).scalar_one()
        except sa.exc.IntegrityError as exc:
            raise StoreConflict(str(exc.orig)) from exc
        self._bump_custom_fields_version(definition.account_id)
        return msgspec.structs.replace(definition, id=ident)

    def update_custom_field(self, definition: CustomFieldDefinition) -> None:
        c = t.custom_field_definitions.c
        try:
            self.conn.execute(
                t.custom_field_definitions.update()
                .where(c.id == definition.id, c.account_id == definition.account_id)
                .values(**definition_row(definition))
            )
        except sa.exc.IntegrityError as exc:
            raise StoreConflict(str(exc.orig)) from exc
        self._bump_custom_fields_version(definition.account_id)

    def delete_custom_field(self, account_id: int, definition_id: int) -> bool:
        v = t.lead_custom_values.c
        self.conn.execute(
            t.lead_custom_values.delete().where(
                v.account_id == account_id, v.definition_id == definition_id
            )
        )
        c = t.custom_field_definitions.c
        result = self.conn.execute(
            t.custom_field_definitions.delete().where(
                c.id == definition_id, c.account_id == account_id
            )
        )
        self._bump_custom_fields_version(account_id)
        return bool(result.rowcount)

    def allocate_option_id(self, account_id: int) -> int:
        return int(
            self.conn.execute(
                t.custom_field_option_ids.insert()
                .values(account_id=account_id)
                .returning(t.custom_field_option_ids.c.id)
            ).scalar_one()
        )

    def leads_with_custom_value(self, account_id: int, definition_id: int) -> list[Lead]:
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
            self.fast.executemany("insert_tag", _INSERT_TAG, tags)
        if phones:
            self.fast.executemany("insert_phone", _INSERT_PHONE, phones)

    def search_leads(self, account_id: int, query: SearchQuery) -> tuple[int, list[Lead]]:
        total, rows = self._search_rows(account_id, query, fields=False)
        return total, [lead_from_mapping(dict(zip(LEAD_COLUMNS, r, strict=True))) for r in rows]

    def search_lead_fields(
        self, account_id: int, query: SearchQuery
    ) -> tuple[int, Sequence[LeadFields]]:
        total, rows = self._search_rows(account_id, query, fields=True)
        # the driver's tuples, in LeadFields' order (see its docstring)
        return total, cast(Sequence[LeadFields], rows)

    def _search_rows(
        self, account_id: int, query: SearchQuery, *, fields: bool
    ) -> tuple[int, Sequence[tuple[Any, ...]]]:
        """``(total, rows)``: the count, then the page as the driver returns its rows
        (:class:`LeadFields`' columns with ``fields``, else every column of ``leads``).

        The conditions are built only when the total is not kept; the page statement is
        compiled once per distinct search (see :func:`_page_statement`)."""
        counts = self.counts
        total = None
        if counts is not None:
            # the version first: see count_cache.py for why this order is safe
            key = (account_id, _count_key(query))
            total = counts.get(key, self._data_version())
        if total is None:
            total, version = self._count(search_sql.conditions(account_id, query))
            if counts is not None:
                counts.put(key, version, total)
        if query.limit == 0 or query.offset >= total:
            return total, []
        page = _page_statement(
            self.conn.dialect, account_id, _page_key(query), self._walks_sort_index(total), fields
        )
        values = {search_sql.PAGE_LIMIT: query.limit, search_sql.PAGE_OFFSET: query.offset}
        rows: list[tuple[Any, ...]] = self.fast.execute(page.sql, page.params(values)).fetchall()
        return total, rows

    def _data_version(self) -> Hashable | None:
        """Equal at two moments only if nothing was committed between them (None: unknown);
        see verdigris.store.count_cache. SQLite: the version read before this transaction
        read anything, i.e. before its snapshot began."""
        return self.start_version

    def _count(self, where: list[Any]) -> tuple[int, Hashable | None]:
        """The matches of ``where``, and the data version they were counted at."""
        version = self._data_version()
        return int(self.conn.execute(search_sql.count_statement(where)).scalar_one()), version

    def _walks_sort_index(self, total: int) -> bool:
        """Whether a page of ``total`` matches is read by walking the sort's index
        (:func:`search_sql.order_by`): sort few matches rather than walk a sort index.

        With ORDER BY ... LIMIT, planners like walking the sort index and filtering as
        they go, which visits every lead when the filters match few. SQLite (without
        STAT4 histograms) cannot tell a range matching 50 leads from one matching
        500,000; PostgreSQL misjudges correlated conditions. The count has just said
        how many match: when they are at most ``SORT_MATCHES_UP_TO``, the ORDER BY is
        written so that no index can serve it, and the planner reads the matches
        through the filters' indexes and sorts them. When more match, walking the
        sort index meets one soon enough.
        """
        return total > SORT_MATCHES_UP_TO

    # conversion (issue 8) ----------------------------------------------------------------
    def add_contact_type(self, account_id: int, name: str) -> int:
        return int(
            self.conn.execute(
                t.contact_types.insert()
                .values(account_id=account_id, name=name)
                .returning(t.contact_types.c.id)
            ).scalar_one()
        )

    def list_contact_types(self, account_id: int) -> list[ContactType]:
        c = t.contact_types.c
        rows = self.conn.execute(
            sa.select(c.id, c.account_id, c.name).where(c.account_id == account_id).order_by(c.id)
        )
        return [ContactType(*r) for r in rows]

    def add_pipeline(
        self, account_id: int, name: str, stages: Sequence[tuple[str, int]]
    ) -> Pipeline:
        pipeline_id = self.conn.execute(
            t.pipelines.insert()
            .values(account_id=account_id, name=name)
            .returning(t.pipelines.c.id)
        ).scalar_one()
        made = []
        for rank, (stage, probability) in enumerate(stages):
            stage_id = self.conn.execute(
                t.pipeline_stages.insert()
                .values(
                    account_id=account_id,
                    pipeline_id=pipeline_id,
                    name=stage,
                    rank=rank,
                    win_probability=probability,
                )
                .returning(t.pipeline_stages.c.id)
            ).scalar_one()
            made.append(Stage(stage_id, pipeline_id, stage, probability))
        return Pipeline(pipeline_id, account_id, name, tuple(made))

    def list_pipelines(self, account_id: int) -> list[Pipeline]:
        p, s = t.pipelines.c, t.pipeline_stages.c
        stages: dict[int, list[Stage]] = {}
        for r in self.conn.execute(
            sa.select(s.id, s.pipeline_id, s.name, s.win_probability)
            .where(s.account_id == account_id)
            .order_by(s.pipeline_id, s.rank, s.id)
        ):
            stages.setdefault(r[1], []).append(Stage(*r))
        rows = self.conn.execute(
            sa.select(p.id, p.name).where(p.account_id == account_id).order_by(p.id)
        )
        return [Pipeline(r[0], account_id, r[1], tuple(stages.get(r[0], ()))) for r in rows]

    def custom_field_ids_on(self, account_id: int, entity: str) -> list[int]:
        return [d.id for d in self.list_custom_fields(account_id) if entity in d.available_on]

    def get_lead_for_update(self, account_id: int, lead_id: int) -> Lead | None:
        return self._read_lead(_GET_LEAD_FOR_UPDATE, account_id, lead_id)

    def _insert(self, table: sa.Table, record: R, json_cols: frozenset[str]) -> R:
        ident = self.conn.execute(
            table.insert().values(**record_row(record, json_cols)).returning(table.c.id)
        ).scalar_one()
        return msgspec.structs.replace(record, id=ident)

    def _get(
        self, table: sa.Table, kind: type[R], json_cols: frozenset[str], account_id: int, ident: int
    ) -> R | None:
        row = self._one(
            sa.select(table).where(table.c.id == ident, table.c.account_id == account_id)
        )
        return _record_from_row(row, kind, json_cols) if row else None

    def _delete(self, table: sa.Table, account_id: int, ident: int) -> bool:
        result = self.conn.execute(
            table.delete().where(table.c.id == ident, table.c.account_id == account_id)
        )
        return bool(result.rowcount)

    def insert_person(self, person: Person) -> Person:
        return self._insert(t.people, person, _PERSON_JSON)

    def get_person(self, account_id: int, person_id: int) -> Person | None:
        return self._get(t.people, Person, _PERSON_JSON, account_id, person_id)

    def delete_person(self, account_id: int, person_id: int) -> bool:
        o = t.opportunities.c
        self.conn.execute(
            t.opportunities.update()
            .where(o.account_id == account_id, o.primary_contact_id == person_id)
            .values(primary_contact_id=None)
        )
        return self._delete(t.people, account_id, person_id)

    def insert_company(self, company: Company) -> Company:
        return self._insert(t.companies, company, _COMPANY_JSON)

    def get_company(self, account_id: int, company_id: int) -> Company | None:
        return self._get(t.companies, Company, _COMPANY_JSON, account_id, company_id)

    def find_companies(self, account_id: int, name_key: str, limit: int) -> list[Company]:
        c = t.companies.c
        rows = self.conn.execute(
            sa.select(t.companies)
            .where(c.account_id == account_id, c.name_key == name_key)
            .order_by(c.id)
            .limit(limit)
        )
        return [_record_from_row(r, Company, _COMPANY_JSON) for r in rows]

    def delete_company(self, account_id: int, company_id: int) -> bool:
        for table in (t.people, t.opportunities):
            self.conn.execute(
                table.update()
                .where(table.c.account_id == account_id, table.c.company_id == company_id)
                .values(company_id=None, company_name=None)
            )
        return self._delete(t.companies, account_id, company_id)

    def insert_opportunity(self, opportunity: Opportunity) -> Opportunity:
        return self._insert(t.opportunities, opportunity, _OPPORTUNITY_JSON)

    def get_opportunity(self, account_id: int, opportunity_id: int) -> Opportunity | None:
        return self._get(
            t.opportunities, Opportunity, _OPPORTUNITY_JSON, account_id, opportunity_id
        )

    def delete_opportunity(self, account_id: int, opportunity_id: int) -> bool:
        return self._delete(t.opportunities, account_id, opportunity_id)

    def add_activity(self, activity: Activity) -> None:
        # every created lead logs one: on the write path's cursor (store/fast.py)
        self.fast.run("insert_activity", _INSERT_ACTIVITY, record_row(activity, ACTIVITY_JSON))

    def list_activities(
        self, account_id: int, parent_type: str, parent_id: int, query: ActivityQuery
    ) -> list[Activity]:
        a = t.activities.c
        stmt = sa.select(t.activities).where(
            a.account_id == account_id, a.parent_type == parent_type, a.parent_id == parent_id
        )
        if query.types:
            stmt = stmt.where(
                sa.or_(
                    *(
                        sa.and_(a.type_category == category, a.type_id == type_id)
                        for category, type_id in query.types
                    )
                )
            )
        stmt = (
            stmt.order_by(a.activity_date.desc(), a.id.desc())
            .limit(query.page_size)
            .offset(query.offset)
        )
        return [_record_from_row(r, Activity, ACTIVITY_JSON) for r in self.conn.execute(stmt)]

    def delete_activities(self, account_id: int, parent_type: str, parent_id: int) -> None:
        a = t.activities.c
        self.conn.execute(
            t.activities.delete().where(
                a.account_id == account_id, a.parent_type == parent_type, a.parent_id == parent_id
            )
        )


def _in_transaction(conn: sa.Connection) -> bool:
    """Whether the driver connection still has a transaction open (sqlite3 says; other
    drivers are taken to)."""
    return bool(getattr(conn.connection.dbapi_connection, "in_transaction", True))


_INSERT_ACTIVITY = t.activities.insert().values(
    {c.name: sa.bindparam(c.name) for c in t.activities.c if c.name != "id"}
)


def record_row(record: msgspec.Struct, json_cols: frozenset[str]) -> dict[str, Any]:
    """A record as column values: lists and objects as JSON text, no ``id``."""
    row = msgspec.structs.asdict(record)
    row.pop("id")
    for col in json_cols:
        if row[col] is not None:
            row[col] = _json.encode(row[col]).decode()
    return row


def _record_from_row(row: Any, kind: type[R], json_cols: frozenset[str]) -> R:
    data = {str(k): v for k, v in row._mapping.items()}
    for col in json_cols:
        if data[col] is not None:
            data[col] = _any.decode(data[col])
    if "monetary_value" in data:
        data["monetary_value"] = _number(data["monetary_value"])
    return msgspec.convert(data, kind, strict=False)


#: the columns of :class:`LeadFields`, in its order


class SqlStore(Store):
    """Engine-neutral parts of a SQLAlchemy-backed store."""

    tx_class: type[SqlTx] = SqlTx

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine
        #: the open group commit (Store.batch): the thread that opened it, its connection
        self._batch: tuple[int, sa.Connection] | None = None
        #: why the open group commit's transaction is gone (SQLite rolled it back), if it is
        self._batch_lost: str | None = None
        #: search totals kept while nothing is committed (verdigris.store.count_cache)
        self.counts: CountCache | None = CountCache()
        #: the engine's data version, where it is read outside the transaction (SQLite)
        self.data_version: Callable[[], Hashable | None] | None = None

    def _tx(self, conn: sa.Connection, *, read: bool = False) -> SqlTx:
        tx = self.tx_class(conn)
        tx.counts = self.counts
        if read and self.data_version is not None:
            # before the transaction's first read: the snapshot is at least this new
            tx.start_version = self.data_version()
        return tx

    def _begin(self, conn: sa.Connection, write: bool) -> None:
        conn.begin()

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[StoreTx]:
        batch = self._batch
        if batch is not None and batch[0] == threading.get_ident():
            with self._in_batch(batch[1]) as tx:
                yield tx
            return
        with self._open(write) as conn:
            yield self._tx(conn, read=not write)

    @contextmanager
    def _open(self, write: bool) -> Iterator[sa.Connection]:
        """A connection in a transaction: committed when the block ends, rolled back when
        it raises; the database failing (to begin, run or commit) is StoreUnavailable."""
        with self._connection() as conn:
            try:
                self._begin(conn, write)
                yield conn
                conn.commit()
            except sa.exc.OperationalError as exc:
                conn.rollback()
                raise StoreUnavailable(str(exc.orig)) from exc
            except BaseException:
                conn.rollback()
                raise

    def _connection(self) -> sa.Connection:
        try:
            return self.engine.connect()
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(str(exc.orig)) from exc
        except sa.exc.TimeoutError as exc:  # every pooled connection stayed busy
            raise StoreUnavailable(str(exc)) from exc

    @contextmanager
    def _in_batch(self, conn: sa.Connection) -> Iterator[StoreTx]:
        """One transaction of a group commit: a savepoint of the batch's transaction.

        Some errors (an interrupt, I/O, a full disk) make SQLite roll back the whole
        transaction, not just the statement: then everything the batch did so far is
        gone, and so is the savepoint. The batch is marked lost, this and every later
        transaction of it fail without touching the database (a SAVEPOINT would start a
        new transaction of its own), and :meth:`batch` raises, so that no request of it
        is answered as done.
        """
        if self._batch_lost is not None:
            raise StoreUnavailable(f"the group commit was rolled back: {self._batch_lost}")
        tx = self._tx(conn)
        try:
            with tx.fast.savepoint():
                yield tx
        except sa.exc.OperationalError as exc:
            self._check_batch(conn, exc)
            raise StoreUnavailable(str(exc.orig)) from exc
        except BaseException as exc:
            self._check_batch(conn, exc)
            raise
        self._check_batch(conn, None)

    def _check_batch(self, conn: sa.Connection, cause: BaseException | None) -> None:
        if self._batch_lost is None and not _in_transaction(conn):
            self._batch_lost = str(cause) if cause is not None else "no transaction left"
            raise StoreUnavailable(f"the group commit was rolled back: {self._batch_lost}")

    @contextmanager
    def batch(self) -> Iterator[None]:
        if self._batch is not None:
            raise RuntimeError("a group commit is already open on this store")
        with self._open(True) as conn:
            self._batch = (threading.get_ident(), conn)
            self._batch_lost = None
            try:
                yield
                if self._batch_lost is not None:
                    raise StoreUnavailable(f"the group commit was rolled back: {self._batch_lost}")
            finally:
                self._batch = None

    def alembic_config(self, conn: sa.Connection) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        return cfg

    def migrate(self) -> None:
        with self.engine.begin() as conn:
            command.upgrade(self.alembic_config(conn), "head")

    def reset(self) -> None:
        with self.engine.begin() as conn:
            for table in reversed(t.metadata.sorted_tables):
                conn.execute(table.delete())

    def close(self) -> None:
        if self.counts is not None:
            self.counts.clear()
        self.engine.dispose()
