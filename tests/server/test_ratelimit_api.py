"""Copper's rate limits: 3 bulk requests per second, 180 requests per minute."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import make_api
from verdigris.config import Settings
from verdigris.server.app import create_app
from verdigris.services import Services
from verdigris.store.base import Store


def test_fourth_bulk_call_within_a_second_is_429(store: Store, services: Services) -> None:
    with TestClient(create_app(Settings(), store=store)) as client:
        api = make_api(client, services, "rl@example.com", "RL")
        codes = [api.post("/leads/bulk_create", {"leads": []}).status_code for _ in range(4)]
        assert codes[:3] == [200, 200, 200]
        assert codes[3] == 429
        response = api.post("/leads/bulk_create", {"leads": []})
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) >= 1
        body = response.json()
        assert body["status"] == 429 and "rate limit" in body["message"].lower()
        # the general limit is separate: a plain call still goes through
        assert api.get("/account").status_code == 200


def test_general_limit_per_user(store: Store, services: Services) -> None:
    settings = Settings(rate_limit_per_minute=5)
    with TestClient(create_app(settings, store=store)) as client:
        api = make_api(client, services, "gen@example.com", "Gen")
        other = make_api(client, services, "gen2@example.com", "Gen")
        codes = [api.get("/account").status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        assert other.get("/account").status_code == 200


def test_limits_can_be_switched_off(store: Store, services: Services) -> None:
    with TestClient(create_app(Settings(rate_limits=False), store=store)) as client:
        api = make_api(client, services, "off@example.com", "Off")
        codes = {api.post("/leads/bulk_create", {"leads": []}).status_code for _ in range(8)}
        assert codes == {200}
