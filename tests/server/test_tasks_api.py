"""Tasks, a lead's related items and the account's tags over HTTP, on both engines
(issue 16): Copper's task resource field by field, search paging and X-PW-TOTAL, the
lead <-> task relation from either side, GET /tags, isolation, bad input, rate limits
and the changes every task write reports."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Api, make_api
from verdigris.config import Settings
from verdigris.server.app import create_app
from verdigris.services import Services
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore

TASK_KEYS = [
    "id",
    "name",
    "related_resource",
    "assignee_id",
    "due_date",
    "reminder_date",
    "completed_date",
    "priority",
    "status",
    "details",
    "tags",
    "custom_fields",
    "date_created",
    "date_modified",
]


def create_task(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post("/tasks", {"name": "Call back", **fields})
    assert response.status_code == 200, response.text
    return dict(response.json())


def task_rows(store: Store) -> int:
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM tasks").scalar_one())


# --- the task resource -------------------------------------------------------------------


def test_create_read_update_delete(api: Api) -> None:
    created = create_task(api, due_date=1496799000, details="Ring twice", tags=["VIP", "vip "])
    assert list(created) == TASK_KEYS
    assert created["related_resource"] == {"id": None, "type": None}
    assert created["assignee_id"] == api.principal.user_id  # the caller, when not sent
    assert created["priority"] == "None" and created["status"] == "Open"
    assert created["tags"] == ["VIP", "vip"]
    assert created["custom_fields"] == []
    task_id = created["id"]

    fetched = api.get(f"/tasks/{task_id}").json()
    assert fetched == created

    updated = api.put(f"/tasks/{task_id}", {"details": "This is an update", "priority": "High"})
    assert updated.status_code == 200
    body = updated.json()
    assert body["details"] == "This is an update" and body["priority"] == "High"
    assert body["due_date"] == 1496799000  # unsent keys keep their values

    # an empty body changes nothing
    assert api.put(f"/tasks/{task_id}", {}).json() == body
    # null clears a field
    assert api.put(f"/tasks/{task_id}", {"due_date": None}).json()["due_date"] is None

    assert api.delete(f"/tasks/{task_id}").json() == {"id": task_id, "is_deleted": True}
    assert api.get(f"/tasks/{task_id}").status_code == 404
    assert api.delete(f"/tasks/{task_id}").status_code == 404


def test_completing_sets_completed_date_and_reopening_clears_it(api: Api) -> None:
    task = create_task(api)
    done = api.put(f"/tasks/{task['id']}", {"status": "Completed"}).json()
    assert done["status"] == "Completed" and isinstance(done["completed_date"], int)
    reopened = api.put(f"/tasks/{task['id']}", {"status": "Open"}).json()
    assert reopened["completed_date"] is None
    told = api.put(f"/tasks/{task['id']}", {"status": "Completed", "completed_date": 1500000000})
    assert told.json()["completed_date"] == 1500000000


def test_dates_take_unix_seconds_or_copper_us_dates(api: Api) -> None:
    task = create_task(api, due_date="06/07/2017", reminder_date=1496790000)
    assert task["due_date"] == 1496793600
    assert task["reminder_date"] == 1496790000


def test_custom_fields_available_on_tasks(api: Api) -> None:
    on_tasks = api.post(
        "/custom_field_definitions",
        {"name": "Effort", "data_type": "Float", "available_on": ["task"]},
    ).json()["id"]
    on_leads = api.post(
        "/custom_field_definitions",
        {"name": "Height", "data_type": "String", "available_on": ["lead"]},
    ).json()["id"]
    task = create_task(api, custom_fields=[{"custom_field_definition_id": on_tasks, "value": 3}])
    assert task["custom_fields"] == [{"custom_field_definition_id": on_tasks, "value": 3}]
    computed = api.get(f"/tasks/{task['id']}?custom_field_computed_values=true").json()
    assert computed["custom_fields"][0]["computed_value"] == 3

    response = api.post(
        "/tasks",
        {"name": "x", "custom_fields": [{"custom_field_definition_id": on_leads, "value": "a"}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"custom_fields": [{"error": "not_on_tasks"}]}
    bad = api.post(
        "/tasks",
        {"name": "x", "custom_fields": [{"custom_field_definition_id": on_tasks, "value": "a"}]},
    )
    assert bad.status_code == 422
    assert "Effort" in bad.json()["message"]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "name", "blank"),
        ({"name": "  "}, "name", "blank"),
        ({"name": 12}, "name", "invalid_type"),
        ({"name": "x" * 256}, "name", "too_long"),
        ({"name": "x", "priority": "Low"}, "priority", "invalid"),
        ({"name": "x", "status": "Done"}, "status", "invalid"),
        ({"name": "x", "due_date": "tomorrow"}, "due_date", "invalid"),
        ({"name": "x", "assignee_id": 999999}, "assignee_id", "not_found"),
        ({"name": "x", "assignee_id": "me"}, "assignee_id", "invalid_type"),
        ({"name": "x", "tags": "vip"}, "tags", "invalid_type"),
        (
            {"name": "x", "related_resource": {"id": 1, "type": "planet"}},
            "related_resource",
            "invalid",
        ),
        (
            {"name": "x", "related_resource": {"id": 999, "type": "lead"}},
            "related_resource",
            "not_found",
        ),
        (
            {"name": "x", "related_resource": {"id": 1, "type": "project"}},
            "related_resource",
            "not_found",
        ),
        ({"name": "x", "related_resource": "lead"}, "related_resource", "invalid_type"),
    ],
)
def test_bad_input_is_refused_whole(
    api: Api, store: Store, body: dict[str, Any], field: str, code: str
) -> None:
    response = api.post("/tasks", body)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["success"] is False and answer["status"] == 422
    assert answer["message"].startswith("Invalid input: Validation errors: ")
    assert answer["errors"][field] == [{"error": code}]
    assert task_rows(store) == 0


def test_a_failed_update_writes_nothing(api: Api) -> None:
    task = create_task(api, details="kept")
    response = api.put(f"/tasks/{task['id']}", {"details": "lost", "status": "Nope"})
    assert response.status_code == 422
    assert api.get(f"/tasks/{task['id']}").json() == task


def test_body_that_is_not_an_object_is_400(api: Api) -> None:
    assert api.post("/tasks", [1, 2]).status_code == 400
    assert api.post("/tasks/search", [1]).status_code == 400


# --- search ----------------------------------------------------------------------------------


def test_search_pages_sorts_filters_and_totals(api: Api) -> None:
    ids = [
        create_task(api, name=f"Task {i}", due_date=1_500_000_000 + 10 * (5 - i))["id"]
        for i in range(5)
    ]
    create_task(api, name="No due date")
    page = api.post("/tasks/search", {"page_size": 2})
    assert page.status_code == 200
    assert page.headers["X-PW-TOTAL"] == "6"
    # Copper's default sort: due_date ascending (tasks without one come last)
    assert [t["id"] for t in page.json()] == [ids[4], ids[3]]
    last = api.post("/tasks/search", {"page_size": 2, "page_number": 3}).json()
    assert [t["name"] for t in last] == ["Task 0", "No due date"]
    # descending, a task without a due date (due at the end of time) comes first
    newest_first = api.post("/tasks/search", {"sort_direction": "desc", "page_size": 2}).json()
    assert [t["name"] for t in newest_first] == ["No due date", "Task 0"]
    by_name = api.post("/tasks/search", {"sort_by": "name", "sort_direction": "desc"}).json()
    assert by_name[0]["name"] == "Task 4" and by_name[-1]["name"] == "No due date"

    window = api.post(
        "/tasks/search", {"minimum_due_date": 1_500_000_010, "maximum_due_date": 1_500_000_030}
    )
    assert window.headers["X-PW-TOTAL"] == "3"
    assert api.post("/tasks/search", {"ids": ids[:2]}).headers["X-PW-TOTAL"] == "2"


def test_search_filters_status_assignee_tags_followed(api: Api) -> None:
    open_task = create_task(api, tags=["Hot"])
    done = create_task(api, status="Completed", assignee_id=None)
    assert [t["id"] for t in api.post("/tasks/search", {"statuses": ["Completed"]}).json()] == [
        done["id"]
    ]
    none = api.post("/tasks/search", {"assignee_ids": [-2]}).json()
    assert [t["id"] for t in none] == [done["id"]]
    mine = api.post("/tasks/search", {"assignee_ids": [api.principal.user_id]}).json()
    assert [t["id"] for t in mine] == [open_task["id"]]
    assert [t["id"] for t in api.post("/tasks/search", {"tags": ["hot"]}).json()] == [
        open_task["id"]
    ]
    assert [t["id"] for t in api.post("/tasks/search", {"tags": []}).json()] == [done["id"]]
    assert api.post("/tasks/search", {"followed": 1}).headers["X-PW-TOTAL"] == "0"
    assert api.post("/tasks/search", {"followed": 2}).headers["X-PW-TOTAL"] == "2"
    assert api.post("/tasks/search", {"project_ids": [-2]}).headers["X-PW-TOTAL"] == "2"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"page_size": 201}, "page_size"),
        ({"page_number": 0}, "page_number"),
        ({"sort_by": "colour"}, "sort_by"),
        ({"sort_direction": "up"}, "sort_direction"),
        ({"statuses": ["Done"]}, "statuses"),
        ({"assignee_ids": ["x"]}, "assignee_ids"),
        ({"ids": list(range(1001))}, "ids"),
        ({"minimum_due_date": "soon"}, "minimum_due_date"),
        ({"followed": 3}, "followed"),
        ({"pageSize": 3}, "base"),
        ({"custom_fields": [{"custom_field_definition_id": 1, "value": 1}]}, "custom_fields"),
    ],
)
def test_search_bad_parameters(api: Api, body: dict[str, Any], field: str) -> None:
    response = api.post("/tasks/search", body)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"]


# --- related items -----------------------------------------------------------------------------


def test_relate_list_and_unrelate_a_task_and_a_lead(api: Api) -> None:
    lead = api.create_lead(name="Ada")
    task = create_task(api)
    body = {"resource": {"id": task["id"], "type": "task"}}
    related = api.post(f"/leads/{lead['id']}/related", body)
    assert related.status_code == 200
    assert related.json() == {"resource": {"id": task["id"], "type": "task"}}
    # the same relation, seen from the task
    fetched = api.get(f"/tasks/{task['id']}").json()
    assert fetched["related_resource"] == {"id": lead["id"], "type": "lead"}
    assert api.get(f"/leads/{lead['id']}/related").json() == [{"id": task["id"], "type": "task"}]
    assert api.get(f"/leads/{lead['id']}/related/tasks").json() == [
        {"id": task["id"], "type": "task"}
    ]
    # relating again changes nothing
    assert api.post(f"/leads/{lead['id']}/related", body).status_code == 200

    removed = api.request("DELETE", f"/leads/{lead['id']}/related", json=body)
    assert removed.status_code == 200
    assert removed.json() == {"removed": True, "resource": {"id": task["id"], "type": "task"}}
    assert api.get(f"/leads/{lead['id']}/related").json() == []
    assert api.get(f"/tasks/{task['id']}").json()["related_resource"] == {"id": None, "type": None}
    # removing a relation that is not there
    assert api.request("DELETE", f"/leads/{lead['id']}/related", json=body).status_code == 404


def test_task_created_with_a_lead_is_related_to_it(api: Api) -> None:
    lead = api.create_lead(name="Ada")
    task = create_task(api, related_resource={"id": lead["id"], "type": "lead"})
    assert api.get(f"/leads/{lead['id']}/related").json() == [{"id": task["id"], "type": "task"}]
    moved = api.put(f"/tasks/{task['id']}", {"related_resource": None}).json()
    assert moved["related_resource"] == {"id": None, "type": None}
    assert api.get(f"/leads/{lead['id']}/related").json() == []


def test_a_task_relates_to_one_record_at_most(api: Api) -> None:
    first = api.create_lead(name="Ada")
    second = api.create_lead(name="Grace")
    task = create_task(api, related_resource={"id": first["id"], "type": "lead"})
    response = api.post(
        f"/leads/{second['id']}/related", {"resource": {"id": task["id"], "type": "task"}}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"resource": [{"error": "invalid"}]}
    assert api.get(f"/tasks/{task['id']}").json()["related_resource"]["id"] == first["id"]


@pytest.mark.parametrize(
    "body",
    [
        {"resource": {"id": 1, "type": "person"}},
        {"resource": {"id": "x", "type": "task"}},
        {"resource": "task"},
        {},
    ],
)
def test_a_lead_relates_to_tasks_only(api: Api, body: dict[str, Any]) -> None:
    lead = api.create_lead(name="Ada")
    response = api.post(f"/leads/{lead['id']}/related", body)
    assert response.status_code == 422, response.text
    assert "resource" in response.json()["errors"]


def test_relating_unknown_records_is_404(api: Api) -> None:
    lead = api.create_lead(name="Ada")
    task = create_task(api)
    assert (
        api.post(f"/leads/{lead['id']}/related", {"resource": {"id": 999, "type": "task"}})
    ).status_code == 404
    assert (
        api.post("/leads/999/related", {"resource": {"id": task["id"], "type": "task"}})
    ).status_code == 404
    assert api.get("/leads/999/related").status_code == 404
    assert api.get("/leads/999/related/tasks").status_code == 404


def test_deleting_a_lead_removes_its_relations_and_keeps_its_tasks(api: Api) -> None:
    lead = api.create_lead(name="Ada")
    task = create_task(api, related_resource={"id": lead["id"], "type": "lead"})
    assert api.delete(f"/leads/{lead['id']}").status_code == 200
    kept = api.get(f"/tasks/{task['id']}")
    assert kept.status_code == 200
    assert kept.json()["related_resource"] == {"id": None, "type": None}


# --- tags --------------------------------------------------------------------------------------


def test_tags_count_leads_and_tasks(api: Api, other_api: Api) -> None:
    api.create_lead(name="Ada", tags=["VIP", "engines"])
    api.create_lead(name="Grace", tags=["vip"])
    create_task(api, tags=["vip", "follow-up"])
    other_api.create_lead(name="Bob", tags=["vip", "secret"])
    response = api.get("/tags")
    assert response.status_code == 200
    assert response.json() == [
        {"name": "engines", "count": 1},
        {"name": "follow-up", "count": 1},
        {"name": "vip", "count": 3},
    ]


# --- isolation, limits, changes ----------------------------------------------------------


def test_another_account_gets_404_on_every_route(api: Api, other_api: Api) -> None:
    lead = api.create_lead(name="Ada")
    task = create_task(api)
    theirs = create_task(other_api)
    resource = {"resource": {"id": task["id"], "type": "task"}}
    assert other_api.get(f"/tasks/{task['id']}").status_code == 404
    assert other_api.put(f"/tasks/{task['id']}", {"name": "x"}).status_code == 404
    assert other_api.delete(f"/tasks/{task['id']}").status_code == 404
    assert other_api.get(f"/leads/{lead['id']}/related").status_code == 404
    assert other_api.get(f"/leads/{lead['id']}/related/tasks").status_code == 404
    assert other_api.post(f"/leads/{lead['id']}/related", resource).status_code == 404
    assert (
        other_api.request("DELETE", f"/leads/{lead['id']}/related", json=resource).status_code
        == 404
    )
    # their task cannot be related to my lead, from either side
    mine_theirs = {"resource": {"id": theirs["id"], "type": "task"}}
    assert other_api.post(f"/leads/{lead['id']}/related", mine_theirs).status_code == 404
    assert api.post(f"/leads/{lead['id']}/related", mine_theirs).status_code == 404
    pointed = other_api.put(
        f"/tasks/{theirs['id']}", {"related_resource": {"id": lead["id"], "type": "lead"}}
    )
    assert pointed.status_code == 422
    assert pointed.json()["errors"] == {"related_resource": [{"error": "not_found"}]}
    assert other_api.post("/tasks/search", {}).headers["X-PW-TOTAL"] == "1"
    assert other_api.get("/tags").json() == []
    assert api.get(f"/tasks/{task['id']}").json() == task


def test_every_route_needs_credentials(api: Api) -> None:
    for method, path in [
        ("POST", "/tasks"),
        ("GET", "/tasks/1"),
        ("POST", "/tasks/search"),
        ("GET", "/leads/1/related"),
        ("GET", "/tags"),
    ]:
        response = api.client.request(method, "/developer_api/v1" + path)
        assert response.status_code == 401


def test_rate_limits_apply(store: Store, services: Services) -> None:
    with TestClient(create_app(Settings(rate_limit_per_minute=3), store=store)) as client:
        api = make_api(client, services, "tasks-rl@example.com", "RL")
        codes = [api.post("/tasks/search", {}).status_code for _ in range(3)]
        codes.append(api.get("/tags").status_code)
        assert codes == [200, 200, 200, 429]
