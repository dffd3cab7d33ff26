"""PostgreSQL, for teams running several workers or machines on one database.

Upserts on one key are serialized with a transaction-scoped advisory lock keyed
on (account, match field, normalized value): it holds across processes and
machines and is released at commit or rollback.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from verdigris.domain.leads import Lead
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search import SearchQuery
from verdigris.store.sql import SqlStore, SqlTx

#: the planner's cost of a random page read during a search (PostgreSQL's default, 4.0,
#: models spinning disks; 1.1 is the usual figure for SSDs and cached data)
SEARCH_RANDOM_PAGE_COST = 1.1


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

    def search_leads(self, account_id: int, query: SearchQuery) -> tuple[int, list[Lead]]:
        # With the default cost PostgreSQL counts "leads with tag X" by scanning every
        # lead of the account rather than looking up the few tagged ones (see
        # docs/performance.md). SET LOCAL ends with this read transaction.
        self.conn.exec_driver_sql(f"SET LOCAL random_page_cost = {SEARCH_RANDOM_PAGE_COST}")
        return super().search_leads(account_id, query)


class PostgresStore(SqlStore):
    tx_class = PostgresTx

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        engine = sa.create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
        )
        super().__init__(url, engine)
