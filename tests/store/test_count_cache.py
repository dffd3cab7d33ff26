"""Search totals kept while nothing is committed (verdigris.store.count_cache), on both
engines: SQLite's data_version, PostgreSQL's snapshot."""

from __future__ import annotations

import sqlite3
from collections.abc import Hashable

import pytest
import sqlalchemy as sa

from tests.helpers import seed_city_leads
from verdigris.domain.leads import Address, Lead
from verdigris.domain.search import parse_search
from verdigris.store import open_store
from verdigris.store.base import Store
from verdigris.store.count_cache import CountCache
from verdigris.store.sql import SqlStore

NOW = 1_700_000_000


def _external_write(store: SqlStore, sql: str) -> None:
    """A commit by someone else: another process, or a connection of its own."""
    if store.engine.dialect.name == "sqlite":
        database = store.engine.url.database
        assert database
        other = sqlite3.connect(database, isolation_level=None)
        try:
            other.execute(sql)
        finally:
            other.close()
        return
    engine = sa.create_engine(store.engine.url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def _sql_store(store: Store) -> SqlStore:
    assert isinstance(store, SqlStore)
    store.counts = CountCache()  # fresh counters for this test
    return store


def _seed(store: SqlStore, cities: list[str]) -> int:
    return seed_city_leads(store, cities, NOW)


def _total(store: SqlStore, account: int, **params: object) -> int:
    with store.transaction(write=False) as tx:
        total, _ = tx.leads.search(account, parse_search(params).at(NOW))
    return total


class _SpyCounts(CountCache):
    """A CountCache that notes each lookup: its key, the data version it was asked at,
    and whether it hit."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups: list[tuple[Hashable, Hashable | None, bool]] = []
        #: in order: ("get", key, version, hit) and ("put", key, version, None)
        self.events: list[tuple[str, Hashable, Hashable | None, bool | None]] = []

    def get(self, key: Hashable, version: Hashable | None) -> int | None:
        found = super().get(key, version)
        self.lookups.append((key, version, found is not None))
        self.events.append(("get", key, version, found is not None))
        return found

    def put(self, key: Hashable, version: Hashable | None, total: int) -> None:
        self.events.append(("put", key, version, None))
        super().put(key, version, total)


def test_paging_one_search_counts_once(store: Store) -> None:
    """Pages and sorts of one filter share one kept total; other filters and accounts
    have their own. On PostgreSQL the data version is the cluster's snapshot, which a
    commit anywhere on the server moves on (other tests, other databases): a lookup
    then rightly misses. So each lookup is checked against the versions it was really
    asked at, and the exact figures whenever nothing moved them (always on SQLite)."""
    store = _sql_store(store)
    account = _seed(store, ["Paris"] * 7 + ["Oslo"] * 3)
    counts = store.counts = _SpyCounts()
    searches: list[tuple[dict[str, object], int]] = [
        ({"city": "Paris", "page_size": 2}, 7),
        # other pages and sorts of the same filter: the same total, not counted again
        ({"city": "Paris", "page_size": 2, "page_number": 3}, 7),
        ({"city": "Paris", "page_size": 5, "sort_by": "date_created"}, 7),
        # another filter or account is its own entry
        ({"city": "Oslo"}, 3),
        ({"city": "Paris", "account": account + 1}, 0),
        ({"city": "Paris", "page_size": 1}, 7),
    ]
    for given, expected in searches:
        params = dict(given)
        owner = int(str(params.pop("account", account)))
        assert _total(store, owner, **params) == expected
    keys = [key for key, _, _ in counts.lookups]
    assert len(keys) == len(searches)
    paris = keys[0]
    assert keys[1] == keys[2] == keys[5] == paris
    assert len({paris, keys[3], keys[4]}) == 3
    # a lookup hits exactly when its key was counted at the version it is asked at
    kept: dict[Hashable, Hashable | None] = {}
    for op, key, version, hit in counts.events:
        if op == "put":
            kept[key] = version
        else:
            assert version is not None
            assert hit == (kept.get(key) == version)
    # every miss counted and kept its total; every hit did not count again
    puts = [key for op, key, _, _ in counts.events if op == "put"]
    assert puts == [key for key, _, hit in counts.lookups if not hit]
    versions = {version for op, _, version, _ in counts.events}
    if len(versions) == 1:  # nothing was committed anywhere during the searches
        assert [hit for _, _, hit in counts.lookups] == [False, True, True, False, False, True]
        assert (counts.hits, counts.misses) == (3, 3)


def test_any_commit_by_the_store_drops_the_kept_totals(store: Store) -> None:
    store = _sql_store(store)
    account = _seed(store, ["Paris"] * 2)
    assert _total(store, account, city="Paris") == 2
    with store.transaction(write=True) as tx:
        lead = tx.leads.insert(
            Lead(account_id=account, address=Address(city="Paris"), date_created=NOW)
        )
    assert _total(store, account, city="Paris") == 3
    with store.transaction(write=True) as tx:
        assert tx.leads.delete(account, lead.id)
    assert _total(store, account, city="Paris") == 2


def test_a_commit_by_another_process_drops_them_too(store: Store) -> None:
    """Another worker, or anything else writing the database."""
    store = _sql_store(store)
    account = _seed(store, ["Paris"] * 4)
    assert _total(store, account, city="Paris") == 4
    _external_write(
        store,
        "UPDATE leads SET city_key = 'oslo' WHERE id IN "
        f"(SELECT id FROM leads WHERE account_id = {account} ORDER BY id LIMIT 2)",
    )
    assert _total(store, account, city="Paris") == 2
    assert _total(store, account, city="Oslo") == 2


def test_a_rolled_back_write_keeps_them(sqlite_store: SqlStore) -> None:
    """On SQLite a rollback commits nothing: data_version stays. (On PostgreSQL the
    transaction id it took moves the snapshot on, so the total is counted again.)"""
    store = sqlite_store
    account = _seed(store, ["Paris"])
    assert _total(store, account, city="Paris") == 1

    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.transaction(write=True) as tx:
        tx.leads.insert(Lead(account_id=account, address=Address(city="Paris")))
        raise Boom
    counts = store.counts
    assert counts is not None
    hits = counts.hits
    assert _total(store, account, city="Paris") == 1
    assert counts.hits == hits + 1


def test_an_in_memory_database_counts_every_time() -> None:
    """One connection: data_version cannot see its own commits, so nothing is kept."""
    memory = open_store("sqlite://")
    try:
        assert isinstance(memory, SqlStore)
        assert memory.counts is None
    finally:
        memory.close()


def test_a_commit_between_the_snapshot_and_the_count_is_not_kept_as_current(
    sqlite_store: SqlStore,
) -> None:
    """The search's snapshot starts with its first read (the account's lookups), before
    it counts: a commit landing in between must not be stored as the newest total."""
    account = _seed(sqlite_store, ["Paris"] * 3)
    query = parse_search({"city": "Paris"}).at(NOW)
    with sqlite_store.transaction(write=False) as tx:
        tx.definitions.version(account)  # the first read: the snapshot starts here
        _external_write(sqlite_store, "DELETE FROM leads WHERE id = 1")
        total, _ = tx.leads.search(account, query)
        assert total == 3  # what this snapshot sees
    assert _total(sqlite_store, account, city="Paris") == 2
    assert _total(sqlite_store, account, city="Paris") == 2
