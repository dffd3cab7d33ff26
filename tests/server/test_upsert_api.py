"""PUT /leads/upsert over HTTP with real rows (seed: upsert-a-lead)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, lead_count
from verdigris.store.base import Store

SEED_BODY = {
    "properties": {"name": "My Lead", "email": {"email": "mylead@gmail.test", "category": "work"}},
    "match": {"field_name": "email", "field_value": "mylead@gmail.test"},
}
SEED_RESPONSE_KEYS = [
    "id", "name", "prefix", "first_name", "last_name", "middle_name", "suffix", "address",
    "assignee_id", "company_name", "customer_source_id", "details", "email",
    "interaction_count", "monetary_unit", "monetary_value", "socials", "status", "status_id",
    "tags", "title", "websites", "phone_numbers", "custom_fields", "date_created",
    "date_modified", "date_last_contacted",
]  # fmt: skip


def upsert(api: Api, properties: dict[str, Any], field: str, value: Any) -> Any:
    return api.put(
        "/leads/upsert",
        {"properties": properties, "match": {"field_name": field, "field_value": value}},
    )


def test_seed_example_sent_verbatim_creates_then_updates(api: Api, store: Store) -> None:
    first = api.put("/leads/upsert", SEED_BODY)
    assert first.status_code == 200
    lead = first.json()
    assert list(lead) == SEED_RESPONSE_KEYS
    assert lead["status"] == "New"
    assert (lead["first_name"], lead["last_name"]) == ("My", "Lead")
    assert lead["email"] == {"email": "mylead@gmail.test", "category": "work"}
    assert lead["socials"] == [] and lead["interaction_count"] == 0
    second = api.put("/leads/upsert", SEED_BODY)
    assert second.status_code == 200
    assert second.json()["id"] == lead["id"]
    assert lead_count(store) == 1


def test_one_match_updates_it_with_merge_rules(api: Api) -> None:
    lead = api.create_lead(name="Old", title="Keep", email={"email": "m@x.io", "category": "work"})
    response = upsert(api, {"name": "New Name", "tags": ["t"]}, "email", "m@x.io")
    assert response.status_code == 200
    updated = response.json()
    assert updated["id"] == lead["id"]
    assert updated["name"] == "New Name" and updated["first_name"] == "New"
    assert updated["title"] == "Keep" and updated["tags"] == ["t"]


def test_email_match_ignores_case_and_spaces(api: Api, store: Store) -> None:
    lead = api.create_lead(name="Case", email={"email": "Case@Example.com", "category": "work"})
    response = upsert(api, {"title": "x"}, "email", "  CASE@example.COM ")
    assert response.json()["id"] == lead["id"]
    assert lead_count(store) == 1


def test_name_match_is_exact_after_trimming(api: Api, store: Store) -> None:
    lead = api.create_lead(name="Exact Name")
    assert upsert(api, {"title": "x"}, "name", " Exact Name ").json()["id"] == lead["id"]
    other = upsert(api, {"name": "exact name"}, "name", "exact name").json()
    assert other["id"] != lead["id"]
    assert lead_count(store) == 2


def test_no_match_creates_from_properties(api: Api) -> None:
    response = upsert(
        api,
        {"name": "Fresh", "email": {"email": "f@x.io", "category": "personal"}},
        "email",
        "f@x.io",
    )
    assert response.status_code == 200
    assert response.json()["email"]["category"] == "personal"


def test_two_matches_list_the_ids(api: Api, store: Store) -> None:
    ids = sorted(api.create_lead(name="Twin")["id"] for _ in range(2))
    response = upsert(api, {"title": "x"}, "name", "Twin")
    assert response.status_code == 422
    body = response.json()
    assert body["ids"] == ids
    assert body["message"] and body["success"] is False
    assert all(api.get(f"/leads/{i}").json()["title"] is None for i in ids)


def test_thirty_matches_still_list_the_ids(api: Api) -> None:
    ids = sorted(api.create_lead(name="Many")["id"] for _ in range(30))
    body = upsert(api, {"title": "x"}, "name", "Many").json()
    assert body["ids"] == ids


def test_more_than_thirty_matches_omit_the_ids(api: Api, store: Store) -> None:
    for _ in range(31):
        api.create_lead(name="Crowd")
    response = upsert(api, {"title": "x"}, "name", "Crowd")
    assert response.status_code == 422
    body = response.json()
    assert "ids" not in body
    assert "30" in body["message"]
    assert lead_count(store) == 31


def test_invalid_property_on_create_writes_nothing(api: Api, store: Store) -> None:
    response = upsert(
        api, {"name": "Bad", "email": {"email": "b@x.io", "category": "nope"}}, "email", "b@x.io"
    )
    assert response.status_code == 422
    assert "email" in response.json()["errors"]
    assert lead_count(store) == 0


def test_create_via_upsert_validates_like_post(api: Api, store: Store) -> None:
    response = upsert(api, {"title": "no name"}, "email", "nameless@x.io")
    assert response.status_code == 422
    assert "name" in response.json()["errors"]
    assert lead_count(store) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"properties": {"name": "x"}, "match": {"field_name": "phone", "field_value": "1"}},
        {"properties": {"name": "x"}},
        {"match": {"field_name": "email", "field_value": "a@b.c"}},
        {"properties": "x", "match": {"field_name": "email", "field_value": "a@b.c"}},
    ],
)
def test_bad_upsert_bodies(api: Api, body: dict[str, Any]) -> None:
    response = api.put("/leads/upsert", body)
    assert response.status_code in (400, 422)
    assert response.json()["message"]


def test_unsupported_match_field_names_the_supported(api: Api) -> None:
    response = upsert(api, {"name": "x"}, "phone", "1")
    assert response.status_code == 422
    assert "name, email, custom" in response.json()["message"]


def test_unknown_custom_definition_says_so(api: Api, store: Store) -> None:
    response = upsert(
        api, {"name": "x"}, "custom", {"custom_field_definition_id": 100764, "value": "v"}
    )
    assert response.status_code == 422
    assert "100764" in response.json()["message"]
    assert lead_count(store) == 0


def test_created_lead_carries_the_matched_email(api: Api, store: Store) -> None:
    first = upsert(api, {"name": "No Email Sent"}, "email", " Carry@Example.com ")
    assert first.status_code == 200
    assert first.json()["email"] == {"email": "Carry@Example.com", "category": "work"}
    again = upsert(api, {"title": "second"}, "email", "carry@example.com")
    assert again.json()["id"] == first.json()["id"]
    assert lead_count(store) == 1


def test_created_lead_carries_the_matched_name(api: Api, store: Store) -> None:
    first = upsert(api, {"title": "no name sent"}, "name", "Named By Match")
    assert first.status_code == 200
    assert first.json()["name"] == "Named By Match"
    again = upsert(api, {"title": "second"}, "name", "Named By Match")
    assert again.json()["id"] == first.json()["id"]
    assert lead_count(store) == 1


def test_properties_win_over_the_match_value_on_create(api: Api) -> None:
    lead = upsert(
        api,
        {"name": "Own", "email": {"email": "own@example.com", "category": "personal"}},
        "email",
        "other@example.com",
    ).json()
    assert lead["email"] == {"email": "own@example.com", "category": "personal"}
