"""/custom_field_definitions over HTTP: CRUD, Copper's shapes, options, values kept or removed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.server.custom_field_helpers import make_field, option_ids, value_of

DEFINITION_KEYS = ["id", "name", "canonical_name", "data_type", "available_on", "is_filterable"]


def test_copper_create_example_sent_verbatim(api: Api) -> None:
    body = {
        "name": "A Dropdown",
        "canonical_name": "dropdown_field_1",
        "data_type": "Dropdown",
        "is_filterable": False,
        "available_on": ["lead", "person", "company"],
        "options": [{"name": "Option1"}, {"name": "Option2"}],
    }
    response = api.post("/custom_field_definitions", body)
    assert response.status_code == 200, response.text
    created = response.json()
    assert list(created) == [*DEFINITION_KEYS, "options"]
    assert created["name"] == "A Dropdown" and created["canonical_name"] == "dropdown_field_1"
    assert created["available_on"] == ["lead", "person", "company"]
    assert created["is_filterable"] is False
    assert [(o["name"], o["rank"]) for o in created["options"]] == [("Option1", 0), ("Option2", 1)]
    assert len(set(option_ids(created))) == 2
    assert api.get(f"/custom_field_definitions/{created['id']}").json() == created
    assert api.get("/custom_field_definitions").json() == [created]


def test_shapes_per_type(api: Api) -> None:
    string = make_field(api, "String")
    currency = make_field(api, "Currency", currency="usd")
    assert list(string) == DEFINITION_KEYS
    assert string["canonical_name"] is None
    assert list(currency) == [*DEFINITION_KEYS, "currency"]
    assert currency["currency"] == "USD"


def test_every_creatable_type(api: Api) -> None:
    for data_type in (
        "String", "Text", "Dropdown", "MultiSelect", "Date", "Checkbox", "Float", "URL",
        "Percentage", "Currency",
    ):  # fmt: skip
        assert make_field(api, data_type)["data_type"] == data_type
    assert len(api.get("/custom_field_definitions").json()) == 10


def test_canonical_name_is_lower_cased_and_unique(api: Api, other_api: Api) -> None:
    first = make_field(api, "String", canonical_name="Field_Key")
    assert first["canonical_name"] == "field_key"
    response = api.post(
        "/custom_field_definitions",
        {"name": "Other", "data_type": "String", "canonical_name": "FIELD_KEY"},
    )
    assert response.status_code == 422
    assert "canonical_name" in response.json()["errors"]
    # another account may use the same key
    assert make_field(other_api, "String", canonical_name="field_key")["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"data_type": "String"}, "name"),
        ({"name": "x"}, "data_type"),
        ({"name": "x", "data_type": "Connect"}, "data_type"),
        ({"name": "x", "data_type": "Dropdown"}, "options"),
        ({"name": "x", "data_type": "MultiSelect", "options": [{"name": "one"}]}, "options"),
        ({"name": "x", "data_type": "Currency"}, "currency"),
        ({"name": "x", "data_type": "Currency", "currency": "EURO"}, "currency"),
        ({"name": "x", "data_type": "String", "available_on": ["invoice"]}, "available_on"),
    ],
)
def test_invalid_definition_is_422_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    response = api.post("/custom_field_definitions", body)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"]
    assert api.get("/custom_field_definitions").json() == []


def test_definitions_belong_to_one_account(api: Api, other_api: Api) -> None:
    mine = make_field(api, "String")
    assert other_api.get("/custom_field_definitions").json() == []
    assert other_api.get(f"/custom_field_definitions/{mine['id']}").status_code == 404
    assert other_api.put(f"/custom_field_definitions/{mine['id']}", {"name": "x"}).status_code == (
        404
    )
    assert other_api.delete(f"/custom_field_definitions/{mine['id']}").status_code == 404
    response = other_api.post(
        "/leads",
        {"name": "x", "custom_fields": [{"custom_field_definition_id": mine["id"], "value": "v"}]},
    )
    assert response.status_code == 422


def test_unknown_id_is_404(api: Api) -> None:
    assert api.get("/custom_field_definitions/424242").status_code == 404
    assert api.delete("/custom_field_definitions/424242").status_code == 404


def test_update_changes_only_what_is_sent(api: Api) -> None:
    created = make_field(api, "String", canonical_name="key")
    response = api.put(f"/custom_field_definitions/{created['id']}", {"name": "Renamed"})
    assert response.status_code == 200
    assert response.json() == {**created, "name": "Renamed"}
    assert api.get(f"/custom_field_definitions/{created['id']}").json()["name"] == "Renamed"


def test_copper_update_example_keeps_option_ids_by_name(api: Api) -> None:
    created = make_field(
        api, "Dropdown", name="A Dropdown", options=[{"name": "Option 1"}, {"name": "Option 2"}]
    )
    response = api.put(
        f"/custom_field_definitions/{created['id']}",
        {
            "available_on": ["lead", "person", "opportunity"],
            "is_filterable": True,
            "options": [{"name": "Option 1"}, {"name": "Option 2"}, {"name": "Option 3"}],
        },
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["available_on"] == ["lead", "person", "opportunity"]
    assert option_ids(updated)[:2] == option_ids(created)
    assert [(o["name"], o["rank"]) for o in updated["options"]] == [
        ("Option 1", 0),
        ("Option 2", 1),
        ("Option 3", 2),
    ]
    assert len(set(option_ids(updated))) == 3


def test_option_ids_are_unique_across_definitions(api: Api) -> None:
    one = make_field(api, "Dropdown")
    two = make_field(api, "MultiSelect")
    assert not set(option_ids(one)) & set(option_ids(two))


def test_removed_option_ids_are_never_reused(api: Api) -> None:
    created = make_field(api, "Dropdown")
    red, green, blue = option_ids(created)
    path = f"/custom_field_definitions/{created['id']}"
    api.put(path, {"options": [{"id": red, "name": "Red"}]})
    again = api.put(path, {"options": [{"id": red, "name": "Red"}, {"name": "Green"}]}).json()
    assert option_ids(again)[0] == red
    assert option_ids(again)[1] not in (green, blue)


def test_option_changes_keep_values_whose_option_remains(api: Api) -> None:
    dropdown = make_field(api, "Dropdown")
    multi = make_field(api, "MultiSelect")
    red, green, blue = option_ids(dropdown)
    m_red, m_green, m_blue = option_ids(multi)
    keep = api.create_lead(
        name="Keeps",
        custom_fields=[
            {"custom_field_definition_id": dropdown["id"], "value": red},
            {"custom_field_definition_id": multi["id"], "value": [m_red, m_blue]},
        ],
    )
    lose = api.create_lead(
        name="Loses",
        custom_fields=[
            {"custom_field_definition_id": dropdown["id"], "value": green},
            {"custom_field_definition_id": multi["id"], "value": [m_green]},
        ],
    )
    api.put(
        f"/custom_field_definitions/{dropdown['id']}",
        {"options": [{"id": red, "name": "Crimson"}, {"id": blue, "name": "Blue"}]},
    )
    api.put(
        f"/custom_field_definitions/{multi['id']}",
        {"options": [{"name": "Red"}, {"name": "Blue"}, {"name": "Yellow"}]},
    )
    kept = api.get(f"/leads/{keep['id']}").json()
    lost = api.get(f"/leads/{lose['id']}").json()
    assert value_of(kept, dropdown["id"]) == red
    assert value_of(kept, multi["id"]) == [m_red, m_blue]
    assert value_of(lost, dropdown["id"]) is None
    assert value_of(lost, multi["id"]) == []
    assert lost["date_modified"] == lose["date_modified"]
    # the removed option is no longer accepted
    response = api.put(
        f"/leads/{keep['id']}",
        {"custom_fields": [{"custom_field_definition_id": dropdown["id"], "value": green}]},
    )
    assert response.status_code == 422


def test_data_type_change_keeps_values_that_still_fit(api: Api) -> None:
    definition = make_field(api, "String")
    numeric = api.create_lead(
        name="Numeric",
        custom_fields=[{"custom_field_definition_id": definition["id"], "value": "42"}],
    )
    wordy = api.create_lead(
        name="Wordy",
        custom_fields=[{"custom_field_definition_id": definition["id"], "value": "lots"}],
    )
    response = api.put(f"/custom_field_definitions/{definition['id']}", {"data_type": "Float"})
    assert response.status_code == 200
    assert value_of(api.get(f"/leads/{numeric['id']}").json(), definition["id"]) == 42.0
    assert value_of(api.get(f"/leads/{wordy['id']}").json(), definition["id"]) is None


def test_becoming_a_dropdown_needs_options(api: Api) -> None:
    definition = make_field(api, "String")
    path = f"/custom_field_definitions/{definition['id']}"
    assert api.put(path, {"data_type": "Dropdown"}).status_code == 422
    changed = api.put(path, {"data_type": "Dropdown", "options": [{"name": "Only"}]}).json()
    assert [o["name"] for o in changed["options"]] == ["Only"]


def test_delete_removes_the_definition_and_its_values(api: Api) -> None:
    gone = make_field(api, "String", name="Gone")
    stays = make_field(api, "String", name="Stays")
    lead = api.create_lead(
        name="Holder",
        custom_fields=[
            {"custom_field_definition_id": gone["id"], "value": "bye"},
            {"custom_field_definition_id": stays["id"], "value": "hi"},
        ],
    )
    response = api.delete(f"/custom_field_definitions/{gone['id']}")
    assert response.status_code == 200
    assert response.json() == {"id": gone["id"], "is_deleted": True}
    assert api.get(f"/custom_field_definitions/{gone['id']}").status_code == 404
    after = api.get(f"/leads/{lead['id']}").json()
    assert after["custom_fields"] == [{"custom_field_definition_id": stays["id"], "value": "hi"}]
    # a new definition never inherits the old values
    fresh = make_field(api, "String", name="Fresh")
    assert value_of(api.get(f"/leads/{lead['id']}").json(), fresh["id"]) is None


def test_leaving_leads_removes_lead_values(api: Api) -> None:
    definition = make_field(api, "String")
    lead = api.create_lead(
        name="L", custom_fields=[{"custom_field_definition_id": definition["id"], "value": "v"}]
    )
    path = f"/custom_field_definitions/{definition['id']}"
    api.put(path, {"available_on": ["person"]})
    assert api.get(f"/leads/{lead['id']}").json()["custom_fields"] == []
    api.put(path, {"available_on": ["person", "lead"]})
    assert value_of(api.get(f"/leads/{lead['id']}").json(), definition["id"]) is None


def test_string_id_in_path_is_404_not_500(api: Api) -> None:
    assert api.get("/custom_field_definitions/abc").status_code == 404
