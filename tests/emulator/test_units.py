"""The emulator's parts without HTTP: the clock, the clocked rate-limit window, fault
rule matching and probability, and the SQLite undo log's exactness."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from limits import RateLimitItemPerMinute

from tests.helpers import reset
from verdigris.clock import Clock
from verdigris.emulator.data import UndoLog
from verdigris.emulator.faults import Faults, RuleError
from verdigris.server.clocked_limiter import ClockedMovingWindow
from verdigris.services import Principal, Services
from verdigris.store import open_store
from verdigris.store.sql import SqlStore


def test_the_clock_freezes_advances_and_runs_again() -> None:
    clock = Clock()
    assert abs(clock.time() - time.time()) < 1
    clock.freeze(1000.5)
    assert clock() == 1000 and clock.frozen
    clock.advance(10)
    assert clock.time() == 1010.5
    clock.unfreeze()
    assert not clock.frozen and 1010 <= clock() <= 1012
    clock.advance(-5)
    assert clock() < 1010
    clock.reset()
    assert abs(clock.offset) < 1


def test_the_clocked_window_counts_on_its_clock() -> None:
    now = [100.0]
    window = ClockedMovingWindow(lambda: now[0])
    item = RateLimitItemPerMinute(2)
    assert window.hit(item, "ns", "k") and window.hit(item, "ns", "k")
    assert not window.hit(item, "ns", "k")
    stats = window.get_window_stats(item, "ns", "k")
    assert stats == (160.0, 0)
    now[0] = 160.5
    assert window.hit(item, "ns", "k")
    window.clear()
    assert window.get_window_stats(item, "ns", "k").remaining == 2


def test_fault_rules_match_use_up_and_roll_dice() -> None:
    faults = Faults(random.Random(7))
    once = faults.add({"kind": "error", "status": 503, "method": "get", "times": 1, "path": "/a*"})
    assert faults.pick("POST", "/a", None) is None
    assert faults.pick("GET", "/b", None) is None
    assert faults.pick("GET", "/abc", None) is once
    assert faults.pick("GET", "/abc", None) is None  # used up, removed
    assert faults.rules == []
    half = faults.add({"kind": "latency", "latency_ms": 5, "probability": 0.5})
    fired = sum(faults.pick("GET", "/x", 1) is half for _ in range(1000))
    assert 400 < fired < 600
    mine = faults.add({"kind": "drop"}, account_id=3)
    assert faults.visible(3) == [mine] and faults.visible(4) == []
    with pytest.raises(RuleError):
        faults.add({"kind": "drop", "account_id": 4}, account_id=3)
    status, body, headers = once.answer()
    assert (status, headers["Retry-After"]) == (503, "1")
    assert body == {
        "success": False,
        "status": 503,
        "message": "The database is unavailable or busy; retry shortly",
    }


def dump(store: SqlStore) -> dict[str, list[tuple[object, ...]]]:
    with store.engine.connect() as conn:
        names = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                " AND name != 'verdigris_emulator_undo'"
            )
        ]
        return {
            n: sorted(tuple(r) for r in conn.exec_driver_sql(f'SELECT rowid, * FROM "{n}"'))
            for n in names
        }


def test_the_undo_log_rewinds_exactly(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'undo.db'}")
    assert isinstance(store, SqlStore)
    store.migrate()
    services = Services(store)
    user, _ = services.add_user("ada@example.com", account="Acme")
    who = Principal(user.id, user.account_id, user.email)
    kept = services.create_lead(who, {"name": "Kept", "tags": ["a"], "phone_numbers": [
        {"number": "555 0100", "category": "work"}]})  # fmt: skip
    undo = UndoLog(store)
    before = dump(store)
    made = services.create_lead(who, {"name": "New", "tags": ["b", "c"]})
    services.update_lead(
        who, kept.lead.id, {"name": "Changed", "tags": ["z"], "monetary_value": 0.1}
    )
    services.delete_lead(who, made.lead.id)
    services.create_custom_field_definition(who, {"name": "F", "data_type": "Float"})
    services.add_user("bob@example.org", account="Globex")
    assert undo.pending() > 0
    assert dump(store) != before
    undo.rewind()
    assert dump(store) == before
    assert undo.pending() == 0
    undo.close()
    services.create_lead(who, {"name": "Not logged"})
    with store.engine.connect() as conn:  # the schema is left as it was
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    assert "verdigris_emulator_undo" not in tables
    reset(store)
    store.close()
