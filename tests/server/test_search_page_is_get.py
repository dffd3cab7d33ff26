"""A search page shows each lead exactly as GET /leads/{id} does, whatever wrote it last.

Search pages render a lead from its stored wire form (``leads.wire``, migration 0018),
which every write of the lead must keep in step with its columns. This walks a lead
through each kind of write the API has (create, PUT, upsert, the bulk endpoints, calls
logged and deleted, a history restore, delete and restore, conversion, a custom field
defined, renamed and removed), and after each step compares every lead of a search
page with its GET, byte for byte, on every engine.
"""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Api

EXT = "/verdigris/v1"


def _same_as_get(api: Api, *, computed: bool = False) -> int:
    """Every lead of the account's search pages against its GET; how many were compared."""
    query = "?custom_field_computed_values=true" if computed else ""
    compared = 0
    for page in (1, 2):
        answer = api.post(f"/leads/search{query}", {"page_size": 3, "page_number": page})
        assert answer.status_code == 200, answer.text
        for lead in answer.json():
            shown = api.get(f"/leads/{lead['id']}{query}")
            assert shown.status_code == 200, shown.text
            # the page's bytes for this lead: its object as the page encoded it
            assert json.dumps(lead, sort_keys=True) == json.dumps(shown.json(), sort_keys=True)
            compared += 1
    raw = api.post(f"/leads/search{query}", {"page_size": 200}).content
    singles = [api.get(f"/leads/{lead['id']}{query}").content for lead in json.loads(raw)]
    assert raw == b"[" + b",".join(singles) + b"]"  # byte for byte, key order included
    return compared


def _ext(api: Api, method: str, path: str, body: Any = None) -> Any:
    response = api.client.request(method, EXT + path, json=body, headers=api.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _call_type(api: Api) -> int:
    types = api.get("/activity_types").json()["user"]
    return int(next(t["id"] for t in types if t["name"] == "Phone Call"))


def test_a_search_page_shows_each_lead_as_its_get_after_every_kind_of_write(api: Api) -> None:
    choice = api.post(
        "/custom_field_definitions",
        {
            "name": "Tier",
            "data_type": "Dropdown",
            "available_on": ["lead"],
            "options": [{"name": "Gold"}, {"name": "Tin"}],
        },
    ).json()
    score = api.post(
        "/custom_field_definitions",
        {"name": "Score", "data_type": "Float", "available_on": ["lead"]},
    ).json()
    gold = choice["options"][0]["id"]
    ada = api.create_lead(
        name="Ada Lovelace",
        email={"email": "ada@example.com", "category": "work"},
        phone_numbers=[{"number": "+44 20 7946 0000", "category": "mobile"}],
        address={"street": "12 St James's Sq", "city": "London", "country": "UK"},
        tags=["vip", "100% sure"],
        monetary_value=1250,
        details='She said "50%"',
        custom_fields=[
            {"custom_field_definition_id": choice["id"], "value": gold},
            {"custom_field_definition_id": score["id"], "value": 2.0},
        ],
    )
    grace = api.create_lead(name="Grace Hopper", title="Rear Admiral")
    assert _same_as_get(api) == 2

    # PUT, then an upsert that updates and one that creates
    assert api.put(f"/leads/{ada['id']}", {"title": "Countess", "monetary_value": 99.5}).is_success
    match = {"field_name": "email", "field_value": "ada@example.com"}
    assert api.put("/leads/upsert", {"properties": {"details": None}, "match": match}).is_success
    new = {"field_name": "name", "field_value": "Edsger Dijkstra"}
    assert api.put(
        "/leads/upsert", {"properties": {"name": "Edsger Dijkstra"}, "match": new}
    ).is_success
    _same_as_get(api)

    # the bulk endpoints
    bulk = {"leads": [{"id": grace["id"], "websites": [{"url": "https://navy.mil"}]}]}
    assert api.post("/leads/bulk_update", bulk).is_success
    created = {"leads": [{"name": "Barbara Liskov", "tags": ["mit"]}, {"name": "Ken Thompson"}]}
    assert api.post("/leads/bulk_create", created).is_success
    _same_as_get(api)

    # calls move interaction_count and date_last_contacted; deleting one moves them back
    call = _call_type(api)
    logged = [
        api.post(
            "/activities",
            {
                "parent": {"type": "lead", "id": ada["id"]},
                "type": {"category": "user", "id": call},
                "details": "rang",
                "activity_date": 1_700_000_000 + i,
            },
        ).json()
        for i in range(2)
    ]
    _same_as_get(api)
    assert api.delete(f"/activities/{logged[1]['id']}").is_success
    _same_as_get(api)

    # a history restore, and a lead deleted then restored
    versions = _ext(api, "GET", f"/leads/{ada['id']}/versions")
    _ext(api, "POST", f"/leads/{ada['id']}/versions/{versions[-1]['version']}/restore")
    assert api.delete(f"/leads/{grace['id']}").is_success
    _ext(api, "POST", f"/leads/{grace['id']}/restore")
    _same_as_get(api)

    # the account's definitions change: a field renamed, one added, one removed
    assert api.put(f"/custom_field_definitions/{score['id']}", {"name": "Rank"}).is_success
    api.post(
        "/custom_field_definitions",
        {"name": "Since", "data_type": "Date", "available_on": ["lead"]},
    )
    _same_as_get(api, computed=True)
    assert api.delete(f"/custom_field_definitions/{choice['id']}").is_success
    _same_as_get(api)

    # conversion
    converted = api.post(f"/leads/{ada['id']}/convert", {"details": {"person": {}}})
    assert converted.status_code == 200, converted.text
    found = api.post("/leads/search", {"page_size": 200, "include_converted_leads": True})
    shown = api.get(f"/leads/{ada['id']}").json()
    assert [lead for lead in found.json() if lead["id"] == ada["id"]] == [shown]
    _same_as_get(api)
