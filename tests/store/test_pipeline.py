"""Statements whose results nobody reads (``FastCursor.defer``): SQLite runs them at once,
PostgreSQL holds them back and sends them in one pipeline with the next statement that
waits for an answer, or with the COMMIT (``PipelineCursor``). Either way the transaction
sees its own writes in order, a failure fails it (or its savepoint) and nothing of a
failed transaction is committed; on PostgreSQL an upsert costs three round trips."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from benchmarks.sql_floor import Statement, recording
from verdigris.domain.leads import Lead
from verdigris.domain.matching import MatchCriteria
from verdigris.services import Principal, Services
from verdigris.store import schema as t
from verdigris.store.base import Store
from verdigris.store.postgres import PostgresStore
from verdigris.store.sql import SqlTx

NOW = 1_700_000_000


class Boom(Exception):
    pass


def _account(store: Store) -> int:
    with store.transaction(write=True) as tx:
        return tx.accounts.create("Acme", NOW).id


def _lead(account_id: int, **fields: Any) -> Lead:
    return Lead(account_id=account_id, date_created=NOW, date_modified=NOW, **fields)


def _renamed(lead: Lead, **fields: Any) -> Lead:
    return Lead(**{**{f: getattr(lead, f) for f in lead.__struct_fields__}, **fields})


def _title(store: Store, account: int, lead_id: int) -> str | None:
    with store.transaction(write=False) as tx:
        lead = tx.leads.get(account, lead_id)
        assert lead is not None
        return lead.title


_BAD = t.accounts.insert().values(
    name=sa.bindparam("name"), date_created=sa.bindparam("date_created")
)


def _defer_bad_insert(tx: SqlTx) -> None:
    """A write that fails (date_created is NOT NULL), its result unread."""
    tx.fast.defer("test_pipeline_bad_insert", _BAD, {"name": "Bad", "date_created": None})


def test_held_writes_are_seen_by_every_later_statement(store: Store) -> None:
    account = _account(store)
    with store.transaction(write=True) as tx:
        assert isinstance(tx, SqlTx)
        lead = tx.leads.insert(_lead(account, name="Ada", tags=["a"]))
        tx.leads.update(_renamed(lead, title="CTO", tags=["b"]))
        # through SQLAlchemy (the engine's listener sends what is held first)...
        title = tx.conn.execute(sa.select(t.leads.c.title).where(t.leads.c.id == lead.id))
        assert title.scalar_one() == "CTO"
        tags = tx.conn.execute(sa.select(t.lead_tags.c.tag).where(t.lead_tags.c.lead_id == lead.id))
        assert [r[0] for r in tags] == ["b"]
        # ...and on the write path's cursor
        assert tx.leads.match_ids(account, MatchCriteria("name", "Ada"), 5) == [lead.id]
    assert _title(store, account, lead.id) == "CTO"


def test_a_held_write_that_fails_fails_its_transaction(store: Store) -> None:
    account = _account(store)
    with store.transaction(write=True) as tx:
        lead = tx.leads.insert(_lead(account, name="Ada"))
    with pytest.raises(sa.exc.IntegrityError), store.transaction(write=True) as tx:
        assert isinstance(tx, SqlTx)
        tx.leads.update(_renamed(lead, title="Lost"))
        _defer_bad_insert(tx)  # SQLite raises here, PostgreSQL at the commit
    assert _title(store, account, lead.id) is None
    with store.transaction(write=True) as tx:  # the pooled connection is clean again
        tx.leads.update(_renamed(lead, title="Kept"))
    assert _title(store, account, lead.id) == "Kept"


def test_a_savepoint_rolled_back_drops_its_held_writes(store: Store) -> None:
    account = _account(store)
    with store.transaction(write=True) as tx:
        lead = tx.leads.insert(_lead(account, name="Ada"))
    with store.transaction(write=True) as tx:
        tx.leads.update(_renamed(lead, title="Before"))
        current = tx.leads.get_for_update(account, lead.id)
        assert current is not None and current.title == "Before"
        with pytest.raises(Boom), tx.savepoint():  # nothing of it sent
            tx.leads.update(_renamed(current, title="Dropped", tags=["x"]))
            raise Boom
        current = tx.leads.get_for_update(account, lead.id)
        assert current is not None and current.title == "Before"
        with pytest.raises(Boom), tx.savepoint():  # sent, then rolled back
            tx.leads.update(_renamed(current, title="Undone"))
            assert tx.leads.match_ids(account, MatchCriteria("name", "Ada"), 5) == [lead.id]
            raise Boom
        current = tx.leads.get_for_update(account, lead.id)
        assert current is not None and current.title == "Before"
        with tx.savepoint():
            tx.leads.update(_renamed(current, title="After"))
    assert _title(store, account, lead.id) == "After"


def test_a_held_write_failing_in_a_savepoint_leaves_the_transaction_usable(
    store: Store,
) -> None:
    account = _account(store)
    with store.transaction(write=True) as tx:
        assert isinstance(tx, SqlTx)
        kept = tx.leads.insert(_lead(account, name="Kept"))
        with pytest.raises(sa.exc.IntegrityError), tx.savepoint():
            tx.leads.update(_renamed(kept, title="Undone"))
            _defer_bad_insert(tx)
            tx.fast.flush()
        tx.leads.update(_renamed(kept, title="After"))
    assert _title(store, account, kept.id) == "After"


def test_a_write_transaction_that_writes_nothing_sends_nothing(pg_store: PostgresStore) -> None:
    log: list[Statement] = []
    with recording(pg_store.engine, log), pg_store.transaction(write=True):
        pass
    assert log == []


def _who(services: Services) -> Principal:
    user, _token = services.add_user("trips@example.com", account="Trips")
    return Principal(user.id, user.account_id, user.email)


def _body(email: str, title: str) -> dict[str, Any]:
    properties = {
        "name": "Ada",
        "email": {"email": email, "category": "work"},
        "title": title,
        "tags": ["bench"],
        "phone_numbers": [{"number": "+1 415 555 0100", "category": "work"}],
    }
    return {"properties": properties, "match": {"field_name": "email", "field_value": email}}


def _trips(log: list[Statement]) -> int:
    return len({st.trip for st in log})


def test_postgres_writes_in_few_round_trips(pg_store: PostgresStore) -> None:
    """BEGIN, the statements and COMMIT: an upsert in three round trips, a bulk update
    of ten leads in two, with the server's observers (history, webhook outbox)."""
    services = Services(pg_store)
    services.observe(services.record_version)
    services.enable_webhooks()
    who = _who(services)
    services.upsert_lead(who, _body("warm@example.com", "Warm"))  # caches filled
    for outcome, title in (("created", "First"), ("updated", "Second")):
        log: list[Statement] = []
        with recording(pg_store.engine, log):
            shown = services.upsert_lead(who, _body("ada@example.com", title))
        assert shown.outcome == outcome
        assert next(st.sql for st in log) == "BEGIN" and log[-1].sql == "COMMIT"
        assert _trips(log) == 3, [(st.trip, st.sql[:60]) for st in log]
    ids = [services.create_lead(who, {"name": f"L{i}"}).lead.id for i in range(10)]
    log = []
    with recording(pg_store.engine, log):
        results = services.bulk_update(who, {"leads": [{"id": i, "title": "T"} for i in ids]})
    assert all(isinstance(r, type(shown)) for r in results)
    assert _trips(log) == 2, [(st.trip, st.sql[:60]) for st in log]
    versions = [len(services.lead_versions(who, i)) for i in ids]
    assert versions == [2] * 10  # created, then updated


def test_without_pipeline_mode_the_same_statements_go_one_by_one(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A libpq older than PostgreSQL 14's has no pipeline mode: the held statements are
    sent one at a time, in the same order, with the same results."""
    from verdigris.store import postgres

    monkeypatch.setattr(postgres, "PIPELINES", False)
    services = Services(pg_store)
    services.observe(services.record_version)
    who = _who(services)
    created = services.upsert_lead(who, _body("ada@example.com", "First"))
    updated = services.upsert_lead(who, _body("ada@example.com", "Second"))
    assert (created.outcome, updated.outcome) == ("created", "updated")
    assert updated.lead.id == created.lead.id
    assert services.get_lead(who, created.lead.id).lead.title == "Second"
    assert len(services.lead_versions(who, created.lead.id)) == 2
