"""The one cache type (verdigris.cache) and the bound of each of the five caches built on it:
fill past the bound and the least recently used entry goes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from verdigris.cache import BoundedCache
from verdigris.server import auth
from verdigris.server.auth import Authenticator
from verdigris.services import Principal
from verdigris.services.base import MAX_ACCOUNTS, AccountCache
from verdigris.store import count_cache, fast, page_statements
from verdigris.store.base import StatusRecord
from verdigris.store.count_cache import CountCache
from verdigris.store.page_statements import PageStatements


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_least_recently_used_goes_first() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert len(cache) == 2
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3


def test_putting_again_replaces_and_refreshes() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), len(cache)) == (10, None, 2)


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache: BoundedCache[str, int] = BoundedCache(8, ttl=10, clock=clock)
    cache.put("a", 1)
    clock.now += 9.9
    assert cache.get("a") == 1
    clock.now += 0.1
    assert cache.get("a") is None
    assert "a" not in cache  # dropped when found expired


def test_pop_clear_and_contains() -> None:
    cache: BoundedCache[str, int] = BoundedCache(4, ttl=5, clock=Clock())
    cache.put("a", 1)
    assert "a" in cache and cache.pop("a") == 1 and cache.pop("a") is None
    cache.put("b", 2)
    cache.clear()
    assert len(cache) == 0


def test_a_bound_is_at_least_one() -> None:
    with pytest.raises(ValueError):
        BoundedCache(0)


# --- the five caches --------------------------------------------------------------------


def test_count_cache_is_bounded() -> None:
    assert CountCache().max_entries == count_cache.MAX_ENTRIES == 4096
    counts = CountCache(max_entries=2)
    for key in "abc":
        counts.put(key, 1, 10)
    assert len(counts) == 2
    assert counts.get("a", 1) is None and counts.get("c", 1) == 10
    assert counts.get("c", 2) is None  # another data version: not used


def test_page_statements_are_bounded() -> None:
    assert PageStatements().size == page_statements.KEPT == 512
    small = PageStatements(size=2)
    for key in "abc":
        assert not small.seen_again(key)
        assert small.seen_again(key)
        small.put(key, object())  # type: ignore[arg-type]
    assert len(small) == 2 and small.get("a") is None and small.get("c") is not None
    for key in "defg":  # the searches seen once are bounded too
        small.seen_again(key)
    assert not small.seen_again("d")


@pytest.fixture
def small_fast_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(fast, "_cache", BoundedCache(2))
    yield


def test_compiled_statements_are_bounded(small_fast_cache: None) -> None:
    import sqlalchemy as sa
    from sqlalchemy.dialects import sqlite

    assert fast.MAX_PREPARED == 1024
    dialect = sqlite.dialect()
    built: list[str] = []

    def statement(name: str) -> sa.TextClause:
        built.append(name)
        return sa.text(f"SELECT '{name}'")

    for name in ("a", "b", "c", "a"):
        fast.prepared(name, lambda name=name: statement(name), dialect)  # type: ignore[misc]
    assert built == ["a", "b", "c", "a"]  # "a" went when "c" came, and was built again
    fast.prepared("c", lambda: statement("c"), dialect)
    assert built[-1] == "a"  # "c" still kept


def test_account_cache_is_bounded() -> None:
    assert MAX_ACCOUNTS == 1024
    cache = AccountCache(max_accounts=2)
    status = StatusRecord(1, 1, "New", 1, True)
    for account in (1, 2, 3):
        cache.statuses.put(account, [status])
        cache.fields.put(account, (1, {}))
    assert cache.statuses.get(1) is None and cache.statuses.get(3) == [status]
    assert cache.fields.get(1) is None and cache.fields.get(3) == (1, {})


def test_auth_cache_is_bounded_and_expires() -> None:
    clock = Clock()
    verified: list[str] = []

    def verify(token: str, email: str) -> Principal:
        verified.append(token)
        return Principal(1, 1, email)

    authenticator = Authenticator(verify, clock=clock)
    for i in range(auth.CACHE_MAX + 1):
        authenticator.authenticate(f"token-{i}", "a@example.com")
    assert authenticator.cached("token-0", "A@example.com") is None  # the oldest went
    assert authenticator.cached("token-1", "a@example.com") is not None
    last = f"token-{auth.CACHE_MAX}"
    clock.now += auth.CACHE_SECONDS
    assert authenticator.cached(last, "a@example.com") is None  # expired
