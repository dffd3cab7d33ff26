"""Activities through the API (issue 16): types, create/read/update/delete, search, bulk
create, and the interactions a lead's calls and meetings give it. Both engines."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import Api, make_api
from tests.server.test_convert_api import rows
from verdigris.config import Settings
from verdigris.domain.activities import Activity
from verdigris.server.app import create_app
from verdigris.services import Services
from verdigris.services.changes import Change
from verdigris.store.base import Store, StoreTx

ACTIVITY_KEYS = [
    "id", "parent", "type", "user_id", "details", "activity_date", "old_value", "new_value",
    "date_created", "date_modified",
]  # fmt: skip
TYPE_KEYS = ["id", "category", "name", "is_disabled", "count_as_interaction"]


def user_type(api: Api, name: str) -> int:
    return int(
        next(t["id"] for t in api.get("/activity_types").json()["user"] if t["name"] == name)
    )


def log(api: Api, lead_id: int, type_id: int, details: str = "x", date: int | None = None) -> Any:
    body: dict[str, Any] = {
        "parent": {"type": "lead", "id": lead_id},
        "type": {"category": "user", "id": type_id},
        "details": details,
    }
    if date is not None:
        body["activity_date"] = date
    response = api.post("/activities", body)
    assert response.status_code == 200, response.text
    return response.json()


def interactions(api: Api, lead_id: int) -> tuple[int, int | None]:
    lead = api.get(f"/leads/{lead_id}").json()
    return lead["interaction_count"], lead["date_last_contacted"]


def found_ids(api: Api, params: dict[str, Any]) -> list[int]:
    return [lead["id"] for lead in api.post("/leads/search", params).json()]


def test_activity_types_in_coppers_shape(api: Api, other_api: Api) -> None:
    types = api.get("/activity_types").json()
    assert list(types) == ["user", "system"]
    assert [t["name"] for t in types["user"]] == ["Note", "Phone Call", "Meeting"]
    assert [list(t) for t in types["user"] + types["system"]] == [TYPE_KEYS] * 5
    note, call, meeting = types["user"]
    assert note == {
        "id": 0, "category": "user", "name": "Note", "is_disabled": False,
        "count_as_interaction": False,
    }  # fmt: skip
    assert call["count_as_interaction"] and meeting["count_as_interaction"]
    assert [(t["id"], t["name"]) for t in types["system"]] == [
        (1, "Property Changed"),
        (3, "Pipeline Stage Changed"),
    ]
    # each account has Phone Call and Meeting types of its own, with ids of their own
    others = other_api.get("/activity_types").json()["user"]
    assert {t["id"] for t in others[1:]}.isdisjoint({call["id"], meeting["id"]})


def test_three_calls_and_a_note_make_three_interactions(api: Api) -> None:
    """Copper counts activities whose type has count_as_interaction (calls, meetings;
    not notes): List Activity Types."""
    call = user_type(api, "Phone Call")
    lead = api.create_lead(name="Called")
    quiet = api.create_lead(name="Quiet")
    for date in (1_700_000_000, 1_700_300_000, 1_700_200_000):
        log(api, lead["id"], call, "call", date)
    log(api, lead["id"], 0, "a note, dated later", 1_800_000_000)
    assert interactions(api, lead["id"]) == (3, 1_700_300_000)
    assert interactions(api, quiet["id"]) == (0, None)
    assert found_ids(api, {"minimum_interaction_count": 3}) == [lead["id"]]
    assert found_ids(api, {"maximum_interaction_count": 0}) == [quiet["id"]]
    window = {"minimum_interaction_date": 1_700_250_000, "maximum_interaction_date": 1_700_350_000}
    assert found_ids(api, window) == [lead["id"]]
    # inactive_days: the latest contact first, leads never contacted after
    assert found_ids(api, {"sort_by": "inactive_days"}) == [lead["id"], quiet["id"]]

    calls = api.post(
        "/activities/search",
        {
            "parent": {"type": "lead", "id": lead["id"]},
            "activity_types": [{"category": "user", "id": call}],
        },
    ).json()
    assert [a["activity_date"] for a in calls] == [1_700_300_000, 1_700_200_000, 1_700_000_000]
    assert api.delete(f"/activities/{calls[0]['id']}").json() == {
        "id": calls[0]["id"],
        "is_deleted": True,
    }
    assert interactions(api, lead["id"]) == (2, 1_700_200_000)
    assert found_ids(api, {"minimum_interaction_count": 3}) == []
    assert found_ids(api, {"minimum_interaction_count": 2}) == [lead["id"]]


def test_updates_recount_both_leads(api: Api) -> None:
    call, meeting = user_type(api, "Phone Call"), user_type(api, "Meeting")
    first, second = api.create_lead(name="First"), api.create_lead(name="Second")
    logged = log(api, first["id"], call, "call", 1_700_000_000)
    log(api, first["id"], meeting, "meeting", 1_600_000_000)
    assert interactions(api, first["id"]) == (2, 1_700_000_000)
    path = f"/activities/{logged['id']}"
    moved = api.put(path, {"activity_date": 1_500_000_000}).json()
    assert list(moved) == ACTIVITY_KEYS and moved["details"] == "call"
    assert interactions(api, first["id"]) == (2, 1_600_000_000)
    # a call turned into a note no longer counts
    api.put(path, {"type": {"category": "user", "id": 0}})
    assert interactions(api, first["id"]) == (1, 1_600_000_000)
    # back to a call, on the other lead: both leads recounted
    to_second = {"type": "lead", "id": second["id"]}
    api.put(path, {"type": {"category": "user", "id": call}, "parent": to_second})
    assert interactions(api, first["id"]) == (1, 1_600_000_000)
    assert interactions(api, second["id"]) == (1, 1_500_000_000)
    # lead updates keep the interaction fields
    api.put(f"/leads/{second['id']}", {"title": "CTO"})
    assert interactions(api, second["id"]) == (1, 1_500_000_000)


def test_read_update_delete_and_stubs(api: Api) -> None:
    lead = api.create_lead(name="Timeline")
    note = log(api, lead["id"], 0, "first words")
    assert list(note) == ACTIVITY_KEYS
    assert note["user_id"] == api.principal.user_id
    assert note["parent"] == {"id": lead["id"], "type": "lead"}
    assert api.get(f"/activities/{note['id']}").json() == note
    changed = api.put(f"/activities/{note['id']}", {"details": "better words"}).json()
    assert changed["details"] == "better words" and changed["date_created"] == note["date_created"]
    assert api.delete(f"/activities/{note['id']}").status_code == 200
    # Copper: a deleted activity reads as the delete's stub and cannot be modified
    assert api.get(f"/activities/{note['id']}").json() == {"id": note["id"], "is_deleted": True}
    assert api.delete(f"/activities/{note['id']}").json() == {"id": note["id"], "is_deleted": True}
    assert api.put(f"/activities/{note['id']}", {"details": "again"}).status_code == 404
    assert all(a["id"] != note["id"] for a in api.post("/activities/search", {}).json())
    listed = api.post(f"/leads/{lead['id']}/activities", {}).json()
    assert [a["type"]["category"] for a in listed] == ["system"]


def test_user_and_system_entries_listed_together_newest_first(api: Api) -> None:
    lead = api.create_lead(name="Both")
    log(api, lead["id"], 0, "older note", 1_000)
    log(api, lead["id"], 0, "future note", 4_000_000_000)
    api.put(f"/leads/{lead['id']}", {"status": "Contacted"})
    listed = api.post(f"/leads/{lead['id']}/activities", {}).json()
    assert [(a["type"]["category"], a["details"]) for a in listed] == [
        ("user", "future note"),
        ("system", None),
        ("system", None),
        ("user", "older note"),
    ]
    only_user = api.post(
        f"/leads/{lead['id']}/activities", {"activity_types": [{"category": "user", "id": 0}]}
    ).json()
    assert len(only_user) == 2


def test_activities_on_people_companies_and_opportunities(api: Api) -> None:
    lead = api.create_lead(name="Ada Convert", company_name="Engines Ltd")
    made = api.post(
        f"/leads/{lead['id']}/convert",
        {"details": {"company": {"name": "Engines Ltd"}, "opportunity": {"name": "Deal"}}},
    ).json()
    call = user_type(api, "Phone Call")
    for kind in ("person", "company", "opportunity"):
        body = {
            "parent": {"type": kind, "id": made[kind]["id"]},
            "type": {"category": "user", "id": call},
            "details": f"call about the {kind}",
        }
        created = api.post("/activities", body)
        assert created.status_code == 200, created.text
        assert created.json()["parent"] == {"id": made[kind]["id"], "type": kind}
        search = api.post("/activities/search", {"parent": {"type": kind, "id": made[kind]["id"]}})
        assert search.headers["X-PW-TOTAL"] == "1"


def test_search_filters_paging_and_total(api: Api) -> None:
    call = user_type(api, "Phone Call")
    lead = api.create_lead(name="Searched")  # one system entry
    for day in range(1, 6):
        log(api, lead["id"], call, f"call {day}", day * 86_400)
    everything = api.post("/activities/search", {})
    assert everything.headers["X-PW-TOTAL"] == "6"
    page = api.post("/activities/search", {"page_size": 2, "page_number": 2})
    assert [a["details"] for a in page.json()] == ["call 4", "call 3"]
    assert page.headers["X-PW-TOTAL"] == "6"
    calls = {"activity_types": [{"category": "user", "id": call}]}
    assert api.post("/activities/search", calls).headers["X-PW-TOTAL"] == "5"
    system = {"activity_types": [{"category": "system", "id": 1}]}
    assert api.post("/activities/search", system).headers["X-PW-TOTAL"] == "1"
    window = {"minimum_activity_date": 2 * 86_400, "maximum_activity_date": 3 * 86_400}
    assert [a["details"] for a in api.post("/activities/search", window).json()] == [
        "call 3",
        "call 2",
    ]
    assert api.post("/activities/search", {"full_result": True}).status_code == 200


def test_bulk_create_fails_only_the_bad_item(api: Api, store: Store) -> None:
    lead = api.create_lead(name="Bulk")
    call = user_type(api, "Phone Call")
    good = {
        "parent": {"type": "lead", "id": lead["id"]},
        "type": {"category": "user", "id": call},
        "details": "bulk call",
    }
    items: list[Any] = [{**good, "activity_date": 1_000 + i} for i in range(10)]
    items[6] = {**good, "type": {"category": "user", "id": 987654}}
    before = rows(store, "activities")
    results = api.post("/activities/bulk_create", {"activities": items}).json()
    assert len(results) == 10
    assert results[6] == {"success": False, "message": {"type": [{"error": "not_found"}]}}
    ok = [r for i, r in enumerate(results) if i != 6]
    assert all(list(r) == ACTIVITY_KEYS for r in ok)
    assert [r["activity_date"] for r in ok] == [1_000 + i for i in range(10) if i != 6]
    assert rows(store, "activities") == before + 9
    assert interactions(api, lead["id"]) == (9, 1_009)

    too_many = api.post("/activities/bulk_create", {"activities": [good] * 11})
    assert too_many.status_code == 422
    assert too_many.json() == {"error": "Request size too large, limit is 10"}
    assert api.post("/activities/bulk_create", {"activities": "x"}).status_code == 400
    assert rows(store, "activities") == before + 9


def test_another_accounts_key_gets_404(api: Api, other_api: Api) -> None:
    lead = api.create_lead(name="Private")
    call = log(api, lead["id"], user_type(api, "Phone Call"), "mine")
    path = f"/activities/{call['id']}"
    assert other_api.get(path).status_code == 404
    assert other_api.put(path, {"details": "theirs"}).status_code == 404
    assert other_api.delete(path).status_code == 404
    assert other_api.post(f"/leads/{lead['id']}/activities", {}).status_code == 404
    # their parent does not exist in this account; their search does not see mine
    foreign = {
        "parent": {"type": "lead", "id": lead["id"]},
        "type": {"category": "user", "id": 0},
        "details": "x",
    }
    refused = other_api.post("/activities", foreign)
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"parent": [{"error": "not_found"}]}
    bulk = other_api.post("/activities/bulk_create", {"activities": [foreign]}).json()
    assert bulk == [{"success": False, "message": {"parent": [{"error": "not_found"}]}}]
    search = other_api.post("/activities/search", {"parent": {"type": "lead", "id": lead["id"]}})
    assert search.json() == [] and search.headers["X-PW-TOTAL"] == "0"
    assert api.get(path).json()["details"] == "mine"
    assert interactions(api, lead["id"]) == (1, call["activity_date"])


def test_bad_input_is_refused_and_writes_nothing(api: Api, store: Store) -> None:
    lead = api.create_lead(name="Strict")
    system_entry = api.post(f"/leads/{lead['id']}/activities", {}).json()[0]
    before = rows(store, "activities")
    on_lead = {"type": "lead", "id": lead["id"]}
    note = {"category": "user", "id": 0}
    ok = {"parent": on_lead, "type": note, "details": "x"}
    cases: list[tuple[Any, dict[str, str]]] = [
        ({}, {"parent": "blank", "type": "blank", "details": "blank"}),
        ({"parent": on_lead, "type": note}, {"details": "blank"}),
        ({**ok, "parent": "lead"}, {"parent": "invalid_type"}),
        ({**ok, "parent": {"type": "project", "id": 1}}, {"parent": "invalid"}),
        ({**ok, "parent": {"type": "lead", "id": "x"}}, {"parent": "invalid"}),
        ({**ok, "type": {"category": "system", "id": 1}}, {"type": "invalid"}),
        ({**ok, "type": {"category": "odd", "id": 0}}, {"type": "invalid"}),
        ({**ok, "details": 5}, {"details": "invalid_type"}),
        ({**ok, "details": "a\u0000b"}, {"details": "invalid"}),
        ({**ok, "activity_date": "soon"}, {"activity_date": "invalid_type"}),
        ({**ok, "user_id": 99999}, {"user_id": "not_found"}),
        ({**ok, "parent": {"type": "lead", "id": 99999}}, {"parent": "not_found"}),
    ]
    for body, errors in cases:
        response = api.post("/activities", body)
        assert response.status_code == 422, (body, response.text)
        answer = response.json()
        assert answer["success"] is False and answer["status"] == 422
        assert answer["message"].startswith("Invalid input: Validation errors: ")
        assert {f: e[0]["error"] for f, e in answer["errors"].items()} == errors, body
    assert api.post("/activities", [1]).status_code == 400
    # system entries are read-only
    path = f"/activities/{system_entry['id']}"
    assert api.put(path, {"details": "x"}).status_code == 422
    assert api.delete(path).status_code == 422
    # searches
    for body in (
        {"sort_by": "activity_date"},
        {"page_size": 201},
        {"page_number": 0},
        {"minimum_activity_date": "x"},
        {"activity_types": [{"category": "user"}]},
        {"parent": {"type": "lead"}},
        {"full_result": "yes"},
    ):
        assert api.post("/activities/search", body).status_code == 422, body
    assert api.get("/activities/99999").status_code == 404
    assert rows(store, "activities") == before
    assert api.get(path).json() == system_entry


def test_every_activity_write_is_a_change(api: Api, services: Services) -> None:
    seen: list[tuple[str, str, int]] = []

    def observer(tx: StoreTx, change: Change) -> None:
        seen.append((change.entity, change.event, change.record_id))

    services.observe(observer)
    lead = api.create_lead(name="Watched")
    seen.clear()
    who = api.principal
    body = {
        "parent": {"type": "lead", "id": lead["id"]},
        "type": {"category": "user", "id": 0},
        "details": "note",
    }
    made = services.create_activity(who, body)
    services.update_activity(who, made.id, {"details": "edited"})
    services.delete_activity(who, made.id)
    bulk = services.bulk_create_activities(who, {"activities": [body, {}]})
    created = [r for r in bulk if isinstance(r, Activity)]
    assert seen == [
        ("activity", "new", made.id),
        ("activity", "update", made.id),
        ("activity", "delete", made.id),
        ("activity", "new", created[0].id),
    ]


def test_rate_limits_apply(store: Store, services: Services) -> None:
    with TestClient(create_app(Settings(rate_limit_per_minute=4), store=store)) as client:
        api = make_api(client, services, "rl-act@example.com", "RLA")
        codes = [api.get("/activity_types").status_code for _ in range(3)]
        codes += [api.post("/activities/search", {}).status_code for _ in range(2)]
        assert codes == [200, 200, 200, 200, 429]
    with TestClient(create_app(Settings(), store=store)) as client:
        api = make_api(client, services, "rl-bulk@example.com", "RLB")
        bulk = [api.post("/activities/bulk_create", {"activities": []}) for _ in range(4)]
        assert [r.status_code for r in bulk] == [200, 200, 200, 429]
