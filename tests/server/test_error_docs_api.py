"""Real error responses carry a status and message that docs/errors.md documents together.

tests/test_error_docs.py compares the docs with the code; this runs requests (on SQLite and
PostgreSQL) and checks each answer against the "Messages" table and the status table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.test_error_docs import (
    documented_codes,
    documented_messages,
    documented_statuses,
    pattern,
)


def _documented_status(message: str) -> int:
    """The status the Messages table gives for ``message`` (the most specific row)."""
    rows = [(m, s) for m, s in documented_messages().items() if pattern(m).fullmatch(message)]
    assert rows, f"undocumented message: {message!r}"
    return max(rows, key=lambda row: len(row[0].replace("{}", "")))[1]


def _raw(api: Api, method: str, path: str, **kw: object) -> httpx.Response:
    # the TestClient answers with httpx2's Response where httpx2 is installed (same API)
    response: Any = api.client.request(method, "/developer_api/v1" + path, **kw)  # type: ignore[arg-type]
    return response  # type: ignore[no-any-return]


def _convert_twice(api: Api) -> httpx.Response:
    lead = api.create_lead(name="Once Only")
    api.post(f"/leads/{lead['id']}/convert", {"details": {"company": {"name": ""}}})
    return api.post(f"/leads/{lead['id']}/convert", {})


def _update_converted(api: Api) -> httpx.Response:
    lead = api.create_lead(name="Frozen Lead")
    api.post(f"/leads/{lead['id']}/convert", {"details": {"company": {"name": ""}}})
    return api.put(f"/leads/{lead['id']}", {"title": "x"})


def _ambiguous_upsert(api: Api) -> httpx.Response:
    api.create_lead(name="Twin")
    api.create_lead(name="Twin")
    match = {"field_name": "name", "field_value": "Twin"}
    return api.put("/leads/upsert", {"properties": {"title": "x"}, "match": match})


REQUESTS: dict[str, Callable[[Api], httpx.Response]] = {
    "malformed JSON": lambda api: api.post(
        "/leads", content=b"{", headers={"content-type": "application/json"}
    ),
    "body not an object": lambda api: api.post("/leads", [1]),
    "properties not an object": lambda api: api.put(
        "/leads/upsert", {"properties": 1, "match": {"field_name": "name", "field_value": "x"}}
    ),
    "search body not an object": lambda api: api.post("/leads/search", [1]),
    "bulk without leads": lambda api: api.post("/leads/bulk_update", {}),
    "convert details": lambda api: api.post(
        f"/leads/{api.create_lead(name='A B')['id']}/convert", {"details": 1}
    ),
    "activities body": lambda api: api.post(
        f"/leads/{api.create_lead(name='A B')['id']}/activities", [1]
    ),
    "no credentials": lambda api: _raw(api, "GET", "/leads/1"),
    "wrong application": lambda api: api.get(
        "/leads/1", headers={"X-PW-Application": "something_else"}
    ),
    "wrong key": lambda api: api.get("/leads/1", headers={"X-PW-AccessToken": "0" * 32}),
    "unknown lead": lambda api: api.get("/leads/999999999"),
    "unknown path": lambda api: api.get("/nothing_here"),
    "wrong method": lambda api: api.request("PATCH", "/leads/1"),
    "blank name": lambda api: api.post("/leads", {}),
    "name removed": lambda api: api.put(
        f"/leads/{api.create_lead(name='A B')['id']}", {"name": None}
    ),
    "bad page size": lambda api: api.post("/leads/search", {"page_size": 500}),
    "unknown search key": lambda api: api.post("/leads/search", {"pageSize": 5}),
    "ambiguous upsert": _ambiguous_upsert,
    "converted twice": _convert_twice,
    "converted lead changed": _update_converted,
}


@pytest.mark.parametrize("case", list(REQUESTS))
def test_error_answers_are_documented(api: Api, case: str) -> None:
    response = REQUESTS[case](api)
    assert response.status_code >= 400, response.text
    body = response.json()
    assert response.status_code in documented_statuses()
    message = body["message"]
    assert _documented_status(message) == response.status_code, message
    for field_errors in body.get("errors", {}).values():
        assert {e["error"] for e in field_errors} <= documented_codes()


def test_bulk_size_answer_is_documented(api: Api) -> None:
    response = api.post("/leads/bulk_create", {"leads": [{"name": f"L{i}"} for i in range(11)]})
    assert response.status_code == 422
    assert response.json() == {"error": "Request size too large, limit is 10"}
    assert _documented_status(response.json()["error"]) == 422
