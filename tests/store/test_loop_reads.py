"""PostgreSQL's hot reads on the event loop (verdigris/store/postgres_loop.py): the
connections taken out of the pool, a connection that died while unused, a database
that cannot serve, a cancelled read, loops that end."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from verdigris.domain.errors import NotFound
from verdigris.services import Principal, Services, Shown
from verdigris.store.base import StoreUnavailable
from verdigris.store.postgres import PostgresStore
from verdigris.store.postgres_loop import PostgresLoopReads

pytestmark = pytest.mark.postgres


def _account(store: PostgresStore) -> int:
    user, _token = Services(store).add_user("loop@example.com", account="Loop")
    return user.account_id


def _reads(store: PostgresStore) -> PostgresLoopReads:
    assert store.loop_reads is not None
    return store.loop_reads


async def _pids(reads: PostgresLoopReads) -> list[int]:
    pool = reads._pool()
    return [slot.conn.info.backend_pid for slot in pool.idle]


def _terminate(store: PostgresStore, pids: list[int]) -> None:
    with store.engine.connect() as conn:
        for pid in pids:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar_one()
        conn.commit()


def test_the_loop_connections_come_besides_the_pool(pg_store: PostgresStore) -> None:
    from verdigris.config import Settings
    from verdigris.server.app import create_app

    store = PostgresStore(pg_store.url, pool_size=10)
    app = create_app(
        Settings.from_env(
            {"VERDIGRIS_DB": pg_store.url, "VERDIGRIS_DB_POOL_SIZE": "3"},
            db_loop_connections=0,
        )
    )
    off = app.state.runtime.store
    try:
        assert store.engine.pool.size() == 10  # type: ignore[attr-defined]
        assert _reads(store).size == 4
        # none: every call on the thread pool, as before
        assert isinstance(off, PostgresStore)
        assert off.loop_reads is None and app.state.runtime.loop_reads is None
        assert off.engine.pool.size() == 3  # type: ignore[attr-defined]
    finally:
        store.close()
        off.close()


def test_reads_on_the_loop_answer_as_the_store(pg_store: PostgresStore) -> None:
    account = _account(pg_store)
    reads = _reads(pg_store)

    async def main() -> None:
        # more readers at once than connections: they wait their turn, none is refused
        records = await asyncio.gather(*(reads.account(account) for _ in range(20)))
        with pg_store.transaction(write=False) as tx:
            assert records == [tx.accounts.get(account)] * 20
        assert await reads.account(account + 1000) is None
        pool = reads._pool()
        assert pool.opened == len(pool.idle) <= reads.size
        await reads.close()

    asyncio.run(main())


def test_a_connection_that_died_while_unused_is_replaced_unseen(
    pg_store: PostgresStore,
) -> None:
    """A restart or a proxy dropping idle connections: the read is sent again on a new
    connection, and the caller never sees the dead one."""
    account = _account(pg_store)
    reads = _reads(pg_store)

    async def main() -> None:
        await asyncio.gather(*(reads.account(account) for _ in range(4)))
        dead = await _pids(reads)
        assert dead
        _terminate(pg_store, dead)
        for _ in range(4):
            assert (await reads.account(account)) is not None
        assert not set(await _pids(reads)) & set(dead)
        await reads.close()

    asyncio.run(main())


def test_a_database_that_cannot_serve_is_unavailable(pg_store: PostgresStore) -> None:
    broken = PostgresStore("postgresql://postgres@127.0.0.1:1/none", pool_size=10)
    try:
        reads = _reads(broken)

        async def main() -> None:
            for _ in range(2):  # and nothing is left counted as opened
                with pytest.raises(StoreUnavailable):
                    await reads.account(1)
            assert reads._pool().opened == 0

        asyncio.run(main())
    finally:
        broken.close()


def test_a_full_loop_pool_answers_unavailable_after_the_timeout(
    pg_store: PostgresStore,
) -> None:
    account = _account(pg_store)
    slow = PostgresStore(pg_store.url, pool_size=10, pool_timeout=0.2)
    reads = _reads(slow)

    async def main() -> None:
        # every loop connection busy with a statement longer than the pool timeout
        sleeps = [
            asyncio.create_task(reads._fetchone(f"sleep{i}", sa.select(sa.func.pg_sleep(1)), {}))
            for i in range(reads.size)
        ]
        await asyncio.sleep(0.1)
        with pytest.raises(StoreUnavailable):
            await reads.account(account)
        await asyncio.gather(*sleeps)
        assert (await reads.account(account)) is not None  # and then it serves again
        await reads.close()

    try:
        asyncio.run(main())
    finally:
        slow.close()


def test_a_read_cancelled_midway_leaves_no_connection_behind(pg_store: PostgresStore) -> None:
    account = _account(pg_store)
    reads = _reads(pg_store)

    async def main() -> None:
        task = asyncio.create_task(
            reads._fetchone("sleep_cancelled", sa.select(sa.func.pg_sleep(0.5)), {})
        )
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        pool = reads._pool()
        assert pool.opened == len(pool.idle)  # the cancelled one was closed, not kept
        for _ in range(reads.size + 1):
            assert (await reads.account(account)) is not None
        await reads.close()

    asyncio.run(main())


def test_the_connections_of_an_ended_loop_are_closed(pg_store: PostgresStore) -> None:
    account = _account(pg_store)
    reads = _reads(pg_store)
    first: list[Any] = []

    async def use(keep: list[Any]) -> None:
        assert (await reads.account(account)) is not None
        keep.extend(slot.conn for slot in reads._pool().idle)

    asyncio.run(use(first))  # ends without closing its connections
    assert first and not any(conn.closed for conn in first)
    asyncio.run(use([]))  # the next loop's first read closes them
    assert all(conn.closed for conn in first)


def test_get_account_is_answered_on_the_loop_while_the_thread_pool_is_full(
    pg_store: PostgresStore,
) -> None:
    """GET /account takes no connection of the thread pool's (and no thread): it answers
    while all of them are held, when a read through them waits out its pool timeout."""
    from starlette.testclient import TestClient

    from tests.conftest import make_api
    from verdigris.config import Settings
    from verdigris.server.app import create_app

    store = PostgresStore(pg_store.url, pool_size=2, pool_timeout=0.3)
    try:
        app = create_app(Settings(rate_limits=False), store=store)
        with TestClient(app, raise_server_exceptions=False) as client:
            api = make_api(client, Services(store), "ada@example.com", "Acme")
            assert api.get("/account").status_code == 200  # the credentials, now cached
            with store.transaction(write=False), store.transaction(write=False):
                answer = api.get("/account")
                assert answer.status_code == 200, answer.text
                assert answer.json()["id"] == api.principal.account_id
                assert api.get("/lead_statuses").status_code == 503  # a thread's read
    finally:
        store.close()


def _who(services: Services) -> Principal:
    user, _token = services.add_user("ada@example.com", account="Acme")
    return Principal(user.id, user.account_id, user.email)


def test_a_lead_read_on_the_loop_is_the_lead_the_store_reads(pg_store: PostgresStore) -> None:
    services = Services(pg_store)
    who = _who(services)
    field = services.create_custom_field_definition(
        who, {"name": "Score", "data_type": "Float", "available_on": ["lead"]}
    )
    full = services.create_lead(
        who,
        {
            "name": "Ada Lovelace",
            "email": {"email": "ada@example.com", "category": "work"},
            "phone_numbers": [{"number": "+44 20 7946 0000", "category": "mobile"}],
            "address": {"street": "1 Main St", "city": "London", "country": "UK"},
            "monetary_value": 1250.5,
            "tags": ["vip", "engine"],
            "custom_fields": [{"custom_field_definition_id": field.id, "value": 2.5}],
        },
    ).lead
    bare = services.create_lead(who, {"name": "Bare", "monetary_value": 100}).lead

    async def on_loop(lead_id: int) -> Shown | None:
        return await services.get_lead_on_loop(who, lead_id)

    for lead in (full, bare):
        # nothing cached yet: the caller is told to read through the store
        services.cache.statuses.clear()
        assert asyncio.run(on_loop(lead.id)) is None
        through_store = services.get_lead(who, lead.id)  # fills the account's cache
        assert asyncio.run(on_loop(lead.id)) == through_store
    with pytest.raises(NotFound):
        asyncio.run(on_loop(bare.id + 1000))


def test_a_definition_changed_by_another_worker_is_not_shown_stale(
    pg_store: PostgresStore,
) -> None:
    """Two processes on one database: the definitions one has cached stop being used on
    the loop as soon as the other changes them (the version read with the lead)."""
    mine, theirs = Services(pg_store), Services(pg_store)
    who = _who(mine)
    lead = mine.create_lead(who, {"name": "Watched"}).lead
    mine.get_lead(who, lead.id)

    async def on_loop() -> Shown | None:
        return await mine.get_lead_on_loop(who, lead.id)

    shown = asyncio.run(on_loop())
    assert shown is not None and shown.definitions == ()
    added = theirs.create_custom_field_definition(
        who, {"name": "New", "data_type": "String", "available_on": ["lead"]}
    )
    assert asyncio.run(on_loop()) is None  # stale: read through the store instead
    assert [d.id for d in mine.get_lead(who, lead.id).definitions] == [added.id]
    shown = asyncio.run(on_loop())
    assert shown is not None and [d.id for d in shown.definitions] == [added.id]


def test_two_servers_on_one_database_show_a_lead_with_the_definitions_of_now(
    pg_store: PostgresStore,
) -> None:
    """Two app instances (two workers) on one PostgreSQL database: a custom field defined
    through one is in the next GET /leads/{id} of the other, which had the account's
    definitions cached from before (its read on the loop sees the version move)."""
    from starlette.testclient import TestClient

    from tests.conftest import make_api
    from verdigris.config import Settings
    from verdigris.server.app import create_app

    other = PostgresStore(pg_store.url)
    try:
        settings = Settings(rate_limits=False)
        with (
            TestClient(create_app(settings, store=pg_store)) as one,
            TestClient(create_app(settings, store=other)) as two,
        ):
            first = make_api(one, Services(pg_store), "ada@example.com", "Acme")
            second = make_api(two, Services(other), "bob@example.com", "Acme")
            lead = first.create_lead(name="Watched")
            for _ in range(2):  # the first loads the lookups, the second is on the loop
                assert first.get(f"/leads/{lead['id']}").json()["custom_fields"] == []
            field = second.post(
                "/custom_field_definitions",
                {"name": "Score", "data_type": "Float", "available_on": ["lead"]},
            ).json()
            shown = first.get(f"/leads/{lead['id']}").json()
            assert shown["custom_fields"] == [
                {"custom_field_definition_id": field["id"], "value": None}
            ]
            assert first.get(f"/leads/{lead['id'] + 1000}").status_code == 404
    finally:
        other.close()


def _search_bytes(found: tuple[int, Any] | None) -> tuple[int, bytes]:
    from verdigris.server import render, render_page

    assert found is not None
    total, page = found
    return total, render.encoder.encode(render_page.leads_out(page))


def test_a_search_on_the_loop_is_the_search_the_store_runs(pg_store: PostgresStore) -> None:
    """POST /leads/search on the loop: the same total and the same bytes as through the
    store, for searches whose page is read in index order, sorted, kept or not, a custom
    field filter, a page past the end and an empty page."""
    services = Services(pg_store)
    who = _who(services)
    field = services.create_custom_field_definition(
        who,
        {"name": "Gold", "data_type": "Checkbox", "available_on": ["lead"], "is_filterable": True},
    )
    for i in range(30):
        services.create_lead(
            who,
            {
                "name": f"Lead {i:02d}",
                "address": {"city": "Paris" if i % 3 else "Lyon"},
                "tags": ["vip"] if i % 2 else [],
                "monetary_value": i * 10,
                "custom_fields": [{"custom_field_definition_id": field.id, "value": i % 5 == 0}],
            },
        )
    searches: list[dict[str, Any]] = [
        {"page_size": 5},
        {"page_size": 5, "page_number": 2, "city": "Paris"},
        {"page_size": 7, "sort_by": "value", "sort_direction": "desc", "tags": ["vip"]},
        {"page_size": 10, "minimum_monetary_value": 50, "maximum_monetary_value": 200},
        {"custom_fields": [{"custom_field_definition_id": field.id, "value": True}]},
        {"page_size": 10, "page_number": 9},  # past the end: the total, no leads
        {"name": "Nobody"},
    ]

    async def on_loop(params: dict[str, Any]) -> tuple[int, Any] | None:
        return await services.search_lead_page_on_loop(who, params)

    services.cache.statuses.clear()  # nothing cached yet: read through the store
    assert asyncio.run(on_loop({"page_size": 5})) is None
    for params in searches:
        for _ in range(3):  # the first time, again (the statement kept), and a third
            expected = _search_bytes(services.search_lead_page(who, params))
            assert _search_bytes(asyncio.run(on_loop(params))) == expected, params
    assert _search_bytes(asyncio.run(on_loop({"page_size": 10, "page_number": 9})))[0] == 30


def test_a_search_on_the_loop_counts_again_after_a_commit(pg_store: PostgresStore) -> None:
    """The totals the loop keeps are keyed by the snapshot, as the threads' are: a lead
    committed by another process is in the next total."""
    other = PostgresStore(pg_store.url)
    mine, theirs = Services(pg_store), Services(other)
    who = _who(mine)
    for i in range(3):
        mine.create_lead(who, {"name": f"Lead {i}", "address": {"city": "Oslo"}})
    mine.search_lead_page(who, {"city": "Oslo"})  # the account's lookups, cached

    async def total() -> int:
        found = await mine.search_lead_page_on_loop(who, {"city": "Oslo"})
        assert found is not None
        return found[0]

    assert asyncio.run(total()) == 3
    assert asyncio.run(total()) == 3  # kept
    theirs.create_lead(who, {"name": "Lead 3", "address": {"city": "Oslo"}})
    assert asyncio.run(total()) == 4
    other.close()


def test_a_search_on_the_loop_with_definitions_changed_elsewhere_is_not_run(
    pg_store: PostgresStore,
) -> None:
    """A custom field defined by another worker: the loop's cached definitions are
    stale, so the search goes through the store (which checks its filters against the
    definitions of now, and shows the new field)."""
    mine, theirs = Services(pg_store), Services(pg_store)
    who = _who(mine)
    mine.create_lead(who, {"name": "Watched"})
    mine.search_lead_page(who, {})

    async def on_loop(params: dict[str, Any]) -> tuple[int, Any] | None:
        return await mine.search_lead_page_on_loop(who, params)

    assert asyncio.run(on_loop({})) is not None
    added = theirs.create_custom_field_definition(
        who,
        {"name": "New", "data_type": "Checkbox", "available_on": ["lead"], "is_filterable": True},
    )
    wanted = {"custom_fields": [{"custom_field_definition_id": added.id, "value": True}]}
    assert asyncio.run(on_loop(wanted)) is None  # not a 422 for an unknown field
    assert mine.search_lead_page(who, wanted)[0] == 0
    found = asyncio.run(on_loop({}))
    assert found is not None and [d.id for d in found[1].definitions] == [added.id]


def test_search_is_answered_on_the_loop_while_the_thread_pool_is_full(
    pg_store: PostgresStore,
) -> None:
    """POST /leads/search takes no connection of the thread pool's once the account's
    lookups are cached: it answers, with its total, while all of them are held."""
    from starlette.testclient import TestClient

    from tests.conftest import make_api
    from verdigris.config import Settings
    from verdigris.server.app import create_app

    store = PostgresStore(pg_store.url, pool_size=2, pool_timeout=0.3)
    try:
        app = create_app(Settings(rate_limits=False), store=store)
        with TestClient(app, raise_server_exceptions=False) as client:
            api = make_api(client, Services(store), "ada@example.com", "Acme")
            for name in ("Ada", "Grace"):
                api.create_lead(name=name)
            assert api.post("/leads/search", {}).status_code == 200  # caches the lookups
            with store.transaction(write=False), store.transaction(write=False):
                answer = api.post("/leads/search", {"sort_by": "name"})
                assert answer.status_code == 200, answer.text
                assert answer.headers["X-PW-TOTAL"] == "2"
                assert [lead["name"] for lead in answer.json()] == ["Ada", "Grace"]
                assert api.get("/lead_statuses").status_code == 503  # a thread's read
    finally:
        store.close()


def test_searches_leave_some_of_the_loop_connections_to_the_reads(
    pg_store: PostgresStore,
) -> None:
    """Searches hold at most SEARCH_SHARE of the loop's connections (a count can take a
    while): one more waits for its turn while a GET still runs on the loop."""
    from verdigris.store.postgres_loop import SEARCH_SHARE

    services = Services(pg_store)
    who = _who(services)
    lead = services.create_lead(who, {"name": "Ada"}).lead
    services.search_lead_page(who, {})  # the account's lookups, cached
    reads = _reads(pg_store)
    share = int(reads.size * SEARCH_SHARE)
    assert 1 <= share < reads.size

    async def main() -> None:
        pool = reads._pool()
        for _ in range(share):  # as many searches as may run are running
            await pool.searches.acquire()
        waiting = asyncio.ensure_future(services.search_lead_page_on_loop(who, {}))
        assert await services.get_lead_on_loop(who, lead.id) is not None
        await asyncio.sleep(0.05)
        assert not waiting.done()
        pool.searches.release()  # one ends: the waiting search runs
        found = await asyncio.wait_for(waiting, 5)
        assert found is not None and found[0] == 1
        for _ in range(share - 1):
            pool.searches.release()
        assert not pool.searches.locked()

    asyncio.run(main())


def test_a_search_that_waits_past_the_pool_timeout_is_unavailable(
    pg_store: PostgresStore,
) -> None:
    store = PostgresStore(pg_store.url, pool_timeout=0.2)
    try:
        services = Services(store)
        who = _who(services)
        services.search_lead_page(who, {})
        reads = _reads(store)

        async def main() -> None:
            pool = reads._pool()
            while not pool.searches.locked():
                await pool.searches.acquire()
            with pytest.raises(StoreUnavailable, match="no search of the event loop ended"):
                await services.search_lead_page_on_loop(who, {})

        asyncio.run(main())
    finally:
        store.close()


def test_a_page_statement_sent_again_and_again_is_planned_once(pg_store: PostgresStore) -> None:
    """A kept page statement goes to PostgreSQL with its size and start written in, so
    that once psycopg prepares it PostgreSQL keeps one generic plan for it, instead of
    planning it anew for every search (``LIMIT $1`` kept it from ever doing so)."""
    from verdigris.domain.search import parse_search
    from verdigris.store.leads_sql import FIELD_COLUMNS, page_with_bounds
    from verdigris.store.page_statements import compile_page, page_key

    services = Services(pg_store)
    who = _who(services)
    for i in range(30):
        services.create_lead(who, {"name": f"Lead {i:02d}", "address": {"city": "Paris"}})
    params = {"city": "Paris", "page_size": 7, "page_number": 2}
    services.search_lead_page(who, params)
    reads = _reads(pg_store)

    async def main() -> list[list[tuple[str, int, int]]]:
        for _ in range(30):
            found = await services.search_lead_page_on_loop(who, params)
            assert found is not None and b'"name":"Lead 07"' in found[1].leads[0][1]
        # every loop connection: a count run beside a page (another test's write on the
        # server moved the snapshot) may have sent some of the pages on a second one
        out = []
        for slot in reads._pool().idle:
            await slot.cur.execute(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            )
            out.append([tuple(row) for row in await slot.cur.fetchall()])
        return out

    per_connection = asyncio.run(main())
    pages = [[r for r in rows if "LIMIT 7 OFFSET 7" in r[0]] for rows in per_connection]
    assert all(len(p) <= 1 for p in pages), per_connection  # one statement, not one a search
    assert any(p and p[0][1] > 0 for p in pages), pages  # generic plans used
    # as sent: the bounds in the text, the filter's values as parameters
    query = parse_search(params)
    filters = page_key(query)
    page = compile_page(pg_store.engine.dialect, who.account_id, filters, False, FIELD_COLUMNS)
    sql, values = page_with_bounds(page, query)
    assert "LIMIT 7 OFFSET 7" in sql and "%(" in sql
    assert "paris" in values.values() and "page_limit" not in values


def _counting_statements(reads: PostgresLoopReads, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The count statements the loop sends from now on (the first one raises if asked)."""
    sent: list[str] = []
    fetch = reads._fetch

    async def counted(p: Any, values: Any, *, many: bool = False) -> Any:
        if "count(*)" in p.sql:
            sent.append(p.sql)
            await asyncio.sleep(0.05)  # a count takes a while: others arrive meanwhile
        return await fetch(p, values, many=many)

    monkeypatch.setattr(reads, "_fetch", counted)
    return sent


def _one_snapshot(reads: PostgresLoopReads, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every search from now on reads the snapshot the first one read. The snapshot is
    the whole server's: a transaction of another test (pytest -n 2) or of anything else
    on the server between two searches' reads would give them different ones, and
    searches at different snapshots rightly count each for itself."""
    read = reads.search_version
    first: list[tuple[int, Any]] = []

    async def pinned(account_id: int) -> tuple[int, Any]:
        version, snapshot = await read(account_id)
        if not first:
            first.append((version, snapshot))
        return first[0]

    monkeypatch.setattr(reads, "search_version", pinned)


def test_searches_arriving_while_their_count_runs_wait_for_it(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services(pg_store)
    who = _who(services)
    for i in range(4):
        services.create_lead(who, {"name": f"Lead {i}", "address": {"city": "Rome"}})
    services.search_lead_page(who, {"city": "Oslo"})  # the account's lookups, cached
    sent = _counting_statements(_reads(pg_store), monkeypatch)
    _one_snapshot(_reads(pg_store), monkeypatch)

    async def main() -> list[int]:
        found = await asyncio.gather(
            *(services.search_lead_page_on_loop(who, {"city": "Rome"}) for _ in range(3))
        )
        return [f[0] for f in found if f is not None]

    assert asyncio.run(main()) == [4, 4, 4]
    assert len(sent) == 1  # one count for the three


def test_a_search_whose_shared_count_failed_counts_for_itself(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services(pg_store)
    who = _who(services)
    services.create_lead(who, {"name": "Lead", "address": {"city": "Rome"}})
    services.search_lead_page(who, {"city": "Oslo"})
    reads = _reads(pg_store)
    fetch = reads._fetch
    failed: list[bool] = []

    async def first_count_fails(p: Any, values: Any, *, many: bool = False) -> Any:
        if "count(*)" in p.sql and not failed:
            failed.append(True)
            await asyncio.sleep(0.05)
            raise StoreUnavailable("the database went away")
        return await fetch(p, values, many=many)

    monkeypatch.setattr(reads, "_fetch", first_count_fails)

    async def main() -> list[Any]:
        searches = (services.search_lead_page_on_loop(who, {"city": "Rome"}) for _ in range(2))
        return await asyncio.gather(*searches, return_exceptions=True)

    # whichever read its snapshot first ran the count that failed; the other one counted
    results = asyncio.run(main())
    failures = [r for r in results if isinstance(r, BaseException)]
    answers = [r for r in results if not isinstance(r, BaseException)]
    assert len(failures) == 1 and isinstance(failures[0], StoreUnavailable)
    assert [a[0] for a in answers if a is not None] == [1]


def test_a_page_with_a_lead_written_without_its_wire_form_is_left_to_the_store(
    pg_store: PostgresStore,
) -> None:
    """A lead written by a server older than migration 0018 has no wire form: the loop
    leaves that page to the store's search, which makes the form from the columns."""
    from verdigris.store import schema as t

    services = Services(pg_store)
    who = _who(services)
    lead = services.create_lead(who, {"name": "Old", "address": {"city": "Oslo"}}).lead
    services.create_lead(who, {"name": "New", "address": {"city": "Oslo"}})
    expected = _search_bytes(services.search_lead_page(who, {"city": "Oslo"}))
    with pg_store.engine.begin() as conn:
        conn.execute(t.leads.update().where(t.leads.c.id == lead.id).values(wire=None))

    async def on_loop() -> tuple[int, Any] | None:
        return await services.search_lead_page_on_loop(who, {"city": "Oslo"})

    assert asyncio.run(on_loop()) is None
    assert _search_bytes(services.search_lead_page(who, {"city": "Oslo"})) == expected
