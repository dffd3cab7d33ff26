"""Authentication headers and the wall between accounts."""

from __future__ import annotations

import pytest

from tests.conftest import Api


def _unauthorized(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["status"] == 401 and body["success"] is False and body["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"X-PW-AccessToken": "wrong"},
        {"X-PW-AccessToken": ""},
        {"X-PW-Application": "other_api"},
        {"X-PW-Application": ""},
        {"X-PW-UserEmail": "someone@else.com"},
        {"X-PW-UserEmail": ""},
    ],
)
def test_bad_or_missing_credentials_are_401(api: Api, change: dict[str, str]) -> None:
    headers = {**api.headers, **change}
    response = api.client.get("/developer_api/v1/account", headers=headers)
    _unauthorized(response)


def test_header_names_are_case_insensitive(api: Api) -> None:
    headers = {
        "x-pw-accesstoken": api.token,
        "X-Pw-Application": "developer_api",
        "X-PW-USEREMAIL": api.email.upper(),
    }
    response = api.client.get("/developer_api/v1/account", headers=headers)
    assert response.status_code == 200


def test_key_of_one_user_does_not_work_for_another(api: Api, other_api: Api) -> None:
    headers = {**api.headers, "X-PW-UserEmail": other_api.email}
    _unauthorized(api.client.get("/developer_api/v1/account", headers=headers))


def test_keys_are_stored_hashed(api: Api, store) -> None:  # type: ignore[no-untyped-def]
    with store.transaction(write=False) as tx:
        hashes = tx.accounts.key_hashes(api.principal.user_id)
    assert hashes and api.token not in hashes
    assert all(len(h) == 64 for h in hashes)


def test_other_account_cannot_see_touch_or_delete(api: Api, other_api: Api) -> None:
    lead = api.create_lead(name="Private", email={"email": "p@acme.io", "category": "work"})
    lead_id = lead["id"]
    assert other_api.get(f"/leads/{lead_id}").status_code == 404
    assert other_api.put(f"/leads/{lead_id}", {"name": "Stolen"}).status_code == 404
    assert other_api.delete(f"/leads/{lead_id}").status_code == 404
    bulk = other_api.post("/leads/bulk_update", {"leads": [{"id": lead_id, "name": "Stolen"}]})
    assert bulk.json()[0]["success"] is False
    upsert = other_api.put(
        "/leads/upsert",
        {
            "properties": {"name": "Theirs"},
            "match": {"field_name": "email", "field_value": "p@acme.io"},
        },
    )
    assert upsert.status_code == 200 and upsert.json()["id"] != lead_id
    assert api.get(f"/leads/{lead_id}").json() == lead
    assert other_api.get("/account").json()["name"] == "Globex"
    user_ids = {u["id"] for u in other_api.get("/users").json()}
    assert api.principal.user_id not in user_ids
    assert other_api.get(f"/users/{api.principal.user_id}").status_code == 404
