"""PUT /leads/upsert with ``match.field_name = "custom"`` over HTTP (0/1/2/31 matches)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, lead_count
from tests.server.custom_field_helpers import make_field, option_ids, value_of
from verdigris.store.base import Store


def upsert(api: Api, properties: dict[str, Any], definition_id: Any, value: Any) -> Any:
    match = {
        "field_name": "custom",
        "field_value": {"custom_field_definition_id": definition_id, "value": value},
    }
    return api.put("/leads/upsert", {"properties": properties, "match": match})


def with_value(api: Api, definition_id: int, value: Any, name: str = "Holder") -> dict[str, Any]:
    return api.create_lead(
        name=name, custom_fields=[{"custom_field_definition_id": definition_id, "value": value}]
    )


def test_copper_example_creates_then_updates(api: Api, store: Store) -> None:
    definition = make_field(api, "String", name="A Text Field")
    properties = {"name": "My Lead", "email": {"email": "mylead@gmail.test", "category": "work"}}
    first = upsert(api, properties, definition["id"], "Some text")
    assert first.status_code == 200, first.text
    created = first.json()
    assert value_of(created, definition["id"]) == "Some text"  # the match value is kept
    second = upsert(api, {"title": "Boss"}, str(definition["id"]), "Some text")
    assert second.status_code == 200
    assert second.json()["id"] == created["id"] and second.json()["title"] == "Boss"
    assert lead_count(store) == 1


def test_properties_may_set_the_matched_field_themselves(api: Api) -> None:
    definition = make_field(api, "String")
    cf = [{"custom_field_definition_id": definition["id"], "value": "other"}]
    lead = upsert(api, {"name": "N", "custom_fields": cf}, definition["id"], "key").json()
    assert value_of(lead, definition["id"]) == "other"


def test_one_match_is_updated(api: Api, store: Store) -> None:
    definition = make_field(api, "String")
    target = with_value(api, definition["id"], "ext-1")
    with_value(api, definition["id"], "ext-2")
    response = upsert(api, {"title": "Updated"}, definition["id"], "ext-1")
    assert response.status_code == 200
    assert response.json()["id"] == target["id"] and response.json()["title"] == "Updated"
    assert lead_count(store) == 2


def test_two_matches_list_the_ids(api: Api, store: Store) -> None:
    definition = make_field(api, "String")
    ids = sorted(with_value(api, definition["id"], "dup")["id"] for _ in range(2))
    response = upsert(api, {"title": "x"}, definition["id"], "dup")
    assert response.status_code == 422
    assert response.json()["ids"] == ids
    assert all(api.get(f"/leads/{i}").json()["title"] is None for i in ids)
    assert lead_count(store) == 2


def test_thirty_one_matches_omit_the_ids(api: Api, store: Store) -> None:
    definition = make_field(api, "Float")
    for _ in range(31):
        with_value(api, definition["id"], 7)
    response = upsert(api, {"title": "x"}, definition["id"], 7)
    assert response.status_code == 422
    body = response.json()
    assert "ids" not in body and "30" in body["message"]
    assert lead_count(store) == 31


def test_string_match_is_exact(api: Api, store: Store) -> None:
    definition = make_field(api, "String")
    lead = with_value(api, definition["id"], "Exact")
    for other in ("exact", "Exact ", " Exact"):
        response = upsert(api, {"name": f"New {other!r}"}, definition["id"], other)
        assert response.json()["id"] != lead["id"]
    assert upsert(api, {}, definition["id"], "Exact").json()["id"] == lead["id"]


def test_long_text_matches_exactly(api: Api) -> None:
    definition = make_field(api, "Text")
    long_a = "a" * 400
    lead = with_value(api, definition["id"], long_a)
    assert upsert(api, {}, definition["id"], long_a).json()["id"] == lead["id"]
    other = upsert(api, {"name": "Other"}, definition["id"], "a" * 399 + "b").json()
    assert other["id"] != lead["id"]


@pytest.mark.parametrize(
    ("data_type", "stored", "sent"),
    [
        ("Float", 1, 1.0),
        ("Float", 1.0, "1"),
        ("Percentage", 12.5, "12.50"),
        ("Currency", 1000, 1000.0),
        ("Date", 1515744000, "1515744000"),
        ("URL", "https://x.io", "https://x.io"),
    ],
)
def test_numbers_match_by_value(api: Api, data_type: str, stored: Any, sent: Any) -> None:
    definition = make_field(api, data_type)
    lead = with_value(api, definition["id"], stored)
    response = upsert(api, {"title": "hit"}, definition["id"], sent)
    assert response.status_code == 200
    assert response.json()["id"] == lead["id"]


def test_dropdown_matches_by_option_id(api: Api) -> None:
    definition = make_field(api, "Dropdown")
    green = option_ids(definition)[1]
    lead = with_value(api, definition["id"], green)
    assert upsert(api, {}, definition["id"], str(green)).json()["id"] == lead["id"]
    bad = upsert(api, {"name": "x"}, definition["id"], 99999999)
    assert bad.status_code == 422
    assert f"({definition['id']})" in bad.json()["message"]


def test_not_filterable_is_422_saying_why(api: Api, store: Store) -> None:
    definition = make_field(api, "String", name="Hidden", is_filterable=False)
    response = upsert(api, {"name": "x"}, definition["id"], "v")
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == {"match": [{"error": "not_filterable"}]}
    assert "'Hidden'" in body["message"] and "not filterable" in body["message"]
    assert lead_count(store) == 0


def test_not_on_leads_is_422_saying_why(api: Api, store: Store) -> None:
    definition = make_field(api, "String", name="People", available_on=["person"])
    response = upsert(api, {"name": "x"}, definition["id"], "v")
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == {"match": [{"error": "not_available"}]}
    assert "not available on leads" in body["message"]
    assert lead_count(store) == 0


@pytest.mark.parametrize("data_type", ["MultiSelect", "Checkbox"])
def test_types_that_cannot_identify_a_lead(api: Api, store: Store, data_type: str) -> None:
    definition = make_field(api, data_type)
    value = option_ids(definition)[:1] if data_type == "MultiSelect" else True
    response = upsert(api, {"name": "x"}, definition["id"], value)
    assert response.status_code == 422
    assert response.json()["errors"] == {"match": [{"error": "not_matchable"}]}
    assert "cannot be a match key" in response.json()["message"]
    assert lead_count(store) == 0


def test_invalid_properties_write_nothing(api: Api, store: Store) -> None:
    definition = make_field(api, "String")
    other = make_field(api, "Float", name="Amount")
    bad_cf = [{"custom_field_definition_id": other["id"], "value": "lots"}]
    created = upsert(api, {"name": "x", "custom_fields": bad_cf}, definition["id"], "k")
    assert created.status_code == 422
    assert lead_count(store) == 0
    lead = with_value(api, definition["id"], "k")
    updated = upsert(api, {"title": "no", "custom_fields": bad_cf}, definition["id"], "k")
    assert updated.status_code == 422
    assert "'Amount'" in updated.json()["message"]
    assert api.get(f"/leads/{lead['id']}").json()["title"] is None


def test_another_accounts_values_never_match(api: Api, other_api: Api, store: Store) -> None:
    mine = make_field(api, "String")
    theirs = make_field(other_api, "String")
    with_value(other_api, theirs["id"], "shared")
    lead = upsert(api, {"name": "Mine"}, mine["id"], "shared").json()
    assert value_of(lead, mine["id"]) == "shared"
    assert upsert(api, {"name": "x"}, theirs["id"], "shared").status_code == 422
    assert lead_count(store) == 2
