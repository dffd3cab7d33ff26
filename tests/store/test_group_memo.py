"""The transactions of one group commit read the definitions' version and a topic's
webhook subscriptions once for all (store/sql.py GroupMemo), and still see every change
an earlier one made, and none that was rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import msgspec
import pytest

from tests.store.test_pipeline import Boom, _account
from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.domain.webhooks import Subscription
from verdigris.store.base import Store
from verdigris.store.sql import SqlBatch, SqlStore


def _definition(account: int, name: str) -> CustomFieldDefinition:
    return CustomFieldDefinition(
        id=0,
        account_id=account,
        name=name,
        canonical_name=name.lower(),
        data_type="String",
        available_on=("lead",),
    )


def _subscription(account: int) -> Subscription:
    return Subscription(
        account_id=account, target="https://hooks.example/x", type="lead", event="new"
    )


@contextmanager
def _statements(batch: SqlBatch) -> Iterator[list[str]]:
    raw = batch.conn.connection.dbapi_connection
    seen: list[str] = []
    raw.set_trace_callback(seen.append)  # type: ignore[union-attr]
    try:
        yield seen
    finally:
        raw.set_trace_callback(None)  # type: ignore[union-attr]


def test_a_group_commit_reads_them_once(sqlite_store: SqlStore) -> None:
    account = _account(sqlite_store)
    with sqlite_store.batch() as batch, _statements(batch) as seen:
        for _ in range(3):
            with batch.transaction(write=True) as tx:
                assert tx.definitions.version(account) == 0
                tx.definitions.version_later(account)()
                assert tx.webhooks.for_topic(account, "lead", "new") == []
    assert sum("custom_fields_version" in s for s in seen) == 1
    assert sum("FROM webhook_subscriptions" in s for s in seen) == 1


def test_transactions_on_the_store_read_them_each(sqlite_store: SqlStore) -> None:
    account = _account(sqlite_store)
    for _ in range(2):
        with sqlite_store.transaction(write=True) as tx:
            assert tx.memo is None  # type: ignore[attr-defined]
            tx.definitions.version(account)


def test_a_later_transaction_sees_an_earlier_ones_changes(store: Store) -> None:
    account = _account(store)
    with store.batch() as batch:
        with batch.transaction(write=True) as tx:
            before = tx.definitions.version(account)
            assert tx.webhooks.for_topic(account, "lead", "new") == []
        with batch.transaction(write=True) as tx:
            tx.definitions.insert(_definition(account, "Size"))
            made = tx.webhooks.insert(_subscription(account))
        with batch.transaction(write=True) as tx:
            assert tx.definitions.version(account) > before
            assert tx.webhooks.for_topic(account, "lead", "new") == [made]
        with batch.transaction(write=True) as tx:
            tx.webhooks.delete(account, made.id)
        with batch.transaction(write=True) as tx:
            assert tx.webhooks.for_topic(account, "lead", "new") == []


def test_a_rolled_back_transactions_changes_are_not_kept(store: Store) -> None:
    """A failed transaction of the group may have read its own changes: what it read
    is forgotten with them."""
    account = _account(store)
    with store.batch() as batch:
        with batch.transaction(write=True) as tx:
            before = tx.definitions.version(account)
        with pytest.raises(Boom), batch.transaction(write=True) as tx:
            tx.definitions.insert(_definition(account, "Size"))
            tx.webhooks.insert(_subscription(account))
            # read after the change: the new version and subscription
            assert tx.definitions.version(account) > before
            assert len(tx.webhooks.for_topic(account, "lead", "new")) == 1
            raise Boom
        with batch.transaction(write=True) as tx:
            assert tx.definitions.version(account) == before
            assert tx.webhooks.for_topic(account, "lead", "new") == []
            tx.definitions.insert(msgspec.structs.replace(_definition(account, "Rank")))
        with batch.transaction(write=True) as tx:
            assert tx.definitions.version(account) > before
