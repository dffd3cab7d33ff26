"""PostgreSQL, for teams running several workers or machines on one database.

Upserts on one key are serialized with a transaction-scoped advisory lock keyed
on (account, match field, normalized value): it holds across processes and
machines and is released at commit or rollback.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from verdigris.domain.matching import MatchCriteria
from verdigris.store.sql import SqlStore, SqlTx


def advisory_key(account_id: int, criteria: MatchCriteria) -> int:
    """A signed 64-bit lock key for ``pg_advisory_xact_lock``."""
    digest = hashlib.blake2b(
        f"{account_id}\x00{criteria.lock_key}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresTx(SqlTx):
    def lock_match(self, account_id: int, criteria: MatchCriteria) -> None:
        self.conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": advisory_key(account_id, criteria)},
        )


class PostgresStore(SqlStore):
    tx_class = PostgresTx

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        engine = sa.create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
        )
        super().__init__(url, engine)
