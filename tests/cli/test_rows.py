"""Spreadsheet rows ↔ Copper lead properties (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from verdigris.cli.rows import (
    RowError,
    RowReader,
    coerce_custom,
    export_columns,
    export_row,
    match_for,
    parse_map,
)
from verdigris.client import CustomFieldDefinitionOut, LeadOut, Match
from verdigris.client.models import OptionOut

CSV_ROW = {
    "name": " Ada Lovelace ",
    "email": "ada@example.com",
    "email_category": "personal",
    "phone": "mobile:555-0100; 555-0101",
    "websites": "https://ada.example;personal:ada.blog",
    "city": "London",
    "country": "GB",
    "tags": "math; poetry;;",
    "status_id": "12",
    "monetary_value": "2500",
    "title": "",
    "_note": "ignored",
    "id": "77",
}


def test_a_csv_row_becomes_copper_properties() -> None:
    props = RowReader(CSV_ROW).properties(CSV_ROW)
    assert props == {
        "name": "Ada Lovelace",
        "email": {"email": "ada@example.com", "category": "personal"},
        "phone_numbers": [
            {"number": "555-0100", "category": "mobile"},
            {"number": "555-0101", "category": "work"},
        ],
        "websites": [
            {"url": "https://ada.example", "category": "work"},
            {"url": "ada.blog", "category": "personal"},
        ],
        "address": {"city": "London", "country": "GB"},
        "tags": ["math", "poetry"],
        "status_id": 12,
        "monetary_value": 2500,
    }


def test_a_jsonl_row_in_copper_shape_passes_through() -> None:
    row: dict[str, Any] = {
        "name": "J",
        "email": {"email": "j@x.io", "category": "other"},
        "address": {"street": "1 Main", "city": "Savannah"},
        "custom_fields": [{"custom_field_definition_id": 5, "value": "v"}],
        "tags": ["a"],
        "date_created": 1,
    }
    props = RowReader(row).properties(row)
    assert props == {
        "name": "J",
        "email": {"email": "j@x.io", "category": "other"},
        "address": {"street": "1 Main", "city": "Savannah"},
        "custom_fields": [{"custom_field_definition_id": 5, "value": "v"}],
        "tags": ["a"],
    }


def test_unknown_columns_are_refused_unless_mapped() -> None:
    with pytest.raises(ValueError, match=r"unknown column.*Full Name"):
        RowReader(["Full Name", "email"])
    reader = RowReader(
        ["Full Name", "Mail", "Notes"], parse_map(["Full Name=name", "Mail=email", "Notes="])
    )
    assert reader.properties({"Full Name": "A B", "Mail": "a@b.io", "Notes": "x"}) == {
        "name": "A B",
        "email": {"email": "a@b.io", "category": "work"},
    }
    with pytest.raises(ValueError, match="COLUMN=FIELD"):
        parse_map(["nope"])


def test_bad_cells_are_row_errors() -> None:
    reader = RowReader(["name", "customer_source_id"])
    with pytest.raises(RowError, match="customer_source_id must be a whole number"):
        reader.properties({"name": "x", "customer_source_id": "abc"})


def definition(kind: str, options: tuple[str, ...] = ()) -> CustomFieldDefinitionOut:
    return CustomFieldDefinitionOut(
        id=9,
        name="Field",
        data_type=kind,
        options=[OptionOut(100 + i, name, i) for i, name in enumerate(options)],
    )


@pytest.mark.parametrize(
    ("kind", "options", "text", "value"),
    [
        ("String", (), "hello", "hello"),
        ("Float", (), "2.5", 2.5),
        ("Currency", (), "10", 10),
        ("Checkbox", (), "Yes", True),
        ("Checkbox", (), "0", False),
        ("Date", (), "2024-01-02", 1704153600),
        ("Date", (), "1704153600", 1704153600),
        ("Dropdown", ("Small", "Large"), "large", 101),
        ("Dropdown", ("Small", "Large"), "100", 100),
        ("MultiSelect", ("A", "B", "C"), "A; c", [100, 102]),
    ],
)
def test_custom_values_by_type(kind: str, options: tuple[str, ...], text: str, value: Any) -> None:
    assert coerce_custom(definition(kind, options), text) == value


def test_custom_values_that_do_not_fit_say_why() -> None:
    with pytest.raises(RowError, match="no option 'Huge'"):
        coerce_custom(definition("Dropdown", ("Small",)), "Huge")
    with pytest.raises(RowError, match="true or false"):
        coerce_custom(definition("Checkbox"), "maybe")


def test_custom_columns_use_the_definitions() -> None:
    defs = {9: definition("Dropdown", ("Small", "Large"))}
    reader = RowReader(["name", "custom:9"], definitions=defs)
    props = reader.properties({"name": "x", "custom:9": "Small"})
    assert props["custom_fields"] == [{"custom_field_definition_id": 9, "value": 100}]
    with pytest.raises(ValueError, match=r"no custom field definition.*\[8\]"):
        RowReader(["custom:8"], definitions=defs)


def test_match_keys() -> None:
    props: dict[str, Any] = {
        "first_name": "Ada",
        "last_name": "L",
        "email": {"email": "a@x.io", "category": "work"},
        "custom_fields": [{"custom_field_definition_id": 9, "value": "K1"}],
    }
    assert match_for("email", props) == Match.email("a@x.io")
    assert match_for("name", props) == Match.name("Ada L")
    assert match_for("custom:9", props) == Match.custom(9, "K1")
    with pytest.raises(RowError, match="no value of custom:8"):
        match_for("custom:8", props)
    with pytest.raises(RowError, match="no email"):
        match_for("email", {"name": "x"})


def test_an_exported_row_reads_back_as_the_same_lead() -> None:
    lead = LeadOut(
        id=1, name="Ada Lovelace", prefix=None, first_name="Ada", last_name="Lovelace",
        middle_name=None, suffix=None, address=None, assignee_id=None, company_name="Acme",
        customer_source_id=None, details=None, email=None, interaction_count=0,
        monetary_unit=None, monetary_value=None, socials=[], status="New", status_id=3,
        tags=["a", "b"], title=None, websites=[], phone_numbers=[], custom_fields=[],
        date_created=10, date_modified=11, date_last_contacted=None,
    )  # fmt: skip
    row = export_row(lead)
    assert list(row) == export_columns(lead)
    props = RowReader(row).properties(row)
    assert props == {
        "name": "Ada Lovelace",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company_name": "Acme",
        "tags": ["a", "b"],
        "status": "New",
        "status_id": 3,
    }
