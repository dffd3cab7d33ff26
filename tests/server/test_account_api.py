"""Account lookups: statuses, sources, users, account."""

from __future__ import annotations

from tests.conftest import Api
from verdigris.services import Services


def test_lead_statuses_are_seeded(api: Api) -> None:
    statuses = api.get("/lead_statuses").json()
    assert [s["name"] for s in statuses] == ["New", "Unqualified", "Contacted", "Qualified"]
    assert [s["is_default"] for s in statuses] == [True, False, False, False]
    assert set(statuses[0]) == {"id", "name", "order", "is_default"}


def test_lead_status_order_starts_at_one(api: Api) -> None:
    # Copper's List Lead Statuses example: New is order 1 (and the default), then 2, 3, 4
    statuses = api.get("/lead_statuses").json()
    assert [s["order"] for s in statuses] == [1, 2, 3, 4]
    assert list(statuses[0]) == ["id", "name", "order", "is_default"]
    assert (statuses[0]["name"], statuses[0]["order"], statuses[0]["is_default"]) == (
        "New",
        1,
        True,
    )


def test_new_is_the_default_status(api: Api) -> None:
    new = next(s for s in api.get("/lead_statuses").json() if s["name"] == "New")
    lead = api.create_lead(name="Default")
    assert (lead["status"], lead["status_id"]) == ("New", new["id"])


def test_customer_sources_are_seeded(api: Api) -> None:
    sources = api.get("/customer_sources").json()
    assert len(sources) >= 3
    assert all(set(s) == {"id", "name"} for s in sources)


def test_account_and_users(api: Api) -> None:
    account = api.get("/account").json()
    assert account == {
        "id": api.principal.account_id,
        "name": "Acme",
        "primary_timezone": "UTC",
        "settings": {"setting_team_permissions_enabled": False, "setting_enable_leads": True},
    }
    assert list(account) == ["id", "name", "primary_timezone", "settings"]
    users = api.get("/users").json()
    assert users == [
        {"id": api.principal.user_id, "name": "ada", "email": "ada@example.com", "groups": []}
    ]
    assert list(users[0]) == ["id", "name", "email", "groups"]
    assert api.get(f"/users/{api.principal.user_id}").json() == users[0]
    assert api.get(f"/users/{api.principal.user_id}/").json() == users[0]
    assert api.get("/users/me").json() == users[0]
    assert api.get("/users/999999").status_code == 404


def test_get_accepts_an_empty_json_body(api: Api) -> None:
    response = api.request("GET", "/lead_statuses", {})
    assert response.status_code == 200
    assert len(response.json()) == 4


def test_users_search_pages_like_copper(api: Api, services: Services) -> None:
    for n in range(3):
        services.add_user(f"user{n}@example.com", account="Acme")
    everyone = api.post("/users/search", {"page_number": 1, "page_size": 200})
    assert everyone.status_code == 200
    assert everyone.headers["X-PW-TOTAL"] == "4"
    assert [u["email"] for u in everyone.json()] == [
        "ada@example.com",
        "user0@example.com",
        "user1@example.com",
        "user2@example.com",
    ]
    second = api.post("/users/search", {"page_number": "2", "page_size": "3"})
    assert [u["email"] for u in second.json()] == ["user2@example.com"]
    empty_body = api.request("POST", "/users/search", content=b"", params={"page_size": "2"})
    assert len(empty_body.json()) == 2
    too_big = api.post("/users/search", {"page_size": 201})
    assert too_big.status_code == 422
    assert "page_size" in too_big.json()["message"]
