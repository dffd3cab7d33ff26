"""The upsert outcome rule, table-driven, without a database."""

import pytest

from verdigris.domain.errors import ValidationFailed
from verdigris.domain.matching import (
    LOOKUP_LIMIT,
    Ambiguous,
    Create,
    MatchCriteria,
    Update,
    decide,
    parse_match,
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
