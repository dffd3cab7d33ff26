"""``tx.accounts`` in SQLAlchemy Core (:class:`SqlAccounts`): the account, its users
and API keys, its lead statuses and customer sources.
"""

from __future__ import annotations

import sqlalchemy as sa

from verdigris.store import schema as t
from verdigris.store.base import (
    AccountRecord,
    Accounts,
    SourceRecord,
    StatusRecord,
    UserRecord,
)
from verdigris.store.rows import SqlRepository

# Built once, like the lead statements (lead_rows.py).
_GET_ACCOUNT = sa.select(t.accounts.c.id, t.accounts.c.name, t.accounts.c.date_created).where(
    t.accounts.c.id == sa.bindparam("account_id")
)


class SqlAccounts(SqlRepository, Accounts):
    """The accounts, users, keys, statuses and sources of one transaction."""

    # accounts, users and keys -----------------------------------------------------------
    def create(self, name: str, now: int) -> AccountRecord:
        ident = self.conn.execute(
            t.accounts.insert().values(name=name, date_created=now).returning(t.accounts.c.id)
        ).scalar_one()
        return AccountRecord(ident, name, now)

    _account_cols = (t.accounts.c.id, t.accounts.c.name, t.accounts.c.date_created)

    def find(self, name: str) -> AccountRecord | None:
        row = self._one(sa.select(*self._account_cols).where(t.accounts.c.name == name))
        return AccountRecord(*row) if row else None

    def get(self, account_id: int) -> AccountRecord | None:
        # on the driver's cursor (verdigris.store.fast): integers and text only
        row = self.fast.run("get_account", _GET_ACCOUNT, {"account_id": account_id}).fetchone()
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
