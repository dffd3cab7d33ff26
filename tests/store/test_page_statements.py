"""Search page statements kept compiled for searches that come back
(verdigris.store.page_statements): the first time through SQLAlchemy, from the second on
compiled once and bound only with the page's size and start; other filter values, list
lengths, sorts and the sort-or-walk choice are entries of their own; moving bounds and
long lists are never kept. Both engines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import search_leads, seed_city_leads
from verdigris.domain.search import parse_search
from verdigris.store import leads_sql, page_statements
from verdigris.store.base import Store
from verdigris.store.page_statements import PageStatements
from verdigris.store.sql import SqlStore

NOW = 1_700_000_000


@pytest.fixture
def pages(store: Store) -> Iterator[PageStatements]:
    assert isinstance(store, SqlStore)
    store.pages.clear()
    store.pages.hits = store.pages.compiled = 0
    yield store.pages


def _seed(store: Store) -> int:
    return seed_city_leads(store, ["Paris"] * 7 + ["Oslo"] * 3, NOW)


def _names(store: Store, account: int, **params: Any) -> list[str | None]:
    with store.transaction(write=False) as tx:
        _, leads = search_leads(tx, account, parse_search(params).at(NOW))
    return [lead.name for lead in leads]


def test_a_search_seen_again_is_compiled_once_then_only_bound(
    store: Store, pages: PageStatements
) -> None:
    account = _seed(store)
    first = _names(store, account, city="Paris", page_size=3, page_number=1)
    assert (pages.compiled, pages.hits) == (0, 0)  # seen once: SQLAlchemy's own path
    rest = [_names(store, account, city="Paris", page_size=3, page_number=n) for n in (2, 3)]
    assert [first, *rest] == [
        ["Lead 00", "Lead 01", "Lead 02"],
        ["Lead 03", "Lead 04", "Lead 05"],
        ["Lead 06"],
    ]
    assert (pages.compiled, pages.hits) == (1, 1)
    # the page size is a parameter too, and both paths give the same leads
    assert _names(store, account, city="Paris", page_size=5, page_number=2) == [
        "Lead 05",
        "Lead 06",
    ]
    assert (pages.compiled, pages.hits) == (1, 2)
    assert _names(store, account, city="Paris", page_size=3, page_number=1) == first


def test_other_values_are_entries_of_their_own(store: Store, pages: PageStatements) -> None:
    account = _seed(store)
    for _ in range(2):
        assert _names(store, account, city="Paris") == [f"Lead {i:02d}" for i in range(7)]
        assert _names(store, account, city="Oslo") == ["Lead 07", "Lead 08", "Lead 09"]
        # another account: its own entry, none of the first account's leads
        assert _names(store, account + 1, city="Paris") == []
    assert pages.compiled == 2 and len(pages) == 2  # the empty account reads no page


def test_lists_of_any_length_bind_every_item(store: Store, pages: PageStatements) -> None:
    account = _seed(store)
    for n in (1, 2, 5, 3, 1, 2, 5, 3):
        emails = [f"lead{i}@x.example" for i in range(n)]
        assert _names(store, account, emails=emails) == [f"Lead {i:02d}" for i in range(n)]
    assert pages.compiled == 4 and pages.hits == 0


def test_sorts_and_directions_are_entries_of_their_own(store: Store, pages: PageStatements) -> None:
    account = _seed(store)
    for _ in range(2):
        ascending = _names(store, account, city="Oslo")
        assert _names(store, account, city="Oslo", sort_direction="desc") == ascending[::-1]
        by_value = _names(store, account, city="Oslo", sort_by="value", sort_direction="desc")
        assert by_value == ["Lead 09", "Lead 08", "Lead 07"]
    assert pages.compiled == 3


def test_the_sort_or_walk_choice_is_part_of_the_key(
    store: Store, pages: PageStatements, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = _seed(store)
    # (one city sorted by name would be read in the city index's order whatever the
    # count: leads_sql.reads_sort_index; sorted by creation date, it is not)
    params = {"city": "Paris", "sort_by": "date_created"}
    sorted_few = _names(store, account, **params)
    assert _names(store, account, **params) == sorted_few
    # as if 7 matches were many: the page walks the sort index instead, same leads
    monkeypatch.setattr(leads_sql, "SORT_MATCHES_UP_TO", 3)
    assert _names(store, account, **params) == sorted_few
    assert _names(store, account, **params) == sorted_few
    assert pages.compiled == 2


def test_moving_bounds_are_never_kept(store: Store, pages: PageStatements) -> None:
    """A poller asking for what changed since its last call: a new key every time."""
    account = _seed(store)
    for since in range(NOW - 20, NOW + 5):
        names = _names(store, account, minimum_modified_date=since)
        assert len(names) == min(10, max(0, NOW + 10 - since))
    assert pages.compiled == 0 and len(pages) == 0


def test_long_lists_are_never_kept(store: Store, pages: PageStatements) -> None:
    account = _seed(store)
    emails = [f"lead{i}@x.example" for i in range(page_statements.MAX_LISTED + 1)]
    for _ in range(3):
        assert len(_names(store, account, emails=emails)) == 10
    assert pages.compiled == 0


def test_a_kept_page_shows_the_leads_the_first_showed(store: Store, pages: PageStatements) -> None:
    """The page of a kept statement (PostgreSQL: fetched in binary) renders to the same
    bytes as the first, through SQLAlchemy, a lead without its wire form included (written
    by a server older than migration 0018: made from its columns)."""
    from verdigris.server import render, render_page
    from verdigris.services import Principal, Services
    from verdigris.store import schema as t

    assert isinstance(store, SqlStore)
    services = Services(store)
    user, _token = services.add_user("ada@example.com", account="Acme")
    who = Principal(user.id, user.account_id, user.email)
    old = services.create_lead(
        who, {"name": "Old", "address": {"city": "Oslo"}, "monetary_value": 12.5}
    ).lead
    services.create_lead(
        who,
        {
            "name": "New",
            "address": {"city": "Oslo", "postal_code": "0150"},
            "tags": ["a", "b"],
            "phone_numbers": [{"number": "555 0100", "category": "work"}],
            "emails": [{"email": "new@x.example", "category": "work"}],
        },
    )
    with store.engine.begin() as conn:
        conn.execute(t.leads.update().where(t.leads.c.id == old.id).values(wire=None))

    def shown() -> tuple[int, bytes]:
        total, page = services.search_lead_page(who, {"city": "Oslo"})
        return total, render.encoder.encode(render_page.leads_out(page))

    first = shown()
    assert first[0] == 2 and b"Old" in first[1] and b"555 0100" in first[1]
    assert [shown() for _ in range(3)] == [first] * 3
    assert pages.compiled == 1 and pages.hits >= 1
