"""The emulator's controls over HTTP, on both engines: off by default, who may call,
reset, seed (JSON and CSV), snapshots, and upsert's two 422s reached from a fixture."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.emulator.conftest import ADA, ADMIN, BOB, Emu, MakeEmu, headers
from verdigris.config import Settings
from verdigris.domain.webhooks import Attempt
from verdigris.server.app import create_app
from verdigris.store.base import Store

CONTROLS = [
    ("GET", "/verdigris/v1/emulator"),
    ("POST", "/verdigris/v1/emulator/reset"),
    ("POST", "/verdigris/v1/emulator/seed"),
    ("GET", "/verdigris/v1/emulator/snapshots"),
    ("POST", "/verdigris/v1/emulator/snapshots"),
    ("POST", "/verdigris/v1/emulator/snapshots/x/restore"),
    ("DELETE", "/verdigris/v1/emulator/snapshots/x"),
    ("GET", "/verdigris/v1/emulator/faults"),
    ("POST", "/verdigris/v1/emulator/faults"),
    ("DELETE", "/verdigris/v1/emulator/faults"),
    ("DELETE", "/verdigris/v1/emulator/faults/1"),
    ("GET", "/verdigris/v1/emulator/clock"),
    ("POST", "/verdigris/v1/emulator/clock"),
    ("GET", "/verdigris/v1/emulator/accounts"),
    ("GET", "/verdigris/v1/emulator/leads"),
    ("GET", "/verdigris/v1/emulator/webhooks"),
    ("GET", "/verdigris/v1/journal"),
    ("DELETE", "/verdigris/v1/journal"),
    ("GET", "/verdigris/ui"),
]


def names(response: Any) -> list[str]:
    return sorted(lead["name"] for lead in response.json())


def search(emu: Emu, user: dict[str, str] = ADA, **params: Any) -> list[str]:
    response = emu.copper("POST", "/leads/search", user, json={"page_size": 200, **params})
    assert response.status_code == 200, response.text
    return names(response)


def test_every_control_is_404_without_the_emulator(store: Store) -> None:
    from verdigris.services import Services

    Services(store).add_user(ADA["email"], account="Acme", token=ADA["token"])
    with TestClient(create_app(Settings(rate_limits=False), store=store)) as client:
        for method, path in CONTROLS:
            for h in (headers(ADA), {"X-Verdigris-Admin-Token": ADMIN}):
                response = client.request(method, path, headers=h, json={})
                assert response.status_code == 404, (method, path)
                assert response.json()["message"] == "Resource not found"


def test_every_control_answers_with_the_emulator(admin_emu: Emu) -> None:
    for method, path in CONTROLS:
        h = {"X-Verdigris-Admin-Token": ADMIN}
        response = admin_emu.client.request(method, path, headers=h, json={})
        assert response.status_code not in (405, 500), (method, path, response.text)


def test_the_admin_token_is_needed_by_every_control(admin_emu: Emu) -> None:
    for method, path in CONTROLS:
        if path == "/verdigris/ui":
            continue  # the page itself holds nothing; its script asks for credentials
        for h in ({}, headers(ADA), {"X-Verdigris-Admin-Token": "wrong"}):
            response = admin_emu.client.request(method, path, headers=h, json={})
            assert response.status_code == 401, (method, path, h)
            assert "X-Verdigris-Admin-Token" in response.json()["message"]
    assert admin_emu.control("GET", "/emulator").json()["admin"] is True


def test_without_an_admin_token_a_key_controls_its_own_account(emu: Emu) -> None:
    assert emu.control("GET", "/emulator", user=None).status_code == 401
    state = emu.control("GET", "/emulator", ADA).json()
    assert state["admin"] is False
    bob_account = emu.control("GET", "/emulator/accounts", BOB).json()
    assert [a["name"] for a in bob_account] == ["Globex"]
    other = bob_account[0]["id"]
    # another account is not found, as Copper answers another account's lead
    for method, path, body in [
        ("POST", "/emulator/reset", {"account_id": other}),
        ("POST", "/emulator/snapshots", {"name": "s", "account_id": other}),
        ("GET", f"/emulator/leads?account_id={other}", None),
        ("POST", "/emulator/seed", {"account_id": other, "leads": [{"name": "x"}]}),
    ]:
        response = emu.control(method, path, ADA, json=body)
        assert response.status_code == 404, (path, response.text)
    # a whole fixture (several accounts) needs the admin token
    response = emu.control("POST", "/emulator/seed", ADA, json={"accounts": []})
    assert response.status_code == 401
    assert search(emu, BOB) == ["Hank Scorpio"]


def test_upserts_two_422s_come_from_the_fixture(emu: Emu) -> None:
    def upsert(email: str) -> Any:
        body = {"properties": {"name": "x"}, "match": {"field_name": "email", "field_value": email}}
        return emu.copper("PUT", "/leads/upsert", json=body)

    three = upsert("tri@example.com")
    assert three.status_code == 422
    assert three.json()["message"] == "3 leads match the given criteria; refine the match"
    assert len(three.json()["ids"]) == 3
    many = upsert("many@example.com")
    assert many.status_code == 422
    assert many.json() == {
        "success": False,
        "status": 422,
        "message": "More than 30 leads match the given criteria; refine the match",
    }


def test_reset_goes_back_to_the_seeded_state_with_the_same_ids(emu: Emu) -> None:
    before = emu.copper("POST", "/leads/search", json={"page_size": 200}).json()
    emu.copper("POST", "/leads", json={"name": "Made in a test"})
    grace = next(lead for lead in before if lead["name"] == "Grace Hopper")
    emu.copper("PUT", f"/leads/{grace['id']}", json={"name": "Grace Renamed"})
    emu.copper("DELETE", f"/leads/{before[1]['id']}")
    emu.copper("POST", "/custom_field_definitions", json={"name": "Extra", "data_type": "String"})
    response = emu.control("POST", "/emulator/reset", ADA)
    assert response.status_code == 200, response.text
    # only what differs is written back: not the 35 seeded leads and their activities
    assert 0 < response.json()["rows"] < 20
    after = emu.copper("POST", "/leads/search", json={"page_size": 200}).json()
    assert after == before
    fields = emu.copper("GET", "/custom_field_definitions").json()
    assert [f["name"] for f in fields] == ["Region"]
    assert search(emu, BOB) == ["Hank Scorpio"]  # another account untouched


def test_reset_of_everything(admin_emu: Emu) -> None:
    admin_emu.copper("POST", "/leads", json={"name": "Ada's"})
    admin_emu.copper("POST", "/leads", BOB, json={"name": "Bob's"})
    admin_emu.control("POST", "/emulator/faults", json={"kind": "latency", "latency_ms": 1})
    admin_emu.control("POST", "/emulator/clock", json={"freeze": True, "at": 1_000_000})
    response = admin_emu.control("POST", "/emulator/reset", json={})
    assert response.status_code == 200, response.text
    assert "Ada's" not in search(admin_emu)
    assert search(admin_emu, BOB) == ["Hank Scorpio"]
    assert admin_emu.control("GET", "/emulator/faults").json() == []
    assert admin_emu.control("GET", "/emulator/clock").json()["frozen"] is False
    journal = admin_emu.control("GET", "/journal").json()
    assert [e["path"] for e in journal] == ["/developer_api/v1/leads/search"] * 2


def test_seed_by_api_json_and_csv(emu: Emu) -> None:
    response = emu.control("POST", "/emulator/seed", ADA, json={"leads": [{"name": "From JSON"}]})
    assert response.status_code == 200, response.text
    assert response.json()["leads"] == 1
    csv_text = "name,email,tags,phone\nFrom CSV,csv@example.com,a;b,mobile:555-0100\n"
    response = emu.control(
        "POST", "/emulator/seed", ADA, content=csv_text, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    found = emu.copper("POST", "/leads/search", json={"emails": ["csv@example.com"]}).json()
    assert found[0]["name"] == "From CSV"
    assert found[0]["tags"] == ["a", "b"]
    assert found[0]["phone_numbers"] == [{"number": "555-0100", "category": "mobile"}]
    assert "From JSON" in search(emu)
    bad = emu.control("POST", "/emulator/seed", ADA, json={"leads": [{"name": ""}]})
    assert bad.status_code == 200
    assert bad.json()["leads"] == 0 and len(bad.json()["errors"]) == 1
    bad = emu.control("POST", "/emulator/seed", ADA, json={"leads": "nope"})
    assert bad.status_code == 400
    assert bad.json()["message"] == "Invalid emulator control: leads must be a list"


def test_snapshots_save_restore_list_delete(emu: Emu) -> None:
    emu.copper("POST", "/leads", json={"name": "Before snapshot"})
    saved = emu.control("POST", "/emulator/snapshots", ADA, json={"name": "one"})
    assert saved.status_code == 201, saved.text
    before = emu.copper("POST", "/leads/search", json={"page_size": 200}).json()
    emu.copper("POST", "/leads", json={"name": "After snapshot"})
    emu.copper("DELETE", f"/leads/{before[0]['id']}")
    restored = emu.control("POST", "/emulator/snapshots/one/restore", ADA)
    assert restored.status_code == 200, restored.text
    assert emu.copper("POST", "/leads/search", json={"page_size": 200}).json() == before
    listed = emu.control("GET", "/emulator/snapshots", ADA).json()
    assert [s["name"] for s in listed] == ["one"]
    assert emu.control("GET", "/emulator/snapshots", BOB).json() == []
    assert emu.control("DELETE", "/emulator/snapshots/one", BOB).status_code == 404
    assert emu.control("DELETE", "/emulator/snapshots/one", ADA).status_code == 200
    assert emu.control("POST", "/emulator/snapshots/one/restore", ADA).status_code == 404


def test_bad_control_bodies_are_copper_shaped_400s(emu: Emu) -> None:
    for method, path, body in [
        ("POST", "/emulator/faults", {"kind": "meteor"}),
        ("POST", "/emulator/faults", {"kind": "error", "probability": 2}),
        ("POST", "/emulator/clock", {"advance": "soon"}),
        ("POST", "/emulator/clock", {}),
        ("POST", "/emulator/snapshots", {"name": ""}),
        ("POST", "/emulator/reset", [1]),
    ]:
        response = emu.control(method, path, ADA, json=body)
        assert response.status_code == 400, (path, body, response.text)
        assert response.json()["message"].startswith("Invalid emulator control: ")
    assert emu.control("GET", "/journal?status=x", ADA).status_code == 400


def test_the_leads_view_searches_one_account(emu: Emu) -> None:
    page = emu.control("GET", "/emulator/leads?q=Grace", ADA).json()
    assert [lead["name"] for lead in page["leads"]] == ["Grace Hopper"]
    assert emu.control("GET", "/emulator/leads", BOB).json()["total"] == 1


def test_the_webhooks_view_lists_and_replays_one_accounts_attempts(emu: Emu) -> None:
    assert emu.control("GET", "/emulator", ADA).json()["webhooks"] is True
    hook = emu.copper(
        "POST", "/webhooks", json={"target": "http://127.0.0.1:9/h", "type": "lead", "event": "new"}
    ).json()
    own = emu.control("GET", "/emulator", ADA).json()["account_id"]
    theirs = emu.control("GET", "/emulator", BOB).json()["account_id"]
    store = emu.client.app.state.runtime.store  # type: ignore[attr-defined]
    with store.transaction(write=True) as tx:  # an attempt as the sender records it
        tx.outbox.add_attempt(
            Attempt(account_id=own, subscription_id=hook["id"], delivery_id="d-1", attempt=1,
                    at=0, url=hook["target"], request_headers={}, request_body='{"ids":[1]}',
                    outcome="failed", error="connection refused")
        )  # fmt: skip
    rows = emu.control("GET", "/emulator/webhooks", ADA).json()
    assert [(r["subscription_id"], r["delivery_id"], r["outcome"]) for r in rows] == [
        (hook["id"], "d-1", "failed")
    ]
    assert emu.control("GET", "/emulator/webhooks", BOB).json() == []  # not another's
    assert emu.control("GET", f"/emulator/webhooks?account_id={own}", BOB).status_code == 404
    other = emu.control("POST", f"/emulator/webhooks/{rows[0]['id']}/replay", BOB)
    assert other.status_code == 404
    assert theirs != own
    replayed = emu.control("POST", f"/emulator/webhooks/{rows[0]['id']}/replay", ADA)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json() == {"replayed": rows[0]["id"], "delivery_id": "d-1"}
    assert emu.control("POST", "/emulator/webhooks/99999/replay", ADA).status_code == 404


@pytest.mark.parametrize("size", [3])
def test_the_journal_is_bounded(make_emu: MakeEmu, size: int) -> None:
    emu = make_emu(journal_size=size, journal_body_bytes=10)
    for _ in range(5):
        emu.copper("POST", "/leads", json={"name": "a name longer than ten bytes"})
    entries = emu.control("GET", "/journal", ADA).json()
    assert len(entries) == size
    assert entries[0]["request"]["body"] == '{"name":"a'
    assert entries[0]["request"]["truncated"] is True
