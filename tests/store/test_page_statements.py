"""Search pages run a statement compiled once per distinct search (sql._page_statement):
paging binds only the page's size and start; other filter values, list lengths, sorts
and the sort-or-walk choice are entries of their own. Both engines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from verdigris.domain.leads import Address, Email, Lead
from verdigris.domain.search import parse_search
from verdigris.store import sql
from verdigris.store.base import Store

NOW = 1_700_000_000


@pytest.fixture(autouse=True)
def fresh_statements() -> Iterator[None]:
    sql._page_statement.cache_clear()
    yield
    sql._page_statement.cache_clear()


def _seed(store: Store) -> int:
    cities = ["Paris"] * 7 + ["Oslo"] * 3
    with store.transaction(write=True) as tx:
        account = tx.create_account("Acme", NOW).id
        for i, city in enumerate(cities):
            tx.insert_lead(
                Lead(
                    account_id=account,
                    name=f"Lead {i:02d}",
                    email=Email(f"lead{i}@x.example", "work"),
                    address=Address(city=city),
                    monetary_value=float(i),
                    date_created=NOW + i,
                    date_modified=NOW + i,
                )
            )
    return account


def _names(store: Store, account: int, **params: Any) -> list[str | None]:
    with store.transaction(write=False) as tx:
        _, leads = tx.search_leads(account, parse_search(params).at(NOW))
    return [lead.name for lead in leads]


def test_paging_one_search_compiles_its_page_once(store: Store) -> None:
    account = _seed(store)
    pages = [_names(store, account, city="Paris", page_size=3, page_number=n) for n in (1, 2, 3)]
    assert pages == [
        ["Lead 00", "Lead 01", "Lead 02"],
        ["Lead 03", "Lead 04", "Lead 05"],
        ["Lead 06"],
    ]
    info = sql._page_statement.cache_info()
    assert (info.misses, info.hits) == (1, 2)
    # the page size is a parameter too
    assert _names(store, account, city="Paris", page_size=5, page_number=2) == [
        "Lead 05",
        "Lead 06",
    ]
    assert sql._page_statement.cache_info().misses == 1


def test_other_values_are_entries_of_their_own(store: Store) -> None:
    account = _seed(store)
    assert _names(store, account, city="Paris") == [f"Lead {i:02d}" for i in range(7)]
    assert _names(store, account, city="Oslo") == ["Lead 07", "Lead 08", "Lead 09"]
    assert _names(store, account, city="Paris", page_size=2) == ["Lead 00", "Lead 01"]
    assert sql._page_statement.cache_info().misses == 2
    # another account: its own entry, none of the first account's leads
    assert _names(store, account + 1, city="Paris") == []


def test_lists_of_any_length_bind_every_item(store: Store) -> None:
    account = _seed(store)
    for n in (1, 2, 5, 3):
        emails = [f"lead{i}@x.example" for i in range(n)]
        assert _names(store, account, emails=emails) == [f"Lead {i:02d}" for i in range(n)]
    assert sql._page_statement.cache_info().misses == 4


def test_sorts_and_directions_are_entries_of_their_own(store: Store) -> None:
    account = _seed(store)
    ascending = _names(store, account, city="Oslo")
    assert _names(store, account, city="Oslo", sort_direction="desc") == ascending[::-1]
    by_value = _names(store, account, city="Oslo", sort_by="value", sort_direction="desc")
    assert by_value == ["Lead 09", "Lead 08", "Lead 07"]
    assert sql._page_statement.cache_info().misses == 3


def test_the_sort_or_walk_choice_is_part_of_the_key(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = _seed(store)
    sorted_few = _names(store, account, city="Paris")
    # as if 7 matches were many: the page walks the sort index instead, same leads
    monkeypatch.setattr(sql, "SORT_MATCHES_UP_TO", 3)
    assert _names(store, account, city="Paris") == sorted_few
    assert sql._page_statement.cache_info().misses == 2


def test_the_kept_statements_are_bounded() -> None:
    assert sql._page_statement.cache_info().maxsize == sql.PAGE_STATEMENTS
