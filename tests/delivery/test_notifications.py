"""Notifications as a real receiver on 127.0.0.1 gets them, both engines.

The delivery worker is driven tick by tick (``Deliver``) so that what each step sends is
exact: a lead's create, update (changed attributes, old and new), bulk create and bulk
update of 10, upsert, convert and delete, Copper's 30-id batching, a rolled back change
sending nothing, reliable mode's retries and signature, Copper mode's single attempt,
the inbox and replays, slow receivers and private addresses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.receiver import Receiver, receiver
from verdigris.delivery import DeliveryConfig, DeliveryWorker
from verdigris.domain import webhooks as rules
from verdigris.domain.errors import ValidationFailed
from verdigris.domain.webhooks import TargetRules
from verdigris.services import Principal, Services
from verdigris.services.webhooks import WebhookConfig
from verdigris.store.base import Store


class Deliver:
    """A delivery worker on one event loop of its own, ticked by the test."""

    def __init__(self, store: Store, services: Services, **config: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.worker = DeliveryWorker(store, lambda: services.clock(), DeliveryConfig(**config))

    def __call__(self) -> int:
        return self.loop.run_until_complete(self.worker.tick())

    def close(self) -> None:
        self.loop.run_until_complete(self.worker.sender.close())
        self.loop.close()


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


@pytest.fixture
def who(services: Services) -> Principal:
    services.enable_webhooks()
    user, _ = services.add_user("ada@example.com", account="Acme")
    return Principal(user.id, user.account_id, user.email)


@pytest.fixture
def deliver(store: Store, services: Services) -> Iterator[Deliver]:
    d = Deliver(store, services)
    yield d
    d.close()


def subscribe(
    services: Services, who: Principal, url: str, *events: str, **extra: Any
) -> dict[str, int]:
    return {
        e: services.create_webhook(who, {"target": url, "type": "lead", "event": e, **extra}).id
        for e in events
    }


def sent(hooks: Receiver, deliver: Deliver) -> list[dict[str, Any]]:
    """What one tick sends, in id order."""
    before = len(hooks.received)
    count = deliver()
    bodies = hooks.wait_for(before + count)[before:]
    assert len(bodies) == count
    return sorted(bodies, key=lambda b: (b["event"], b["ids"]))


def test_a_lead_life_notifies_as_copper(
    services: Services, who: Principal, hooks: Receiver, deliver: Deliver
) -> None:
    subs = subscribe(
        services, who, hooks.url, "new", "update", "delete", secret={"secret": "s3", "key": "k"}
    )
    lead = services.create_lead(
        who, {"name": "Ada Lovelace", "email": {"email": "a@x.org", "category": "work"}}
    ).lead
    [new] = sent(hooks, deliver)
    assert list(new) == ["ids", "type", "event", "subscription_id", "secret", "key", "timestamp"]
    assert new["ids"] == [lead.id] and new["type"] == "lead" and new["event"] == "new"
    assert new["subscription_id"] == subs["new"] and new["secret"] == "s3"
    assert new["timestamp"] == rules.timestamp(lead.date_created)
    assert hooks.received[-1].headers["Content-Type"] == "application/json"

    services.update_lead(who, lead.id, {"title": "Countess", "tags": ["vip"]})
    [update] = sent(hooks, deliver)
    assert list(update)[-2:] == ["updated_attributes", "timestamp"]
    assert update["updated_attributes"] == {"title": [None, "Countess"], "tags": [[], ["vip"]]}
    assert update["subscription_id"] == subs["update"]

    # nothing changes: no write, no notification
    services.update_lead(who, lead.id, {"title": "Countess"})
    assert deliver() == 0

    services.delete_lead(who, lead.id)
    [delete] = sent(hooks, deliver)
    assert delete["event"] == "delete" and delete["ids"] == [lead.id]
    assert "updated_attributes" not in delete


def test_bulk_upsert_and_convert(
    services: Services, who: Principal, hooks: Receiver, deliver: Deliver
) -> None:
    subscribe(services, who, hooks.url, "new", "update", "delete")
    made = services.bulk_create(who, {"leads": [{"name": f"Lead {i}"} for i in range(10)]})
    ids = [m.lead.id for m in made if hasattr(m, "lead")]
    [new] = sent(hooks, deliver)
    assert new["ids"] == ids  # one transaction's creations: one notification

    services.bulk_update(who, {"leads": [{"id": i, "tags": ["hot"]} for i in ids]})
    [update] = sent(hooks, deliver)
    assert update["ids"] == ids
    assert update["updated_attributes"] == {"tags": [[], ["hot"]]}

    # different changes are different notifications
    services.bulk_update(who, {"leads": [{"id": i, "title": f"T{i}"} for i in ids[:3]]})
    updates = sent(hooks, deliver)
    assert [u["ids"] for u in updates] == [[i] for i in ids[:3]]

    upserted = services.upsert_lead(
        who,
        {
            "properties": {"name": "Lead 1", "title": "Boss"},
            "match": {"field_name": "name", "field_value": "Lead 1"},
        },
    )
    [update] = sent(hooks, deliver)
    assert update["ids"] == [upserted.lead.id] and update["updated_attributes"] == {
        "title": ["T" + str(ids[1]), "Boss"]
    }
    fresh = services.upsert_lead(
        who,
        {
            "properties": {"name": "Newcomer"},
            "match": {"field_name": "name", "field_value": "Newcomer"},
        },
    )
    [new] = sent(hooks, deliver)
    assert new["event"] == "new" and new["ids"] == [fresh.lead.id]

    services.convert_lead(who, ids[0], None)
    [update] = sent(hooks, deliver)
    assert update["ids"] == [ids[0]]
    assert "converted_at" in update["updated_attributes"]


def test_thirty_ids_per_notification(
    services: Services, who: Principal, hooks: Receiver, deliver: Deliver
) -> None:
    subscribe(services, who, hooks.url, "new")
    ids = [services.create_lead(who, {"name": f"L{i}"}).lead.id for i in range(35)]
    bodies = sent(hooks, deliver)
    assert sorted(len(b["ids"]) for b in bodies) == [5, 30]
    assert sorted(i for b in bodies for i in b["ids"]) == ids


def test_a_rolled_back_change_sends_nothing(
    store: Store, services: Services, who: Principal, hooks: Receiver, deliver: Deliver
) -> None:
    subscribe(services, who, hooks.url, "new", "update")
    lead = services.create_lead(who, {"name": "Kept"}).lead
    assert len(sent(hooks, deliver)) == 1
    with pytest.raises(ValidationFailed):
        services.create_lead(who, {"email": {"email": "no name", "category": "work"}})
    # a bulk item that fails rolls back alone, with its outbox row
    services.bulk_update(
        who, {"leads": [{"id": lead.id, "title": "ok"}, {"id": lead.id, "status": "Nope"}]}
    )
    [update] = sent(hooks, deliver)
    assert update["updated_attributes"] == {"title": [None, "ok"]}
    # a whole transaction rolled back after the change: nothing
    with pytest.raises(RuntimeError), store.transaction(write=True) as tx:
        services._create(tx, who, {"name": "Ghost"})
        raise RuntimeError("rolled back")
    assert deliver() == 0
    with store.transaction(write=False) as tx:
        assert tx.outbox.pending_count() == 0


def test_custom_field_computed_values(
    store: Store, services: Services, who: Principal, hooks: Receiver, deliver: Deliver
) -> None:
    from tests.helpers import add_definition

    field = add_definition(
        store,
        who.account_id,
        "Size",
        "Dropdown",
        options=[{"id": 1, "name": "Small", "rank": 0}, {"id": 2, "name": "Large", "rank": 1}],
    )
    plain = subscribe(services, who, hooks.url, "update")["update"]
    computed = subscribe(services, who, hooks.url, "update", custom_field_computed_values=True)[
        "update"
    ]
    lead = services.create_lead(who, {"name": "Opt"}).lead
    deliver()
    services.update_lead(
        who, lead.id, {"custom_fields": [{"custom_field_definition_id": field, "value": 2}]}
    )
    bodies = {b["subscription_id"]: b for b in sent(hooks, deliver)}
    entry = {"custom_field_definition_id": field}
    assert bodies[plain]["updated_attributes"] == {
        "custom_fields": [[{**entry, "value": None}], [{**entry, "value": 2}]]
    }
    assert bodies[computed]["updated_attributes"] == {
        "custom_fields": [[{**entry, "value": None}], [{**entry, "value": "Large"}]]
    }


def test_headers_and_other_accounts(
    services: Services, who: Principal, hooks: Receiver, deliver: Deliver
) -> None:
    subscribe(
        services, who, hooks.url, "new", headers={"Authentication": "Bearer t", "X-Custom": "1"}
    )
    user, _ = services.add_user("bob@example.org", account="Globex")
    bob = Principal(user.id, user.account_id, user.email)
    services.create_lead(bob, {"name": "Not Acme's"})
    assert deliver() == 0
    services.create_lead(who, {"name": "Acme's"})
    sent(hooks, deliver)
    headers = hooks.received[-1].headers
    assert headers["Authentication"] == "Bearer t" and headers["X-Custom"] == "1"
    assert "X-Verdigris-Signature" not in headers  # Copper mode


def test_copper_mode_tries_once(
    services: Services, who: Principal, hooks: Receiver, deliver: Deliver
) -> None:
    subscribe(services, who, hooks.url, "new")
    hooks.statuses = [500]
    services.create_lead(who, {"name": "Once"})
    sent(hooks, deliver)
    services.clock = lambda: 10**10  # long after: nothing is ever sent again
    assert deliver() == 0
    [attempt] = services.webhook_deliveries(who, {})
    assert (attempt.outcome, attempt.status, attempt.attempt) == ("failed", 500, 1)
    assert attempt.error is not None and attempt.error.startswith("HTTP 500")


def test_reliable_mode_retries_with_the_same_delivery_and_a_signature(
    services: Services, who: Principal, hooks: Receiver, deliver: Deliver
) -> None:
    sub = subscribe(services, who, hooks.url, "new")["new"]
    services.set_webhook_delivery(who, sub, {"mode": "reliable"})
    secret = services.get_webhook(who, sub).signing_secret
    hooks.statuses = [503, 500]
    clock = [services.clock()]
    services.clock = lambda: clock[0]  # frozen, then moved by hand
    lead = services.create_lead(who, {"name": "Sure"}).lead
    sent(hooks, deliver)
    assert deliver() == 0  # the retry waits for its backoff
    for wait in rules.BACKOFF[:2]:
        clock[0] += wait
        sent(hooks, deliver)
    assert len(hooks.received) == 3
    ids = {r.headers["X-Verdigris-Delivery"] for r in hooks.received}
    assert len(ids) == 1
    for r in hooks.received:
        assert rules.verify(secret, r.raw, r.headers["X-Verdigris-Signature"])
        assert r.body["ids"] == [lead.id]
    outcomes = [a.outcome for a in reversed(services.webhook_deliveries(who, {}))]
    assert outcomes == ["retrying", "retrying", "delivered"]


def test_the_server_wide_reliable_setting(
    services: Services, who: Principal, hooks: Receiver, store: Store
) -> None:
    services.enable_webhooks(WebhookConfig(mode="reliable"))
    subscribe(services, who, hooks.url, "new")
    d = Deliver(store, services, mode="reliable")
    try:
        hooks.statuses = [500]
        services.create_lead(who, {"name": "Sure"})
        sent(hooks, d)
        services.clock = lambda: 10**10
        sent(hooks, d)
        assert "X-Verdigris-Signature" in hooks.received[-1].headers
    finally:
        d.close()


def test_inbox_lists_and_replays(
    services: Services, who: Principal, hooks: Receiver, deliver: Deliver
) -> None:
    sub = subscribe(services, who, hooks.url, "new")["new"]
    services.create_lead(who, {"name": "Again"})
    sent(hooks, deliver)
    [attempt] = services.webhook_deliveries(who, {"subscription_id": str(sub)})
    assert attempt.request_body.encode() == hooks.received[0].raw
    services.replay_webhook_delivery(who, attempt.id)
    sent(hooks, deliver)
    assert hooks.received[1].raw == hooks.received[0].raw
    newest = services.webhook_deliveries(who, {"page_size": "1"})[0]
    assert newest.replay_of == attempt.id and newest.outcome == "delivered"
    assert newest.delivery_id != attempt.delivery_id


def test_inbox_retention(store: Store, services: Services, who: Principal, hooks: Receiver) -> None:
    subscribe(services, who, hooks.url, "new")
    d = Deliver(store, services, inbox_size=3, prune_seconds=0)
    try:
        for i in range(5):
            services.create_lead(who, {"name": f"R{i}"})
            sent(hooks, d)
        d()  # the next claim prunes
        assert len(services.webhook_deliveries(who, {})) == 3
    finally:
        d.close()


def test_a_slow_receiver_times_out(
    store: Store, services: Services, who: Principal, hooks: Receiver
) -> None:
    subscribe(services, who, hooks.url, "new")
    hooks.delay = 1.0
    d = Deliver(store, services, timeout=0.2)
    try:
        services.create_lead(who, {"name": "Slow"})
        assert d() == 1
        [attempt] = services.webhook_deliveries(who, {})
        assert attempt.status is None and attempt.error == "timed out after 0.2 s"
    finally:
        d.close()


def test_private_addresses_are_checked_at_send_time(
    store: Store, services: Services, who: Principal
) -> None:
    services.enable_webhooks(WebhookConfig(targets=TargetRules(allow_private=True)))
    services.create_webhook(
        who, {"target": "https://10.255.255.1/x", "type": "lead", "event": "new"}
    )
    d = Deliver(store, services, timeout=0.5)
    try:
        services.create_lead(who, {"name": "Inside"})
        assert d() == 1
        [attempt] = services.webhook_deliveries(who, {})
        assert attempt.outcome == "failed"
        assert attempt.error is not None and "private range" in attempt.error
    finally:
        d.close()
