"""POST /leads/bulk_update and /leads/bulk_create (seed: bulk-update-leads)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Api, lead_count, make_api
from verdigris.config import Settings
from verdigris.server.app import create_app
from verdigris.services import Services
from verdigris.store.base import Store


def test_seed_example_sent_verbatim(api: Api) -> None:
    one = api.create_lead(name="Placeholder One")
    two = api.create_lead(name="Placeholder Two")
    response = api.post(
        "/leads/bulk_update",
        {
            "leads": [
                {"id": one["id"], "name": "Lead One"},
                {"id": two["id"], "name": "Lead Two"},
            ]
        },
    )
    assert response.status_code == 200
    results = response.json()
    assert [r["id"] for r in results] == [one["id"], two["id"]]
    assert [(r["first_name"], r["last_name"]) for r in results] == [
        ("Lead", "One"),
        ("Lead", "Two"),
    ]
    assert all(r["status"] == "New" for r in results)
    assert list(results[0]) == list(one)


def test_mixed_items_keep_order_and_apply_independently(api: Api) -> None:
    first = api.create_lead(name="First")
    last = api.create_lead(name="Last")
    unknown = 987654
    response = api.post(
        "/leads/bulk_update",
        {
            "leads": [
                {"id": first["id"], "title": "ok 1"},
                {"id": unknown, "title": "nope"},
                {"id": first["id"], "email": {"email": "x@y.z", "category": "carrier-pigeon"}},
                {"id": last["id"], "title": "ok 2"},
            ]
        },
    )
    assert response.status_code == 200
    results = response.json()
    assert len(results) == 4
    assert results[0]["id"] == first["id"] and results[0]["title"] == "ok 1"
    assert results[1] == {
        "success": False,
        "message": {"id": [{"error": "not_found"}]},
        "id": unknown,
    }
    assert results[2] == {
        "success": False,
        "message": {"email": [{"error": "invalid_category"}]},
        "id": first["id"],
    }
    assert results[3]["title"] == "ok 2"
    stored = api.get(f"/leads/{first['id']}").json()
    assert stored["title"] == "ok 1" and stored["email"] is None


def test_failed_item_writes_nothing(api: Api) -> None:
    lead = api.create_lead(name="Stay", title="Same")
    results = api.post(
        "/leads/bulk_update",
        {
            "leads": [
                {"id": lead["id"], "title": "Changed", "status": "Nope"},
            ]
        },
    ).json()
    assert results[0]["success"] is False and "status" in results[0]["message"]
    assert api.get(f"/leads/{lead['id']}").json() == lead


def test_item_without_id_fails_alone(api: Api) -> None:
    results = api.post("/leads/bulk_update", {"leads": [{"name": "no id"}]}).json()
    assert results == [{"success": False, "message": {"id": [{"error": "blank"}]}, "id": None}]


def test_eleven_items_is_the_exact_422(api: Api, store: Store) -> None:
    lead = api.create_lead(name="Eleven")
    items = [{"id": lead["id"], "title": str(i)} for i in range(11)]
    response = api.post("/leads/bulk_update", {"leads": items})
    assert response.status_code == 422
    assert response.json() == {"error": "Request size too large, limit is 10"}
    assert api.get(f"/leads/{lead['id']}").json()["title"] is None
    create = api.post("/leads/bulk_create", {"leads": [{"name": f"n{i}"} for i in range(11)]})
    assert create.json() == {"error": "Request size too large, limit is 10"}
    assert lead_count(store) == 1


def test_ten_items_are_accepted(api: Api) -> None:
    lead = api.create_lead(name="Ten")
    items = [{"id": lead["id"], "title": str(i)} for i in range(10)]
    results = api.post("/leads/bulk_update", {"leads": items}).json()
    assert [r["title"] for r in results] == [str(i) for i in range(10)]


def test_limit_is_a_setting(store: Store, services: Services) -> None:
    app = create_app(Settings(rate_limits=False, bulk_limit=2), store=store)
    with TestClient(app) as client:
        api = make_api(client, services, "small@example.com", "Small")
        response = api.post("/leads/bulk_create", {"leads": [{"name": "a"}] * 3})
        assert response.json() == {"error": "Request size too large, limit is 2"}


def test_bad_bulk_bodies(api: Api) -> None:
    assert api.post("/leads/bulk_update", {"lead": []}).status_code == 400
    assert api.post("/leads/bulk_update", {"leads": "x"}).status_code == 400
    bad = api.post("/leads/bulk_update", content=b"{", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["message"]
    assert api.post("/leads/bulk_update", {"leads": []}).json() == []


def test_bulk_create_results_in_order(api: Api, store: Store) -> None:
    results = api.post(
        "/leads/bulk_create",
        {
            "leads": [
                {"name": "Alpha One"},
                {"name": "Beta", "email": {"email": "bad", "category": "work"}},
                {"title": "nameless"},
                {"name": "Gamma Three"},
            ]
        },
    ).json()
    assert results[0]["name"] == "Alpha One" and results[0]["first_name"] == "Alpha"
    assert results[1] == {
        "success": False,
        "message": {"email": [{"error": "invalid"}]},
        "id": None,
    }
    assert results[2] == {"success": False, "message": {"name": [{"error": "blank"}]}, "id": None}
    assert results[3]["name"] == "Gamma Three"
    assert lead_count(store) == 2


def test_item_failing_after_its_writes_is_rolled_back_alone(
    api: Api, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each created item runs in its own savepoint: a failure after the item's insert
    undoes that insert only, and the other items of the request are kept."""
    from verdigris.domain.errors import ValidationFailed
    from verdigris.domain.leads import Lead
    from verdigris.store.leads_sql import SqlLeads
    from verdigris.store.sql import SqlTx

    real = SqlLeads.insert
    savepoints = {"n": 0}
    real_savepoint = SqlTx.savepoint

    def failing_after_insert(self: SqlLeads, lead: Lead) -> Lead:
        written = real(self, lead)
        if lead.name == "Undone":
            raise ValidationFailed({"lead": ["invalid"]})
        return written

    def counted(self: SqlTx) -> Any:
        savepoints["n"] += 1
        return real_savepoint(self)

    monkeypatch.setattr(SqlLeads, "insert", failing_after_insert)
    monkeypatch.setattr(SqlTx, "savepoint", counted)
    results = api.post(
        "/leads/bulk_create",
        {"leads": [{"name": "Kept One"}, {"name": "Undone"}, {"name": "Kept Two"}]},
    ).json()
    assert results[0]["name"] == "Kept One" and results[2]["name"] == "Kept Two"
    assert results[1] == {"success": False, "message": {"lead": [{"error": "invalid"}]}, "id": None}
    assert lead_count(store) == 2
    assert savepoints["n"] == 3  # one per item
    savepoints["n"] = 0
    done = api.post("/leads/bulk_create", {"leads": [{"name": "A"}, {"name": "B"}]}).json()
    assert [r["name"] for r in done] == ["A", "B"]
    assert savepoints["n"] == 2  # creates always run one by one (ids are not reused)
    assert lead_count(store) == 4
