"""Never lost, never twice: several senders on PostgreSQL send each event once; a server
killed (-9) between the commit and the delivery leaves its events to the next one, which
sends them (reliable mode) or records them as dropped (Copper mode)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import start_server, stop_server
from tests.receiver import receiver
from verdigris.delivery import DeliveryConfig, DeliveryWorker
from verdigris.services import Principal, Services
from verdigris.store import open_store
from verdigris.store.base import Store
from verdigris.store.postgres import PostgresStore
from verdigris.store.sql import SqlStore


async def _threaded(fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(fn, *args)


@pytest.mark.slow
def test_two_senders_on_postgresql_send_each_event_once(
    pg_store: PostgresStore, postgres_url: str
) -> None:
    services = Services(pg_store)
    services.enable_webhooks()
    user, _ = services.add_user("ada@example.com", account="Acme")
    who = Principal(user.id, user.account_id, user.email)
    other = open_store(postgres_url)  # a second server: its own pool
    with receiver() as hooks:
        services.create_webhook(who, {"target": hooks.url, "type": "lead", "event": "update"})
        ids = [services.create_lead(who, {"name": f"L{i}"}).lead.id for i in range(60)]
        # distinct changes: one notification per event, so that claims interleave
        for i in ids:
            services.update_lead(who, i, {"title": f"T{i}"})
        workers = [
            DeliveryWorker(store, services.clock, DeliveryConfig(claim_limit=7), run=_threaded)
            for store in (pg_store, other)
        ]

        async def both() -> None:
            deadline = time.monotonic() + 30
            while len(hooks.received) < len(ids) and time.monotonic() < deadline:
                await asyncio.gather(*(w.tick() for w in workers))
            await asyncio.sleep(0.3)  # anything sent twice would have arrived by now
            for w in workers:
                await w.sender.close()

        asyncio.run(both())
        got = sorted(i for body in hooks.bodies() for i in body["ids"])
        assert got == ids
        senders = {a.delivery_id for a in services.webhook_deliveries(who, {"page_size": "200"})}
        assert len(senders) == len(ids)
    other.close()


def _outbox_states(store: Store) -> list[str]:
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT state FROM webhook_outbox"))]


def _wait(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["reliable", "copper"])
def test_kill_9_between_commit_and_delivery(live_db: str, session_store: Store, mode: str) -> None:
    env = {
        "VERDIGRIS_WEBHOOK_DELAY": "2",
        "VERDIGRIS_WEBHOOK_LEASE_SECONDS": "1",
        "VERDIGRIS_WEBHOOK_MODE": mode,
    }
    with receiver() as hooks:
        server = start_server(live_db, "--no-rate-limits", env=env)
        try:
            api = httpx.Client(
                base_url=server.base_url + "/developer_api/v1", headers=server.headers
            )
            made = api.post("/webhooks", json={"target": hooks.url, "type": "lead", "event": "new"})
            assert made.status_code == 200, made.text
            lead = api.post("/leads", json={"name": "Survivor"}).json()
            # committed, claimed by the server's sender, not yet due (the 2 s delay)
            _wait(lambda: _outbox_states(session_store) == ["claimed"])
        finally:
            server.process.kill()  # kill -9
            server.process.wait()
        assert hooks.received == []
        server = start_server(live_db, "--no-rate-limits", env=env)
        try:
            headers = server.headers
            inbox = server.base_url + "/verdigris/v1/webhooks/deliveries"

            def handled() -> bool:
                return bool(httpx.get(inbox, headers=headers).json())

            _wait(handled)
            [attempt] = httpx.get(inbox, headers=headers).json()
            if mode == "reliable":
                [body] = hooks.wait_for(1)
                assert body["ids"] == [lead["id"]]
                assert attempt["outcome"] == "delivered"
            else:
                assert attempt["outcome"] == "dropped"
                assert attempt["error"].startswith("the server stopped before sending it")
                time.sleep(2.5)  # past the delay: still never sent
                assert hooks.received == []
            assert _outbox_states(session_store) == []
        finally:
            stop_server(server)
