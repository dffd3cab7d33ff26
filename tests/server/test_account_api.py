"""Account lookups: statuses, sources, users, account."""

from __future__ import annotations

from tests.conftest import Api


def test_lead_statuses_are_seeded(api: Api) -> None:
    statuses = api.get("/lead_statuses").json()
    assert [s["name"] for s in statuses] == ["New", "Unqualified", "Contacted", "Qualified"]
    assert [s["is_default"] for s in statuses] == [True, False, False, False]
    assert set(statuses[0]) == {"id", "name", "order", "is_default"}


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
    assert account == {"id": api.principal.account_id, "name": "Acme"}
    users = api.get("/users").json()
    assert users == [{"id": api.principal.user_id, "name": "ada", "email": "ada@example.com"}]
    assert api.get(f"/users/{api.principal.user_id}").json() == users[0]
    assert api.get(f"/users/{api.principal.user_id}/").json() == users[0]
    assert api.get("/users/me").json() == users[0]
    assert api.get("/users/999999").status_code == 404


def test_get_accepts_an_empty_json_body(api: Api) -> None:
    response = api.request("GET", "/lead_statuses", {})
    assert response.status_code == 200
    assert len(response.json()) == 4
