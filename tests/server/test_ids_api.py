"""Ids are never reused (issue 14): delete the newest record, create another, and the new
one gets an id never seen before, over HTTP, on every engine."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.server.custom_field_helpers import make_field, option_ids


def activity_ids(api: Api, lead_id: int) -> list[int]:
    response = api.post(f"/leads/{lead_id}/activities", {})
    assert response.status_code == 200, response.text
    return [a["id"] for a in response.json()]


def test_a_deleted_lead_id_is_not_handed_out_again(api: Api) -> None:
    api.create_lead(name="First")
    newest = api.create_lead(name="Newest")
    assert api.delete(f"/leads/{newest['id']}").status_code == 200
    again = api.create_lead(name="After")
    assert again["id"] > newest["id"]
    # the client that kept the old id is told it is gone, and touches nothing else
    assert api.get(f"/leads/{newest['id']}").status_code == 404
    assert api.delete(f"/leads/{newest['id']}").status_code == 404
    assert api.get(f"/leads/{again['id']}").json()["name"] == "After"


def test_activities_of_a_deleted_lead_keep_their_ids_retired(api: Api) -> None:
    api.create_lead(name="First")
    newest = api.create_lead(name="Newest")
    retired = activity_ids(api, newest["id"])
    assert retired  # "lead created"
    api.delete(f"/leads/{newest['id']}")
    again = api.create_lead(name="After")
    fresh = activity_ids(api, again["id"])
    assert fresh and min(fresh) > max(retired)


def test_custom_field_definition_and_option_ids_are_not_reused(api: Api) -> None:
    make_field(api, "String", name="Kept")
    newest = make_field(api, "Dropdown", name="Newest")
    assert api.delete(f"/custom_field_definitions/{newest['id']}").status_code == 200
    again = make_field(api, "Dropdown", name="After")
    assert again["id"] > newest["id"]
    assert min(option_ids(again)) > max(option_ids(newest))
    # an option removed from a definition leaves its id behind
    path = f"/custom_field_definitions/{again['id']}"
    kept, *dropped = option_ids(again)
    changed = api.put(path, {"options": [{"id": kept, "name": "Red"}, {"name": "Violet"}]})
    assert changed.status_code == 200, changed.text
    added = [o["id"] for o in changed.json()["options"] if o["name"] == "Violet"]
    assert added[0] > max(dropped)


def convert_all(api: Api, name: str) -> dict[str, Any]:
    lead = api.create_lead(name=name)
    body = {"details": {"person": {}, "company": {"name": f"{name} Inc"}, "opportunity": {}}}
    response = api.post(f"/leads/{lead['id']}/convert", body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_converted_records_ids_are_not_reused(api: Api) -> None:
    convert_all(api, "First")
    newest = convert_all(api, "Newest")
    for kind, path in (
        ("opportunity", "/opportunities"),
        ("person", "/people"),
        ("company", "/companies"),
    ):
        assert api.delete(f"{path}/{newest[kind]['id']}").status_code == 200
    again = convert_all(api, "After")
    for kind, path in (
        ("person", "/people"),
        ("company", "/companies"),
        ("opportunity", "/opportunities"),
    ):
        assert again[kind]["id"] > newest[kind]["id"], kind
        assert api.get(f"{path}/{newest[kind]['id']}").status_code == 404
