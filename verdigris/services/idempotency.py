"""Idempotency keys (issue 19): a write sent with an ``Idempotency-Key`` runs once; the
same key again gets the stored answer.

The key's row is claimed first, in the same database transaction as the write, and
the answer is stored in it before that transaction commits: the key, the write and the
answer commit together or not at all (a crash between the write and the answer leaves
neither). Through a group commit (SQLite) the claim, the write and the answer are one
savepoint of the batch, so a batch never commits a key without its write or the other
way round. A second request with the key waits for the first: on PostgreSQL the claim
blocks on the unique index until the first transaction ends; SQLite admits one writer.
An error answer is not stored: its savepoint (claim included) is rolled back, and the
key can be used again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import msgspec

from verdigris.domain.errors import IdempotencyKeyBusy, IdempotencyKeyReused
from verdigris.services.base import Principal, ServiceBase
from verdigris.store.base import Batch, Store, StoredAnswer, Transactions
from verdigris.wire import catalogue

#: what a keyed write answers: status, headers, body
Answer = tuple[int, Sequence[tuple[str, str]], bytes]

_canonical = msgspec.json.Encoder(order="sorted")


def fingerprint(method: str, route: str, query: Sequence[tuple[str, str]], body: object) -> str:
    """What makes two requests with one key "the same": method, concrete path, query
    string and body (as JSON with sorted keys: key order and spacing do not count)."""
    digest = hashlib.sha256()
    digest.update(f"{method} {route}\n".encode())
    digest.update(_canonical.encode(sorted(query)))
    digest.update(b"\n")
    digest.update(_canonical.encode(body))
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > 255 or not key.isprintable():
        raise IdempotencyKeyReused(catalogue.IDEMPOTENCY_KEY_INVALID_MESSAGE)
    return key


class IdempotencyServices(ServiceBase):
    #: how long a stored answer is replayed, in seconds (VERDIGRIS_IDEMPOTENCY_HOURS)
    idempotency_ttl: int = 24 * 3600

    def keyed(
        self,
        who: Principal,
        key: str,
        fingerprint: str,
        work: Callable[[Transactions], Answer],
    ) -> tuple[Answer, bool]:
        """``work``'s answer, run once per key: ``(answer, replayed)``. ``work`` opens its
        transactions through the handle it is given, inside the key's transaction."""
        held: AbstractContextManager[Transactions]
        if isinstance(self.store, Batch):
            held = nullcontext(self.store)  # a group commit: already one transaction
        else:
            assert isinstance(self.store, Store)
            held = self.store.hold()
        with held as through, through.transaction(write=True) as tx:
            now = self.clock()
            if not tx.idempotency.claim(who.account_id, key, fingerprint, now):
                found = tx.idempotency.find(who.account_id, key)
                if found is not None and found.created_at >= now - self.idempotency_ttl:
                    return self._replay(key, fingerprint, found), True
                tx.idempotency.forget(who.account_id, key)  # expired: the key is new again
                tx.idempotency.claim(who.account_id, key, fingerprint, now)
            status, headers, body = work(through)
            tx.idempotency.answer(who.account_id, key, status, headers, body)
            return (status, headers, body), False

    @staticmethod
    def _replay(key: str, fingerprint: str, found: StoredAnswer) -> Answer:
        if found.fingerprint != fingerprint:
            raise IdempotencyKeyReused(catalogue.IDEMPOTENCY_KEY_REUSED_MESSAGE.format(key=key))
        if found.status == 0:
            raise IdempotencyKeyBusy(catalogue.IDEMPOTENCY_KEY_BUSY_MESSAGE.format(key=key))
        return found.status, found.headers, found.body

    def prune_keys(self, older_than: int) -> int:
        with self.store.transaction(write=True) as tx:
            return tx.idempotency.prune(older_than)
