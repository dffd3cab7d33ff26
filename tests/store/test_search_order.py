"""Searches read in an index's order whatever their count (search_sql.in_index_order):
which searches qualify, and that their pages are those of the sorted plan, page by page,
on both engines (SQLite reads a page's ids, then their rows: SqlLeads.ids_then_rows)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.helpers import search_leads
from verdigris.domain.leads import Address, Email, Lead, Phone
from verdigris.domain.search import parse_search
from verdigris.store import page_statements, search_sql
from verdigris.store import schema as t
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore

NOW = 1_700_000_000


@pytest.mark.parametrize(
    ("params", "ordered"),
    [
        ({}, True),
        ({"sort_by": "date_modified", "sort_direction": "desc"}, True),
        ({"city": "Paris"}, True),
        ({"city": "Paris", "sort_by": "city"}, True),
        ({"city": "Paris", "sort_by": "date_created"}, False),
        ({"city": "Paris", "country": "FR"}, False),
        ({"state": "CA"}, True),
        ({"postal_code": "75001", "sort_by": "zip"}, True),
        ({"country": "FR", "include_converted_leads": True}, True),
        ({"status_ids": [2]}, True),
        ({"status_ids": [2, 3]}, False),
        ({"status_ids": [-2]}, False),
        ({"assignee_ids": [-2]}, True),
        ({"customer_source_ids": [3, 4]}, False),
        ({"emails": "a@x.example"}, False),
        ({"emails": ["a@x.example", "b@x.example"]}, False),
        ({"tags": {"value": [], "allow_empty": True}}, True),
        ({"tags": ["t1"]}, False),
        ({"name": "mary s"}, True),
        ({"name": "mary s", "sort_by": "date_created"}, False),
        ({"minimum_created_date": 5, "sort_by": "date_created"}, True),
        ({"minimum_created_date": 5}, False),
        ({"minimum_modified_date": 5, "sort_by": "date_modified"}, True),
        ({"minimum_interaction_date": 5, "sort_by": "inactive_days"}, True),
        ({"minimum_interaction_count": 2, "sort_by": "inactive_days"}, False),
        ({"minimum_monetary_value": 10, "sort_by": "value"}, True),
        ({"maximum_monetary_value": 10, "sort_by": "value"}, False),  # also "has a value"
        ({"ids": [1, 2]}, False),
        ({"phone_number": "5550007"}, False),
    ],
)
def test_which_searches_are_read_in_index_order(params: dict[str, Any], ordered: bool) -> None:
    assert search_sql.in_index_order(parse_search(params)) is ordered


def _seed(store: Store) -> int:
    """60 leads in 3 cities, names in no particular order, a few converted."""
    rnd = random.Random(20)
    names = [f"Lead {n:03d}" for n in rnd.sample(range(1000), 60)]
    with store.transaction(write=True) as tx:
        account = tx.accounts.create("Acme", NOW).id
        for i, name in enumerate(names):
            tx.leads.insert(
                Lead(
                    account_id=account,
                    name=name if i % 9 else name.upper(),
                    address=Address(city=("Paris", "Oslo", "Lima")[i % 3]),
                    date_created=NOW + rnd.randrange(100),
                    date_modified=NOW + i,
                    converted_at=NOW if i % 10 == 4 else None,
                )
            )
    return account


def _pages(store: Store, account: int, params: dict[str, Any]) -> list[list[int]]:
    pages = []
    for number in range(1, 6):
        query = parse_search({**params, "page_size": 4, "page_number": number})
        with store.transaction(write=False) as tx:
            _, leads = search_leads(tx, account, query)
        pages.append([lead.id for lead in leads if lead.id is not None])
    return pages


@pytest.mark.parametrize(
    "params",
    [
        {"city": "Paris"},
        {"city": "oslo", "sort_direction": "desc"},
        {"city": "Lima", "include_converted_leads": True},
        {},
        {"sort_by": "date_created", "sort_direction": "desc"},
    ],
)
def test_a_page_read_in_index_order_is_the_sorted_page(
    store: Store, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    account = _seed(store)
    assert search_sql.in_index_order(parse_search(params))
    for _ in range(2):  # the second time from the kept page statement
        in_order = _pages(store, account, params)
    monkeypatch.setattr(search_sql, "in_index_order", lambda query: False)
    for _ in range(2):
        assert _pages(store, account, params) == in_order
    ids = [i for page in in_order for i in page]
    assert len(ids) >= 16 and len(ids) == len(set(ids))


def _seed_interactions(store: Store) -> int:
    """40 leads: 0-4 interactions each; those with 4 are the least recently contacted,
    so a walk in ``inactive_days`` order meets them last."""
    with store.transaction(write=True) as tx:
        account = tx.accounts.create("Acme", NOW).id
        for i in range(40):
            count = 4 if i < 6 else i % 4
            lead = tx.leads.insert(
                Lead(
                    account_id=account,
                    name=f"Lead {i:02d}",
                    date_created=NOW,
                    date_modified=NOW,
                    converted_at=NOW if i == 17 else None,
                )
            )
            assert lead.id is not None
            contacted = NOW + i * 10 if count else None
            tx.leads.set_interactions(account, lead.id, count, contacted)
    return account


@pytest.mark.parametrize(
    "params",
    [
        {"minimum_interaction_count": 1},
        {"minimum_interaction_count": 2, "sort_direction": "desc"},
        {"minimum_interaction_count": 1, "maximum_interaction_count": 2},
        {"minimum_interaction_count": 0, "include_converted_leads": True},
        # met last in the walk: its budget runs out, the matches are sorted instead
        {"minimum_interaction_count": 4},
        {"maximum_interaction_count": 0},
    ],
)
def test_a_bounded_walk_gives_the_sorted_pages(
    store: Store, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    account = _seed_interactions(store)
    params = {**params, "sort_by": "inactive_days"}
    assert search_sql.walk_checks_in_index(parse_search(params))
    for _ in range(2):  # the second time from the kept statement
        walked = _pages(store, account, params)
    monkeypatch.setattr(search_sql, "walk_checks_in_index", lambda query: False)
    assert _pages(store, account, params) == walked
    ids = [i for page in walked for i in page]
    assert ids and len(ids) == len(set(ids))


def test_which_searches_walk_with_a_budget() -> None:
    walks = search_sql.walk_checks_in_index
    assert walks(parse_search({"minimum_interaction_count": 2, "sort_by": "inactive_days"}))
    assert not walks(parse_search({"minimum_interaction_count": 2}))
    assert not walks(parse_search({"sort_by": "inactive_days"}))
    both = {"minimum_interaction_count": 2, "city": "Oslo", "sort_by": "inactive_days"}
    assert not walks(parse_search(both))


def _seed_ties(store: Store) -> int:
    """48 leads sharing few values, a third of them with none (keys "" or 0): every sort
    field has ties for the id to break."""
    rnd = random.Random(7)
    with store.transaction(write=True) as tx:
        account = tx.accounts.create("Acme", NOW).id
        for i in range(48):
            some = i % 3 != 0
            tx.leads.insert(
                Lead(
                    account_id=account,
                    name=rnd.choice(("Ann", "Bob", "cy")),
                    first_name=rnd.choice(("x", "Y")) if some else None,
                    last_name=rnd.choice(("p", "q")) if some else None,
                    company_name=rnd.choice(("Co", "co")) if some else None,
                    title=rnd.choice(("t", "u")) if some else None,
                    email=Email(f"{rnd.choice('ab')}{i}@x.example", "work") if some else None,
                    phone_numbers=[Phone(rnd.choice(("5551", "5552")), "work")] if some else [],
                    address=Address(
                        city=rnd.choice(("Paris", "Oslo")),
                        state=rnd.choice(("CA", "NY")),
                        postal_code=rnd.choice(("1", "2")),
                        country=rnd.choice(("FR", "US")),
                    )
                    if some
                    else None,
                    monetary_value=rnd.choice((5, 10)) if some else None,
                    date_created=NOW + rnd.randrange(3),
                    date_modified=NOW + rnd.randrange(3),
                    date_last_contacted=NOW + rnd.randrange(3) if some else None,
                )
            )
    return account


@pytest.mark.parametrize("sort_by", sorted(search_sql.SORT_COLUMNS))
def test_a_page_joined_to_its_rows_keeps_the_order_of_its_ids(store: Store, sort_by: str) -> None:
    """The page statement orders its rows by the values its subquery of ids sorted by
    (so that PostgreSQL need not sort them again): the same order as the ids', ties
    broken by id, in both directions, whether the order is read from an index or
    sorted (``by_index=False``: expressions), page by page."""
    assert isinstance(store, SqlStore)
    account = _seed_ties(store)
    for direction in ("asc", "desc"):
        for by_index in (True, False):
            every = []
            for number in range(1, 5):
                params = {"sort_by": sort_by, "sort_direction": direction}
                query = parse_search({**params, "page_size": 15, "page_number": number})
                where = search_sql.conditions(account, query)
                ids = page_statements.select_ids(where, query, by_index)
                page = page_statements.select_page(where, query, by_index, (t.leads.c.id,))
                with store.engine.connect() as conn:
                    expected = list(conn.execute(ids).scalars())
                    assert list(conn.execute(page).scalars()) == expected
                every += expected
            assert len(every) == 48 and len(set(every)) == 48
