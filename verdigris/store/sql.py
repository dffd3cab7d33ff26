"""The store on SQLAlchemy Core, shared by every engine.

Engines subclass :class:`SqlStore` for what truly differs (connection set-up,
how a write transaction starts, how upserts on one key are serialized).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from verdigris.domain.custom_fields import CustomFieldDefinition, Option
from verdigris.domain.leads import Address, Email, Lead, Link, Phone
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search import SearchQuery
from verdigris.store import schema as t
from verdigris.store import search_sql
from verdigris.store.base import (
    AccountRecord,
    SourceRecord,
    StatusRecord,
    Store,
    StoreTx,
    StoreUnavailable,
    UserRecord,
)

log = logging.getLogger(__name__)

_json = msgspec.json.Encoder()
_phones = msgspec.json.Decoder(list[Phone])
_links = msgspec.json.Decoder(list[Link])
_tags = msgspec.json.Decoder(list[str])
_custom = msgspec.json.Decoder(dict[int, Any])
_options = msgspec.json.Decoder(tuple[Option, ...])
_strings = msgspec.json.Decoder(tuple[str, ...])

MIGRATIONS = Path(__file__).parent / "migrations"
_INSERT_LEAD = t.leads.insert().returning(t.leads.c.id)
#: searches with at most this many matches sort them instead of walking a sort index
SORT_MATCHES_UP_TO = 10_000


def custom_value_keys(value: Any) -> list[str]:
    """The index keys of one custom field value (a list gives one key per item)."""
    items = value if isinstance(value, list) else [value]
    return [_value_key(v) for v in items if v is not None]


def _value_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)[:255]


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
    m = row._mapping
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
        #: rows read by get_lead in this transaction, so update_lead can diff without
        #: reading them again (one round trip less per update on PostgreSQL)
        self._read: dict[int, Any] = {}

    def _one(self, stmt: sa.Executable) -> Any:
        return self.conn.execute(stmt).first()

    # accounts, users and keys -----------------------------------------------------------
    def create_account(self, name: str, now: int) -> AccountRecord:
        ident = self.conn.execute(
            t.accounts.insert().values(name=name, date_created=now).returning(t.accounts.c.id)
        ).scalar_one()
        return AccountRecord(ident, name, now)

    def find_account(self, name: str) -> AccountRecord | None:
        row = self._one(sa.select(t.accounts).where(t.accounts.c.name == name))
        return AccountRecord(*row) if row else None

    def get_account(self, account_id: int) -> AccountRecord | None:
        row = self._one(sa.select(t.accounts).where(t.accounts.c.id == account_id))
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
        c = t.custom_field_definitions.c
        rows = self.conn.execute(
            sa.select(t.custom_field_definitions).where(c.account_id == account_id).order_by(c.id)
        )
        out = []
        for r in rows:
            m = r._mapping
            available = _strings.decode(m["available_on"])
            if "lead" not in available:
                continue
            out.append(
                CustomFieldDefinition(
                    id=m["id"],
                    account_id=m["account_id"],
                    name=m["name"],
                    data_type=m["data_type"],
                    available_on=available,
                    is_filterable=bool(m["is_filterable"]),
                    options=_options.decode(m["options"]),
                    currency=m["currency"],
                )
            )
        return out

    # leads ------------------------------------------------------------------------------
    def insert_lead(self, lead: Lead) -> Lead:
        # values as execution parameters: one compiled statement, cached, for every insert
        ident = self.conn.execute(_INSERT_LEAD, lead_row(lead)).scalar_one()
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
        c = t.leads.c
        before = self._read.pop(lead.id, None)
        if before is None or before.account_id != lead.account_id:
            before = self._one(
                sa.select(t.leads).where(c.id == lead.id, c.account_id == lead.account_id)
            )
        if before is None:
            return
        old = before._mapping
        changed = {k: v for k, v in lead_row(lead).items() if old[k] != v}
        if not changed:
            return
        self.conn.execute(
            t.leads.update().where(c.id == sa.bindparam("target_id")),
            {**changed, "target_id": lead.id},
        )
        if "custom_fields" in changed:
            self._write_custom_values(lead, replace=True)
        if "tags" in changed or "phone_numbers" in changed:
            for side in (t.lead_tags, t.lead_phones):
                self.conn.execute(side.delete().where(side.c.lead_id == lead.id))
            self._write_search_rows(lead)

    def _write_custom_values(self, lead: Lead, *, replace: bool) -> None:
        if replace:
            self.conn.execute(
                t.lead_custom_values.delete().where(t.lead_custom_values.c.lead_id == lead.id)
            )
        rows = [
            {
                "lead_id": lead.id,
                "account_id": lead.account_id,
                "definition_id": def_id,
                "value_key": key,
            }
            for def_id, value in lead.custom_fields.items()
            for key in custom_value_keys(value)
        ]
        if rows:
            self.conn.execute(t.lead_custom_values.insert(), rows)

    def get_lead(self, account_id: int, lead_id: int) -> Lead | None:
        row = self._one(
            sa.select(t.leads).where(t.leads.c.id == lead_id, t.leads.c.account_id == account_id)
        )
        if row is None:
            return None
        self._read[lead_id] = row
        return lead_from_row(row)

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
        c = t.leads.c
        stmt: sa.Select[Any]
        if criteria.field == "email":
            stmt = sa.select(c.id).where(c.account_id == account_id, c.email_norm == criteria.value)
        elif criteria.field == "name":
            stmt = sa.select(c.id).where(c.account_id == account_id, c.name == criteria.value)
        else:
            v = t.lead_custom_values.c
            stmt = (
                sa.select(v.lead_id)
                .where(
                    v.account_id == account_id,
                    v.definition_id == criteria.definition_id,
                    v.value_key == _value_key(criteria.value),
                )
                .distinct()
            )
        return [r[0] for r in self.conn.execute(stmt.limit(limit))]

    # search (issue 4) -------------------------------------------------------------------
    def _write_search_rows(self, lead: Lead) -> None:
        """Insert the ``lead_tags`` and ``lead_phones`` rows of ``lead``."""
        tags, phones = search_sql.side_rows(lead)
        if tags:
            self.conn.execute(t.lead_tags.insert(), tags)
        if phones:
            self.conn.execute(t.lead_phones.insert(), phones)

    def search_leads(self, account_id: int, query: SearchQuery) -> tuple[int, list[Lead]]:
        count = search_sql.statements(account_id, query, []).total
        total = int(self.conn.execute(count).scalar_one())
        if query.limit == 0 or query.offset >= total:
            return total, []
        order = self._search_order(query, total)
        page = search_sql.statements(account_id, query, order).page
        return total, [lead_from_row(r) for r in self.conn.execute(page)]

    def _search_order(self, query: SearchQuery, total: int) -> list[Any]:
        """The ORDER BY of a page: sort few matches rather than walk a sort index.

        With ORDER BY ... LIMIT, planners like walking the sort index and filtering as
        they go, which visits every lead when the filters match few. SQLite (without
        STAT4 histograms) cannot tell a range matching 50 leads from one matching
        500,000; PostgreSQL misjudges correlated conditions. The count has just said
        how many match: when they are at most ``SORT_MATCHES_UP_TO``, the ORDER BY is
        written so that no index can serve it, and the planner reads the matches
        through the filters' indexes and sorts them. When more match, walking the
        sort index meets one soon enough.
        """
        return search_sql.order_by(query, by_index=total > SORT_MATCHES_UP_TO)


class SqlStore(Store):
    """Engine-neutral parts of a SQLAlchemy-backed store."""

    tx_class: type[SqlTx] = SqlTx

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine

    def _begin(self, conn: sa.Connection, write: bool) -> None:
        conn.begin()

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[StoreTx]:
        try:
            conn = self.engine.connect()
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(str(exc.orig)) from exc
        with conn:
            try:
                self._begin(conn, write)
                yield self.tx_class(conn)
            except sa.exc.OperationalError as exc:
                conn.rollback()
                raise StoreUnavailable(str(exc.orig)) from exc
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.commit()

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
        self.engine.dispose()
