"""Lead history over HTTP (issue 19): versions, diff, restore, deleted leads, the request
context, retention; both engines."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import Api
from verdigris.services import Services
from verdigris.store.base import Store

EXT = "/verdigris/v1"

LEAD = {
    "name": "Ada Lovelace",
    "email": {"email": "ada@example.com", "category": "work"},
    "title": "Countess",
    "tags": ["vip"],
    "phone_numbers": [{"number": "+1 408 555 1234", "category": "mobile"}],
    "monetary_value": 1500,
}


def ext(api: Api, method: str, path: str, json: Any = None, **kw: Any) -> httpx.Response:
    headers = {**api.headers, **kw.pop("headers", {})}
    response: Any = api.client.request(method, EXT + path, json=json, headers=headers, **kw)
    return response  # type: ignore[no-any-return]


def upsert(api: Api, properties: dict[str, Any], **kw: Any) -> httpx.Response:
    match = {"field_name": "email", "field_value": "ada@example.com"}
    return api.put("/leads/upsert", {"properties": properties, "match": match}, **kw)


def _undated(body: bytes) -> bytes:
    return re.sub(rb'"date_modified":\d+', b'"date_modified":0', body)


def test_upsert_then_restore_the_previous_version(api: Api) -> None:
    created = upsert(api, LEAD)
    assert created.headers["X-Verdigris-Upsert"] == "created"
    lead_id = created.json()["id"]
    assert created.headers["X-Verdigris-Lead-Id"] == str(lead_id)
    before = api.get(f"/leads/{lead_id}").content
    changed = upsert(api, {"title": "Programmer", "tags": ["engines"], "monetary_value": 9})
    assert changed.status_code == 200
    assert changed.headers["X-Verdigris-Upsert"] == "updated"
    assert changed.headers["X-Verdigris-Lead-Id"] == str(lead_id)

    versions = ext(api, "GET", f"/leads/{lead_id}/versions").json()
    assert [v["version"] for v in versions] == [2, 1]
    assert [v["event"] for v in versions] == ["update", "new"]
    assert versions[0]["route"] == "PUT /developer_api/v1/leads/upsert"
    assert versions[0]["request_id"] == changed.headers["X-Verdigris-Request-Id"]
    assert versions[0]["user_id"] == api.principal.user_id
    assert versions[1]["lead"]["title"] == "Countess"
    one = ext(api, "GET", f"/leads/{lead_id}/versions/1")
    assert one.json() == versions[1]

    diff = ext(api, "GET", f"/leads/{lead_id}/diff?from=1&to=2").json()
    assert diff["lead_id"] == lead_id
    assert [c["field"] for c in diff["changes"]] == ["monetary_value", "tags", "title"]
    assert diff["changes"][2] == {"field": "title", "before": "Countess", "after": "Programmer"}

    restored = ext(api, "POST", f"/leads/{lead_id}/versions/1/restore")
    assert restored.status_code == 200, restored.text
    after = api.get(f"/leads/{lead_id}").content
    assert _undated(after) == _undated(before)
    assert restored.content == after
    versions = ext(api, "GET", f"/leads/{lead_id}/versions").json()
    newest = versions[0]
    assert (newest["version"], newest["event"], newest["cause"]) == (3, "restore", "restore")
    # paging back through the versions
    older = ext(api, "GET", f"/leads/{lead_id}/versions?before=3&limit=1").json()
    assert [v["version"] for v in older] == [2]


def test_delete_and_restore_keeps_the_id(api: Api) -> None:
    lead = api.create_lead(**LEAD)
    other = api.create_lead(name="Grace Hopper")
    before = api.get(f"/leads/{lead['id']}").content
    assert api.delete(f"/leads/{lead['id']}").status_code == 200
    deleted = ext(api, "GET", "/leads/deleted").json()
    assert [(d["lead"]["id"], d["event"]) for d in deleted] == [(lead["id"], "delete")]
    restored = ext(api, "POST", f"/leads/{lead['id']}/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["id"] == lead["id"]
    assert _undated(api.get(f"/leads/{lead['id']}").content) == _undated(before)
    assert ext(api, "GET", "/leads/deleted").json() == []
    # a lead that exists is not restored as deleted; ids are never reused
    again = ext(api, "POST", f"/leads/{lead['id']}/restore")
    assert again.status_code == 422
    assert api.create_lead(name="New")["id"] > other["id"]
    # the restored lead matches an upsert again (search rows and keys came back)
    assert upsert(api, {"title": "Again"}).headers["X-Verdigris-Upsert"] == "updated"


def test_every_kind_of_lead_write_is_a_version(api: Api) -> None:
    lead = api.create_lead(name="One")
    api.put(f"/leads/{lead['id']}", {"title": "T"})
    api.post("/leads/bulk_update", {"leads": [{"id": lead["id"], "title": "U"}]})
    made = api.post("/leads/bulk_create", {"leads": [{"name": "Two"}, {"email": "bad"}]})
    assert made.headers["X-Verdigris-Results"] == "created,failed"
    items = [{"id": lead["id"]}, {"id": 999999}, {"id": lead["id"], "email": "bad"}]
    updated = api.post("/leads/bulk_update", {"leads": items})
    assert updated.headers["X-Verdigris-Results"] == "updated,failed,failed"
    converted = api.post(f"/leads/{lead['id']}/convert", {"details": {}})
    assert converted.status_code == 200, converted.text
    events = [
        (v["event"], v["cause"], v["route"].split(" ")[1])
        for v in ext(api, "GET", f"/leads/{lead['id']}/versions").json()
    ]
    assert events == [
        ("update", "convert", "/developer_api/v1/leads/{id}/convert"),
        ("update", None, "/developer_api/v1/leads/bulk_update"),
        ("update", None, "/developer_api/v1/leads/{id}"),
        ("new", None, "/developer_api/v1/leads"),
    ]
    two = made.json()[0]["id"]
    assert len(ext(api, "GET", f"/leads/{two}/versions").json()) == 1
    # a converted lead cannot be restored
    assert ext(api, "POST", f"/leads/{lead['id']}/versions/1/restore").status_code == 422


def test_a_lead_older_than_its_history_gets_a_baseline(
    api: Api, services: Services, store: Store
) -> None:
    shown = services.create_lead(api.principal, {"name": "Old"})  # no observer: no version
    assert ext(api, "GET", f"/leads/{shown.lead.id}/versions").status_code == 404
    api.put(f"/leads/{shown.lead.id}", {"title": "New"})
    versions = ext(api, "GET", f"/leads/{shown.lead.id}/versions").json()
    assert [(v["version"], v["event"], v["lead"]["title"]) for v in versions] == [
        (2, "update", "New"),
        (1, "baseline", None),
    ]
    assert versions[1]["route"] is None and versions[1]["user_id"] is None


def test_account_isolation_and_bad_input(api: Api, other_api: Api) -> None:
    lead = api.create_lead(name="Mine")
    api.delete(f"/leads/{lead['id']}")
    for method, path in (
        ("GET", f"/leads/{lead['id']}/versions"),
        ("GET", f"/leads/{lead['id']}/versions/1"),
        ("GET", f"/leads/{lead['id']}/diff?from=1&to=2"),
        ("POST", f"/leads/{lead['id']}/versions/1/restore"),
        ("POST", f"/leads/{lead['id']}/restore"),
    ):
        answer = ext(other_api, method, path)
        assert answer.status_code == 404, (method, path)
        assert answer.json() == {"success": False, "status": 404, "message": "Resource not found"}
    assert ext(other_api, "GET", "/leads/deleted").json() == []
    bad = ext(api, "GET", f"/leads/{lead['id']}/versions?limit=0")
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"limit": [{"error": "invalid"}]}
    assert ext(api, "GET", f"/leads/{lead['id']}/diff?from=1").status_code == 422
    assert ext(api, "GET", f"/leads/{lead['id']}/versions/7").status_code == 404
    unauth = api.client.get(EXT + f"/leads/{lead['id']}/versions")
    assert unauth.status_code == 401
    # the history of the deleted lead is still there
    assert len(ext(api, "GET", f"/leads/{lead['id']}/versions").json()) == 2


def test_every_answer_has_a_request_id(api: Api) -> None:
    ok = api.get("/account")
    failed = api.get("/leads/999")
    ids = {ok.headers["X-Verdigris-Request-Id"], failed.headers["X-Verdigris-Request-Id"]}
    assert len(ids) == 2 and all(re.fullmatch("[0-9a-f]{16}", i) for i in ids)


def test_import_run_header_is_stored_and_checked(api: Api) -> None:
    made = upsert(api, LEAD, headers={"X-Verdigris-Import-Run": "run-1"})
    versions = ext(api, "GET", f"/leads/{made.json()['id']}/versions").json()
    assert versions[0]["import_run"] == "run-1"
    assert upsert(api, LEAD, headers={"X-Verdigris-Import-Run": "x" * 65}).status_code == 422


def test_retention_by_count_and_age(api: Api, services: Services) -> None:
    lead = api.create_lead(name="Kept")
    for n in range(5):
        api.put(f"/leads/{lead['id']}", {"title": f"t{n}"})
    assert services.prune_history(older_than=None, keep=2) == 4
    versions = ext(api, "GET", f"/leads/{lead['id']}/versions").json()
    assert [v["version"] for v in versions] == [6, 5]
    assert services.prune_history(older_than=services.clock() + 1, keep=None) == 2
    assert services.prune_history(older_than=None, keep=None) == 0
