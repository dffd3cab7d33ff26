"""Group commit on SQLite (verdigris.server.group_commit): concurrent writes share one
transaction, each stays atomic on its own, and none is reported before the commit."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from tests.helpers import search_shown
from verdigris.domain.errors import ValidationFailed
from verdigris.server.group_commit import GroupCommit, Work
from verdigris.services import Principal, Services
from verdigris.store.base import StoreUnavailable, Transactions
from verdigris.store.sql import SqlStore, SqlTx


def _user(store: SqlStore) -> tuple[Services, Principal]:
    services = Services(store)
    _, token = services.add_user("group@example.com")
    return services, services.authenticate(token, "group@example.com")


def _upsert(services: Services, who: Principal, email: str) -> Any:
    body = {
        "properties": {"name": email.split("@")[0], "email": {"email": email, "category": "work"}},
        "match": {"field_name": "email", "field_value": email},
    }
    return services.upsert_lead(who, body)


def _upserting(services: Services, who: Principal, email: str) -> Work:
    """The upsert of ``email`` as a group commit's work: its transaction in the batch."""
    return lambda batch: _upsert(services.using(batch), who, email)


def _names(services: Services, who: Principal) -> list[str]:
    _, page = search_shown(services, who, {"page_size": 200})
    return sorted(shown.lead.name or "" for shown in page)


def test_concurrent_writes_share_a_commit_and_fail_alone(sqlite_store: SqlStore) -> None:
    services, who = _user(sqlite_store)
    group = GroupCommit(sqlite_store)

    def bad(batch: Transactions) -> None:
        with batch.transaction(write=True) as tx:
            tx.accounts.create("half-written", 0)
            raise ValidationFailed({"name": ["blank"]})

    async def main() -> list[Any]:
        calls = [
            group.run(_upserting(services, who, "a@example.com")),
            group.run(bad),
            group.run(_upserting(services, who, "b@example.com")),
            group.run(_upserting(services, who, "a@example.com")),  # sees the first one's lead
        ]
        return await asyncio.gather(*calls, return_exceptions=True)

    first, failed, second, again = asyncio.run(main())
    assert group.batches == 1 and group.requests == 4
    assert isinstance(failed, ValidationFailed)
    assert again.lead.id == first.lead.id  # an update of the lead made earlier in the batch
    assert second.lead.id != first.lead.id
    assert _names(services, who) == ["a", "b"]
    with sqlite_store.transaction(write=False) as tx:
        assert tx.accounts.find("half-written") is None  # undone with its savepoint


def test_a_failed_commit_fails_every_request_of_the_batch(sqlite_store: SqlStore) -> None:
    services, who = _user(sqlite_store)
    group = GroupCommit(sqlite_store)

    def orphan(batch: Transactions) -> None:
        # a foreign key checked only at COMMIT: the whole batch's commit fails
        with batch.transaction(write=True) as tx:
            assert isinstance(tx, SqlTx)
            tx.conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            tx.conn.exec_driver_sql(
                "INSERT INTO lead_tags (lead_id, account_id, tag) VALUES (999999, 1, 'x')"
            )

    async def main() -> list[Any]:
        calls = [
            group.run(_upserting(services, who, "c@example.com")),
            group.run(orphan),
            group.run(_upserting(services, who, "d@example.com")),
        ]
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, sa.exc.IntegrityError) for r in results), results
    assert _names(services, who) == []  # nothing of the batch was written


def test_an_idle_server_commits_each_write_at_once(sqlite_store: SqlStore) -> None:
    services, who = _user(sqlite_store)
    group = GroupCommit(sqlite_store)

    async def main() -> None:
        for email in ("e@example.com", "f@example.com"):
            await group.run(_upserting(services, who, email))
            assert email.split("@")[0] in _names(services, who)  # committed when it returns

    asyncio.run(main())
    assert group.batches == 2


def test_a_batch_holds_at_most_max_batch_requests(sqlite_store: SqlStore) -> None:
    services, who = _user(sqlite_store)
    group = GroupCommit(sqlite_store, max_batch=3)

    async def main() -> None:
        await asyncio.gather(
            *(group.run(_upserting(services, who, f"m{i}@example.com")) for i in range(7))
        )

    asyncio.run(main())
    assert (group.batches, group.requests) == (3, 7)
    assert len(_names(services, who)) == 7


def test_a_request_that_loses_the_whole_transaction_fails_the_batch(
    sqlite_store: SqlStore,
) -> None:
    """An interrupt (like an I/O error or a full disk) makes SQLite roll back the whole
    transaction, savepoints and all: the writes of the batch's earlier requests are gone
    too, so none of them may be answered as done, and later ones must not write alone."""
    services, who = _user(sqlite_store)
    group = GroupCommit(sqlite_store)

    def interrupted(batch: Transactions) -> None:
        with batch.transaction(write=True) as tx:
            assert isinstance(tx, SqlTx)
            driver = tx.conn.connection.dbapi_connection
            assert driver is not None
            driver.set_progress_handler(lambda: 1, 1)  # interrupt the next statement
            try:
                tx.accounts.create("interrupted", 0)
            finally:
                driver.set_progress_handler(None, 1)

    async def main() -> list[Any]:
        calls = [
            group.run(_upserting(services, who, "g@example.com")),
            group.run(interrupted),
            group.run(_upserting(services, who, "h@example.com")),
        ]
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, StoreUnavailable) for r in results), results
    assert _names(services, who) == []  # nothing of the batch was written
    # the store is usable again, and the next batch commits
    asyncio.run(group.run(_upserting(services, who, "i@example.com")))
    assert _names(services, who) == ["i"]


def test_an_interruption_that_is_no_request_s_error_fails_every_request(
    sqlite_store: SqlStore,
) -> None:
    services, who = _user(sqlite_store)
    group = GroupCommit(sqlite_store)

    class Stop(BaseException):
        pass

    def stops(batch: Transactions) -> None:
        raise Stop

    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        seen: list[BaseException] = []
        loop.set_exception_handler(lambda _loop, ctx: seen.append(ctx["exception"]))
        calls = [
            group.run(_upserting(services, who, "j@example.com")),
            group.run(stops),
        ]
        results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 5)
        assert any(isinstance(e, Stop) for e in seen)  # it went on up, to the loop
        return results

    results = asyncio.run(main())
    assert all(isinstance(r, RuntimeError) for r in results), results
    assert _names(services, who) == []


def test_event_loops_on_several_threads_share_one_group_commit(sqlite_store: SqlStore) -> None:
    """An app served in process may be driven from several loops at once (a test client's
    lifespan loop with the webhook sender on it, other clients' loops): each loop's
    requests are answered on it, and no two batches are ever open on the store at once
    (a fuzz run once met "a group commit is already open on this store")."""
    import threading

    services, who = _user(sqlite_store)
    group = GroupCommit(sqlite_store)
    start = threading.Barrier(4)
    results: dict[int, list[Any]] = {}

    def slow(batch: Transactions) -> None:  # holds its batch open while the others queue
        with batch.transaction(write=True) as tx:
            tx.accounts.create(f"slow-{threading.get_ident()}", 0)
        threading.Event().wait(0.02)

    def loop_thread(n: int) -> None:
        async def main() -> list[Any]:
            start.wait()
            calls = [group.run(slow)] + [
                group.run(_upserting(services, who, f"t{n}-{i}@example.com")) for i in range(5)
            ]
            return await asyncio.gather(*calls, return_exceptions=True)

        results[n] = asyncio.run(main())

    threads = [threading.Thread(target=loop_thread, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [0, 1, 2, 3]
    errors = [r for rs in results.values() for r in rs if isinstance(r, BaseException)]
    assert errors == []
    assert len(_names(services, who)) == 20
    assert group.requests == 24
