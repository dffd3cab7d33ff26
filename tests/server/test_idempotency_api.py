"""Idempotency keys (issue 19): one write per key, the stored answer replayed; both
engines, in process (the live-server races are in tests/test_idempotency_live.py)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Api, lead_count
from verdigris.store.base import Store

KEY = {"Idempotency-Key": "k-1"}


def test_same_key_same_body_replays_the_answer_and_writes_nothing(api: Api, store: Store) -> None:
    first = api.post("/leads", {"name": "Once"}, headers=KEY)
    assert first.status_code == 200
    assert "X-Verdigris-Idempotent-Replay" not in first.headers
    again = api.post("/leads", {"name": "Once"}, headers=KEY)
    assert again.status_code == 200
    assert again.headers["X-Verdigris-Idempotent-Replay"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert lead_count(store) == 1
    # key order and spacing in the body do not make another request
    same = api.request(
        "POST",
        "/leads",
        content=b'{ "name" : "Once" }',
        headers={**KEY, "Content-Type": "application/json"},
    )
    assert same.headers["X-Verdigris-Idempotent-Replay"] == "true"


def test_same_key_other_body_or_route_is_a_422(api: Api, store: Store) -> None:
    api.post("/leads", {"name": "Once"}, headers=KEY)
    other = api.post("/leads", {"name": "Twice"}, headers=KEY)
    assert other.status_code == 422
    assert other.json() == {
        "success": False,
        "status": 422,
        "message": "Idempotency-Key 'k-1' was already used for a different request: "
        "send a new key for a new request",
    }
    upsert = {
        "properties": {"name": "Once"},
        "match": {"field_name": "name", "field_value": "Once"},
    }
    assert api.put("/leads/upsert", upsert, headers=KEY).status_code == 422
    assert (
        api.post(
            "/leads?custom_field_computed_values=true", {"name": "Once"}, headers=KEY
        ).status_code
        == 422
    )
    assert lead_count(store) == 1


def test_receipt_headers_are_replayed(api: Api) -> None:
    upsert = {
        "properties": {"name": "Ada", "email": {"email": "a@example.com", "category": "work"}},
        "match": {"field_name": "email", "field_value": "a@example.com"},
    }
    first = api.put("/leads/upsert", upsert, headers=KEY)
    again = api.put("/leads/upsert", upsert, headers=KEY)
    assert first.headers["X-Verdigris-Upsert"] == again.headers["X-Verdigris-Upsert"] == "created"
    assert again.headers["X-Verdigris-Lead-Id"] == first.headers["X-Verdigris-Lead-Id"]
    assert again.headers["X-Verdigris-Request-Id"] != first.headers["X-Verdigris-Request-Id"]


def test_an_error_is_not_stored(api: Api, store: Store) -> None:
    bad = api.post("/leads", {"email": {"email": "nope", "category": "work"}}, headers=KEY)
    assert bad.status_code == 422
    ok = api.post("/leads", {"name": "Fixed"}, headers=KEY)
    assert ok.status_code == 200
    assert "X-Verdigris-Idempotent-Replay" not in ok.headers
    assert lead_count(store) == 1


def test_keys_are_per_account(api: Api, other_api: Api, store: Store) -> None:
    mine = api.post("/leads", {"name": "Mine"}, headers=KEY)
    theirs = other_api.post("/leads", {"name": "Mine"}, headers=KEY)
    assert "X-Verdigris-Idempotent-Replay" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert lead_count(store) == 2


def test_delete_and_bulk_with_a_key(api: Api, store: Store) -> None:
    lead = api.create_lead(name="Gone")
    first = api.delete(f"/leads/{lead['id']}", headers=KEY)
    again = api.delete(f"/leads/{lead['id']}", headers=KEY)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    bulk = {"leads": [{"name": "B1"}, {"name": "B2"}]}
    key2 = {"Idempotency-Key": "k-2"}
    made = api.post("/leads/bulk_create", bulk, headers=key2)
    replay = api.post("/leads/bulk_create", bulk, headers=key2)
    assert replay.content == made.content
    assert replay.headers["X-Verdigris-Results"] == "created,created"
    assert lead_count(store) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_bad_key_is_a_422(api: Api, store: Store, key: str) -> None:
    answer = api.post("/leads", {"name": "K"}, headers={"Idempotency-Key": key})
    assert answer.status_code == 422
    assert answer.json()["message"] == "Idempotency-Key must be 1 to 255 printable characters"
    assert lead_count(store) == 0


def test_an_expired_key_is_new_again(api: Api, client: TestClient, store: Store) -> None:
    api.post("/leads", {"name": "Old"}, headers=KEY)
    services: Any = client.app.state.runtime.services  # type: ignore[attr-defined]
    services.idempotency_ttl = -1
    again = api.post("/leads", {"name": "Old"}, headers=KEY)
    assert "X-Verdigris-Idempotent-Replay" not in again.headers
    assert lead_count(store) == 2
    client.app.state.runtime.prune()  # type: ignore[attr-defined]


def test_a_dry_run_ignores_the_key(api: Api, store: Store) -> None:
    api.post("/leads?dry_run=true", {"name": "Dry"}, headers=KEY)
    real = api.post("/leads", {"name": "Dry"}, headers=KEY)
    assert "X-Verdigris-Idempotent-Replay" not in real.headers
    assert lead_count(store) == 1


def test_the_key_and_the_write_commit_together(api: Api, client: TestClient, store: Store) -> None:
    """A failure after the write, before the answer is stored, leaves neither."""
    services: Any = client.app.state.runtime.services  # type: ignore[attr-defined]

    def explode(tx: Any, change: Any) -> None:
        raise RuntimeError("crash after the write")

    services.observe(explode)
    try:
        assert api.post("/leads", {"name": "Lost"}, headers=KEY).status_code == 500
    finally:
        services.observers.remove(explode)
    assert lead_count(store) == 0
    ok = api.post("/leads", {"name": "Lost"}, headers=KEY)
    assert "X-Verdigris-Idempotent-Replay" not in ok.headers
    assert lead_count(store) == 1
