"""The upsert outcome rule and the custom field match, table-driven, without a database."""

from typing import Any

import pytest

from verdigris.domain.custom_fields import CustomFieldDefinition, Option
from verdigris.domain.errors import ValidationFailed
from verdigris.domain.matching import (
    LOOKUP_LIMIT,
    Ambiguous,
    Create,
    MatchCriteria,
    Update,
    custom_criteria,
    decide,
    parse_match,
    with_match_value,
)


@pytest.mark.parametrize(
    ("found", "outcome"),
    [
        (0, Create()),
        (1, Update(101)),
        (2, Ambiguous((101, 102), truncated=False)),
        (30, Ambiguous(tuple(range(101, 131)), truncated=False)),
        (31, Ambiguous((), truncated=True)),
    ],
)
def test_outcome_by_number_of_matches(found: int, outcome: object) -> None:
    ids = list(range(101, 101 + found))
    assert decide(ids) == outcome


def test_ambiguous_ids_are_sorted() -> None:
    assert decide([7, 3]) == Ambiguous((3, 7), truncated=False)


def test_lookup_limit_tells_30_from_more() -> None:
    assert LOOKUP_LIMIT == 31


def test_email_match_is_normalized() -> None:
    assert parse_match({"field_name": "email", "field_value": "  Ada@Example.COM "}) == (
        MatchCriteria("email", "ada@example.com")
    )


def test_name_match_is_trimmed_not_folded() -> None:
    assert parse_match({"field_name": "name", "field_value": " My Lead "}) == MatchCriteria(
        "name", "My Lead"
    )


def test_custom_match_accepts_string_ids() -> None:
    criteria = parse_match(
        {
            "field_name": "custom",
            "field_value": {"custom_field_definition_id": "100764", "value": "x"},
        }
    )
    assert criteria == MatchCriteria("custom", "x", 100764)


@pytest.mark.parametrize(
    "match",
    [
        None,
        {"field_name": "phone", "field_value": "1"},
        {"field_name": "email", "field_value": ""},
        {"field_name": "email", "field_value": 3},
        {"field_name": "custom", "field_value": "x"},
        {"field_name": "custom", "field_value": {"custom_field_definition_id": "a", "value": 1}},
    ],
)
def test_bad_match_is_a_validation_error(match: object) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_match(match)
    assert "match" in info.value.errors


def test_unsupported_field_names_the_supported_ones() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_match({"field_name": "phone", "field_value": "1"})
    assert "name, email, custom" in info.value.message


DEFINITIONS = {
    d.id: d
    for d in (
        CustomFieldDefinition(
            id=1, account_id=1, name="Code", data_type="String", available_on=("lead",),
            is_filterable=True,
        ),
        CustomFieldDefinition(
            id=2, account_id=1, name="Size", data_type="Dropdown", available_on=("lead",),
            is_filterable=True, options=(Option(7, "S", 0), Option(8, "M", 1)),
        ),
        CustomFieldDefinition(
            id=3, account_id=1, name="Hidden", data_type="String", available_on=("lead",)
        ),
        CustomFieldDefinition(
            id=4, account_id=1, name="People", data_type="String", available_on=("person",),
            is_filterable=True,
        ),
        CustomFieldDefinition(
            id=5, account_id=1, name="Ok", data_type="Checkbox", available_on=("lead",),
            is_filterable=True,
        ),
    )
}  # fmt: skip


@pytest.mark.parametrize(
    ("def_id", "value", "key"),
    [(1, "A-1", "A-1"), (2, "8", "8"), (2, 7.0, "7")],
)
def test_a_custom_match_carries_the_index_key(def_id: int, value: Any, key: str) -> None:
    criteria = custom_criteria(DEFINITIONS.get, MatchCriteria("custom", value, def_id))
    assert criteria == MatchCriteria("custom", key, def_id)


@pytest.mark.parametrize(
    ("def_id", "value", "code", "message"),
    [
        (99, "x", "not_found", "custom field definition 99 does not exist in this account"),
        (4, "x", "not_available", "custom field 'People' (4) is not available on leads"),
        (5, True, "not_matchable", "custom field 'Ok' (5): a Checkbox custom field cannot"),
        (3, "x", "not_filterable", "custom field 'Hidden' (3) is not filterable"),
        (2, 99, "invalid", "custom field 'Size' (2): the match value must be one of its"),
        (1, "", "invalid", "custom field 'Code' (1): the match value must be a string"),
    ],
)
def test_a_custom_match_that_cannot_serve_says_why(
    def_id: int, value: Any, code: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        custom_criteria(DEFINITIONS.get, MatchCriteria("custom", value, def_id))
    assert caught.value.errors == {"match": [code]}
    assert caught.value.message.startswith("Invalid input: Validation errors: " + message)


def by(field: str, value: Any) -> dict[str, Any]:
    return {"field_name": field, "field_value": value}


def cf(def_id: int | str, value: Any) -> dict[str, Any]:
    return {"custom_field_definition_id": def_id, "value": value}


@pytest.mark.parametrize(
    ("properties", "match", "expected"),
    [
        ({}, by("email", " A@x.io "), {"email": {"email": "A@x.io", "category": "work"}}),
        ({"email": None}, by("email", "a@x.io"), {"email": None}),
        ({"title": "T"}, by("name", " Ada "), {"title": "T", "name": "Ada"}),
        ({"first_name": "Al"}, by("name", "Ada"), {"first_name": "Al"}),
        ({}, by("custom", cf("1", "A")), {"custom_fields": [cf(1, "A")]}),
        (
            {"custom_fields": [cf("1", "B")]},
            by("custom", cf(1, "A")),
            {"custom_fields": [cf("1", "B")]},
        ),
        ({"custom_fields": "bad"}, by("custom", cf(1, "A")), {"custom_fields": "bad"}),
    ],
)
def test_a_created_lead_gets_the_match_value_unless_the_properties_set_it(
    properties: dict[str, Any], match: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert with_match_value(properties, parse_match(match)) == expected
