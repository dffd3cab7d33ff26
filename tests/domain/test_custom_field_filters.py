"""Parsing custom field search filters against the account's definitions."""

from __future__ import annotations

from typing import Any

import pytest

from verdigris.domain.custom_field_filters import CustomFilter, parse_custom_filters
from verdigris.domain.custom_fields import CustomFieldDefinition, Option
from verdigris.domain.errors import ValidationFailed

OPTIONS = (Option(7, "Red", 0), Option(8, "Green", 1))


def _defs() -> dict[int, CustomFieldDefinition]:
    kinds = ["Dropdown", "MultiSelect", "Checkbox", "Date", "Float", "Percentage", "Currency"]
    kinds += ["String", "Text", "URL"]
    out = {}
    for i, kind in enumerate(kinds, start=1):
        out[i] = CustomFieldDefinition(
            id=i,
            account_id=1,
            name=kind,
            data_type=kind,
            available_on=("lead",),
            is_filterable=True,
            options=OPTIONS if kind in ("Dropdown", "MultiSelect") else (),
        )
    out[50] = CustomFieldDefinition(
        id=50, account_id=1, name="Hidden", data_type="Float", available_on=("lead",)
    )
    out[60] = CustomFieldDefinition(
        id=60, account_id=1, name="People", data_type="Float", available_on=("person",),
        is_filterable=True,
    )  # fmt: skip
    return out


DEFS = _defs()


def parse(*filters: dict[str, Any]) -> tuple[CustomFilter, ...]:
    return parse_custom_filters(list(filters), DEFS)


def test_filters_per_type() -> None:
    assert parse(
        {"custom_field_definition_id": "1", "value": [7, "8"], "allow_empty": True},
        {"custom_field_definition_id": 2, "value": [8], "option": "all"},
        {"custom_field_definition_id": 3, "value": False},
        {"custom_field_definition_id": 4, "minimum_value": 1500000000},
        {"custom_field_definition_id": 5, "minimum_value": "1.5", "maximum_value": 9},
        {"custom_field_definition_id": 6, "value": 50},
    ) == (
        CustomFilter(1, "options", keys=("7", "8"), allow_empty=True),
        CustomFilter(2, "options", keys=("8",), mode="ALL"),
        CustomFilter(3, "checked", checked=False),
        CustomFilter(4, "range", low=1500000000.0),
        CustomFilter(5, "range", low=1.5, high=9.0),
        CustomFilter(6, "range", low=50.0, high=50.0),
    )


def test_empty_and_json_string_forms() -> None:
    assert parse_custom_filters(None, DEFS) == ()
    assert parse_custom_filters([], DEFS) == ()
    raw = '[{"custom_field_definition_id": 3, "value": true}]'
    assert parse_custom_filters(raw, DEFS) == (CustomFilter(3, "checked", checked=True),)


@pytest.mark.parametrize(
    ("item", "code", "words"),
    [
        ({"custom_field_definition_id": 8, "value": "x"}, "unsupported", "'String' (8)"),
        ({"custom_field_definition_id": 9, "value": "x"}, "unsupported", "not searchable"),
        ({"custom_field_definition_id": 10, "value": "x"}, "unsupported", "URL"),
        ({"custom_field_definition_id": 999, "value": 1}, "not_found", "999"),
        ({"custom_field_definition_id": 50, "value": 1}, "not_filterable", "'Hidden' (50)"),
        ({"custom_field_definition_id": 60, "value": 1}, "not_available", "'People' (60)"),
        ({"custom_field_definition_id": 1, "value": [7], "option": "ALL"}, "invalid", "ANY"),
        ({"custom_field_definition_id": 2, "value": [7], "option": "SOME"}, "invalid", "NONE"),
        ({"custom_field_definition_id": 2, "value": ["Red"]}, "invalid", "option ids"),
        ({"custom_field_definition_id": 3, "value": "yes"}, "invalid", "Checkbox"),
        ({"custom_field_definition_id": 4, "allow_empty": True}, "unsupported", "allow_empty"),
        ({"custom_field_definition_id": 5}, "blank", "minimum_value"),
        ({"custom_field_definition_id": 5, "minimum_value": "lots"}, "invalid", "a number"),
        ({"custom_field_definition_id": 4, "maximum_value": "soon"}, "invalid", "Unix"),
        ({"value": 1}, "invalid", "custom_field_definition_id"),
    ],
)
def test_invalid_filters_name_the_definition(item: dict[str, Any], code: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse(item)
    assert info.value.errors == {"custom_fields": [code]}
    assert words in info.value.message
