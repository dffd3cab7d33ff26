"""Copper's /webhooks over HTTP, both engines: shapes, 422 bodies, the 100 cap,
account isolation, bad input, auth; and the extension routes' isolation."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Api
from verdigris.config import Settings
from verdigris.domain.webhooks import MAX_SUBSCRIPTIONS
from verdigris.server.app import create_app
from verdigris.store.base import Store
from verdigris.wire import catalogue

COPPER_CREATE = {
    "target": "https://your.endpoint.here",
    "type": "lead",
    "event": "update",
    "secret": {"secret": "hook_source", "key": "copper_notifications"},
    "headers": {"Authentication": "Bearer token"},
    "custom_field_computed_values": True,
}
KEYS = [
    "id",
    "target",
    "type",
    "event",
    "secret",
    "headers",
    "custom_field_computed_values",
    "created_at",
]


def create(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post("/webhooks", {**COPPER_CREATE, **fields})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_create_get_list_update_delete(api: Api) -> None:
    made = create(api)
    assert list(made) == KEYS
    assert {k: made[k] for k in KEYS[1:-1]} == {k: COPPER_CREATE[k] for k in KEYS[1:-1]}
    assert isinstance(made["created_at"], int)
    assert api.get(f"/webhooks/{made['id']}").json() == made
    second = create(api, type="person", event="new", secret=None, headers=None)
    assert second["secret"] is None and second["custom_field_computed_values"] is True
    assert [w["id"] for w in api.get("/webhooks").json()] == [made["id"], second["id"]]

    updated = api.put(f"/webhooks/{made['id']}", {"target": "https://other.example/hook"})
    assert updated.status_code == 200
    assert updated.json() == {**made, "target": "https://other.example/hook"}
    # type and event are not changed by an update (Copper lists the four others)
    same = api.put(f"/webhooks/{made['id']}", {"type": "task", "event": "delete"}).json()
    assert (same["type"], same["event"]) == ("lead", "update")

    deleted = api.delete(f"/webhooks/{made['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"id": made["id"]}
    assert api.get(f"/webhooks/{made['id']}").status_code == 404
    assert api.delete(f"/webhooks/{made['id']}").status_code == 404


def test_copper_types_and_events(api: Api) -> None:
    for kind in ("lead", "person", "company", "opportunity", "project", "task", "activity_log"):
        for event in ("new", "update", "delete"):
            assert api.post("/webhooks", {**COPPER_CREATE, "type": kind, "event": event}).is_success


@pytest.mark.parametrize(
    "target",
    [
        "http://hooks.example.com/x",  # Copper: https only
        "ftp://hooks.example.com/x",
        "not a url",
        "https://",
        "https://exa mple.com/",
        "https://example.com:99999/",
    ],
)
def test_a_target_copper_would_not_take_is_its_422(api: Api, target: str) -> None:
    response = api.post("/webhooks", {**COPPER_CREATE, "target": target})
    assert response.status_code == 422
    assert response.json() == {
        "success": False,
        "status": 422,
        "message": catalogue.WEBHOOK_TARGET_MESSAGE,
    }
    made = create(api)
    assert api.put(f"/webhooks/{made['id']}", {"target": target}).status_code == 422
    assert api.get(f"/webhooks/{made['id']}").json()["target"] == COPPER_CREATE["target"]


@pytest.mark.parametrize(
    "target", ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x"]
)
def test_http_on_loopback_is_accepted(api: Api, target: str) -> None:
    assert create(api, target=target)["target"] == target


@pytest.mark.parametrize(
    "target", ["https://10.1.2.3/x", "https://192.168.0.10/x", "https://169.254.169.254/x"]
)
def test_private_addresses_are_refused(api: Api, target: str) -> None:
    response = api.post("/webhooks", {**COPPER_CREATE, "target": target})
    assert response.status_code == 422
    assert response.json()["message"] == catalogue.WEBHOOK_PRIVATE_TARGET_MESSAGE


def test_the_allowlist_and_private_setting(store: Store, api: Api) -> None:
    settings = Settings(
        rate_limits=False, webhook_allow_hosts="hooks.internal, 10.0.0.5", webhook_delivery=False
    )
    with TestClient(create_app(settings, store=store)) as client:
        other = Api(client, api.email, api.token, api.principal)
        assert (
            create(other, target="http://hooks.internal/x")["target"] == "http://hooks.internal/x"
        )
        assert create(other, target="http://10.0.0.5/x")["id"]
        assert (
            other.post("/webhooks", {**COPPER_CREATE, "target": "https://10.0.0.6/"}).status_code
            == 422
        )
    settings = Settings(rate_limits=False, webhook_allow_private=True, webhook_delivery=False)
    with TestClient(create_app(settings, store=store)) as client:
        other = Api(client, api.email, api.token, api.principal)
        assert create(other, target="https://10.0.0.6/")["id"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"target": "https://x.example"}, {"type": ["blank"], "event": ["blank"]}),
        ({"type": "lead", "event": "new"}, {"target": ["blank"]}),
        ({**COPPER_CREATE, "type": "user"}, {"type": ["invalid"]}),
        ({**COPPER_CREATE, "event": "created"}, {"event": ["invalid"]}),
        ({**COPPER_CREATE, "target": 5}, {"target": ["invalid_type"]}),
        ({**COPPER_CREATE, "secret": "s"}, {"secret": ["invalid_type"]}),
        ({**COPPER_CREATE, "headers": ["a"]}, {"headers": ["invalid_type"]}),
        ({**COPPER_CREATE, "headers": {"A": 1}}, {"headers": ["invalid"]}),
        ({**COPPER_CREATE, "headers": {"Bad Name": "x"}}, {"headers": ["invalid"]}),
        ({**COPPER_CREATE, "headers": {"X-A": "a\r\nX-Forged: 1"}}, {"headers": ["invalid"]}),
        (
            {**COPPER_CREATE, "custom_field_computed_values": "yes"},
            {"custom_field_computed_values": ["invalid_type"]},
        ),
    ],
)
def test_bad_fields(api: Api, body: dict[str, Any], errors: dict[str, list[str]]) -> None:
    response = api.post("/webhooks", body)
    assert response.status_code == 422, response.text
    got = response.json()
    assert got["message"].startswith(catalogue.VALIDATION_PREFIX)
    assert got["errors"] == {f: [{"error": c} for c in codes] for f, codes in errors.items()}
    assert api.get("/webhooks").json() == []


@pytest.mark.parametrize("raw", [b"[1]", b'"x"', b"{", b""])
def test_bodies_that_are_not_objects(api: Api, raw: bytes) -> None:
    response = api.post("/webhooks", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert api.get("/webhooks").json() == []


@pytest.mark.slow  # 101 creates over HTTP
def test_at_most_100_subscriptions(api: Api, other_api: Api) -> None:
    for _ in range(MAX_SUBSCRIPTIONS):
        create(api)
    response = api.post("/webhooks", COPPER_CREATE)
    assert response.status_code == 422
    assert response.json()["message"] == catalogue.WEBHOOK_LIMIT_MESSAGE.format(limit=100)
    create(other_api)  # per account
    first = api.get("/webhooks").json()[0]["id"]
    api.delete(f"/webhooks/{first}")
    create(api)


def test_another_accounts_subscription_is_404(api: Api, other_api: Api) -> None:
    made = create(api)
    path = f"/webhooks/{made['id']}"
    assert other_api.get(path).status_code == 404
    assert other_api.put(path, {"target": "https://evil.example"}).status_code == 404
    assert other_api.delete(path).status_code == 404
    assert other_api.get("/webhooks").json() == []
    ext = f"/verdigris/v1/webhooks/{made['id']}/delivery"
    assert other_api.client.get(ext, headers=other_api.headers).status_code == 404
    assert (
        other_api.client.put(ext, json={"mode": "reliable"}, headers=other_api.headers).status_code
        == 404
    )
    assert api.get(path).json() == made


def test_credentials_are_required(api: Api) -> None:
    assert api.client.get("/developer_api/v1/webhooks").status_code == 401
    assert api.client.post("/developer_api/v1/webhooks", json=COPPER_CREATE).status_code == 401
    assert api.client.get("/verdigris/v1/webhooks/deliveries").status_code == 401


def test_unknown_ids_and_methods(api: Api) -> None:
    assert api.get("/webhooks/999").status_code == 404
    assert api.get(f"/webhooks/{2**70}").status_code == 404
    assert api.request("PATCH", "/webhooks").status_code == 405


def test_delivery_mode_extension(api: Api) -> None:
    made = create(api)
    ext = f"/verdigris/v1/webhooks/{made['id']}/delivery"
    got = api.client.get(ext, headers=api.headers).json()
    assert got["mode"] == "copper" and got["default"] is True and len(got["signing_secret"]) == 64
    put = api.client.put(ext, json={"mode": "reliable"}, headers=api.headers).json()
    assert put["mode"] == "reliable" and put["default"] is False
    bad = api.client.put(ext, json={"mode": "sometimes"}, headers=api.headers)
    assert bad.status_code == 422 and bad.json()["errors"] == {"mode": [{"error": "invalid"}]}
    back = api.client.put(ext, json={"mode": None}, headers=api.headers).json()
    assert back["default"] is True
    # Copper's body never shows the extension's settings
    assert list(api.get(f"/webhooks/{made['id']}").json()) == KEYS


def test_inbox_routes_isolation_and_bad_input(api: Api, other_api: Api) -> None:
    base = "/verdigris/v1/webhooks/deliveries"
    assert api.client.get(base, headers=api.headers).json() == []
    bad = api.client.get(base + "?page_size=0", headers=api.headers)
    assert bad.status_code == 422
    assert api.client.get(base + "?subscription_id=x", headers=api.headers).status_code == 422
    assert api.client.get(base + "/1", headers=api.headers).status_code == 404
    assert api.client.post(base + "/1/replay", headers=api.headers).status_code == 404


def test_rate_limits_apply(store: Store, api: Api) -> None:
    settings = Settings(rate_limit_per_minute=3, webhook_delivery=False)
    with TestClient(create_app(settings, store=store)) as client:
        limited = Api(client, api.email, api.token, api.principal)
        paths = [
            ("GET", "/developer_api/v1/webhooks"),
            ("POST", "/developer_api/v1/webhooks"),
            ("GET", "/verdigris/v1/webhooks/deliveries"),
        ]
        for method, path in paths:
            client.request(method, path, json=COPPER_CREATE, headers=limited.headers)
        over = client.get("/verdigris/v1/webhooks/deliveries", headers=limited.headers)
        assert over.status_code == 429 and "Retry-After" in over.headers
        assert client.get("/developer_api/v1/webhooks", headers=limited.headers).status_code == 429
