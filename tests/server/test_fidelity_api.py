"""Copper fidelity round 2 (issue 14): unknown search keys, a lead's name, no-op updates,
numbers for text custom fields (see test_custom_field_values_api.py) and computed values
on convert. Every test runs over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.server.custom_field_helpers import make_field, option_ids
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore

UNRECOGNIZED = "Invalid input: Validation errors: Base: Unrecognized attributes specified: "

# --- item 2: unknown keys in a search are Copper's 422 --------------------------------------


def test_unknown_search_key_is_coppers_422(api: Api) -> None:
    api.create_lead(name="Ann Archer")
    response = api.post("/leads/search", {"pageSize": 5})
    assert response.status_code == 422
    body = response.json()
    # the exact wording of Copper's answer (issue 14)
    assert (
        body["message"]
        == "Invalid input: Validation errors: Base: Unrecognized attributes specified: pageSize"
    )
    assert body["success"] is False and body["status"] == 422
    assert body["errors"] == {"base": [{"error": "unrecognized"}]}
    # writes stay tolerant of unknown and read-only keys: real clients echo whole objects
    lead = api.create_lead(name="Ann Archer", phone="1", pageSize=3, date_created=1)
    assert lead["name"] == "Ann Archer" and "phone" not in lead and "pageSize" not in lead
    echo = {**lead, "title": "CEO", "unknown": True}
    updated = api.put(f"/leads/{lead['id']}", echo)
    assert updated.status_code == 200 and updated.json()["title"] == "CEO"
    bulk = api.post("/leads/bulk_update", {"leads": [{"id": lead["id"], "junk": 1}]})
    assert bulk.json()[0]["id"] == lead["id"]


def test_a_misspelled_filter_no_longer_matches_every_lead(api: Api) -> None:
    api.create_lead(name="Ann Archer", email={"email": "ann@example.com"})
    api.create_lead(name="Bob Baker", email={"email": "bob@example.com"})
    response = api.post("/leads/search", {"email": "ann@example.com"})
    assert response.status_code == 422
    assert response.json()["message"] == UNRECOGNIZED + "email"
    found = api.post("/leads/search", {"emails": "ann@example.com"})
    assert [lead["name"] for lead in found.json()] == ["Ann Archer"]


def test_unknown_keys_are_listed_in_the_order_sent(api: Api) -> None:
    response = api.post(
        "/leads/search", {"page_size": 5, "zeta": 1, "sort_by": "name", "alpha": 2, "pageSize": 3}
    )
    assert response.status_code == 422
    assert response.json()["message"] == UNRECOGNIZED + "zeta, alpha, pageSize"


def test_unknown_query_string_key_is_422_too(api: Api) -> None:
    """n8n sends its search parameters in the query string with an empty body."""
    api.create_lead(name="Ann Archer")
    response = api.post("/leads/search?page_size=5&emial=ann@example.com&tags[]=a&foo[]=b")
    assert response.status_code == 422
    assert response.json()["message"] == UNRECOGNIZED + "emial, foo[]"
    # query string first (as on the wire), then the body
    both = api.post("/leads/search?pagesize=5", {"bogus": 1})
    assert both.json()["message"] == UNRECOGNIZED + "pagesize, bogus"


def test_known_and_harmless_query_keys_are_accepted(api: Api) -> None:
    api.create_lead(name="Ann Archer", tags=["a"])
    query = (
        "page_size=5&page_number=1&sort_by=name&sort_direction=asc&tags[]=a"
        "&custom_field_computed_values=true&_=1700000000000"
    )
    response = api.post(f"/leads/search?{query}")
    assert response.status_code == 200, response.text
    assert [lead["name"] for lead in response.json()] == ["Ann Archer"]
    # every documented parameter is accepted in the body
    every = {
        "ids": [],
        "page_number": 1,
        "page_size": 20,
        "sort_by": "name",
        "sort_direction": "asc",
        "name": None,
        "phone_number": None,
        "emails": None,
        "assignee_ids": [],
        "status_ids": [],
        "customer_source_ids": [],
        "city": None,
        "state": None,
        "postal_code": None,
        "country": None,
        "tags": [],
        "socials": [],
        "followed": None,
        "age": None,
        "minimum_monetary_value": None,
        "maximum_monetary_value": None,
        "minimum_interaction_count": None,
        "maximum_interaction_count": None,
        "minimum_interaction_date": None,
        "maximum_interaction_date": None,
        "minimum_created_date": None,
        "maximum_created_date": None,
        "minimum_modified_date": None,
        "maximum_modified_date": None,
        "include_converted_leads": False,
        "custom_fields": [],
    }
    ok = api.post("/leads/search", every)
    assert ok.status_code == 200, ok.text
    assert len(ok.json()) == 1
    # the harmless query keys are query keys only: in the body they are unknown
    refused = api.post("/leads/search", {"custom_field_computed_values": True})
    assert refused.json()["message"] == UNRECOGNIZED + "custom_field_computed_values"


# --- item 3: a lead's name cannot be removed ----------------------------------------------


NAME_INVALID = {"name": [{"error": "invalid"}]}
#: the keys of a result in Copper's bulk update example (seed bulk-update-leads.txt), in order
BULK_SEED_KEYS = [
    "id",
    "name",
    "prefix",
    "first_name",
    "last_name",
    "middle_name",
    "suffix",
    "address",
    "assignee_id",
    "company_name",
    "customer_source_id",
    "details",
    "email",
    "interaction_count",
    "monetary_value",
    "socials",
    "status",
    "status_id",
    "tags",
    "title",
    "websites",
    "phone_numbers",
    "custom_fields",
    "date_created",
    "date_modified",
    "date_last_contacted",
]


@pytest.mark.parametrize(
    "body",
    [
        {"name": None},
        {"name": ""},
        {"name": "   "},
        {"name": None, "first_name": None, "last_name": None},
        {"first_name": None, "last_name": None},
        {"name": "", "first_name": "", "middle_name": "Q."},
    ],
)
def test_put_cannot_remove_a_name(api: Api, body: dict[str, Any]) -> None:
    lead = api.create_lead(name="Ann Archer")
    response = api.put(f"/leads/{lead['id']}", body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == NAME_INVALID
    assert api.get(f"/leads/{lead['id']}").json() == lead


def test_bulk_item_cannot_remove_a_name_seed_failure_shape(api: Api) -> None:
    lead = api.create_lead(name="Ann Archer")
    other = api.create_lead(name="Bob Baker")
    response = api.post(
        "/leads/bulk_update",
        {"leads": [{"id": lead["id"], "name": None}, {"id": other["id"], "name": "Lead Two"}]},
    )
    assert response.status_code == 200
    failed, done = response.json()
    # the bulk seed's own failure example (bulk-update-leads.txt)
    assert failed == {"success": False, "message": NAME_INVALID, "id": lead["id"]}
    assert done["name"] == "Lead Two"
    # the seed's key set, plus monetary_unit where the upsert seed (the single-lead shape
    # the bulk page promises) has it: the one exception docs/compatibility.md records
    expected = list(BULK_SEED_KEYS)
    expected.insert(expected.index("monetary_value"), "monetary_unit")
    assert list(done) == expected
    assert api.get(f"/leads/{lead['id']}").json()["name"] == "Ann Archer"


def test_upsert_cannot_remove_a_name(api: Api) -> None:
    api.create_lead(name="Ann Archer", email={"email": "ann@example.com"})
    response = api.put(
        "/leads/upsert",
        {
            "properties": {"name": ""},
            "match": {"field_name": "email", "field_value": "ann@example.com"},
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == NAME_INVALID


def test_a_cleared_name_is_rebuilt_from_first_and_last_names_sent(api: Api) -> None:
    lead = api.create_lead(name="Ann Archer")
    response = api.put(
        f"/leads/{lead['id']}", {"name": None, "first_name": "Bea", "last_name": "Brown"}
    )
    assert response.status_code == 200, response.text
    shown = response.json()
    assert (shown["name"], shown["first_name"], shown["last_name"]) == ("Bea Brown", "Bea", "Brown")
    only_first = api.put(f"/leads/{lead['id']}", {"name": "", "first_name": "Cy"}).json()
    assert only_first["name"] == "Cy Brown"


# --- item 4: an update that changes nothing changes nothing --------------------------------

OLD = 1_000_000_000


def _age(store: Store, lead_id: int) -> None:
    """Set the stored ``date_modified`` far in the past, so any write would show."""
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE leads SET date_modified = {OLD} WHERE id = {lead_id}")


def _activities(api: Api, lead_id: int) -> list[dict[str, Any]]:
    response = api.post(f"/leads/{lead_id}/activities", {})
    assert response.status_code == 200
    return list(response.json())


def _full_lead(api: Api) -> dict[str, Any]:
    text = make_field(api, "String", name="Notes")
    pick = make_field(api, "Dropdown", name="Size")
    many = make_field(api, "MultiSelect", name="Colours")
    money = make_field(api, "Float", name="Score")
    return api.create_lead(
        name="Dr. Ann Q. Archer Jr.",
        email={"email": "ann@example.com", "category": "work"},
        phone_numbers=[{"number": "415-555-0100", "category": "mobile"}],
        websites=[{"url": "https://example.com", "category": "work"}],
        socials=[{"url": "https://x.example/ann", "category": "twitter"}],
        address={"city": "Savannah", "state": "Georgia"},
        tags=["vip", "west"],
        monetary_value=1500,
        monetary_unit="usd",
        title="CEO",
        custom_fields=[
            {"custom_field_definition_id": text["id"], "value": "hello"},
            {"custom_field_definition_id": pick["id"], "value": option_ids(pick)[1]},
            {"custom_field_definition_id": many["id"], "value": option_ids(many)[:2]},
            {"custom_field_definition_id": money["id"], "value": 42},
        ],
    )


def _same_value_bodies(lead: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {},
        dict(lead),  # a full-object echo, read-only keys and status/status_id included
        {"name": lead["name"], "tags": list(lead["tags"]), "monetary_value": 1500.0},
        {"custom_fields": lead["custom_fields"], "phone_numbers": lead["phone_numbers"]},
        {"first_name": "Ann", "status": "New"},
        {"monetary_unit": "USD", "email": {"email": "ann@example.com"}},
    ]


def test_same_value_put_changes_nothing(api: Api, store: Store) -> None:
    lead = _full_lead(api)
    _age(store, lead["id"])
    before = api.get(f"/leads/{lead['id']}").json()
    history = _activities(api, lead["id"])
    for body in _same_value_bodies(before):
        response = api.put(f"/leads/{lead['id']}", body)
        assert response.status_code == 200, response.text
        assert response.json() == before, body
    assert api.get(f"/leads/{lead['id']}").json()["date_modified"] == OLD
    assert _activities(api, lead["id"]) == history
    # a real change still moves date_modified (and only then)
    changed = api.put(f"/leads/{lead['id']}", {"title": "CTO"}).json()
    assert changed["title"] == "CTO" and changed["date_modified"] > OLD


def test_bulk_item_with_only_an_id_changes_nothing(api: Api, store: Store) -> None:
    lead = _full_lead(api)
    _age(store, lead["id"])
    before = api.get(f"/leads/{lead['id']}").json()
    history = _activities(api, lead["id"])
    response = api.post(
        "/leads/bulk_update", {"leads": [{"id": lead["id"]}, {**before, "tags": ["vip", "west"]}]}
    )
    assert response.status_code == 200
    assert response.json() == [before, before]
    assert api.get(f"/leads/{lead['id']}").json()["date_modified"] == OLD
    assert _activities(api, lead["id"]) == history


def test_upsert_with_empty_properties_changes_nothing(api: Api, store: Store) -> None:
    lead = _full_lead(api)
    _age(store, lead["id"])
    before = api.get(f"/leads/{lead['id']}").json()
    history = _activities(api, lead["id"])
    match = {"field_name": "email", "field_value": "ann@example.com"}
    for properties in ({}, {"name": before["name"], "status_id": before["status_id"]}):
        response = api.put("/leads/upsert", {"properties": properties, "match": match})
        assert response.status_code == 200, response.text
        assert response.json() == before
    assert api.get(f"/leads/{lead['id']}").json()["date_modified"] == OLD
    assert _activities(api, lead["id"]) == history


# --- item 8: convert renders computed values ----------------------------------------------


def test_convert_renders_computed_values_on_request(api: Api) -> None:
    pick = make_field(api, "Dropdown", name="Size")
    many = make_field(api, "MultiSelect", name="Colours")
    red, _green, blue = option_ids(many)
    values = [
        {"custom_field_definition_id": pick["id"], "value": option_ids(pick)[1]},
        {"custom_field_definition_id": many["id"], "value": [red, blue]},
    ]
    first = api.create_lead(name="Ann Archer", custom_fields=values)
    second = api.create_lead(name="Bob Baker", custom_fields=values)

    plain = api.post(f"/leads/{first['id']}/convert", {"details": {"company": {"name": ""}}})
    assert plain.status_code == 200
    assert all("computed_value" not in f for f in plain.json()["person"]["custom_fields"])

    response = api.post(
        f"/leads/{second['id']}/convert?custom_field_computed_values=true",
        {"details": {"company": {"name": ""}}},
    )
    assert response.status_code == 200, response.text
    person = response.json()["person"]
    assert person["custom_fields"] == [
        {
            "custom_field_definition_id": pick["id"],
            "value": option_ids(pick)[1],
            "computed_value": "Green",
        },
        {
            "custom_field_definition_id": many["id"],
            "value": [red, blue],
            "computed_value": ["Red", "Blue"],
        },
    ]
