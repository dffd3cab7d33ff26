"""The journal (no tokens, no other account's requests, filters, cleared by reset) and
the clock (record dates and rate limit windows follow it), on both engines."""

from __future__ import annotations

import json

from tests.emulator.conftest import ADA, ADMIN, BOB, Emu, MakeEmu


def test_the_journal_records_requests_without_credentials(emu: Emu) -> None:
    made = emu.copper("POST", "/leads", json={"name": "Journaled"})
    assert made.status_code == 200
    emu.copper("GET", "/leads/999999999")
    entries = emu.control("GET", "/journal", ADA).json()
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/developer_api/v1/leads", 200),
        ("GET", "/developer_api/v1/leads/999999999", 404),
    ]
    first = entries[0]
    assert first["request"]["headers"]["x-pw-accesstoken"] == "[redacted]"
    assert first["request"]["headers"]["x-pw-useremail"] == ADA["email"]
    assert json.loads(first["request"]["body"]) == {"name": "Journaled"}
    assert json.loads(first["response"]["body"])["id"] == made.json()["id"]
    assert first["account_id"] is not None and first["duration_ms"] > 0
    assert ADA["token"] not in json.dumps(entries)
    # filters
    assert len(emu.control("GET", "/journal?status=404", ADA).json()) == 1
    assert len(emu.control("GET", "/journal?method=post", ADA).json()) == 1
    assert len(emu.control("GET", "/journal?path=/developer_api/v1/leads/*", ADA).json()) == 1
    assert emu.control("GET", f"/journal?after={entries[-1]['id']}", ADA).json() == []
    # the controls themselves are not journaled
    assert len(emu.control("GET", "/journal", ADA).json()) == 2


def test_the_journal_shows_a_key_only_its_own_account(emu: Emu) -> None:
    emu.copper("POST", "/leads", BOB, json={"name": "Bob's secret lead"})
    emu.copper("POST", "/leads", ADA, json={"name": "Ada's lead"})
    emu.client.get("/developer_api/v1/account")  # no credentials: no account
    ada = emu.control("GET", "/journal", ADA).json()
    assert len(ada) == 1
    text = json.dumps(ada)
    assert "Bob's secret lead" not in text and BOB["token"] not in text
    # asking for another account's entries gives nothing of it
    bob_id = emu.control("GET", "/emulator", BOB).json()["account_id"]
    assert emu.control("GET", f"/journal?account_id={bob_id}", ADA).json() == ada
    # deleting clears only the caller's own
    emu.control("DELETE", "/journal", ADA)
    assert emu.control("GET", "/journal", ADA).json() == []
    assert len(emu.control("GET", "/journal", BOB).json()) == 1


def test_the_admin_sees_every_entry_and_reset_clears_them(admin_emu: Emu) -> None:
    admin_emu.copper("POST", "/leads", BOB, json={"name": "Bob's"})
    admin_emu.client.get("/developer_api/v1/account")
    entries = admin_emu.control("GET", "/journal").json()
    assert [e["status"] for e in entries] == [200, 401]
    assert ADMIN not in json.dumps(entries)
    admin_emu.control("POST", "/emulator/reset", json={})
    assert admin_emu.control("GET", "/journal").json() == []


def test_rate_limit_counters_after_each_request(make_emu: MakeEmu) -> None:
    emu = make_emu(rate_limits=True, rate_limit_per_minute=5)
    for _ in range(2):
        emu.copper("GET", "/account")
    entries = emu.control("GET", "/journal", ADA).json()
    assert [e["rate_limits"]["general"] for e in entries] == [4, 3]


def test_freezing_and_advancing_the_clock_moves_record_dates(emu: Emu) -> None:
    frozen = emu.control("POST", "/emulator/clock", ADA, json={"freeze": True, "at": 1_700_000_000})
    assert frozen.json()["now"] == 1_700_000_000 and frozen.json()["frozen"] is True
    lead = emu.copper("POST", "/leads", json={"name": "Dated"}).json()
    assert lead["date_created"] == lead["date_modified"] == 1_700_000_000
    assert (
        emu.control("POST", "/emulator/clock", ADA, json={"advance": 86_400}).json()["now"]
        == 1_700_086_400
    )
    updated = emu.copper("PUT", f"/leads/{lead['id']}", json={"name": "Dated again"}).json()
    assert updated["date_created"] == 1_700_000_000
    assert updated["date_modified"] == 1_700_086_400
    # the clock runs again from where it is
    running = emu.control("POST", "/emulator/clock", ADA, json={"unfreeze": True}).json()
    assert running["frozen"] is False and running["now"] >= 1_700_086_400
    assert emu.control("POST", "/emulator/clock", ADA, json={"reset": True}).json()["offset"] < 5


def test_rate_limit_windows_follow_the_clock(make_emu: MakeEmu) -> None:
    emu = make_emu(rate_limits=True, rate_limit_per_minute=2)
    emu.control("POST", "/emulator/clock", ADA, json={"freeze": True, "at": 1_700_000_000})
    assert emu.copper("GET", "/account").status_code == 200
    emu.control("POST", "/emulator/clock", ADA, json={"advance": 30})
    assert emu.copper("GET", "/account").status_code == 200
    refused = emu.copper("GET", "/account")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"  # the first hit leaves the window at +60
    emu.control("POST", "/emulator/clock", ADA, json={"advance": 30})
    assert emu.copper("GET", "/account").status_code == 200  # the first hit has left
    assert emu.copper("GET", "/account").status_code == 429
    emu.control("POST", "/emulator/clock", ADA, json={"advance": 61})
    assert emu.copper("GET", "/account").status_code == 200
