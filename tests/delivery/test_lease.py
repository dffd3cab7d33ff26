"""SQLite: one process delivers. A second sender on the same database stays out while the
first holds the lease, and takes over once it has stopped renewing it."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.receiver import receiver
from verdigris.delivery import DeliveryConfig, DeliveryWorker
from verdigris.services import Principal, Services
from verdigris.store.sql import SqlStore


@pytest.mark.slow
def test_one_sender_at_a_time_on_sqlite(sqlite_store: SqlStore) -> None:
    services = Services(sqlite_store)
    services.enable_webhooks()
    user, _ = services.add_user("ada@example.com", account="Acme")
    who = Principal(user.id, user.account_id, user.email)
    config = DeliveryConfig(lease_seconds=0.5)
    first = DeliveryWorker(sqlite_store, services.clock, config)
    second = DeliveryWorker(sqlite_store, services.clock, config)
    with receiver() as hooks:
        services.create_webhook(who, {"target": hooks.url, "type": "lead", "event": "new"})

        async def run() -> None:
            services.create_lead(who, {"name": "One"})
            assert await first.tick() == 1
            services.create_lead(who, {"name": "Two"})
            assert await second.tick() == 0  # the first holds the lease
            assert second.held == {}
            time.sleep(0.6)  # the first stops renewing: its lease runs out
            second._lease_wait_until = 0.0
            assert await second.tick() == 1
            for worker in (first, second):
                await worker.sender.close()

        asyncio.run(run())
        assert [b["ids"] for b in hooks.wait_for(2)] == [[1], [2]]
