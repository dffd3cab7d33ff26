"""Search parameters: merging body and query string, types, defaults, validation."""

from __future__ import annotations

import random
from typing import Any

import pytest

from verdigris.domain.errors import MalformedRequest, ValidationFailed
from verdigris.domain.search import (
    RESULT_WINDOW,
    SORT_FIELDS,
    Range,
    SearchQuery,
    TagFilter,
    merge_params,
    parse_search,
    phone_suffix,
)
from verdigris.domain.search_keys import (
    lead_keys,
    phone_digits,
    phone_keys,
    reversed_digits,
    tag_keys,
    text_key,
)


def test_defaults() -> None:
    q = parse_search({})
    assert (q.page_number, q.page_size, q.sort_by, q.descending) == (1, 20, "name", False)
    assert q == SearchQuery()
    assert (q.offset, q.limit) == (0, 20)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"page_number": "3", "page_size": "50"}, {"page_number": 3, "page_size": 50}),
        ({"page_number": 2.0, "page_size": 200}, {"page_number": 2, "page_size": 200}),
        ({"sort_by": "DATE_MODIFIED", "sort_direction": "DESC"}, {"sort_by": "date_modified"}),
        ({"ids": [3, "4", 4]}, {"ids": (3, 4)}),
        ({"ids": "5,6"}, {"ids": (5, 6)}),
        ({"ids": "[7, 8]"}, {"ids": (7, 8)}),
        ({"ids": []}, {"ids": None}),
        ({"name": "  Jim H "}, {"name_prefix": "jim h"}),
        ({"name": ""}, {"name_prefix": None}),
        # Copper's fuzzy default from 7 digits: 1-6 leading digits stripped, 6 kept at least
        ({"phone_number": "(415) 999-4321"}, {"phone_suffix": "994321"}),
        ({"phone_number": "+1 (415) 999-4321"}, {"phone_suffix": "994321"}),
        ({"phone_number": "12-3456-789-0123"}, {"phone_suffix": "7890123"}),
        ({"phone_number": "5551234"}, {"phone_suffix": "551234"}),
        ({"phone_number": "55-1234"}, {"phone_suffix": "551234"}),  # 6 digits: partial
        ({"phone_number": "1234"}, {"phone_suffix": "1234"}),
        ({"phone_number": 4085551234}, {"phone_suffix": "551234"}),
        ({"phone_number": ""}, {"phone_suffix": None}),
        (
            {"phone_number": {"value": "408-555-1234", "match": "partial"}},
            {"phone_suffix": "4085551234"},
        ),
        ({"phone_number": {"value": "5551234", "match": "Partial"}}, {"phone_suffix": "5551234"}),
        ({"phone_number": {"value": "4085551234", "match": "fuzzy"}}, {"phone_suffix": "551234"}),
        ({"phone_number": {"value": "4085551234"}}, {"phone_suffix": "551234"}),
        ({"phone_number": {"value": "1234", "match": "fuzzy"}}, {"phone_suffix": "1234"}),
        ({"phone_number": {"value": "", "match": "partial"}}, {"phone_suffix": None}),
        ({"phone_number": '{"value": "5551234", "match": "partial"}'}, {"phone_suffix": "5551234"}),
        ({"emails": " Jim@Example.COM "}, {"emails": ("jim@example.com",)}),
        ({"emails": ["a@x.io", "B@x.io"]}, {"emails": ("a@x.io", "b@x.io")}),
        ({"assignee_ids": [-2, "7"]}, {"assignee_ids": (-2, 7)}),
        ({"status_ids": "1"}, {"status_ids": (1,)}),
        ({"customer_source_ids": ["-2"]}, {"customer_source_ids": (-2,)}),
        ({"city": "Savannah"}, {"city": "savannah"}),
        ({"city": ""}, {"city": ""}),
        ({"city": None}, {"city": None}),
        ({"state": ""}, {"state": ""}),
        ({"postal_code": 18503}, {"postal_code": "18503"}),
        ({"postal_code": ""}, {"postal_code": ""}),
        ({"country": "US"}, {"country": "us"}),
        ({"country": ""}, {"country": None}),
        ({"tags": ["VIP", " web "]}, {"tags": TagFilter(("vip", "web"))}),
        ({"tags": []}, {"tags": None}),
        ({"tags": "vip"}, {"tags": TagFilter(("vip",))}),
        ({"tags": '["a","b"]'}, {"tags": TagFilter(("a", "b"))}),
        ({"tags": {"option": "ANY", "value": ["a"]}}, {"tags": TagFilter(("a",))}),
        ({"tags": {"option": "all", "value": ["a", "b"]}}, {"tags": TagFilter(("a", "b"), True)}),
        ({"tags": {"value": [], "allow_empty": True}}, {"tags": TagFilter((), False, True)}),
        ({"tags": {"option": "ANY", "value": []}}, {"tags": None}),
        ({"followed": "1"}, {"followed": True}),
        ({"followed": 2}, {"followed": False}),
        ({"age": "3600"}, {"max_age": 3600}),
        (
            {"minimum_monetary_value": "10.5", "maximum_monetary_value": 20},
            {"monetary_value": Range(10.5, 20)},
        ),
        ({"minimum_interaction_count": "2"}, {"interaction_count": Range(2, None)}),
        ({"maximum_interaction_date": "1754518016"}, {"interaction_date": Range(None, 1754518016)}),
        (
            {"minimum_created_date": 100, "maximum_created_date": 200.9},
            {"created_date": Range(100, 200)},
        ),
        ({"minimum_modified_date": "1754518014"}, {"modified_date": Range(1754518014, None)}),
        ({"include_converted_leads": "true"}, {"include_converted": True}),
        ({"include_converted_leads": False}, {"include_converted": False}),
        ({"socials": []}, {}),
        ({"custom_fields": []}, {}),
        ({"unknown_key": 1, "email": {"email": "x"}}, {}),
    ],
)
def test_parameters(params: dict[str, Any], expected: dict[str, Any]) -> None:
    q = parse_search(params)
    for field, value in expected.items():
        assert getattr(q, field) == value, field


def test_sort_direction_and_every_sort_field() -> None:
    assert parse_search({"sort_direction": "desc"}).descending
    for field in SORT_FIELDS:
        assert parse_search({"sort_by": field}).sort_by == field


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"page_size": 201}, "page_size", "between 1 and 200"),
        ({"page_size": "0"}, "page_size", "between 1 and 200"),
        ({"page_size": "lots"}, "page_size", "whole number"),
        ({"page_number": 0}, "page_number", "starts at 1"),
        ({"sort_by": "socials"}, "sort_by", "name, first_name, last_name"),
        ({"sort_direction": "up"}, "sort_direction", "asc or desc"),
        ({"ids": ["x"]}, "ids", "list of ids"),
        ({"assignee_ids": [-1]}, "assignee_ids", "-2 for none"),
        ({"tags": {"option": "NONE", "value": ["a"]}}, "tags", "ANY or ALL"),
        ({"tags": [1, 2]}, "tags", "list of strings"),
        ({"followed": 3}, "followed", "1 (followed) or 2"),
        ({"age": -1}, "age", "seconds"),
        ({"minimum_monetary_value": "cheap"}, "minimum_monetary_value", "a number"),
        ({"include_converted_leads": "maybe"}, "include_converted_leads", "true or false"),
        ({"phone_number": "call me"}, "phone_number", "digits"),
        ({"phone_number": {"value": "n/a", "match": "partial"}}, "phone_number", "digits"),
        ({"phone_number": {"value": "5551234", "match": "exact"}}, "phone_number", "partial or"),
        ({"phone_number": {"value": "5551234", "match": 1}}, "phone_number", "partial or"),
        ({"phone_number": {"value": ["5551234"]}}, "phone_number", "a string"),
        ({"phone_number": ["5551234"]}, "phone_number", "a string"),
        ({"city": ["a"]}, "city", "a string"),
        ({"socials": ["https://x"]}, "socials", "socials"),
    ],
)
def test_invalid_parameters_name_the_field(params: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_search(params)
    assert field in info.value.errors
    assert words in info.value.message
    assert info.value.message.startswith("Invalid input: Validation errors: ")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_search({"page_size": 500, "sort_by": "nope", "status_ids": ["x"]})
    assert set(info.value.errors) == {"page_size", "sort_by", "status_ids"}


def test_merge_query_string_and_body() -> None:
    query = [("page_size", "200"), ("name", "jim"), ("status_ids", "1"), ("status_ids", "2")]
    assert merge_params(None, query) == {
        "page_size": "200",
        "name": "jim",
        "status_ids": ["1", "2"],
    }
    assert merge_params({"name": "pam"}, query)["name"] == "pam"  # the body wins
    assert merge_params({}, [("tags[]", "a")]) == {"tags": ["a"]}
    assert merge_params({}, [("tags[]", "a"), ("tags[]", "b")]) == {"tags": ["a", "b"]}
    with pytest.raises(MalformedRequest):
        merge_params([1, 2], [])


def test_query_string_values_parse_like_body_values() -> None:
    params = merge_params(None, [("page_size", "200"), ("status_ids", "1"), ("age", "60")])
    q = parse_search(params)
    assert (q.page_size, q.status_ids, q.max_age) == (200, (1,), 60)


def test_age_becomes_a_creation_bound() -> None:
    q = parse_search({"age": 100}).at(1000)
    assert (q.max_age, q.created_date) == (None, Range(900, None))
    tighter = parse_search({"age": 100, "minimum_created_date": 950}).at(1000)
    assert tighter.created_date == Range(950, None)
    looser = parse_search({"age": 100, "minimum_created_date": 10}).at(1000)
    assert looser.created_date == Range(900, None)
    assert parse_search({}).at(1000) == SearchQuery()


def test_paging_stops_at_copper_result_window() -> None:
    last = parse_search({"page_size": 200, "page_number": RESULT_WINDOW // 200})
    assert (last.offset, last.limit) == (RESULT_WINDOW - 200, 200)
    past = parse_search({"page_size": 200, "page_number": RESULT_WINDOW // 200 + 1})
    assert past.limit == 0
    partial = parse_search({"page_size": 150, "page_number": RESULT_WINDOW // 150 + 1})
    assert partial.limit == RESULT_WINDOW - partial.offset


def test_followed_1_matches_nothing() -> None:
    assert parse_search({"followed": 1}).matches_nothing
    assert not parse_search({"followed": 2}).matches_nothing


def _copper_fuzzy_candidates(digits: str) -> list[str]:
    """Copper's page, word for word: the digits, then 1-6 leading digits stripped, dropping
    what is shorter than 6 digits (partial when the input has 6 digits or fewer)."""
    if len(digits) <= 6:
        return [digits]
    stripped = [digits[n:] for n in range(1, 7)]
    return [digits, *(s for s in stripped if len(s) >= 6)]


def test_copper_fuzzy_example() -> None:
    assert _copper_fuzzy_candidates("4085551234") == [
        "4085551234",
        "085551234",
        "85551234",
        "5551234",
        "551234",
    ]
    assert phone_suffix("4085551234") == "551234"
    assert phone_suffix("4085551234", "partial") == "4085551234"


def test_one_suffix_stands_for_every_fuzzy_candidate() -> None:
    """A number ends with one of the candidates exactly when it ends with phone_suffix."""
    rnd = random.Random(14)
    for _ in range(3000):
        wanted = "".join(rnd.choice("0123456789") for _ in range(rnd.randrange(1, 16)))
        number = "".join(rnd.choice("0123456789") for _ in range(rnd.randrange(0, 5)))
        number += wanted[rnd.randrange(len(wanted) + 1) :]  # often shares a tail
        if rnd.random() < 0.3:
            number = number[:-1] + rnd.choice("0123456789") if number else number
        copper = any(number.endswith(c) for c in _copper_fuzzy_candidates(wanted))
        assert copper == number.endswith(phone_suffix(wanted)), (wanted, number)


def test_keys() -> None:
    assert text_key("  Jim Halpert ") == "jim halpert"
    assert text_key(None) == ""
    assert phone_digits("+1 (415) 999-4321") == "14159994321"
    assert tag_keys(["VIP", "vip ", "Web"]) == ["vip", "web"]
    assert tag_keys([" "]) == []
    assert phone_keys(["415-999-4321", "(415) 999 4321", "n/a"]) == ["4159994321"]
    assert reversed_digits("14085551234") == "43215558041"
    keys = lead_keys(
        name="Jim Halpert",
        first_name="Jim",
        last_name="Halpert",
        company_name=None,
        title="Manager",
        email="Jim@DM.com",
        phones=["510-444-7778"],
        city="Philadelphia",
        state=None,
        postal_code="18503",
        country="US",
        monetary_value=None,
        date_last_contacted=None,
        assignee_id=None,
        customer_source_id=7,
        tags=["VIP", "vip", ""],
    )
    assert keys == {
        "name_key": "jim halpert",
        "first_name_key": "jim",
        "last_name_key": "halpert",
        "company_key": "",
        "title_key": "manager",
        "email_key": "jim@dm.com",
        "phone_key": "5104447778",
        "city_key": "philadelphia",
        "state_key": "",
        "postal_key": "18503",
        "country_key": "us",
        "value_key": 0.0,
        "contacted_key": 0,
        "assignee_key": -2,
        "source_key": 7,
        "tag_count": 1,
    }
