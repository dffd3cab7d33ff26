"""Lead CRUD over HTTP through the ASGI app, on every engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, lead_count
from verdigris.store.base import Store

LEAD_KEYS = [
    "id", "name", "prefix", "first_name", "last_name", "middle_name", "suffix", "address",
    "assignee_id", "company_name", "customer_source_id", "details", "email",
    "interaction_count", "monetary_unit", "monetary_value", "socials", "status", "status_id",
    "tags", "title", "websites", "phone_numbers", "custom_fields", "date_created",
    "date_modified", "date_last_contacted",
]  # fmt: skip


def test_create_then_get_round_trip(api: Api) -> None:
    created = api.create_lead(
        name="My Lead",
        email={"email": "mylead@gmail.test", "category": "work"},
        phone_numbers=[{"number": "415-123-45678", "category": "mobile"}],
        address={
            "street": "123 Main Street",
            "city": "Savannah",
            "state": "Georgia",
            "postal_code": "31410",
            "country": "United States",
        },
        tags=["vip", "vip", " web "],
        monetary_value=1000,
        monetary_unit="usd",
        title="CTO",
        details="met at a fair",
    )
    fetched = api.get(f"/leads/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "application/json"
    lead = fetched.json()
    assert lead == created
    assert lead["first_name"] == "My" and lead["last_name"] == "Lead"
    assert lead["email"] == {"email": "mylead@gmail.test", "category": "work"}
    assert lead["phone_numbers"] == [{"number": "415-123-45678", "category": "mobile"}]
    assert lead["address"]["city"] == "Savannah"
    assert lead["tags"] == ["vip", "web"]
    assert lead["monetary_value"] == 1000 and isinstance(lead["monetary_value"], int)
    assert lead["monetary_unit"] == "USD"
    assert lead["status"] == "New"
    assert isinstance(lead["date_created"], int) and lead["date_created"] > 1_600_000_000


def test_lead_has_exactly_copper_keys_in_order(api: Api) -> None:
    lead = api.create_lead(name="Keys")
    assert list(lead) == LEAD_KEYS
    assert lead["socials"] == [] and lead["websites"] == [] and lead["custom_fields"] == []
    assert lead["address"] is None and lead["email"] is None


def test_post_with_trailing_slash(api: Api) -> None:
    response = api.post("/leads/", {"name": "Slash"})
    assert response.status_code == 200
    assert response.json()["name"] == "Slash"


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("My Lead", (None, "My", None, "Lead", None)),
        ("Dr. Jane Q. Public Jr.", ("Dr.", "Jane", "Q.", "Public", "Jr.")),
        ("Cher", (None, "Cher", None, None, None)),
    ],
)
def test_name_is_split(api: Api, name: str, parts: tuple[str | None, ...]) -> None:
    lead = api.create_lead(name=name)
    keys = ("prefix", "first_name", "middle_name", "last_name", "suffix")
    assert tuple(lead[k] for k in keys) == parts
    assert lead["name"] == name


def test_name_is_composed_from_first_and_last(api: Api) -> None:
    lead = api.create_lead(first_name="Ada", last_name="Lovelace")
    assert lead["name"] == "Ada Lovelace"
    updated = api.put(f"/leads/{lead['id']}", {"first_name": "Augusta"}).json()
    assert updated["name"] == "Augusta Lovelace"
    assert updated["last_name"] == "Lovelace"


def test_partial_update_changes_only_sent_keys(api: Api) -> None:
    lead = api.create_lead(
        name="Partial", title="CEO", tags=["a"], email={"email": "p@x.io", "category": "work"}
    )
    response = api.put(f"/leads/{lead['id']}", {"title": "CFO"})
    assert response.status_code == 200
    updated = response.json()
    assert updated["title"] == "CFO"
    for key in ("name", "tags", "email", "first_name", "date_created", "status_id"):
        assert updated[key] == lead[key], key
    assert updated == api.get(f"/leads/{lead['id']}").json()


def test_update_replaces_list_fields(api: Api) -> None:
    lead = api.create_lead(
        name="Lists", tags=["a", "b"], websites=[{"url": "a.io", "category": "work"}]
    )
    updated = api.put(f"/leads/{lead['id']}", {"tags": ["c"], "websites": []}).json()
    assert updated["tags"] == ["c"] and updated["websites"] == []


def test_unknown_and_read_only_keys_are_ignored(api: Api) -> None:
    lead = api.create_lead(name="Tolerant")
    echo = dict(lead)
    echo.update(
        id=999999,
        date_created=1,
        interaction_count=42,
        converted_value=5,
        phone="555",
        made_up={"x": 1},
        title="New title",
        phone_numbers=[{"id": None, "number": "555", "category": "work"}],
    )
    response = api.put(f"/leads/{lead['id']}", echo)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["id"] == lead["id"]
    assert updated["date_created"] == lead["date_created"]
    assert updated["interaction_count"] == 0
    assert updated["title"] == "New title"
    assert updated["phone_numbers"] == [{"number": "555", "category": "work"}]
    assert "made_up" not in updated and "phone" not in updated


def test_full_object_echo_with_changed_status_name(api: Api) -> None:
    lead = api.create_lead(name="Status")
    echo = dict(lead, status="Qualified")  # status_id still says New
    updated = api.put(f"/leads/{lead['id']}", echo).json()
    assert updated["status"] == "Qualified"
    assert updated["status_id"] != lead["status_id"]


def test_status_by_id_and_by_name(api: Api) -> None:
    statuses = {s["name"]: s["id"] for s in api.get("/lead_statuses").json()}
    lead = api.create_lead(name="S", status="contacted")
    assert lead["status_id"] == statuses["Contacted"] and lead["status"] == "Contacted"
    lead = api.create_lead(name="T", status_id=statuses["Qualified"])
    assert lead["status"] == "Qualified"


def test_delete(api: Api) -> None:
    lead = api.create_lead(name="Doomed")
    response = api.delete(f"/leads/{lead['id']}")
    assert response.status_code == 200
    assert response.json() == {"id": lead["id"], "is_deleted": True}
    assert api.get(f"/leads/{lead['id']}").status_code == 404
    assert api.delete(f"/leads/{lead['id']}").status_code == 404


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "x", "email": {"email": "x@y.z", "category": "home"}}, "email"),
        ({"name": "x", "email": {"email": "not an email", "category": "work"}}, "email"),
        ({"name": "x", "email": "x@y.z"}, "email"),
        ({"name": "x", "phone_numbers": [{"number": "1", "category": "pager"}]}, "phone_numbers"),
        ({"name": "x", "socials": [{"url": "u", "category": "myspace"}]}, "socials"),
        ({"name": "x", "websites": [{"url": "u", "category": "blog"}]}, "websites"),
        ({"name": "x", "status": "Won"}, "status"),
        ({"name": "x", "status_id": 123456789}, "status_id"),
        ({"name": "x", "customer_source_id": 123456789}, "customer_source_id"),
        ({"name": "x", "assignee_id": 123456789}, "assignee_id"),
        ({"name": "x", "monetary_value": "lots"}, "monetary_value"),
        ({"name": "x", "monetary_unit": "dollars"}, "monetary_unit"),
        ({"name": "x", "tags": "a,b"}, "tags"),
        ({"name": "x" * 256}, "name"),
        ({"name": 5}, "name"),
        ({"title": "no name"}, "name"),
        (
            {"name": "x", "custom_fields": [{"custom_field_definition_id": 1, "value": 1}]},
            "custom_fields",
        ),
    ],
)
def test_invalid_field_is_422_naming_it(
    api: Api, store: Store, fields: dict[str, Any], field: str
) -> None:
    response = api.post("/leads", fields)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["success"] is False and body["status"] == 422
    assert field in body["errors"]
    label = field.replace("_", " ").capitalize()
    assert body["message"].startswith("Invalid input: Validation errors:")
    assert label in body["message"]
    assert lead_count(store) == 0


def test_invalid_update_writes_nothing(api: Api) -> None:
    lead = api.create_lead(name="Keep", title="Same")
    response = api.put(
        f"/leads/{lead['id']}", {"title": "Changed", "email": {"email": "bad", "category": "work"}}
    )
    assert response.status_code == 422
    assert api.get(f"/leads/{lead['id']}").json() == lead


def test_assignee_must_be_a_user_of_the_account(api: Api, other_api: Api) -> None:
    lead = api.create_lead(name="Mine", assignee_id=api.principal.user_id)
    assert lead["assignee_id"] == api.principal.user_id
    response = api.post("/leads", {"name": "x", "assignee_id": other_api.principal.user_id})
    assert response.status_code == 422


def test_customer_source_from_the_account(api: Api) -> None:
    sources = api.get("/customer_sources").json()
    lead = api.create_lead(name="Sourced", customer_source_id=sources[0]["id"])
    assert lead["customer_source_id"] == sources[0]["id"]
    cleared = api.put(f"/leads/{lead['id']}", {"customer_source_id": None}).json()
    assert cleared["customer_source_id"] is None
