"""The write path's statements on the DB-API cursor (verdigris.store.fast): same results,
same errors and same atomicity as through SQLAlchemy, on both engines."""

from __future__ import annotations

import threading
import time
from typing import Any, Literal

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from verdigris.domain.leads import Email, Lead
from verdigris.domain.matching import MatchCriteria
from verdigris.store import schema as t
from verdigris.store.base import Store, StoreUnavailable
from verdigris.store.fast import prepared
from verdigris.store.lead_rows import match_statement
from verdigris.store.postgres import PostgresStore
from verdigris.store.sql import SqlTx

NOW = 1_700_000_000


class Boom(Exception):
    pass


def _account(store: Store, name: str = "Acme") -> int:
    with store.transaction(write=True) as tx:
        return tx.accounts.create(name, NOW).id


def _lead(account_id: int, **fields: object) -> Lead:
    base: dict[str, object] = {"date_created": NOW, "date_modified": NOW}
    return Lead(account_id=account_id, **{**base, **fields})  # type: ignore[arg-type]


def _match(store: Store, account_id: int, criteria: MatchCriteria) -> list[int]:
    with store.transaction(write=False) as tx:
        return sorted(tx.leads.match_ids(account_id, criteria, 31))


def test_names_sharing_an_index_key_match_only_in_full(store: Store) -> None:
    """Matches look up the lower-cased index key, then compare the whole value."""
    account = _account(store)
    stem = "a" * 240
    ids = {}
    with store.transaction(write=True) as tx:
        for name in (stem + "Twin", stem + "TWIN", stem + "twin"):
            ids[name] = tx.leads.insert(_lead(account, name=name)).id
        email = tx.leads.insert(_lead(account, email=Email(stem + "@example.com", "work")))
    for name, lead_id in ids.items():
        assert _match(store, account, MatchCriteria("name", name)) == [lead_id]
    assert _match(store, account, MatchCriteria("name", stem + "TwiN")) == []
    assert _match(store, account, MatchCriteria("email", stem + "@example.com")) == [email.id]


def test_a_failed_savepoint_undoes_only_its_own_writes(store: Store) -> None:
    account = _account(store)
    with store.transaction(write=True) as tx:
        kept = tx.leads.insert(_lead(account, name="Kept", tags=["a"]))
        with pytest.raises(Boom), tx.savepoint():
            tx.leads.insert(_lead(account, name="Ghost", custom_fields={7: "ghost"}))
            raise Boom
        with tx.savepoint():
            tx.leads.insert(_lead(account, name="Second"))
    assert _match(store, account, MatchCriteria("name", "Kept")) == [kept.id]
    assert _match(store, account, MatchCriteria("name", "Ghost")) == []
    assert _match(store, account, MatchCriteria("custom", "ghost", 7)) == []
    assert len(_match(store, account, MatchCriteria("name", "Second"))) == 1


def test_a_database_error_in_a_savepoint_leaves_the_transaction_usable(store: Store) -> None:
    """On PostgreSQL an error aborts the transaction until ROLLBACK TO SAVEPOINT."""
    account = _account(store)
    with store.transaction(write=True) as tx:
        assert isinstance(tx, SqlTx)
        with pytest.raises(sa.exc.IntegrityError), tx.savepoint():
            # date_created is NOT NULL: the driver's error comes out as SQLAlchemy's
            bad = t.accounts.insert().values(
                name=sa.bindparam("name"), date_created=sa.bindparam("date_created")
            )
            tx.fast.run("test_bad_insert", bad, {"name": "Bad", "date_created": None})
        after = tx.leads.insert(_lead(account, name="After"))
    assert _match(store, account, MatchCriteria("name", "After")) == [after.id]


def test_an_update_writes_only_what_changed_and_reads_back(store: Store) -> None:
    account = _account(store)
    lead = _lead(account, name="Ada", email=Email("ada@example.com", "work"), tags=["x"])
    with store.transaction(write=True) as tx:
        lead = tx.leads.insert(lead)
    with store.transaction(write=True) as tx:
        current = tx.leads.get_for_update(account, lead.id)
        assert current == lead
        changed = Lead(**{**_fields(current), "title": "CTO", "tags": ["y", "z"]})
        tx.leads.update(changed)
    with store.transaction(write=False) as tx:
        assert tx.leads.get(account, lead.id) == changed
    # the tag rows follow the tags (search's side table)
    with store.transaction(write=False) as tx:
        assert isinstance(tx, SqlTx)
        rows = tx.conn.execute(
            sa.select(t.lead_tags.c.tag).where(t.lead_tags.c.lead_id == lead.id)
        ).all()
    assert sorted(r[0] for r in rows) == ["y", "z"]


def _fields(lead: Lead) -> dict[str, Any]:
    return {f: getattr(lead, f) for f in lead.__struct_fields__}


def test_a_row_lock_held_too_long_answers_unavailable(pg_store: PostgresStore) -> None:
    """Driver errors from the fast path map to StoreUnavailable as before (lock_timeout)."""
    impatient = PostgresStore(pg_store.url, lock_timeout=0.2)
    account = _account(pg_store)
    with pg_store.transaction(write=True) as tx:
        lead = tx.leads.insert(_lead(account, name="Locked"))
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with pg_store.transaction(write=True) as tx:
            tx.leads.get_for_update(account, lead.id)
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable), impatient.transaction(write=True) as tx:
            tx.leads.get_for_update(account, lead.id)
        assert time.monotonic() - started < 5
    finally:
        release.set()
        holder.join()
        impatient.close()


def test_sqlite_email_and_name_matches_are_pinned_to_their_index() -> None:
    """Planner statistics are averages (an account where most leads have no email has a
    huge "" key): SQLite is told which index a match reads, whatever ANALYZE said."""
    dialect = sqlite_dialect()
    pairs: tuple[tuple[Literal["email", "name"], str], ...] = (("email", "a@x.io"), ("name", "A"))
    for field, value in pairs:
        key, stmt, _, index = match_statement(1, MatchCriteria(field, value), 31)
        sql = prepared(key + ":pin-test", stmt, dialect, sqlite_index=index).sql
        assert f"FROM leads INDEXED BY ix_leads_by_{field}" in sql
    with pytest.raises(ValueError, match="cannot pin"):
        prepared("pin-test:no-such-table", stmt, dialect, sqlite_index=("people", "ix_x"))
