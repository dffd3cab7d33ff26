"""Every error status and its JSON body."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Api
from verdigris.config import Settings
from verdigris.server.app import create_app
from verdigris.services import Services
from verdigris.store.base import Store


def _is_copper_error(response, status: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is False and body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    return dict(body)


def test_malformed_json_is_400(api: Api) -> None:
    response = api.post(
        "/leads", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    body = _is_copper_error(response, 400)
    assert "Malformed JSON" in body["message"]


def test_body_that_is_not_an_object_is_400(api: Api) -> None:
    _is_copper_error(api.post("/leads", [1, 2]), 400)


def test_unknown_id_is_404(api: Api) -> None:
    body = _is_copper_error(api.get("/leads/424242"), 404)
    assert body["message"] == "Resource not found"
    _is_copper_error(api.put("/leads/424242", {"name": "x"}), 404)
    _is_copper_error(api.delete("/leads/424242"), 404)


def test_unknown_path_and_non_numeric_id_are_json_404(api: Api) -> None:
    _is_copper_error(api.get("/nothing_here"), 404)
    _is_copper_error(api.get("/leads/abc"), 404)


def test_wrong_method_is_json_405(api: Api) -> None:
    _is_copper_error(api.request("PATCH", "/leads/1"), 405)


def test_body_over_limit_is_413(store: Store, services: Services) -> None:
    app = create_app(Settings(rate_limits=False, max_body_bytes=100), store=store)
    _, token = services.add_user("big@example.com")
    headers = {
        "X-PW-AccessToken": token,
        "X-PW-Application": "developer_api",
        "X-PW-UserEmail": "big@example.com",
    }
    with TestClient(app) as client:
        response = client.post("/developer_api/v1/leads", json={"name": "x" * 200}, headers=headers)
        _is_copper_error(response, 413)
        ok = client.post("/developer_api/v1/leads", json={"name": "small"}, headers=headers)
        assert ok.status_code == 200


def test_default_body_limit_is_one_mebibyte() -> None:
    assert Settings().max_body_bytes == 1024 * 1024


def test_internal_error_is_fixed_500_and_logged(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("secret detail")

    async def boom_on_loop(*args: object) -> None:  # PostgreSQL reads a lead on the loop
        boom()

    monkeypatch.setattr(Services, "get_lead", boom)
    monkeypatch.setattr(Services, "get_lead_on_loop", boom_on_loop)
    with caplog.at_level(logging.ERROR, logger="verdigris.errors"):
        response = api.get("/leads/1")
    assert response.status_code == 500
    assert response.json() == {"success": False, "status": 500, "message": "Internal server error"}
    assert "secret detail" not in response.text
    assert any(
        "secret detail" in r.getMessage() or (r.exc_info and "secret detail" in str(r.exc_info[1]))
        for r in caplog.records
    )


def test_openapi_describes_the_copper_endpoints(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    for path, method in [
        ("/developer_api/v1/leads", "post"),
        ("/developer_api/v1/leads/{id}", "get"),
        ("/developer_api/v1/leads/{id}", "put"),
        ("/developer_api/v1/leads/{id}", "delete"),
        ("/developer_api/v1/leads/upsert", "put"),
        ("/developer_api/v1/leads/bulk_update", "post"),
        ("/developer_api/v1/leads/bulk_create", "post"),
        ("/developer_api/v1/leads/{id}/convert", "post"),
        ("/developer_api/v1/leads/{id}/activities", "post"),
        ("/developer_api/v1/people/{id}", "delete"),
        ("/developer_api/v1/companies/{id}", "delete"),
        ("/developer_api/v1/pipelines", "get"),
    ]:
        assert method in paths[path], (path, method)
    lead = doc["components"]["schemas"]["LeadOut"]
    assert "custom_fields" in lead["properties"] and "status_id" in lead["properties"]
    assert "converted_at" in lead["properties"] and "converted_at" not in lead["required"]


def test_a_client_gone_before_its_body_is_logged_as_information_not_as_an_error(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that closes the connection while its body is on the way (wrk at the end
    of a run, a client's timeout) is not a server error: one INFO line, no traceback,
    and the lead it was sending is not created."""
    half: list[dict[str, Any]] = [
        {"type": "http.request", "body": b'{"name": "Half', "more_body": True},
        {"type": "http.disconnect"},
    ]
    with caplog.at_level(logging.INFO, logger="verdigris.errors"):
        sent = api.raw_post([(b"content-length", b"40")], half)
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors == [], [r.getMessage() for r in errors]
    assert any("closed the connection" in r.getMessage() for r in caplog.records)
    assert sent[0]["status"] == 499
    assert api.post("/leads/search", {}).json() == []
