"""POST /leads/{id}/activities: the system activities verdigris records on a lead."""

from __future__ import annotations

from tests.conftest import Api
from tests.server.test_convert_api import rows
from verdigris.store.base import Store

ACTIVITY_KEYS = [
    "id", "parent", "type", "user_id", "details", "activity_date", "old_value", "new_value",
    "date_created", "date_modified",
]  # fmt: skip


def status_id(api: Api, name: str) -> int:
    return int(next(s["id"] for s in api.get("/lead_statuses").json() if s["name"] == name))


def test_created_status_changed_and_converted(api: Api) -> None:
    lead = api.create_lead(name="Tracked")
    assert api.put(f"/leads/{lead['id']}", {"status": "Contacted"}).status_code == 200
    assert api.put(f"/leads/{lead['id']}", {"title": "no status change"}).status_code == 200
    person = api.post(f"/leads/{lead['id']}/convert", {"details": {}}).json()["person"]
    response = api.post(f"/leads/{lead['id']}/activities", {})
    assert response.status_code == 200
    activities = response.json()
    # Copper's "Property Changed" entries on a lead carry no text (details: null)
    assert [a["details"] for a in activities] == [None, None, None]
    assert [bool(a["new_value"]) for a in activities] == [True, True, False]
    for activity in activities:
        assert list(activity) == ACTIVITY_KEYS
        assert activity["parent"] == {"id": lead["id"], "type": "lead"}
        assert activity["type"] == {"id": 1, "category": "system"}
        assert activity["user_id"] == api.principal.user_id
        assert isinstance(activity["activity_date"], int)
    converted, changed, created = activities
    assert changed["old_value"] == {"id": status_id(api, "New"), "name": "New"}
    assert changed["new_value"] == {"id": status_id(api, "Contacted"), "name": "Contacted"}
    assert created["old_value"] is None and created["new_value"] is None
    assert converted["new_value"] == {
        "person_id": person["id"],
        "company_id": None,
        "opportunity_id": None,
    }
    assert len({a["id"] for a in activities}) == 3


def test_every_create_path_records_one_activity(api: Api) -> None:
    bulk = api.post("/leads/bulk_create", {"leads": [{"name": "B1"}, {"name": "B2"}]}).json()
    upserted = api.put(
        "/leads/upsert",
        {"properties": {"name": "U"}, "match": {"field_name": "name", "field_value": "U"}},
    ).json()
    for lead in [*bulk, upserted]:
        found = api.post(f"/leads/{lead['id']}/activities").json()
        assert [(a["type"], a["new_value"]) for a in found] == [
            ({"id": 1, "category": "system"}, None)
        ]


def test_status_change_by_id_through_bulk_update(api: Api) -> None:
    lead = api.create_lead(name="B")
    qualified = status_id(api, "Qualified")
    api.post("/leads/bulk_update", {"leads": [{"id": lead["id"], "status_id": qualified}]})
    found = api.post(f"/leads/{lead['id']}/activities").json()
    assert found[0]["new_value"] == {"id": qualified, "name": "Qualified"}


def test_filter_by_activity_type_and_page(api: Api) -> None:
    lead = api.create_lead(name="F")
    for status in ("Contacted", "Qualified", "New"):
        api.put(f"/leads/{lead['id']}", {"status": status})
    path = f"/leads/{lead['id']}/activities"
    assert len(api.post(path, {"activity_types": [{"id": 1, "category": "system"}]}).json()) == 4
    assert api.post(path, {"activity_types": [{"id": 1, "category": "user"}]}).json() == []
    assert api.post(path, {"activity_types": [{"id": 3, "category": "system"}]}).json() == []
    first = api.post(path, {"page_size": 3}).json()
    second = api.post(path, {"page_size": 3, "page_number": 2}).json()
    assert len(first) == 3 and [a["new_value"] for a in second] == [None]  # the creation
    assert api.post(path, {"page_size": 0}).status_code == 422
    assert api.post(path, {"page_size": 201}).status_code == 422
    assert api.post(path, {"activity_types": [{"id": 1, "category": "odd"}]}).status_code == 422
    assert api.post(path, {"activity_types": "system"}).status_code == 422


def test_unknown_or_foreign_lead_is_404(api: Api, other_api: Api) -> None:
    lead = api.create_lead(name="Mine")
    assert api.post("/leads/999999/activities").status_code == 404
    assert other_api.post(f"/leads/{lead['id']}/activities").status_code == 404


def test_deleting_a_lead_deletes_its_activities(api: Api, store: Store) -> None:
    lead = api.create_lead(name="Gone")
    api.put(f"/leads/{lead['id']}", {"status": "Contacted"})
    assert rows(store, "activities") == 2
    assert api.delete(f"/leads/{lead['id']}").status_code == 200
    assert rows(store, "activities") == 0
