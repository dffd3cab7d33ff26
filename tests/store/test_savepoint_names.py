"""Savepoints are named after their depth on the connection (fast.FastCursor.savepoint):
the same statements request after request, and an inner one rolled back undoes only
itself, whatever the names."""

from __future__ import annotations

import pytest

from tests.store.test_group_memo import _statements
from tests.store.test_pipeline import Boom, _account, _lead
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore


def test_the_savepoints_of_a_group_commit_reuse_their_statements(
    sqlite_store: SqlStore,
) -> None:
    account = _account(sqlite_store)
    with sqlite_store.batch() as batch, _statements(batch) as seen:
        for _ in range(4):
            with batch.transaction(write=True) as tx:
                tx.leads.insert(_lead(account, name="A"))
                with tx.savepoint():
                    tx.leads.insert(_lead(account, name="B"))
                with pytest.raises(Boom), tx.savepoint():
                    tx.leads.insert(_lead(account, name="C"))
                    raise Boom
    savepoints = [s for s in seen if "SAVEPOINT" in s]
    assert len(savepoints) == 4 * (2 + 2 + 3)  # each request: its own, two inside it
    assert set(savepoints) == {
        "SAVEPOINT vsd_1",
        "RELEASE SAVEPOINT vsd_1",
        "SAVEPOINT vsd_2",
        "RELEASE SAVEPOINT vsd_2",
        "ROLLBACK TO SAVEPOINT vsd_2",
    }
    with (
        sqlite_store.batch() as batch,
        _statements(batch) as seen,
        batch.transaction(write=True) as tx,
    ):
        tx.leads.insert(_lead(account, name="D"))
    assert [s for s in seen if "SAVEPOINT" in s] == ["SAVEPOINT vsd_1", "RELEASE SAVEPOINT vsd_1"]


def test_nested_savepoints_undo_only_their_own_writes(store: Store) -> None:
    """Each rolled back level undoes its writes and those inside it, nothing outside."""
    account = _account(store)
    with store.batch() as batch:
        with batch.transaction(write=True) as tx:
            kept = tx.leads.insert(_lead(account, name="kept")).id
            with tx.savepoint():
                inner = tx.leads.insert(_lead(account, name="inner")).id
                with pytest.raises(Boom), tx.savepoint():
                    tx.leads.insert(_lead(account, name="innermost"))
                    raise Boom
            with pytest.raises(Boom), tx.savepoint():
                tx.leads.insert(_lead(account, name="undone"))
                with tx.savepoint():
                    tx.leads.insert(_lead(account, name="undone with it"))
                raise Boom
        with pytest.raises(Boom), batch.transaction(write=True) as tx:
            tx.leads.insert(_lead(account, name="a failed request"))
            raise Boom
        with batch.transaction(write=True) as tx:
            after = tx.leads.insert(_lead(account, name="after")).id
    with store.transaction(write=False) as tx:
        found = {
            lead_id: lead.name
            for lead_id in range(1, after + 5)
            if (lead := tx.leads.get(account, lead_id)) is not None
        }
    assert found == {kept: "kept", inner: "inner", after: "after"}
