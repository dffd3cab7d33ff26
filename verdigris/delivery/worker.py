"""The delivery loop of one server process.

Each tick:

1. **claim** (one write transaction, only when there is something to do): on SQLite the
   process must hold the ``delivery`` lease (one sender per database); it renews the
   lease on the events it holds, takes over events whose holder stopped (their lease ran
   out: a *reliable* subscription's go back to pending and are sent again, a *Copper*
   one's are recorded as ``dropped``, since Copper sends at most once), and claims
   pending events (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several servers never
   claim one event twice);
2. **send** the notifications now due (:func:`verdigris.domain.webhooks.batches`), at
   most ``concurrency`` at a time, each with its own timeout, off the request path;
3. **record** every attempt in the inbox, delete what is handled, and put failed
   reliable notifications back with their next time (``BACKOFF``).

Event times (``due_at``, a notification's ``timestamp``) come from the services' clock,
which an emulator may control; leases are wall-clock seconds shared by processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from verdigris.delivery.sender import Sender, Sent
from verdigris.domain import webhooks as rules
from verdigris.domain.webhooks import Attempt, Pending, Subscription, TargetRules
from verdigris.store.base import Store, StoreTx, Transactions

log = logging.getLogger("verdigris.webhooks")
LEASE = "delivery"
DROPPED_ERROR = (
    "the server stopped before sending it; Copper mode sends a notification at most once "
    "and does not retry"
)

Run = Callable[..., Awaitable[Any]]
#: runs ``fn(transactions)`` where it may write: the store, or a group commit (SQLite:
#: the sender's writes then share the API's commits instead of adding their own)
Write = Callable[[Callable[[Transactions], Any]], Awaitable[Any]]


async def _inline(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


@dataclass(frozen=True)
class DeliveryConfig:
    """The sender's settings (verdigris.config: ``webhook_*``)."""

    #: the mode of subscriptions that set none: "copper" or "reliable"
    mode: str = rules.COPPER
    targets: TargetRules = field(default_factory=TargetRules)
    #: seconds a receiver gets to answer
    timeout: float = 10.0
    #: seconds a sender's claim holds without renewal (a stopped server's events are
    #: taken over after this)
    lease_seconds: float = 10.0
    #: seconds between looks at the outbox when nothing wakes the loop
    poll_seconds: float = 0.5
    claim_limit: int = 1000
    concurrency: int = 16
    #: attempts the inbox keeps per account (the oldest go first)
    inbox_size: int = 1000
    prune_seconds: float = 60.0
    #: at most one tick this often: a busy API's commits wake the sender once per
    #: interval, so each tick carries many events (and few commits of its own)
    min_interval: float = 0.05


@dataclass
class _Outgoing:
    """One notification about to go out, and then what came of it."""

    events: list[Pending]
    subscription: Subscription | None
    url: str = ""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delivery_id: str = ""
    reliable: bool = False
    replay_of: int | None = None
    sent: Sent | None = None


class DeliveryWorker:
    """Sends the outbox of ``store``; ``run`` runs blocking store calls (a thread hop on
    PostgreSQL, inline on SQLite)."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], int],
        config: DeliveryConfig | None = None,
        *,
        run: Run = _inline,
        write: Write | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.config = config or DeliveryConfig()
        self.run = run
        self.write: Write = write or (lambda fn: self.run(fn, self.store))
        self.sender = Sender(self.config.targets, self.config.timeout)
        self.holder = f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.single = store.url.startswith("sqlite")
        #: claimed events not yet sent, by id
        self.held: dict[int, Pending] = {}
        #: notifications sent whose attempts are not recorded yet (a failed record)
        self.unrecorded: list[_Outgoing] = []
        self._next_renew = 0.0
        self._next_recover = 0.0
        self._next_prune = 0.0
        #: another process holds the lease (SQLite): do not ask again before this
        self._lease_wait_until = 0.0
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    # lifecycle ------------------------------------------------------------------------------

    def notify(self) -> None:
        """Something was committed: look at the outbox now."""
        self._wake.set()

    def start(self) -> bool:
        """Start sending on the running loop; False if this worker already sends (the same
        app served by a second lifespan, as an in-process test client does): only the
        lifespan that started it stops it."""
        if self._task is not None and not self._task.done():
            return False
        self._stopping = False
        self._wake = asyncio.Event()  # bound to this loop, not a previous one
        self._task = asyncio.create_task(self.run_forever(), name="webhook-delivery")
        return True

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, self.config.timeout + 5)
            except TimeoutError:
                self._task.cancel()
        if self.held:  # never tried: the next sender takes them as they are
            held, self.held = list(self.held.values()), {}
            try:
                await self.run(self._give_back, held)
            except Exception:
                log.exception("could not give back %d webhook events", len(held))
        await self.sender.close()

    def _give_back(self, events: list[Pending]) -> None:
        with self.store.transaction(write=True) as tx:
            for e in events:
                tx.outbox.release([e.id], e.due_at, e.attempts, e.delivery_id)

    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            started = loop.time()
            try:
                sent = await self.tick()
            except Exception:
                log.exception("webhook delivery failed; trying again")
                sent = 0
            if self._stopping:
                break
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.poll_seconds)
                self._wake.clear()
            rest = self.config.min_interval - (loop.time() - started)
            if rest > 0 and not self._stopping:
                await asyncio.sleep(rest)

    # one tick -------------------------------------------------------------------------------

    async def tick(self) -> int:
        """Claim, send what is due, record; the number of notifications sent."""
        if self.unrecorded:
            unrecorded = self.unrecorded
            await self.write(lambda t: self._record(t, unrecorded))
            self.unrecorded = []
        now = time.time()
        idle = await self.run(self._idle, now)
        if not idle and not await self.write(lambda t: self._claim(t, now)):
            return 0
        due = rules.batches(list(self.held.values()), self.clock())
        if not due:
            return 0
        for batch in due:
            for event in batch:
                self.held.pop(event.id, None)
        outgoing: list[_Outgoing] = await self.run(self._prepare, due)
        limit = asyncio.Semaphore(self.config.concurrency)

        async def send(item: _Outgoing) -> None:
            if item.subscription is None:
                return
            async with limit:
                item.sent = await self.sender.post(item.url, item.body, item.headers)

        await asyncio.gather(*(send(item) for item in outgoing))
        try:
            await self.write(lambda t: self._record(t, outgoing))
        except Exception:
            self.unrecorded = outgoing
            raise
        return len(outgoing)

    def _idle(self, now: float) -> bool:
        """Nothing to claim and no chore due: the claim's write transaction is skipped
        (a read of the outbox's index instead); what is held is still sent when due."""
        if now < self._lease_wait_until:
            return True
        renew = bool(self.held) and now >= self._next_renew
        if renew or now >= self._next_recover or now >= self._next_prune:
            return False
        if len(self.held) >= self.config.claim_limit:
            return True
        with self.store.transaction(write=False) as tx:
            return not tx.outbox.pending_exists()

    def _claim(self, transactions: Transactions, now: float) -> bool:
        """The claim phase; False when another process delivers (SQLite)."""
        cfg = self.config
        room = cfg.claim_limit - len(self.held)
        until = now + cfg.lease_seconds
        with transactions.transaction(write=True) as tx:
            if self.single and not tx.outbox.take_lease(LEASE, self.holder, until, now):
                self.held.clear()  # another process delivers; what we held is its now
                self._lease_wait_until = now + cfg.lease_seconds / 2
                return False
            if now >= self._next_renew:
                tx.outbox.renew(self.holder, until)
                self._next_renew = now + cfg.lease_seconds / 3
            if now >= self._next_recover:
                self._recover(tx, now)
                self._next_recover = now + cfg.lease_seconds
            if now >= self._next_prune:
                tx.outbox.prune_attempts(cfg.inbox_size)
                self._next_prune = now + cfg.prune_seconds
            if room > 0:
                for event in tx.outbox.claim(self.holder, room, until):
                    self.held[event.id] = event
        return True

    def _recover(self, tx: StoreTx, now: float) -> None:
        """Events a stopped sender held: sent again (reliable) or recorded dropped (Copper)."""
        for event in tx.outbox.expired(now, self.config.claim_limit):
            if event.id in self.held:
                continue
            subscription = tx.webhooks.get_any(event.subscription_id)
            if subscription is None:
                tx.outbox.done([event.id])
            elif self._reliable(subscription):
                tx.outbox.release([event.id], event.due_at, event.attempts, event.delivery_id)
            else:
                body = self._body(subscription, [event])
                delivery_id = event.delivery_id or str(uuid.uuid4())
                tx.outbox.add_attempt(
                    Attempt(
                        account_id=event.account_id,
                        subscription_id=subscription.id,
                        delivery_id=delivery_id,
                        attempt=event.attempts + 1,
                        at=self.clock(),
                        url=subscription.target,
                        request_headers=rules.headers_for(subscription, body, delivery_id, False),
                        request_body=body.decode(),
                        error=DROPPED_ERROR,
                        outcome="dropped",
                    )
                )
                tx.outbox.done([event.id])
                log.warning("webhook event %d dropped: %s", event.id, DROPPED_ERROR)

    def _reliable(self, subscription: Subscription) -> bool:
        return (subscription.mode or self.config.mode) == rules.RELIABLE

    def _body(self, subscription: Subscription, events: list[Pending]) -> bytes:
        return msgspec.json.encode(rules.notification(subscription, events, events[0].created_at))

    def _prepare(self, due: list[list[Pending]]) -> list[_Outgoing]:
        """Each notification's request, from the subscriptions as they are now."""
        out: list[_Outgoing] = []
        subscriptions: dict[int, Subscription | None] = {}
        with self.store.transaction(write=False) as tx:
            for events in due:
                sid = events[0].subscription_id
                if sid not in subscriptions:
                    subscriptions[sid] = tx.webhooks.get_any(sid)
                subscription = subscriptions[sid]
                item = _Outgoing(events, subscription)
                out.append(item)
                if subscription is None:
                    continue  # deleted meanwhile: its events go with it
                item.reliable = self._reliable(subscription)
                item.url = subscription.target
                item.delivery_id = events[0].delivery_id or str(uuid.uuid4())
                replay = events[0].replay_of
                if replay is not None:
                    original = tx.outbox.attempt(events[0].account_id, replay)
                    if original is None:
                        item.subscription = None
                        continue
                    item.replay_of = replay
                    item.body = original.request_body.encode()
                else:
                    item.body = self._body(subscription, events)
                item.headers = rules.headers_for(
                    subscription, item.body, item.delivery_id, item.reliable
                )
        return out

    def _record(self, transactions: Transactions, outgoing: list[_Outgoing]) -> None:
        now = self.clock()
        attempts: list[Attempt] = []
        handled: list[int] = []
        with transactions.transaction(write=True) as tx:
            for item in outgoing:
                ids = rules.ids_of(item.events)
                if item.subscription is None or item.sent is None:
                    handled.extend(ids)
                    continue
                first = item.events[0]
                tries = first.attempts + 1
                ok = rules.delivered(item.sent.status)
                wait = None if ok or not item.reliable else rules.retry_after(tries)
                if ok:
                    outcome = "delivered"
                elif wait is not None and item.replay_of is None:
                    outcome = "retrying"
                else:
                    outcome = "failed"
                attempts.append(
                    Attempt(
                        account_id=first.account_id,
                        subscription_id=item.subscription.id,
                        delivery_id=item.delivery_id,
                        attempt=tries,
                        at=now,
                        url=item.url,
                        request_headers=item.headers,
                        request_body=item.body.decode(),
                        status=item.sent.status,
                        error=item.sent.error,
                        duration_ms=item.sent.duration_ms,
                        outcome=outcome,
                        replay_of=item.replay_of,
                    )
                )
                if outcome == "retrying" and wait is not None:
                    tx.outbox.release(ids, now + wait, tries, item.delivery_id)
                else:
                    handled.extend(ids)
            tx.outbox.add_attempts(attempts)
            tx.outbox.done(handled)
