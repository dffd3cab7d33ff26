"""verdigris.domain.values: one parser per kind of value (issue 15), the bounds every
value keeps (issue 14), table by table."""

from __future__ import annotations

from typing import Any

import pytest

from verdigris.domain.errors import FieldErrors, ValidationFailed
from verdigris.domain.values import (
    INT64_MAX,
    INT64_MIN,
    MAX_LIST_VALUES,
    canonical_number,
    check_text,
    fits_int64,
    is_finite,
    nul_location,
    number_problem,
    paging,
    parse_amount,
    parse_date,
    parse_int,
    parse_number,
    parse_paging,
    reject_nul,
    text_problem,
    too_many,
    whole,
)


def test_fits_int64_is_the_signed_64_bit_range() -> None:
    assert fits_int64(INT64_MAX) and fits_int64(INT64_MIN) and fits_int64(0)
    assert not fits_int64(INT64_MAX + 1)
    assert not fits_int64(INT64_MIN - 1)


def test_parse_int_refuses_ids_past_64_bits_in_every_form() -> None:
    assert parse_int(INT64_MAX) == INT64_MAX
    assert parse_int(str(INT64_MAX)) == INT64_MAX
    for value in (2**63, str(2**63), float(2**64), -(2**63) - 1, "9" * 400):
        assert parse_int(value) is None, value


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 10**400])
def test_is_finite_refuses_what_a_double_cannot_hold(value: float | int) -> None:
    assert not is_finite(value)


def test_parse_amount_keeps_finite_numbers_and_refuses_the_rest() -> None:
    assert parse_amount("12.5") == 12.5
    assert parse_amount(10**300) == 1e300 and isinstance(parse_amount(10**300), float)
    assert parse_amount(2**63 - 1) == 2**63 - 1
    for value in ("nan", "inf", "-Infinity", "1e999", 10**400, float("nan")):
        assert parse_amount(value) is None, value


def test_text_problem() -> None:
    assert text_problem("x" * 255, 255) is None
    assert text_problem("x" * 256, 255) == "too_long"
    assert text_problem("a\x00b", None) == "invalid"
    assert text_problem("a\x00" + "x" * 300, 255) == "invalid"


def test_nul_location_names_the_top_level_key() -> None:
    assert nul_location({"name": "ok", "tags": ["a"]}) is None
    assert nul_location({"address": {"city": "a\x00"}}) == "address"
    assert nul_location({"leads": [{"custom_fields": [{"value": ["\x00"]}]}]}) == "leads"
    assert nul_location({"match": {"fie\x00ld": 1}}) == "match"
    assert nul_location({"na\x00me": 1}) == "name"
    assert nul_location(["\x00"]) == ""
    deep: object = "\x00"
    for _ in range(5000):  # no recursion
        deep = [deep]
    assert nul_location({"x": deep}) == "x"


def test_reject_nul_reads_the_query_string_too() -> None:
    reject_nul({"city": "Savannah"}, [("state", "GA")])
    with pytest.raises(ValidationFailed) as caught:
        reject_nul(None, [("city", "Sav\x00")])
    assert caught.value.errors == {"city": ["invalid"]}
    with pytest.raises(ValidationFailed) as caught:
        reject_nul(["\x00"])
    assert caught.value.errors == {"body": ["invalid"]}


# --- one parser per kind of value: the tables ------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, 12),
        (0, 0),
        (-3, -3),
        ("12", 12),
        (" 12 ", 12),
        ("-3", -3),
        ("007", 7),
        ("\u0663", 3),  # a decimal digit int() reads (Arabic-Indic three)
        (12.0, 12),
        (-2.0, -2),
        (INT64_MAX, INT64_MAX),
        (INT64_MIN, INT64_MIN),
        (str(INT64_MIN), INT64_MIN),
        # not whole numbers
        (True, None),
        (False, None),
        (None, None),
        ("", None),
        (" ", None),
        ("-", None),
        ("--5", None),
        ("+5", None),
        ("1e3", None),
        ("12.0", None),
        ("12a", None),
        ("\u00b2", None),  # a superscript two: a digit int() cannot read
        (12.5, None),
        (float("nan"), None),
        (float("inf"), None),
        ([1], None),
        ({"id": 1}, None),
        (INT64_MAX + 1, None),
        (INT64_MIN - 1, None),
    ],
)
def test_parse_int(value: Any, expected: int | None) -> None:
    assert parse_int(value) == expected
    assert parse_int(value) is None or type(parse_int(value)) is int


@pytest.mark.parametrize(
    ("value", "expected", "problem"),
    [
        (12, 12, None),
        (12.5, 12.5, None),
        (12.0, 12.0, None),  # kept as sent
        (-0.5, -0.5, None),
        ("12", 12.0, None),  # a string reads as a double
        (" 4.5 ", 4.5, None),
        ("1e3", 1000.0, None),
        (10**300, 10**300, None),
        # numbers, but not finite
        (float("nan"), None, "invalid"),
        (float("-inf"), None, "invalid"),
        (10**400, None, "invalid"),
        ("nan", None, "invalid"),
        ("Infinity", None, "invalid"),
        ("1e999", None, "invalid"),
        # not numbers at all
        (True, None, "invalid_type"),
        (None, None, "invalid_type"),
        ("", None, "invalid_type"),
        ("twelve", None, "invalid_type"),
        ("$12", None, "invalid_type"),
        ([12], None, "invalid_type"),
        ({"value": 12}, None, "invalid_type"),
    ],
)
def test_parse_number_and_number_problem(value: Any, expected: Any, problem: str | None) -> None:
    assert parse_number(value) == expected
    assert type(parse_number(value)) is type(expected)
    assert number_problem(value) == problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (42.0, 42),
        (-7.0, -7),
        (4.5, 4.5),
        (2.0**53 - 1, 2**53 - 1),
        (2.0**53, 2.0**53),  # past what a double holds exactly: stays a float
        (1e20, 1e20),
        (12, 12),
        (None, None),
    ],
)
def test_canonical_number(value: Any, expected: Any) -> None:
    assert canonical_number(value) == expected
    assert type(canonical_number(value)) is type(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2500, 2500),
        (12.5, 12.5),
        (3.0, 3.0),  # a JSON number is kept as sent
        ("12", 12),  # a string's whole value reads as an int
        ("3.0", 3),
        ("12.5", 12.5),
        (2**63 - 1, 2**63 - 1),
        (2**63, float(2**63)),  # past 64 bits: the double it is
        (-(2**70), -float(2**70)),
        ("abc", None),
        (True, None),
        ("1e999", None),
    ],
)
def test_parse_amount(value: Any, expected: Any) -> None:
    assert parse_amount(value) == expected
    assert type(parse_amount(value)) is type(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_700_000_000, 1_700_000_000),
        (0, 0),
        (-86_400, -86_400),
        (1_700_000_000.0, 1_700_000_000),
        ("1700000000", 1_700_000_000),
        ("01/31/2024", 1_706_659_200),  # Copper's mm/dd/yyyy, midnight UTC
        (" 1/2/2024 ", 1_704_153_600),
        ("02/30/2024", None),  # no such day
        ("13/01/2024", None),
        ("2024-01-31", None),
        (1.5, None),  # not a whole second
        ("soon", None),
        (True, None),
        (None, None),
        (INT64_MAX, INT64_MAX),
        (float(2**63), None),
    ],
)
def test_parse_date(value: Any, expected: int | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "limit", "expected", "codes", "note"),
    [
        (None, 10, None, {}, None),
        ("ok", 10, "ok", {}, None),
        ("x" * 10, 10, "x" * 10, {}, None),
        ("x" * 11, 10, None, {"name": ["too_long"]}, "name must be at most 10 characters"),
        ("x" * 5000, None, "x" * 5000, {}, None),
        ("a\x00b", None, None, {"name": ["invalid"]}, "name must not contain a NUL character"),
        (12, 10, None, {"name": ["invalid_type"]}, None),
        (["a"], 10, None, {"name": ["invalid_type"]}, None),
    ],
)
def test_check_text(
    value: Any, limit: int | None, expected: str | None, codes: dict[str, Any], note: str | None
) -> None:
    errors = FieldErrors()
    assert check_text(errors, "name", value, limit) == expected
    assert errors.by_field == codes
    assert errors.notes == ([] if note is None else [errors.notes[0]])
    assert note is None or errors.notes[0].startswith(note)


@pytest.mark.parametrize(
    ("params", "expected", "codes"),
    [
        ({}, (1, 20), {}),
        ({"page_number": 3, "page_size": 200}, (3, 200), {}),
        ({"page_number": "2", "page_size": "50"}, (2, 50), {}),
        ({"page_number": "", "page_size": None}, (1, 20), {}),
        ({"page_number": 2.0}, (2, 20), {}),
        ({"page_number": 0}, (1, 20), {"page_number": ["invalid"]}),
        ({"page_size": 0}, (1, 20), {"page_size": ["invalid"]}),
        ({"page_size": 201}, (1, 201), {"page_size": ["invalid"]}),
        ({"page_size": "1000"}, (1, 1000), {"page_size": ["invalid"]}),
        ({"page_number": "first"}, (1, 20), {"page_number": ["invalid_type"]}),
        ({"page_size": 2**63}, (1, 20), {"page_size": ["invalid_type"]}),
        ({"page_size": True}, (1, 20), {"page_size": ["invalid_type"]}),
    ],
)
def test_paging(params: dict[str, Any], expected: tuple[int, int], codes: dict[str, Any]) -> None:
    errors = FieldErrors()
    assert paging(errors, params) == expected
    assert errors.by_field == codes


def test_paging_takes_the_callers_bounds_and_parse_paging_raises() -> None:
    errors = FieldErrors()
    assert paging(errors, {"page_size": 30}, default_size=5, max_size=25) == (1, 30)
    assert errors.notes == ["page_size must be between 1 and 25"]
    assert paging(FieldErrors(), {}, default_size=5) == (1, 5)
    with pytest.raises(ValidationFailed) as caught:
        parse_paging({"page_size": 201})
    assert caught.value.message == (
        "Invalid input: Validation errors: Page size: is invalid "
        "(page_size must be between 1 and 200)"
    )


@pytest.mark.parametrize(
    ("raw", "expected", "codes"),
    [
        (None, None, {}),
        ("", None, {}),
        (5, 5, {}),
        ("5", 5, {}),
        ("five", None, {"age": ["invalid_type"]}),
        (5.5, None, {"age": ["invalid_type"]}),
    ],
)
def test_whole(raw: Any, expected: int | None, codes: dict[str, Any]) -> None:
    errors = FieldErrors()
    assert whole(errors, "age", raw) == expected
    assert errors.by_field == codes


def test_too_many_caps_a_list_and_says_so() -> None:
    errors = FieldErrors()
    assert not too_many(errors, "ids", [1] * MAX_LIST_VALUES)
    assert too_many(errors, "ids", [1] * (MAX_LIST_VALUES + 1))
    assert too_many(errors, "custom_fields", [{}] * 21, limit=20, noun="filters")
    assert too_many(
        errors, "custom_fields", [1] * 1001, label="custom field 'Size' (3): value", noun="ids"
    )
    assert errors.by_field == {"ids": ["invalid"], "custom_fields": ["invalid", "invalid"]}
    assert errors.notes == [
        "ids takes at most 1,000 values",
        "custom_fields takes at most 20 filters",
        "custom field 'Size' (3): value takes at most 1,000 ids",
    ]


# --- the one collector ---------------------------------------------------------------------------


def test_field_errors_raise_every_field_at_once_with_the_notes() -> None:
    errors = FieldErrors()
    assert not errors
    errors.raise_if_any()  # nothing added: nothing raised
    errors.add("name", "blank")
    errors.add("tags", "too_long", "tags must be short")
    errors.add("tags", "too_long")
    assert errors
    with pytest.raises(ValidationFailed) as caught:
        errors.raise_if_any()
    assert caught.value.errors == {"name": ["blank"], "tags": ["too_long", "too_long"]}
    assert caught.value.message == (
        "Invalid input: Validation errors: Name: can't be blank\n"
        "Tags: is too long, is too long (tags must be short)"
    )


def test_distinct_field_errors_list_a_code_once_and_keep_every_note() -> None:
    errors = FieldErrors(distinct=True)
    errors.add("name", "invalid_type", "person.name must be a string")
    errors.add("name", "invalid_type", "company.name must be a string")
    failure = errors.failure()
    assert failure.errors == {"name": ["invalid_type"]}
    assert failure.message.endswith(
        "Name: has the wrong type (person.name must be a string; company.name must be a string)"
    )
