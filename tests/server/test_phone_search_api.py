"""POST /leads/search by phone_number (issue 14): Copper's rule from "Search by Phone
Number" (introduction/search.html). Non-digits are stripped; a lead matches when one of
its numbers, digits only, ends with the digits (partial), or with them less 1 to 6
leading digits, keeping 6 at least (fuzzy, the default from 7 digits on)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tests.conftest import Api
from tests.server.test_search_api import search
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore

NUMBERS = {
    "Country": "1-408-555-1234",
    "Plain": "(408) 555-1234",
    "Prefixed": "123-4085551234",
    "Other area": "510.555.1234",
    "Next door": "408 555 1235",
    "London": "+44 20 7946 0958",
}
FUZZY = ["Country", "Other area", "Plain", "Prefixed"]
PARTIAL = ["Country", "Plain", "Prefixed"]


@pytest.fixture
def phones(api: Api) -> dict[str, int]:
    ids = {}
    for name, number in NUMBERS.items():
        lead = api.create_lead(name=name, phone_numbers=[{"number": number, "category": "work"}])
        ids[name] = lead["id"]
    return ids


def _names(api: Api, body: Any = None, params: dict[str, Any] | None = None) -> list[str]:
    found = search(api, body, params)
    assert found.status == 200, found.body
    assert found.total == len(found.leads)
    return sorted(found.names)


def test_the_issue_example_finds_the_number_with_a_country_code(
    api: Api, phones: dict[str, int]
) -> None:
    """Today's exact match missed it: "408-555-1234" must find 1-408-555-1234."""
    assert "Country" in _names(api, {"phone_number": "408-555-1234"})


@pytest.mark.parametrize(
    ("phone_number", "expected"),
    [
        ("408-555-1234", FUZZY),  # 10 digits, no match: fuzzy, ends with 551234
        ({"value": "408-555-1234", "match": "fuzzy"}, FUZZY),
        ({"value": "408-555-1234", "match": "partial"}, PARTIAL),
        ({"value": "5551234", "match": "partial"}, FUZZY),
        ({"value": "408-555-1234", "match": "PARTIAL"}, PARTIAL),
        ({"value": "408-555-1234", "match": None}, FUZZY),
        ({"value": 4085551234, "match": "partial"}, PARTIAL),
        ("+1 (408) 555-1234", FUZZY),
        ({"value": "+1 (408) 555-1234", "match": "partial"}, ["Country"]),
        ("1235", ["Next door"]),
        ("020 7946 0958", ["London"]),
        ({"value": "", "match": "partial"}, sorted(NUMBERS)),  # no value: no filter
    ],
)
def test_partial_and_fuzzy(
    api: Api, phones: dict[str, int], phone_number: Any, expected: list[str]
) -> None:
    assert _names(api, {"phone_number": phone_number}) == expected


def test_the_query_string_forms(api: Api, phones: dict[str, int]) -> None:
    assert _names(api, None, {"phone_number": "408-555-1234"}) == FUZZY
    partial = msgspec.json.encode({"value": "408-555-1234", "match": "partial"}).decode()
    assert _names(api, None, {"phone_number": partial}) == PARTIAL


def test_a_lead_with_two_matching_numbers_shows_once(api: Api) -> None:
    numbers = [
        {"number": "408-555-1234", "category": "work"},
        {"number": "1 408 555 1234", "category": "home"},
    ]
    api.create_lead(name="Twice", phone_numbers=numbers)
    found = search(api, {"phone_number": "5551234"})
    assert (found.status, found.total, found.names) == (200, 1, ["Twice"])


@pytest.mark.parametrize(
    ("phone_number", "words"),
    [
        (
            {"value": "408-555-1234", "match": "exact"},
            "phone_number match must be partial or fuzzy",
        ),
        ({"value": "408-555-1234", "match": "any"}, "phone_number match must be partial or fuzzy"),
        ({"value": "n/a", "match": "partial"}, "phone_number must contain digits"),
        ({"value": ["408-555-1234"]}, "phone_number must be a string"),
        ("call me", "phone_number must contain digits"),
    ],
)
def test_bad_phone_filters_are_422(api: Api, phone_number: Any, words: str) -> None:
    found = search(api, {"phone_number": phone_number})
    assert found.status == 422
    assert found.body["success"] is False
    assert words in found.body["message"]
    assert list(found.body["errors"]) == ["phone_number"]


def test_repeated_searches_keep_their_own_results(
    api: Api, phones: dict[str, int], store: Store
) -> None:
    """Page statements and totals are kept per filter: a partial search and a fuzzy one
    over the same digits never share them, and a write shows in both."""
    partial = {"phone_number": {"value": "4085551234", "match": "partial"}}
    fuzzy = {"phone_number": "4085551234"}
    for _ in range(3):  # seen again from the second round: kept and reused
        assert _names(api, partial) == PARTIAL
        assert _names(api, fuzzy) == FUZZY
        assert _names(api, {"phone_number": {"value": "5551234", "match": "partial"}}) == FUZZY
    assert isinstance(store, SqlStore)
    assert store.pages is not None and store.pages.hits > 0
    moved = {"phone_numbers": [{"number": "+1 212 555 0000", "category": "home"}]}
    assert api.put(f"/leads/{phones['Plain']}", moved).status_code == 200
    for _ in range(2):
        assert _names(api, partial) == ["Country", "Prefixed"]
        assert _names(api, fuzzy) == ["Country", "Other area", "Prefixed"]
        assert _names(api, {"phone_number": "2125550000"}) == ["Plain"]


def test_every_write_endpoint_keeps_phone_search_right(api: Api) -> None:
    def work(number: str) -> list[dict[str, str]]:
        return [{"number": number, "category": "work"}]

    made = api.create_lead(name="Made", phone_numbers=work("212-555-0101"))
    assert _names(api, {"phone_number": "555-0101"}) == ["Made"]
    assert (
        api.put(f"/leads/{made['id']}", {"phone_numbers": work("646 555 0202")}).status_code == 200
    )
    assert _names(api, {"phone_number": "555-0101"}) == []
    assert _names(api, {"phone_number": "+1 646 555 0202"}) == ["Made"]
    for number in ("303 555 0303", "303 555 0404"):
        upsert = {
            "properties": {"name": "Upserted", "phone_numbers": work(number)},
            "match": {"field_name": "name", "field_value": "Upserted"},
        }
        assert api.put("/leads/upsert", upsert).status_code == 200
    assert _names(api, {"phone_number": "5550303"}) == []
    assert _names(api, {"phone_number": "5550404"}) == ["Upserted"]
    bulk = {"leads": [{"name": "Bulk", "phone_numbers": work("0049 30 1234 5678")}]}
    created = api.post("/leads/bulk_create", bulk).json()
    assert created[0]["name"] == "Bulk", created
    assert _names(api, {"phone_number": {"value": "30-1234-5678", "match": "partial"}}) == ["Bulk"]
    update = {"leads": [{"id": created[0]["id"], "phone_numbers": work("030 8765 4321")}]}
    assert api.post("/leads/bulk_update", update).status_code == 200
    assert _names(api, {"phone_number": "1234 5678"}) == []
    assert _names(api, {"phone_number": "8765 4321"}) == ["Bulk"]
    assert api.delete(f"/leads/{made['id']}").status_code == 200
    assert _names(api, {"phone_number": "+1 646 555 0202"}) == []


def test_other_accounts_numbers_never_show(api: Api, other_api: Api) -> None:
    api.create_lead(name="Mine", phone_numbers=[{"number": "408-555-1234", "category": "work"}])
    other_api.create_lead(
        name="Theirs", phone_numbers=[{"number": "1-408-555-1234", "category": "work"}]
    )
    assert _names(api, {"phone_number": "1234"}) == ["Mine"]
    assert _names(other_api, {"phone_number": "1234"}) == ["Theirs"]
