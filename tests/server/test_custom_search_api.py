"""POST /leads/search with custom field filters, over HTTP on every engine."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Api
from tests.server.custom_field_helpers import make_field, option_ids


@dataclass
class World:
    api: Api
    fields: dict[str, dict[str, Any]]

    def id(self, kind: str) -> int:
        return int(self.fields[kind]["id"])

    def opt(self, kind: str, n: int) -> int:
        return option_ids(self.fields[kind])[n]

    def search(self, *filters: dict[str, Any], **params: Any) -> list[str]:
        response = self.api.post("/leads/search", {"custom_fields": list(filters), **params})
        assert response.status_code == 200, response.text
        names = [lead["name"] for lead in response.json()]
        assert response.headers["X-PW-TOTAL"] == str(len(names))
        return names


@pytest.fixture
def world(api: Api, other_api: Api) -> World:
    kinds = ("Dropdown", "MultiSelect", "Checkbox", "Date", "Float", "Percentage", "Currency")
    fields = {kind: make_field(api, kind) for kind in kinds}
    fields["String"] = make_field(api, "String")
    w = World(api, fields)
    ms = [w.opt("MultiSelect", n) for n in range(3)]
    rows: dict[str, dict[str, Any]] = {
        "Ann": {"Dropdown": w.opt("Dropdown", 0), "MultiSelect": ms[:2], "Checkbox": True,
                "Date": 1_500_000_000, "Float": 1.5, "Percentage": 10, "Currency": 100},
        "Bob": {"Dropdown": w.opt("Dropdown", 1), "MultiSelect": [ms[1]], "Checkbox": False,
                "Date": 1_600_000_000, "Float": 2.5, "Percentage": 20, "Currency": 200.5},
        "Cy": {"MultiSelect": [ms[2]], "Date": 1_700_000_000, "Float": -1, "String": "x"},
        "Dee": {},
    }  # fmt: skip
    for name, values in rows.items():
        cf = [{"custom_field_definition_id": w.id(k), "value": v} for k, v in values.items()]
        api.create_lead(name=name, custom_fields=cf)
    other = make_field(other_api, "Checkbox")
    other_api.create_lead(
        name="Elsewhere", custom_fields=[{"custom_field_definition_id": other["id"], "value": True}]
    )
    return w


def test_dropdown_by_option_ids_and_empty(world: World) -> None:
    d = world.id("Dropdown")
    a, b = world.opt("Dropdown", 0), world.opt("Dropdown", 1)
    assert world.search({"custom_field_definition_id": d, "value": [a]}) == ["Ann"]
    assert world.search({"custom_field_definition_id": str(d), "value": [str(a), b]}) == [
        "Ann",
        "Bob",
    ]
    assert world.search({"custom_field_definition_id": d, "value": [b], "allow_empty": True}) == [
        "Bob",
        "Cy",
        "Dee",
    ]
    assert world.search({"custom_field_definition_id": d, "allow_empty": True}) == ["Cy", "Dee"]


@pytest.mark.parametrize(
    ("option", "picks", "allow_empty", "found"),
    [
        ("ANY", [0, 2], False, ["Ann", "Cy"]),
        (None, [0, 2], False, ["Ann", "Cy"]),
        ("ALL", [0, 1], False, ["Ann"]),
        ("ALL", [1], False, ["Ann", "Bob"]),
        ("NONE", [1], False, ["Cy", "Dee"]),
        ("NONE", [0, 1, 2], False, ["Dee"]),
        ("ANY", [2], True, ["Cy", "Dee"]),
        ("ALL", [0, 1], True, ["Ann", "Dee"]),
        ("NONE", [2], True, ["Ann", "Bob", "Dee"]),
        ("ANY", [], True, ["Dee"]),
    ],
)
def test_multiselect_any_all_none_and_empty(
    world: World, option: str | None, picks: list[int], allow_empty: bool, found: list[str]
) -> None:
    f: dict[str, Any] = {
        "custom_field_definition_id": world.id("MultiSelect"),
        "value": [world.opt("MultiSelect", n) for n in picks],
        "allow_empty": allow_empty,
    }
    if option is not None:
        f["option"] = option
    assert world.search(f) == found


def test_checkbox(world: World) -> None:
    box = world.id("Checkbox")
    assert world.search({"custom_field_definition_id": box, "value": True}) == ["Ann"]
    assert world.search({"custom_field_definition_id": box, "value": False}) == [
        "Bob",
        "Cy",
        "Dee",
    ]


@pytest.mark.parametrize(
    ("kind", "bounds", "found"),
    [
        ("Date", {"minimum_value": 1_600_000_000}, ["Bob", "Cy"]),
        ("Date", {"minimum_value": 1_550_000_000, "maximum_value": 1_650_000_000}, ["Bob"]),
        ("Date", {"maximum_value": "1600000000"}, ["Ann", "Bob"]),
        ("Float", {"maximum_value": 0}, ["Cy"]),
        ("Float", {"value": 2.5}, ["Bob"]),
        ("Float", {"minimum_value": 1.5, "maximum_value": 2.5}, ["Ann", "Bob"]),
        ("Percentage", {"minimum_value": 15}, ["Bob"]),
        ("Percentage", {"minimum_value": 10, "maximum_value": 20}, ["Ann", "Bob"]),
        ("Currency", {"minimum_value": 200.5}, ["Bob"]),
        ("Currency", {"maximum_value": 150}, ["Ann"]),
    ],
)
def test_ranges(world: World, kind: str, bounds: dict[str, Any], found: list[str]) -> None:
    assert world.search({"custom_field_definition_id": world.id(kind), **bounds}) == found


def test_custom_filters_combine_with_the_others(world: World) -> None:
    found = world.search(
        {"custom_field_definition_id": world.id("Checkbox"), "value": False},
        {"custom_field_definition_id": world.id("Float"), "minimum_value": 0},
        sort_by="name",
        sort_direction="desc",
    )
    assert found == ["Bob"]
    assert world.search(
        {"custom_field_definition_id": world.id("Checkbox"), "value": False}, name="c"
    ) == ["Cy"]


def test_filters_in_the_query_string(world: World) -> None:
    filters = json.dumps([{"custom_field_definition_id": world.id("Checkbox"), "value": True}])
    response = world.api.request(
        "POST", "/leads/search", params={"custom_fields": filters}, content=b""
    )
    assert response.status_code == 200
    assert [lead["name"] for lead in response.json()] == ["Ann"]


def test_text_fields_are_not_searchable(world: World) -> None:
    text = world.id("String")
    response = world.api.post(
        "/leads/search", {"custom_fields": [{"custom_field_definition_id": text, "value": "x"}]}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == {"custom_fields": [{"error": "unsupported"}]}
    assert f"'My String' ({text})" in body["message"] and "not searchable" in body["message"]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda w: {"custom_field_definition_id": 987654, "value": [1]}, "not_found"),
        (
            lambda w: {
                "custom_field_definition_id": w.id("Dropdown"),
                "value": [1],
                "option": "ALL",
            },
            "invalid",
        ),
        (lambda w: {"custom_field_definition_id": w.id("Checkbox"), "value": "yes"}, "invalid"),
        (lambda w: {"custom_field_definition_id": w.id("Float")}, "blank"),
        (
            lambda w: {"custom_field_definition_id": w.id("Date"), "allow_empty": True},
            "unsupported",
        ),
    ],
)
def test_invalid_filters_are_422(world: World, make: Any, code: str) -> None:
    response = world.api.post("/leads/search", {"custom_fields": [make(world)]})
    assert response.status_code == 422
    assert response.json()["errors"] == {"custom_fields": [{"error": code}]}


def test_non_filterable_and_non_lead_definitions_are_refused(api: Api) -> None:
    hidden = make_field(api, "Float", name="Hidden", is_filterable=False)
    people = make_field(api, "Float", name="People", available_on=["person"])
    for definition, code in ((hidden, "not_filterable"), (people, "not_available")):
        response = api.post(
            "/leads/search",
            {"custom_fields": [{"custom_field_definition_id": definition["id"], "value": 1}]},
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"custom_fields": [{"error": code}]}


def test_search_returns_computed_values_on_request(world: World) -> None:
    response = world.api.post(
        "/leads/search?custom_field_computed_values=true",
        {"custom_fields": [{"custom_field_definition_id": world.id("Checkbox"), "value": True}]},
    )
    (lead,) = response.json()
    by_id = {f["custom_field_definition_id"]: f for f in lead["custom_fields"]}
    assert by_id[world.id("Dropdown")]["computed_value"] == "Red"
    assert by_id[world.id("MultiSelect")]["computed_value"] == ["Red", "Green"]
    assert by_id[world.id("Float")]["computed_value"] == 1.5
    plain = world.api.post("/leads/search", {"name": "Ann"}).json()[0]
    assert all("computed_value" not in f for f in plain["custom_fields"])
