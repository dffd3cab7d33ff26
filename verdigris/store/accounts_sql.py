"""An account's set-up in SQLAlchemy Core: the account, its users and API keys, its
lead statuses and customer sources, and its custom field definitions (issue 5).

:class:`AccountsSql` holds these operations of :class:`~verdigris.store.sql.SqlTx`,
which mixes it in and provides the connection and the write path's cursor.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import msgspec
import sqlalchemy as sa

from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.domain.leads import Lead
from verdigris.store import schema as t
from verdigris.store.base import (
    AccountRecord,
    SourceRecord,
    StatusRecord,
    StoreConflict,
    StoreTx,
    UserRecord,
)
from verdigris.store.custom_fields_sql import definition_from_row, definition_row
from verdigris.store.fast import FastCursor
from verdigris.store.lead_rows import lead_from_row

# Built once, like the lead statements (lead_rows.py).
_GET_ACCOUNT = sa.select(t.accounts.c.id, t.accounts.c.name, t.accounts.c.date_created).where(
    t.accounts.c.id == sa.bindparam("account_id")
)
_FIELDS_VERSION = sa.select(t.accounts.c.custom_fields_version).where(
    t.accounts.c.id == sa.bindparam("account_id")
)
_BUMP_FIELDS_VERSION = (
    t.accounts.update()
    .where(t.accounts.c.id == sa.bindparam("account_id"))
    .values(custom_fields_version=t.accounts.c.custom_fields_version + 1)
)


class AccountsSql(StoreTx):
    """The account set-up operations of :class:`~verdigris.store.sql.SqlTx`."""

    # provided by SqlTx
    conn: sa.Connection
    fast: FastCursor

    @abstractmethod
    def _one(self, stmt: sa.Executable) -> Any:
        """The first row of ``stmt``'s result, or None."""

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
