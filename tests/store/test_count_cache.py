"""Search totals kept on SQLite while nothing is committed (verdigris.store.count_cache)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from verdigris.domain.leads import Address, Lead
from verdigris.domain.search import parse_search
from verdigris.store import open_store
from verdigris.store.sql import SqlStore

NOW = 1_700_000_000


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[SqlStore, Path]]:
    path = tmp_path / "counts.db"
    store = open_store(f"sqlite:///{path}")
    assert isinstance(store, SqlStore)
    store.migrate()
    yield store, path
    store.close()


def _seed(store: SqlStore, cities: list[str]) -> int:
    with store.transaction(write=True) as tx:
        account = tx.create_account("Acme", NOW).id
        for i, city in enumerate(cities):
            tx.insert_lead(
                Lead(
                    account_id=account,
                    name=f"Lead {i}",
                    address=Address(city=city),
                    date_created=NOW,
                    date_modified=NOW,
                )
            )
    return account


def _total(store: SqlStore, account: int, **params: object) -> int:
    with store.transaction(write=False) as tx:
        total, _ = tx.search_leads(account, parse_search(params).at(NOW))
    return total


def test_paging_one_search_counts_once(sqlite_file: tuple[SqlStore, Path]) -> None:
    store, _ = sqlite_file
    account = _seed(store, ["Paris"] * 7 + ["Oslo"] * 3)
    counts = store.counts
    assert counts is not None
    assert _total(store, account, city="Paris", page_size=2) == 7
    assert (counts.hits, counts.misses) == (0, 1)
    # other pages and sorts of the same filter: the same total, not counted again
    assert _total(store, account, city="Paris", page_size=2, page_number=3) == 7
    assert _total(store, account, city="Paris", page_size=5, sort_by="date_created") == 7
    assert (counts.hits, counts.misses) == (2, 1)
    # another filter or account is its own entry
    assert _total(store, account, city="Oslo") == 3
    assert _total(store, account + 1, city="Paris") == 0
    assert counts.misses == 3


def test_any_commit_by_the_store_drops_the_kept_totals(sqlite_file: tuple[SqlStore, Path]) -> None:
    store, _ = sqlite_file
    account = _seed(store, ["Paris"] * 2)
    assert _total(store, account, city="Paris") == 2
    with store.transaction(write=True) as tx:
        tx.insert_lead(Lead(account_id=account, address=Address(city="Paris"), date_created=NOW))
    assert _total(store, account, city="Paris") == 3
    with store.transaction(write=True) as tx:
        assert tx.delete_lead(account, 1)
    assert _total(store, account, city="Paris") == 2


def test_a_commit_by_another_process_drops_them_too(sqlite_file: tuple[SqlStore, Path]) -> None:
    """Another worker, or anything else writing the file: its own connection."""
    store, path = sqlite_file
    account = _seed(store, ["Paris"] * 4)
    assert _total(store, account, city="Paris") == 4
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("UPDATE leads SET city_key = 'oslo' WHERE id IN (1, 2)")
    finally:
        other.close()
    assert _total(store, account, city="Paris") == 2
    assert _total(store, account, city="Oslo") == 2


def test_a_rolled_back_write_keeps_them(sqlite_file: tuple[SqlStore, Path]) -> None:
    store, _ = sqlite_file
    account = _seed(store, ["Paris"])
    assert _total(store, account, city="Paris") == 1

    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.transaction(write=True) as tx:
        tx.insert_lead(Lead(account_id=account, address=Address(city="Paris")))
        raise Boom
    counts = store.counts
    assert counts is not None
    hits = counts.hits
    assert _total(store, account, city="Paris") == 1
    assert counts.hits == hits + 1


def test_in_memory_and_postgres_stores_count_every_time(postgres_url: str) -> None:
    memory = open_store("sqlite://")
    pg = open_store(postgres_url)
    try:
        assert isinstance(memory, SqlStore) and isinstance(pg, SqlStore)
        assert memory.counts is None and pg.counts is None
    finally:
        memory.close()
        pg.close()
