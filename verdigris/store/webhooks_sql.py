"""``tx.webhooks`` and ``tx.outbox`` in SQLAlchemy Core.

:class:`SqlWebhooks`: the subscriptions (secret and headers as JSON text).
:class:`SqlOutbox`: events written with each change, claimed by a sender and deleted
once handled; on PostgreSQL a claim skips rows another sender's transaction holds
(``FOR UPDATE SKIP LOCKED``), so several servers never send one event twice. SQLite has
one writer at a time; there, one process delivers, the holder of the ``delivery``
lease (:meth:`SqlOutbox.take_lease`). The inbox of attempts lives here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from verdigris.domain.webhooks import Attempt, NewEvent, Pending, Subscription
from verdigris.store import schema as t
from verdigris.store.base import Outbox, Webhooks
from verdigris.store.fast import FastCursor
from verdigris.store.rows import SqlRepository

_json = msgspec.json.Encoder()
_dec = msgspec.json.Decoder()
_S = t.webhook_subscriptions
_O = t.webhook_outbox
_A = t.webhook_attempts
_L = t.webhook_lease
_TOPIC = (
    sa.select(_S)
    .where(
        _S.c.account_id == sa.bindparam("a"),
        _S.c.type == sa.bindparam("t"),
        _S.c.event == sa.bindparam("e"),
    )
    .order_by(_S.c.id)
)


def _text(value: Any) -> str | None:
    return None if value is None else _json.encode(value).decode()


def _obj(value: str | None) -> Any:
    return None if value is None else _dec.decode(value)


def _subscription(row: Any) -> Subscription:
    m = row._mapping
    return Subscription(
        id=m["id"],
        account_id=m["account_id"],
        target=m["target"],
        type=m["type"],
        event=m["event"],
        secret=_obj(m["secret"]),
        headers=_obj(m["headers"]),
        custom_field_computed_values=bool(m["custom_field_computed_values"]),
        created_at=m["created_at"],
        mode=m["mode"],
        signing_secret=m["signing_secret"],
    )


def _row(s: Subscription) -> dict[str, Any]:
    return {
        "account_id": s.account_id,
        "target": s.target,
        "type": s.type,
        "event": s.event,
        "secret": _text(s.secret),
        "headers": _text(s.headers),
        "custom_field_computed_values": s.custom_field_computed_values,
        "created_at": s.created_at,
        "mode": s.mode,
        "signing_secret": s.signing_secret,
    }


class SqlWebhooks(SqlRepository, Webhooks):
    def __init__(self, conn: sa.Connection, fast: FastCursor) -> None:
        super().__init__(conn, fast)
        #: the subscriptions of each topic this transaction asked for: a bulk request's
        #: ten changes read them once (docs/performance.md)
        self._topics: dict[tuple[int, str, str], list[Subscription]] = {}

    def all(self, account_id: int) -> list[Subscription]:
        stmt = sa.select(_S).where(_S.c.account_id == account_id).order_by(_S.c.id)
        return [_subscription(r) for r in self.conn.execute(stmt)]

    def get(self, account_id: int, subscription_id: int) -> Subscription | None:
        row = self._one(
            sa.select(_S).where(_S.c.account_id == account_id, _S.c.id == subscription_id)
        )
        return None if row is None else _subscription(row)

    def get_any(self, subscription_id: int) -> Subscription | None:
        row = self._one(sa.select(_S).where(_S.c.id == subscription_id))
        return None if row is None else _subscription(row)

    def count(self, account_id: int) -> int:
        stmt = sa.select(sa.func.count()).select_from(_S).where(_S.c.account_id == account_id)
        return int(self.conn.execute(stmt).scalar_one())

    def for_topic(self, account_id: int, type: str, event: str) -> list[Subscription]:
        key = (account_id, type, event)
        found = self._topics.get(key)
        if found is not None:
            return found
        # on every change of every record: the write path's cursor (store/fast.py)
        cursor = self.fast.run(
            "webhooks_for_topic", _TOPIC, {"a": account_id, "t": type, "e": event}
        )
        found = _subscriptions(cursor.fetchall())
        self._topics[key] = found
        return found

    def share_topics(self, topics: dict[tuple[int, str, str], list[Subscription]]) -> None:
        """Keep the topics' subscriptions in ``topics``, shared by the transactions of one
        group commit (``SqlBatch``, as ``SqlDefinitions.share_versions``): emptied when a
        subscription changes (:meth:`_forget_topics`) or a transaction of the group is
        rolled back."""
        self._topics = topics

    def _forget_topics(self) -> None:
        """A subscription changed in this transaction: read them again."""
        self._topics.clear()

    def insert(self, subscription: Subscription) -> Subscription:
        self._forget_topics()
        result = self.conn.execute(_S.insert().values(_row(subscription)).returning(_S.c.id))
        return msgspec.structs.replace(subscription, id=int(result.scalar_one()))

    def update(self, subscription: Subscription) -> None:
        self._forget_topics()
        self.conn.execute(
            _S.update()
            .where(_S.c.id == subscription.id, _S.c.account_id == subscription.account_id)
            .values(_row(subscription))
        )

    def delete(self, account_id: int, subscription_id: int) -> bool:
        self._forget_topics()
        result = self.conn.execute(
            _S.delete().where(_S.c.account_id == account_id, _S.c.id == subscription_id)
        )
        if not result.rowcount:
            return False
        self.conn.execute(_O.delete().where(_O.c.subscription_id == subscription_id))
        return True


#: the columns of webhook_subscriptions, in the order ``SELECT webhook_subscriptions.*``
#: returns them
_COLUMNS = tuple(_S.c.keys())


def _subscriptions(rows: Sequence[Any]) -> list[Subscription]:
    return [_subscription(_Row(dict(zip(_COLUMNS, r, strict=True)))) for r in rows]


class _Row:
    """A plain row with ``_mapping``, as SQLAlchemy's rows have."""

    def __init__(self, mapping: dict[str, Any]) -> None:
        self._mapping = mapping


_INSERT_EVENT = _O.insert().values(
    {
        c: sa.bindparam(c)
        for c in (
            "account_id",
            "subscription_id",
            "record_id",
            "attributes",
            "group_key",
            "created_at",
            "due_at",
            "state",
            "attempts",
        )
    }
)
_PENDING_COLUMNS = (
    _O.c.id,
    _O.c.account_id,
    _O.c.subscription_id,
    _O.c.record_id,
    _O.c.attributes,
    _O.c.group_key,
    _O.c.created_at,
    _O.c.due_at,
    _O.c.attempts,
    _O.c.delivery_id,
    _O.c.replay_of,
)


_INSERT_ATTEMPT = _A.insert().values({c.name: sa.bindparam(c.name) for c in _A.c if c.name != "id"})


def _pending(row: Any) -> Pending:
    m = row._mapping
    return Pending(
        id=m["id"],
        account_id=m["account_id"],
        subscription_id=m["subscription_id"],
        record_id=m["record_id"],
        attributes=_obj(m["attributes"]),
        group_key=m["group_key"],
        created_at=m["created_at"],
        due_at=m["due_at"],
        attempts=m["attempts"],
        delivery_id=m["delivery_id"],
        replay_of=m["replay_of"],
    )


def _attempt(row: Any) -> Attempt:
    data = {str(k): v for k, v in row._mapping.items()}
    data["request_headers"] = _obj(data["request_headers"])
    return msgspec.convert(data, Attempt)


class SqlOutbox(SqlRepository, Outbox):
    @property
    def _postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    def add(self, events: Sequence[NewEvent], group_keys: Sequence[str]) -> None:
        for event, key in zip(events, group_keys, strict=True):
            self.fast.defer(
                "insert_webhook_event",
                _INSERT_EVENT,
                {
                    "account_id": event.account_id,
                    "subscription_id": event.subscription_id,
                    "record_id": event.record_id,
                    "attributes": _text(event.attributes),
                    "group_key": key,
                    "created_at": event.created_at,
                    "due_at": event.due_at,
                    "state": "pending",
                    "attempts": 0,
                },
            )

    def add_replay(self, attempt: Attempt, due_at: int) -> None:
        self.conn.execute(
            _O.insert().values(
                account_id=attempt.account_id,
                subscription_id=attempt.subscription_id,
                record_id=0,
                attributes=None,
                group_key=f"replay-{attempt.id}",
                created_at=due_at,
                due_at=due_at,
                state="pending",
                attempts=0,
                replay_of=attempt.id,
            )
        )

    def _lock(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        return stmt.with_for_update(skip_locked=True) if self._postgres else stmt

    def claim(self, holder: str, limit: int, lease_until: float) -> list[Pending]:
        picked = self._lock(
            sa.select(_O.c.id).where(_O.c.state == "pending").order_by(_O.c.id).limit(limit)
        )
        ids = [r[0] for r in self.conn.execute(picked)]
        if not ids:
            return []
        self.conn.execute(
            _O.update()
            .where(_O.c.id.in_(ids))
            .values(state="claimed", claimed_by=holder, lease_until=lease_until)
        )
        rows = self.conn.execute(sa.select(*_PENDING_COLUMNS).where(_O.c.id.in_(ids)))
        return sorted((_pending(r) for r in rows), key=lambda p: p.id)

    def renew(self, holder: str, lease_until: float) -> None:
        self.conn.execute(
            _O.update()
            .where(_O.c.claimed_by == holder, _O.c.state == "claimed")
            .values(lease_until=lease_until)
        )

    def expired(self, now: float, limit: int) -> list[Pending]:
        stmt = self._lock(
            sa.select(*_PENDING_COLUMNS)
            .where(_O.c.state == "claimed", _O.c.lease_until < now)
            .order_by(_O.c.id)
            .limit(limit)
        )
        return [_pending(r) for r in self.conn.execute(stmt)]

    def pending_exists(self) -> bool:
        stmt = sa.select(_O.c.id).where(_O.c.state == "pending").limit(1)
        return self._one(stmt) is not None

    def release(
        self, ids: Sequence[int], due_at: int, attempts: int, delivery_id: str | None
    ) -> None:
        self.conn.execute(
            _O.update()
            .where(_O.c.id.in_(list(ids)))
            .values(
                state="pending",
                claimed_by=None,
                lease_until=None,
                due_at=due_at,
                attempts=attempts,
                delivery_id=delivery_id,
            )
        )

    def done(self, ids: Sequence[int]) -> None:
        if ids:
            self.conn.execute(_O.delete().where(_O.c.id.in_(list(ids))))

    def replay_of(self, event_id: int) -> int | None:
        row = self._one(sa.select(_O.c.replay_of).where(_O.c.id == event_id))
        return None if row is None else row[0]

    def take_lease(self, name: str, holder: str, until: float, now: float) -> bool:
        taken = self.conn.execute(
            _L.update()
            .where(_L.c.name == name, sa.or_(_L.c.holder == holder, _L.c.until < now))
            .values(holder=holder, until=until)
        )
        if taken.rowcount:
            return True
        if self._one(sa.select(_L.c.name).where(_L.c.name == name)) is not None:
            return False
        self.conn.execute(_L.insert().values(name=name, holder=holder, until=until))
        return True

    def add_attempt(self, attempt: Attempt) -> None:
        self.add_attempts([attempt])

    def add_attempts(self, attempts: Sequence[Attempt]) -> None:
        rows = []
        for attempt in attempts:
            data = msgspec.structs.asdict(attempt)
            data.pop("id")
            data["request_headers"] = _text(data["request_headers"])
            rows.append(data)
        if rows:
            # every delivery records one: the write path's cursor, compiled once
            self.fast.executemany("insert_webhook_attempt", _INSERT_ATTEMPT, rows)

    def attempts(
        self,
        account_id: int,
        *,
        subscription_id: int | None = None,
        delivery_id: str | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[Attempt]:
        stmt = sa.select(_A).where(_A.c.account_id == account_id)
        if subscription_id is not None:
            stmt = stmt.where(_A.c.subscription_id == subscription_id)
        if delivery_id is not None:
            stmt = stmt.where(_A.c.delivery_id == delivery_id)
        if before_id is not None:
            stmt = stmt.where(_A.c.id < before_id)
        stmt = stmt.order_by(_A.c.id.desc()).limit(limit)
        return [_attempt(r) for r in self.conn.execute(stmt)]

    def attempt(self, account_id: int, attempt_id: int) -> Attempt | None:
        row = self._one(sa.select(_A).where(_A.c.account_id == account_id, _A.c.id == attempt_id))
        return None if row is None else _attempt(row)

    def prune_attempts(self, keep: int) -> int:
        deleted = 0
        over = sa.select(_A.c.account_id).group_by(_A.c.account_id).having(sa.func.count() > keep)
        for (account_id,) in self.conn.execute(over).all():
            newest = (
                sa.select(_A.c.id)
                .where(_A.c.account_id == account_id)
                .order_by(_A.c.id.desc())
                .offset(keep)
                .limit(1)
            )
            cut = self.conn.execute(newest).scalar()
            if cut is not None:
                result = self.conn.execute(
                    _A.delete().where(_A.c.account_id == account_id, _A.c.id <= cut)
                )
                deleted += result.rowcount
        return deleted

    def pending_count(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(_O)).scalar_one())
