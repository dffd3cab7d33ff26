"""Custom field values: coercion per type, index keys, migration, rendering; definitions."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
import pytest

from verdigris.domain.custom_field_definitions import (
    build_definition,
    parse_definition,
    values_need_migration,
)
from verdigris.domain.custom_fields import (
    CustomFieldDefinition,
    Option,
    coerce_value,
    computed_value,
    definition_problem,
    index_entries,
    match_key,
    migrate_value,
    render_value,
    value_key,
)
from verdigris.domain.errors import ValidationFailed

OPTIONS = (Option(7, "Red", 0), Option(8, "Green", 1), Option(9, "Blue", 2))


def field(data_type: str, **kw: Any) -> CustomFieldDefinition:
    options = OPTIONS if data_type in ("Dropdown", "MultiSelect") else ()
    kw.setdefault("available_on", ("lead",))
    return CustomFieldDefinition(
        id=1, account_id=1, name="F", data_type=data_type, options=options, **kw
    )


@pytest.mark.parametrize(
    ("data_type", "sent", "stored"),
    [
        ("String", "hello", "hello"),
        ("String", "x" * 255, "x" * 255),
        ("String", "", None),
        ("Text", "long " * 200, "long " * 200),
        ("URL", "https://example.com/" + "p" * 300, "https://example.com/" + "p" * 300),
        ("Checkbox", True, True),
        ("Checkbox", False, None),
        ("Float", 42.5, 42.5),
        ("Float", 1.0, 1),
        ("Float", "2.50", 2.5),
        ("Percentage", 50, 50),
        ("Currency", "1000", 1000),
        ("Date", 1515744000, 1515744000),
        ("Date", "1515744000", 1515744000),
        ("Date", 1515744000.0, 1515744000),
        ("Date", "01/12/2018", 1515715200),
        ("Dropdown", 8, 8),
        ("Dropdown", "8", 8),
        ("MultiSelect", [9, "7", 9], [7, 9]),
        ("MultiSelect", [], None),
        ("String", None, None),
        # a number for a text field is stored as its decimal string (issue 14, item 7)
        ("String", 42, "42"),
        ("String", -7, "-7"),
        ("Text", 4.5, "4.5"),
        ("URL", 42.0, "42"),
        ("String", 0, "0"),
    ],
)
def test_valid_values_are_stored_canonically(data_type: str, sent: Any, stored: Any) -> None:
    assert coerce_value(field(data_type), sent) == (True, stored)


@pytest.mark.parametrize(
    ("data_type", "sent"),
    [
        ("String", "x" * 256),
        ("String", True),
        ("String", 10**300),
        ("Text", ["a"]),
        ("URL", {"url": "x"}),
        ("Text", float("inf")),
        ("Checkbox", "true"),
        ("Checkbox", 1),
        ("Float", "lots"),
        ("Float", True),
        ("Float", float("nan")),
        ("Percentage", [50]),
        ("Currency", {"amount": 5}),
        ("Date", 1.5),
        ("Date", "tomorrow"),
        ("Date", "02/30/2020"),
        ("Date", True),
        ("Dropdown", 99),
        ("Dropdown", "Red"),
        ("Dropdown", [7]),
        ("MultiSelect", 7),
        ("MultiSelect", [7, 99]),
    ],
)
def test_invalid_values_are_refused(data_type: str, sent: Any) -> None:
    assert coerce_value(field(data_type), sent)[0] is False


def test_index_keys_are_canonical() -> None:
    assert value_key(1) == value_key(1.0) == "1"
    assert value_key(2.5) == "2.5"
    assert value_key(True) == "true"
    assert value_key("Mixed Case ") == "Mixed Case "
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    assert value_key(long_a) != value_key(long_b)
    assert len(value_key(long_a)) <= 255
    assert index_entries([7, 9]) == [("7", 7.0), ("9", 9.0)]
    assert index_entries("x") == [("x", None)]
    assert index_entries(True) == [("true", None)]
    assert index_entries(None) == []


def test_match_keys_follow_the_type() -> None:
    assert match_key(field("Float"), "1.0") == match_key(field("Float"), 1) == "1"
    assert match_key(field("String"), "Exact") == "Exact"
    assert match_key(field("Dropdown"), "8") == "8"
    with pytest.raises(ValueError, match="must be"):
        match_key(field("Dropdown"), 99)
    with pytest.raises(ValueError, match="must be"):
        match_key(field("String"), "")


@pytest.mark.parametrize(
    ("definition", "use", "code", "words"),
    [
        (None, "value", "not_found", "custom field definition 1 does not exist in this account"),
        (None, "match", "not_found", "does not exist"),
        (None, "filter", "not_found", "does not exist"),
        (field("Float", available_on=("person",)), "value", "not_available", "'F' (1) is not"),
        (field("Float", available_on=("person",)), "match", "not_available", "on leads"),
        (field("Float", available_on=("person",)), "filter", "not_available", "on leads"),
        (field("String"), "value", None, ""),
        (field("String"), "match", "not_filterable", "(is_filterable is false)"),
        (field("String", is_filterable=True), "match", None, ""),
        (field("String", is_filterable=True), "filter", "unsupported", "not searchable"),
        (field("MultiSelect", is_filterable=True), "match", "not_matchable", "a match key"),
        (field("Checkbox", is_filterable=True), "match", "not_matchable", "a match key"),
        (field("MultiSelect", is_filterable=True), "filter", None, ""),
        (field("Float"), "filter", "not_filterable", "'F' (1) is not filterable"),
        (field("Float", is_filterable=True), "filter", None, ""),
        # the type is checked before is_filterable, for a match and a filter alike
        (field("Checkbox"), "match", "not_matchable", "a match key"),
        (field("URL"), "filter", "unsupported", "URL"),
    ],
)
def test_one_definition_check_for_values_matches_and_filters(
    definition: CustomFieldDefinition | None, use: Any, code: str | None, words: str
) -> None:
    problem = definition_problem(definition, 1, use)
    if code is None:
        assert problem is None
    else:
        assert problem is not None and problem[0] == code and words in problem[1], problem


def test_rendering_follows_copper_examples() -> None:
    assert render_value(field("MultiSelect"), None) == []
    assert render_value(field("Checkbox"), None) is False
    assert render_value(field("Date"), None) is None
    assert render_value(field("Float"), 42) == 42.0 and isinstance(
        render_value(field("Float"), 42), float
    )
    assert render_value(field("Percentage"), 50) == 50
    assert computed_value(field("Dropdown"), 8) == "Green"
    assert computed_value(field("MultiSelect"), [7, 9]) == ["Red", "Blue"]
    assert computed_value(field("MultiSelect"), None) == []
    assert computed_value(field("Dropdown"), None) is None
    assert computed_value(field("String"), "text") == "text"


def test_migration_keeps_what_is_still_valid() -> None:
    fewer = msgspec_replace(field("MultiSelect"), options=OPTIONS[:2])
    assert migrate_value(fewer, [7, 9]) == [7]
    assert migrate_value(fewer, [9]) is None
    assert migrate_value(msgspec_replace(field("Dropdown"), options=OPTIONS[:2]), 9) is None
    assert migrate_value(field("Float"), "12") == 12
    assert migrate_value(field("Float"), "twelve") is None
    assert migrate_value(field("MultiSelect"), 8) == [8]
    assert migrate_value(field("Dropdown"), [8]) == 8
    assert migrate_value(field("String", available_on=("person",)), "x") is None


def msgspec_replace(d: CustomFieldDefinition, **kw: Any) -> CustomFieldDefinition:
    return msgspec.structs.replace(d, **kw)


def _build(current: CustomFieldDefinition | None, body: dict[str, Any]) -> CustomFieldDefinition:
    counter = itertools.count(100)
    changes = parse_definition(body, creating=current is None)
    return build_definition(current, changes, account_id=1, allocate=lambda: next(counter))


def test_options_get_ids_and_ranks() -> None:
    d = _build(None, {"name": "D", "data_type": "Dropdown", "options": [{"name": "a"}, "b"]})
    assert d.options == (Option(100, "a", 0), Option(101, "b", 1))


def test_options_keep_ids_by_id_then_by_name() -> None:
    current = field("Dropdown")
    d = _build(
        current,
        {"options": [{"name": "Blue"}, {"id": 7, "name": "Scarlet"}, {"name": "Purple"}]},
    )
    assert d.options == (Option(9, "Blue", 0), Option(7, "Scarlet", 1), Option(100, "Purple", 2))
    assert values_need_migration(current, d)  # Green (8) is gone


def test_ranks_sent_order_the_options() -> None:
    sent = [{"id": 9, "name": "Blue", "rank": 2}, {"id": 7, "name": "Red", "rank": 0}]
    d = _build(field("Dropdown"), {"options": sent})
    assert [o.name for o in d.options] == ["Red", "Blue"]


@pytest.mark.parametrize(
    "body",
    [
        {"data_type": "String"},
        {"name": "x"},
        {"name": "x", "data_type": "Connect"},
        {"name": "x", "data_type": "Rainbow"},
        {"name": "x", "data_type": "Dropdown"},
        {"name": "x", "data_type": "Dropdown", "options": []},
        {"name": "x", "data_type": "MultiSelect", "options": [{"name": "only"}]},
        {"name": "x", "data_type": "MultiSelect", "options": [{"name": "a"}, {"name": "a"}]},
        {"name": "x", "data_type": "Currency"},
        {"name": "x", "data_type": "Currency", "currency": "dollars"},
        {"name": "x", "data_type": "String", "currency": "USD"},
        {"name": "x", "data_type": "String", "options": [{"name": "a"}]},
        {"name": "x", "data_type": "String", "available_on": ["lead", "invoice"]},
        {"name": "x", "data_type": "String", "is_filterable": "yes"},
        {"name": "", "data_type": "String"},
    ],
)
def test_invalid_definitions(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        _build(None, body)


def test_unknown_option_id_on_update_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="option id 55"):
        _build(field("Dropdown"), {"options": [{"id": 55, "name": "x"}]})
