"""The store contract: what every engine's :class:`StoreTx` guarantees, checked on each
engine (the ``store`` fixture runs every test on SQLite and on PostgreSQL)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import msgspec
import pytest

from tests.conftest import POSTGRES_URL
from verdigris.domain.activities import Activity, ActivityQuery
from verdigris.domain.custom_fields import CustomFieldDefinition, value_key
from verdigris.domain.leads import Address, Email, Lead, Link, Phone
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search import parse_search
from verdigris.store import open_store
from verdigris.store.base import Capabilities, Store, StoreConflict, StoreTx, StoreUnavailable
from verdigris.store.postgres import PostgresStore
from verdigris.store.sql import SqlTx

NOW = 1_700_000_000


class Boom(Exception):
    pass


def _account(store: Store, name: str) -> int:
    with store.transaction(write=True) as tx:
        return tx.accounts.create(name, NOW).id


def _lead(account_id: int, **fields: object) -> Lead:
    base: dict[str, object] = {"date_created": NOW, "date_modified": NOW}
    return Lead(account_id=account_id, **{**base, **fields})  # type: ignore[arg-type]


def _insert(store: Store, lead: Lead) -> Lead:
    with store.transaction(write=True) as tx:
        return tx.leads.insert(lead)


def _match(store: Store, account_id: int, criteria: MatchCriteria, limit: int = 31) -> list[int]:
    with store.transaction(write=False) as tx:
        return sorted(tx.leads.match_ids(account_id, criteria, limit))


def _engine(store: Store) -> str:
    return "postgres" if isinstance(store, PostgresStore) else "sqlite"


# --- accounts, users and keys ---------------------------------------------------------------


def test_accounts_users_and_keys(store: Store) -> None:
    with store.transaction(write=True) as tx:
        acme = tx.accounts.create("Acme", NOW)
        ada = tx.accounts.create_user(acme.id, "Ada@Example.com", "Ada", NOW)
        tx.accounts.create_user(acme.id, "bo@example.com", "Bo", NOW)
        tx.accounts.add_key_hash(ada.id, "a" * 64, NOW)
        tx.accounts.add_key_hash(ada.id, "b" * 64, NOW)
    with store.transaction(write=False) as tx:
        assert tx.accounts.find("Acme") == acme
        assert tx.accounts.get(acme.id) == acme
        assert tx.accounts.find("Nope") is None
        assert tx.accounts.find_user("ada@example.com") == ada  # found by the normalized email
        assert tx.accounts.get_user(acme.id, ada.id) == ada
        assert tx.accounts.get_user(acme.id + 1000, ada.id) is None
        assert [u.name for u in tx.accounts.list_users(acme.id)] == ["Ada", "Bo"]
        assert tx.accounts.count_users() == 2
        assert sorted(tx.accounts.key_hashes(ada.id)) == ["a" * 64, "b" * 64]


def test_statuses_and_sources_are_per_account(store: Store) -> None:
    one, two = _account(store, "One"), _account(store, "Two")
    with store.transaction(write=True) as tx:
        tx.accounts.add_status(one, "Later", 1, is_default=False)
        first = tx.accounts.add_status(one, "New", 0, is_default=True)
        tx.accounts.add_source(one, "Email")
        tx.accounts.add_source(two, "Fax")
    with store.transaction(write=False) as tx:
        statuses = tx.accounts.list_statuses(one)
        assert [(s.name, s.is_default) for s in statuses] == [("New", True), ("Later", False)]
        assert statuses[0].id == first
        assert [s.name for s in tx.accounts.list_sources(one)] == ["Email"]
        assert tx.accounts.list_statuses(two) == []
        assert tx.definitions.all(one) == []


# --- definitions and activities -------------------------------------------------------------


def test_definitions_bump_the_version_and_keep_names_unique(store: Store) -> None:
    account = _account(store, "Acme")
    size = CustomFieldDefinition(
        id=0, account_id=account, name="Size", data_type="String", available_on=("lead",)
    )
    with store.transaction(write=True) as tx:
        before = tx.definitions.version(account)
        made = tx.definitions.insert(msgspec.structs.replace(size, canonical_name="size"))
        tx.definitions.insert(
            msgspec.structs.replace(
                size, name="Rank", canonical_name="rank", available_on=("person",)
            )
        )
        assert tx.definitions.version(account) > before
    with store.transaction(write=False) as tx:
        assert tx.definitions.get(account, made.id) == made
        assert [d.name for d in tx.definitions.all(account)] == ["Size", "Rank"]
        assert tx.definitions.ids_on(account, "lead") == [made.id]
        assert tx.definitions.allocate_option_id(account) > 0
    with pytest.raises(StoreConflict), store.transaction(write=True) as tx:
        tx.definitions.insert(msgspec.structs.replace(size, canonical_name="size"))
    with store.transaction(write=True) as tx:
        assert tx.definitions.delete(account, made.id)
        assert tx.definitions.get(account, made.id) is None


def test_a_transaction_reads_the_definitions_version_once_until_it_changes_one(
    store: Store,
) -> None:
    """Every context of a write asks for the version (the lead's own, the webhook
    observer's...): it is read once per transaction, asked ahead or not, and read again
    once a definition changed, a savepoint rolled back included."""
    account = _account(store, "Versions")
    size = CustomFieldDefinition(
        id=0, account_id=account, name="Size", data_type="String", available_on=("lead",)
    )
    with store.transaction(write=True) as tx:
        asked = tx.definitions.version_later(account)
        first = tx.definitions.version(account)
        assert asked() == first == tx.definitions.version(account)
        with pytest.raises(RuntimeError), tx.savepoint():
            tx.definitions.insert(msgspec.structs.replace(size, canonical_name="size"))
            assert tx.definitions.version(account) == first + 1
            raise RuntimeError("undo the savepoint")
        assert tx.definitions.version(account) == first  # read again: the change is gone
        tx.definitions.insert(msgspec.structs.replace(size, canonical_name="size"))
        assert tx.definitions.version(account) == first + 1


def test_activities_page_newest_first_and_delete_per_record(store: Store) -> None:
    account = _account(store, "Acme")
    with store.transaction(write=True) as tx:
        for day, parent in ((1, 7), (3, 7), (2, 7), (5, 8)):
            tx.activities.add(
                Activity(
                    account_id=account,
                    parent_type="lead",
                    parent_id=parent,
                    activity_date=day,
                    new_value={"day": day},
                    date_created=day,
                    date_modified=day,
                )
            )
    with store.transaction(write=True) as tx:
        page = tx.activities.page(account, "lead", 7, ActivityQuery(page_size=2))
        assert [(a.activity_date, a.new_value) for a in page] == [(3, {"day": 3}), (2, {"day": 2})]
        tx.activities.delete_all(account, "lead", 7)
        assert tx.activities.page(account, "lead", 7, ActivityQuery()) == []
        assert len(tx.activities.page(account, "lead", 8, ActivityQuery())) == 1


# --- the store: capabilities and group commit ------------------------------------------------


def test_the_store_says_what_it_can_do(store: Store, tmp_path: Path) -> None:
    local = _engine(store) == "sqlite"
    assert store.capabilities == Capabilities(inline=local, group_commit=local, kept_counts=True)
    with open_store("sqlite://") as memory:
        assert not memory.capabilities.kept_counts  # one connection cannot see its commits


def test_a_batch_is_a_handle_its_transactions_share(store: Store) -> None:
    """Transactions opened through the batch share its one database transaction; one
    opened on the store meanwhile is its own, and sees nothing before the batch ends."""
    with store.batch() as batch:
        with batch.transaction(write=True) as tx:
            tx.accounts.create("Batched", NOW)
        with pytest.raises(Boom), batch.transaction(write=True) as tx:
            tx.accounts.create("Undone", NOW)
            raise Boom
        with batch.transaction(write=False) as tx:
            assert tx.accounts.find("Batched") is not None
        with store.transaction(write=False) as tx:
            assert tx.accounts.find("Batched") is None  # not committed yet
    with store.transaction(write=False) as tx:
        assert tx.accounts.find("Batched") is not None
        assert tx.accounts.find("Undone") is None


# --- leads: insert, get, update, delete -----------------------------------------------------


def test_a_lead_round_trips_with_every_field(store: Store) -> None:
    account = _account(store, "Acme")
    lead = _lead(
        account,
        name="Dr. Ada M. Lovelace",
        prefix="Dr.",
        first_name="Ada",
        middle_name="M.",
        last_name="Lovelace",
        title="CTO",
        company_name="Engines",
        details="met at the fair",
        email=Email("Ada@Example.com", "work"),
        phone_numbers=[Phone("+1 555 0100", "mobile"), Phone("555 0101", "work")],
        socials=[Link("https://x.test/ada", "twitter")],
        websites=[Link("https://ada.test", "work")],
        address=Address(street="1 Loop", city="London", country="UK"),
        monetary_value=1250,
        monetary_unit="USD",
        tags=["vip", "q3"],
        interaction_count=4,
        custom_fields={7: "blue", 8: [1, 2], 9: True, 10: 2.5},
        date_last_contacted=NOW - 60,
    )
    stored = _insert(store, lead)
    assert stored.id > 0
    with store.transaction(write=False) as tx:
        fetched = tx.leads.get(account, stored.id)
    assert fetched == stored
    assert fetched is not None and fetched.monetary_value == 1250
    assert isinstance(fetched.monetary_value, int)  # whole numbers come back as ints


def test_update_replaces_the_row_and_its_custom_values(store: Store) -> None:
    account = _account(store, "Acme")
    lead = _insert(store, _lead(account, name="Old", custom_fields={7: "blue"}))
    changed = msgspec.structs.replace(lead, name="New", custom_fields={7: "red"}, tags=["x"])
    with store.transaction(write=True) as tx:
        tx.leads.update(changed)
    with store.transaction(write=False) as tx:
        assert tx.leads.get(account, lead.id) == changed
    assert _match(store, account, MatchCriteria("custom", "blue", 7)) == []
    assert _match(store, account, MatchCriteria("custom", "red", 7)) == [lead.id]
    assert _match(store, account, MatchCriteria("name", "Old")) == []
    assert _match(store, account, MatchCriteria("name", "New")) == [lead.id]


def test_delete_removes_the_lead_and_its_custom_values(store: Store) -> None:
    account = _account(store, "Acme")
    lead = _insert(store, _lead(account, name="Gone", custom_fields={7: "blue"}))
    with store.transaction(write=True) as tx:
        assert tx.leads.delete(account, lead.id) is True
        assert tx.leads.delete(account, lead.id) is False
    with store.transaction(write=False) as tx:
        assert tx.leads.get(account, lead.id) is None
    assert _match(store, account, MatchCriteria("custom", "blue", 7)) == []


def test_accounts_are_isolated(store: Store) -> None:
    acme, globex = _account(store, "Acme"), _account(store, "Globex")
    mine = _insert(
        store, _lead(acme, name="Same", email=Email("same@x.test", "work"), custom_fields={7: "v"})
    )
    theirs = _insert(
        store,
        _lead(globex, name="Same", email=Email("same@x.test", "work"), custom_fields={7: "v"}),
    )
    with store.transaction(write=True) as tx:
        assert tx.leads.get(globex, mine.id) is None
        assert tx.leads.delete(globex, mine.id) is False
        # an update naming another account's lead changes nothing
        tx.leads.update(msgspec.structs.replace(mine, account_id=globex, name="Hijacked"))
    with store.transaction(write=False) as tx:
        still = tx.leads.get(acme, mine.id)
        assert still is not None and still.name == "Same"
    for criteria in (
        MatchCriteria("email", "same@x.test"),
        MatchCriteria("name", "Same"),
        MatchCriteria("custom", "v", 7),
    ):
        assert _match(store, acme, criteria) == [mine.id]
        assert _match(store, globex, criteria) == [theirs.id]


# --- match_lead_ids -------------------------------------------------------------------------


def test_match_by_email_uses_the_normalized_email(store: Store) -> None:
    account = _account(store, "Acme")
    one = _insert(store, _lead(account, email=Email("  Ada@Example.COM ", "work")))
    _insert(store, _lead(account, email=Email("other@example.com", "work")))
    _insert(store, _lead(account, name="no email"))
    assert _match(store, account, MatchCriteria("email", "ada@example.com")) == [one.id]
    assert _match(store, account, MatchCriteria("email", "nobody@example.com")) == []


def test_match_by_name_is_exact(store: Store) -> None:
    account = _account(store, "Acme")
    ids = [_insert(store, _lead(account, name="Twin")).id for _ in range(2)]
    _insert(store, _lead(account, name="twin"))
    assert _match(store, account, MatchCriteria("name", "Twin")) == sorted(ids)


def test_match_by_custom_value_including_list_items_and_numbers(store: Store) -> None:
    """The store looks up index keys (services turn a match value into its key)."""
    account = _account(store, "Acme")
    multi = _insert(store, _lead(account, custom_fields={8: [11, 12]}))
    flag = _insert(store, _lead(account, custom_fields={9: True}))
    number = _insert(store, _lead(account, custom_fields={10: 3.0}))
    _insert(store, _lead(account, custom_fields={11: 12}))  # same value, another field
    assert _match(store, account, MatchCriteria("custom", value_key(12), 8)) == [multi.id]
    assert _match(store, account, MatchCriteria("custom", value_key(11), 8)) == [multi.id]
    assert _match(store, account, MatchCriteria("custom", value_key(True), 9)) == [flag.id]
    assert _match(store, account, MatchCriteria("custom", value_key(3), 10)) == [number.id]
    assert _match(store, account, MatchCriteria("custom", value_key(13), 8)) == []


def test_match_returns_at_most_limit_ids(store: Store) -> None:
    account = _account(store, "Acme")
    with store.transaction(write=True) as tx:
        for _ in range(5):
            tx.leads.insert(_lead(account, name="Many"))
    assert len(_match(store, account, MatchCriteria("name", "Many"), limit=3)) == 3
    assert len(_match(store, account, MatchCriteria("name", "Many"), limit=31)) == 5


# --- transactions ---------------------------------------------------------------------------


def test_an_exception_rolls_everything_back(store: Store) -> None:
    account = _account(store, "Acme")
    with pytest.raises(Boom), store.transaction(write=True) as tx:
        tx.accounts.create("Ghost", NOW)
        tx.leads.insert(_lead(account, name="Ghost", custom_fields={7: "ghost"}))
        raise Boom
    with store.transaction(write=False) as tx:
        assert tx.accounts.find("Ghost") is None
        assert tx.leads.match_ids(account, MatchCriteria("name", "Ghost"), 31) == []
        assert tx.leads.match_ids(account, MatchCriteria("custom", "ghost", 7), 31) == []


def test_a_transaction_commits_when_its_block_ends(store: Store) -> None:
    account = _account(store, "Acme")
    with store.transaction(write=True) as tx:
        lead = tx.leads.insert(_lead(account, name="Kept"))
    with store.transaction(write=False) as tx:
        assert tx.leads.get(account, lead.id) is not None


def _upsert_like(
    store: Store, account: int, criteria: MatchCriteria, hold: float, log: list[str]
) -> int:
    """What an upsert does: lock, look up, insert when nothing matched, commit."""
    with store.transaction(write=True) as tx:
        tx.leads.lock_match(account, criteria)
        log.append("locked")
        ids = tx.leads.match_ids(account, criteria, 31)
        time.sleep(hold)
        lead_id = ids[0] if ids else tx.leads.insert(_lead(account, name=criteria.value)).id
    log.append("committed")
    return lead_id


def test_lock_match_serializes_two_transactions_on_one_key(store: Store) -> None:
    """Two connections upsert the same new key at once: the second waits for the first,
    then sees its lead. (On SQLite the write transaction itself is the lock. PostgreSQL
    sends the lock with the statement after it: that one runs holding it.)"""
    account = _account(store, "Acme")
    criteria = MatchCriteria("name", "Racer")
    log: list[str] = []
    results: list[int] = []
    first_locked = threading.Event()

    def first() -> None:
        with store.transaction(write=True) as tx:
            tx.leads.lock_match(account, criteria)
            assert tx.leads.match_ids(account, criteria, 31) == []
            first_locked.set()
            time.sleep(0.5)  # the second one is waiting meanwhile
            results.append(tx.leads.insert(_lead(account, name="Racer")).id)
            log.append("first commits")  # the last step before the commit

    def second() -> None:
        first_locked.wait(10)
        with store.transaction(write=True) as tx:
            tx.leads.lock_match(account, criteria)
            found = tx.leads.match_ids(account, criteria, 31)
            log.append("second locked")
            results.extend(found)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert log == ["first commits", "second locked"]
    assert results[0] == results[1]
    assert _match(store, account, criteria) == [results[0]]


def test_many_concurrent_lock_match_writers_make_one_lead(store: Store) -> None:
    account = _account(store, "Acme")
    criteria = MatchCriteria("email", "one@example.com")
    log: list[str] = []
    ids: list[int] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait(10)
        with store.transaction(write=True) as tx:
            tx.leads.lock_match(account, criteria)
            found = tx.leads.match_ids(account, criteria, 31)
            if found:
                ids.append(found[0])
            else:
                lead = _lead(account, email=Email("one@example.com", "work"))
                ids.append(tx.leads.insert(lead).id)
        log.append("done")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(log) == 8
    assert len(set(ids)) == 1
    assert _match(store, account, criteria) == [ids[0]]


def _holds_lock_while(store: Store, account: int, criteria: MatchCriteria, fn: object) -> None:
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with store.transaction(write=True) as tx:
            tx.leads.lock_match(account, criteria)
            tx.leads.match_ids(account, criteria, 31)  # runs holding the lock
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        fn()  # type: ignore[operator]
    finally:
        release.set()
        thread.join(10)


@pytest.mark.postgres
def test_lock_match_does_not_block_other_keys(pg_store: PostgresStore) -> None:
    store = pg_store
    acme, globex = _account(store, "Acme"), _account(store, "Globex")
    held = MatchCriteria("email", "held@example.com")

    def others_go_through() -> None:
        started = time.monotonic()
        for account, criteria in (
            (acme, MatchCriteria("email", "free@example.com")),
            (acme, MatchCriteria("name", "held@example.com")),  # same value, other field
            (acme, MatchCriteria("custom", "held@example.com", 7)),
            (globex, held),  # same key, other account
        ):
            with store.transaction(write=True) as tx:
                tx.leads.lock_match(account, criteria)
                tx.leads.insert(_lead(account, name="free"))
        assert time.monotonic() - started < 5

    _holds_lock_while(store, acme, held, others_go_through)


def test_lock_match_is_released_by_a_rollback(store: Store) -> None:
    account = _account(store, "Acme")
    criteria = MatchCriteria("email", "rb@example.com")
    with pytest.raises(Boom), store.transaction(write=True) as tx:
        tx.leads.lock_match(account, criteria)
        raise Boom
    log: list[str] = []
    done = threading.Thread(target=_upsert_like, args=(store, account, criteria, 0, log))
    done.start()
    done.join(10)
    assert log == ["locked", "committed"]


# --- engine set-up --------------------------------------------------------------------------


def test_an_unreachable_database_raises_store_unavailable(tmp_path: Path, store: Store) -> None:
    if _engine(store) == "postgres":
        url = "postgresql://postgres@127.0.0.1:1/none"  # nothing listens on port 1
    else:
        url = f"sqlite:///{tmp_path}/missing-dir/x.db"
    broken = open_store(url)
    try:
        with pytest.raises(StoreUnavailable), broken.transaction(write=False):
            pass
    finally:
        broken.close()


@pytest.mark.postgres
def test_postgres_pool_is_capped_and_a_full_pool_answers_unavailable(
    pg_store: PostgresStore,
) -> None:
    capped = PostgresStore(pg_store.url, pool_size=1, pool_timeout=0.2)
    try:
        assert capped.engine.pool.size() == 1  # type: ignore[attr-defined]
        with (
            capped.transaction(write=False),
            pytest.raises(StoreUnavailable),
            capped.transaction(write=False),
        ):
            pass
    finally:
        capped.close()


@pytest.mark.postgres
def test_postgres_urls_of_every_spelling_open_postgres(pg_store: PostgresStore) -> None:
    bare = POSTGRES_URL.split("://", 1)[1]
    for url in (f"postgres://{bare}", f"postgresql://{bare}", f"postgresql+psycopg://{bare}"):
        other = open_store(url, pool_size=1)
        try:
            assert isinstance(other, PostgresStore)
            with other.transaction(write=False) as tx:
                assert isinstance(tx, StoreTx)
        finally:
            other.close()


@pytest.mark.postgres
def test_the_pool_size_setting_reaches_each_worker_store(pg_store: PostgresStore) -> None:
    from starlette.testclient import TestClient

    from verdigris.config import Settings
    from verdigris.server.app import create_app

    env = {"VERDIGRIS_DB": pg_store.url, "VERDIGRIS_DB_POOL_SIZE": "3"}
    app = create_app(Settings.from_env(env))
    store = app.state.runtime.store
    assert isinstance(store, PostgresStore)
    assert store.engine.pool.size() == 3  # type: ignore[attr-defined]
    with TestClient(app) as client:
        assert client.get("/openapi.json").status_code == 200


@pytest.mark.postgres
def test_a_lock_held_too_long_answers_unavailable(pg_store: PostgresStore) -> None:
    """As SQLite's busy timeout: an upsert waiting too long for its key gives up (503)."""
    impatient = PostgresStore(pg_store.url, lock_timeout=0.2)
    account = _account(pg_store, "Acme")
    criteria = MatchCriteria("email", "stuck@example.com")

    def waits_in_vain() -> None:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable), impatient.transaction(write=True) as tx:
            tx.leads.lock_match(account, criteria)
        assert time.monotonic() - started < 5

    try:
        _holds_lock_while(pg_store, account, criteria, waits_in_vain)
    finally:
        impatient.close()


def _backend_pid(store: PostgresStore) -> int:
    with store.transaction(write=False) as tx:
        assert isinstance(tx, SqlTx)
        return int(tx.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _terminate(store: PostgresStore, pid: int) -> None:
    """What a server restart or a proxy dropping idle connections does to a pooled one."""
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar_one()
        conn.commit()


@pytest.mark.postgres
def test_postgres_a_connection_that_died_while_idle_is_replaced(
    pg_store: PostgresStore,
) -> None:
    idle = PostgresStore(pg_store.url, pool_size=1, ping_after_idle=0.05)
    try:
        dead = _backend_pid(idle)
        _terminate(pg_store, dead)
        time.sleep(0.1)
        # pinged at checkout, found dead, replaced: the request never sees it
        assert _backend_pid(idle) != dead
    finally:
        idle.close()


@pytest.mark.postgres
@pytest.mark.parametrize("first_statement", ["sqlalchemy", "search", "lock"])
def test_postgres_a_connection_lost_in_use_answers_unavailable_once(
    pg_store: PostgresStore, first_statement: str
) -> None:
    """Used a moment ago, so not pinged: its death shows as one StoreUnavailable (503),
    whichever path the transaction's first statement takes, and the next request works."""
    busy = PostgresStore(pg_store.url, pool_size=1, ping_after_idle=60)
    try:
        account = _account(busy, "Acme")
        dead = _backend_pid(busy)
        _terminate(pg_store, dead)
        with pytest.raises(StoreUnavailable), busy.transaction(write=True) as tx:
            assert isinstance(tx, SqlTx)
            if first_statement == "sqlalchemy":
                tx.conn.exec_driver_sql("SELECT 1")
            elif first_statement == "search":  # SET LOCAL, on the write path's cursor
                tx.leads.search(account, parse_search({}))
            else:  # the upsert's advisory lock, on that cursor too
                tx.leads.lock_match(account, MatchCriteria("email", "a@b.example"))
        assert _backend_pid(busy) != dead
    finally:
        busy.close()


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["sqlalchemy", "fast"])
def test_postgres_one_lost_connection_has_the_others_replaced(
    pg_store: PostgresStore, path: str
) -> None:
    """After a restart every pooled connection is dead: the first request to find one
    fails, and the pool replaces the others before handing them out again."""
    pool = PostgresStore(pg_store.url, pool_size=2, ping_after_idle=60)
    try:
        with pool.transaction(write=False) as one, pool.transaction(write=False) as two:
            pids = [
                int(tx.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
                for tx in (one, two)
                if isinstance(tx, SqlTx)
            ]
        for pid in pids:
            _terminate(pg_store, pid)
        with pytest.raises(StoreUnavailable), pool.transaction(write=True) as tx:
            assert isinstance(tx, SqlTx)
            if path == "sqlalchemy":
                tx.conn.exec_driver_sql("SELECT 1")
            else:
                tx.leads.lock_match(1, MatchCriteria("email", "a@b.example"))
        for _ in range(3):  # whichever connection comes next: a new one
            assert _backend_pid(pool) not in pids
    finally:
        pool.close()
