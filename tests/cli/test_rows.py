"""Spreadsheet rows ↔ Copper lead properties (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from verdigris.cli.lookups import Lookups
from verdigris.cli.presets import PRESETS
from verdigris.cli.rows import (
    RowError,
    RowReader,
    coerce_custom,
    export_columns,
    export_row,
    match_for,
    parse_amount,
    parse_map,
    resolve_column,
)
from verdigris.client import CustomFieldDefinitionOut, LeadOut, Match
from verdigris.client.models import OptionOut, SourceOut, StatusOut, UserOut

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


def test_unknown_columns_are_refused_unless_mapped_or_ignored() -> None:
    with pytest.raises(ValueError, match=r"unknown column.*Favourite Colour.*--ignore-unmapped"):
        RowReader(["Full Name", "email", "Favourite Colour"])
    reader = RowReader(
        ["Full Name", "Mail", "Notes"], parse_map(["Full Name=name", "Mail=email", "Notes="])
    )
    assert reader.properties({"Full Name": "A B", "Mail": "a@b.io", "Notes": "x"}) == {
        "name": "A B",
        "email": {"email": "a@b.io", "category": "work"},
    }
    loose = RowReader(["Full Name", "Favourite Colour"], ignore_unmapped=True)
    assert loose.properties({"Full Name": "A", "Favourite Colour": "red"}) == {"name": "A"}
    with pytest.raises(ValueError, match="COLUMN=FIELD"):
        parse_map(["nope"])
    with pytest.raises(ValueError, match=r"unknown column.*Mail"):
        RowReader(["Mail"], parse_map(["Mail=mail_address"]))


@pytest.mark.parametrize(
    ("header", "preset", "target"),
    [
        ("E-mail", None, "email"),
        ("EMAIL_ADDRESS", None, "email"),
        ("first name", None, "first_name"),
        ("Phone Number", None, "phone_numbers:work"),
        ("Mobile Phone", None, "phone_numbers:mobile"),
        ("Company Name", None, "company_name"),
        ("Zip", None, "postal_code"),
        ("Postal Code", None, "postal_code"),
        ("Lead Status", None, "status"),
        ("Lead Source", None, "source"),
        ("Lead Owner", None, "owner"),
        ("Owner", None, "owner"),
        ("Annual Revenue", None, "monetary_value"),
        ("Amount", None, "monetary_value"),
        ("Website", None, "websites:work"),
        ("Title", None, "title"),
        ("Record ID", None, ""),
        ("Company / Account", "salesforce", "company_name"),
        ("Zip/Postal Code", "salesforce", "postal_code"),
        ("Mobile Phone Number", "hubspot", "phone_numbers:mobile"),
        ("Original Source", "hubspot", ""),
        ("Person - Email - Work", "pipedrive", "email"),
        ("Person - Phone - Mobile", "pipedrive", "phone_numbers:mobile"),
        ("Organization - Address - City/town/village/locality", "pipedrive", "city"),
        ("Lead - Title", "pipedrive", "details"),
        ("Lead - Labels", "pipedrive", "tags"),
        ("Work Website", "copper", "websites:work"),
        ("Favourite Colour", "salesforce", "?"),
    ],
)
def test_headers_map_ignoring_case_spaces_and_punctuation(
    header: str, preset: str | None, target: str
) -> None:
    assert resolve_column(header, {}, PRESETS.get(preset or "")).target == target


def test_copper_names_custom_field_names_and_map_come_first() -> None:
    defs = {
        9: definition("String"),
        4: CustomFieldDefinitionOut(id=4, name="Region", data_type="String"),
    }
    # a custom field named like the header wins over the shared aliases ("Region": state)
    assert resolve_column("region", {}, None, defs).target == "custom:4"
    assert resolve_column("FIELD", {}, None, defs).target == "custom:9"
    assert resolve_column("phone", {}, None, defs).target == "phone_numbers"  # Copper's name
    assert resolve_column("Email", {"Email": "email:personal"}).target == "email:personal"
    assert resolve_column("Email", {"Email": ""}).target == ""


def test_several_columns_of_one_field_and_their_categories() -> None:
    columns = ["Phone", "Mobile", "Home Phone", "Email", "Personal Email", "Tags", "Labels"]
    reader = RowReader(columns)
    row = {"Phone": "555-0100", "Mobile": "555-0101", "Home Phone": "", "Email": "",
           "Personal Email": "me@home.io", "Tags": "a; b", "Labels": "c"}  # fmt: skip
    assert reader.properties(row) == {
        "phone_numbers": [
            {"number": "555-0100", "category": "work"},
            {"number": "555-0101", "category": "mobile"},
        ],
        "email": {"email": "me@home.io", "category": "personal"},
        "tags": ["a", "b", "c"],
    }


def test_presets_read_their_crms_values() -> None:
    pipedrive = RowReader(["Lead - Labels", "Lead - Value"], preset=PRESETS["pipedrive"])
    assert pipedrive.properties({"Lead - Labels": "Hot, Q3 webinar", "Lead - Value": "1,500"}) == {
        "tags": ["Hot", "Q3 webinar"],
        "monetary_value": 1500,
    }
    assert parse_amount("$1,200,000.00") == 1200000
    assert parse_amount("USD 99.5") == 99.5
    assert parse_amount("lots") is None
    date = definition("Date")
    assert coerce_custom(date, "3/15/2025", PRESETS["salesforce"]) == 1741996800
    assert coerce_custom(date, "2025-03-15 00:00", PRESETS["hubspot"]) == 1741996800
    with pytest.raises(RowError, match=r"must be a date \(%m/%d/%Y"):
        coerce_custom(date, "15.03.2025", PRESETS["salesforce"])
    multi = definition("MultiSelect", ("A", "B"))
    assert coerce_custom(multi, "A, B", PRESETS["copper"]) == [100, 101]


def test_statuses_sources_and_owners_are_looked_up_by_name() -> None:
    lookups = Lookups(
        statuses=[StatusOut(1, "New", 0, True), StatusOut(2, "Contacted", 1, False)],
        sources=[SourceOut(7, "Web Form")],
        users=[UserOut(3, "Maya Patel", "maya@x.io", []), UserOut(4, "Sam", "sam@x.io", [])],
    )
    reader = RowReader(
        ["Lead Status", "Lead Source", "Lead Owner"],
        preset=PRESETS["salesforce"],
        lookups=lookups,
    )
    row = {"Lead Status": "Working - Contacted", "Lead Source": "Web", "Lead Owner": "MAYA@x.io"}
    assert reader.properties(row) == {"status_id": 2, "customer_source_id": 7, "assignee_id": 3}
    assert reader.properties({"Lead Status": "new", "Lead Owner": "maya patel"}) == {
        "status_id": 1,
        "assignee_id": 3,
    }
    with pytest.raises(RowError, match=r"lead status 'Junk' is not in this account \(statuses"):
        reader.properties({"Lead Status": "Junk"})
    with pytest.raises(RowError, match="customer source 'Trade Show'"):
        reader.properties({"Lead Source": "Trade Show"})
    with pytest.raises(RowError, match="owner 'Chris' is not a user"):
        reader.properties({"Lead Owner": "Chris"})


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
