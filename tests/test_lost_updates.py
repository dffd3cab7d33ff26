"""Concurrent updates of one lead never lose each other's changes (both engines)."""

from __future__ import annotations

import threading
import time

import msgspec

from verdigris.services import Principal, Services
from verdigris.store.base import Store


def test_concurrent_partial_updates_both_survive(store: Store, services: Services) -> None:
    user, _ = services.add_user("race@example.com")
    who = Principal(user.id, user.account_id, user.email)
    lead_id = services.create_lead(who, {"name": "Raced"}).lead.id
    holding = threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with store.transaction(write=True) as tx:
                lead = tx.leads.get_for_update(who.account_id, lead_id)
                assert lead is not None
                holding.set()
                time.sleep(0.5)
                tx.leads.update(msgspec.structs.replace(lead, title="from A"))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            holding.set()

    a = threading.Thread(target=slow_writer)
    a.start()
    assert holding.wait(10)
    services.update_lead(who, lead_id, {"tags": ["from B"]})
    a.join(10)
    assert not errors
    final = services.get_lead(who, lead_id).lead
    assert final.title == "from A"
    assert final.tags == ["from B"]
