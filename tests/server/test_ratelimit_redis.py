"""Rate limits shared through Redis: across workers, isolated per deployment by the key
prefix, and degrading to per-process counting (never to errors) when Redis fails."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import redis
from starlette.testclient import TestClient

from tests.conftest import free_port, make_api, start_server, stop_server
from tests.loadgen import run_processes
from verdigris.config import Settings
from verdigris.domain.errors import RateLimited
from verdigris.server import ratelimit
from verdigris.server.app import create_app
from verdigris.server.ratelimit import RateLimits
from verdigris.services import Services
from verdigris.store.base import Store

pytestmark = pytest.mark.redis


@pytest.fixture
def loop() -> Iterator[asyncio.Runner]:
    """One event loop for the whole test (Redis connections belong to their loop)."""
    with asyncio.Runner() as runner:
        yield runner


def _codes(
    loop: asyncio.Runner, limits: RateLimits, user_id: int, n: int, *, bulk: bool = True
) -> list[int]:
    async def run() -> list[int]:
        codes = []
        for _ in range(n):
            try:
                await limits.check(user_id, bulk=bulk)
                codes.append(200)
            except RateLimited:
                codes.append(429)
        return codes

    return loop.run(run())


def _close(loop: asyncio.Runner, *limits: RateLimits) -> None:
    async def run() -> None:
        for item in limits:
            await item.close()

    loop.run(run())


def test_two_processes_sharing_redis_share_the_bulk_limit(
    loop: asyncio.Runner, redis_url: str, redis_prefix: str
) -> None:
    settings = Settings(redis_url=redis_url, rate_limit_key_prefix=redis_prefix)
    worker_a, worker_b = RateLimits(settings), RateLimits(settings)
    try:
        codes = (
            _codes(loop, worker_a, 1, 2)
            + _codes(loop, worker_b, 1, 2)
            + _codes(loop, worker_a, 1, 1)
        )
        assert codes == [200, 200, 200, 429, 429]
        assert _codes(loop, worker_b, 2, 3) == [200, 200, 200]  # another user has its own count
    finally:
        _close(loop, worker_a, worker_b)


def test_deployments_with_other_prefixes_do_not_share_counters(
    loop: asyncio.Runner, redis_url: str, redis_prefix: str
) -> None:
    one = RateLimits(Settings(redis_url=redis_url, rate_limit_key_prefix=redis_prefix + "-one"))
    two = RateLimits(Settings(redis_url=redis_url, rate_limit_key_prefix=redis_prefix + "-two"))
    try:
        assert _codes(loop, one, 1, 4) == [200, 200, 200, 429]
        assert _codes(loop, two, 1, 3) == [200, 200, 200]  # user 1 of another deployment
    finally:
        _close(loop, one, two)


def test_429_through_redis_has_json_message_and_retry_after(
    store: Store, services: Services, redis_url: str, redis_prefix: str
) -> None:
    settings = Settings(redis_url=redis_url, rate_limit_key_prefix=redis_prefix)
    with TestClient(create_app(settings, store=store)) as client:
        api = make_api(client, services, "redis@example.com", "Redis")
        codes = [api.post("/leads/bulk_create", {"leads": []}).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        refused = api.post("/leads/bulk_create", {"leads": []})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    body = refused.json()
    assert body["status"] == 429 and "rate limit" in body["message"].lower()


REDIS_OPTS = ("--save", "", "--appendonly", "no")


class OwnRedis:
    """A Redis server of one test alone, which the test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=1)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [*("redis-server", "--bind", "127.0.0.1", "--port", str(self.port)), *REDIS_OPTS],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with self.client() as c:
                    c.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("the test's redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        message = "REDIS-SERVER IS NOT INSTALLED, this test did not run"
        if os.environ.get("VERDIGRIS_REQUIRE_REDIS") == "1":
            pytest.fail(message + " (VERDIGRIS_REQUIRE_REDIS=1)")
        pytest.skip(message)
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


def test_redis_going_down_mid_run_falls_back_to_process_counters_and_recovers(
    loop: asyncio.Runner,
    own_redis: OwnRedis,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(ratelimit, "REDIS_RETRY_SECONDS", 0.3)
    limits = RateLimits(Settings(redis_url=own_redis.url))
    try:
        assert _codes(loop, limits, 1, 2) == [200, 200]
        with own_redis.client() as c:
            assert c.keys("verdigris:*")  # counted in Redis
        own_redis.stop()
        with caplog.at_level(logging.WARNING, logger="verdigris.ratelimit"):
            started = time.monotonic()
            # no errors: this process counts alone (fresh counters) while Redis is away
            assert _codes(loop, limits, 1, 4) == [200, 200, 200, 429]
            assert time.monotonic() - started < 2  # short timeouts, no hanging
            assert "counting rate limits in this process" in caplog.text
            assert not limits.using_redis

            own_redis.start()  # back, empty
            time.sleep(0.4)  # past the retry delay
            assert limits.using_redis
            assert _codes(loop, limits, 1, 4) == [200, 200, 200, 429]
            assert "Redis is back" in caplog.text
        with own_redis.client() as c:
            assert c.keys("verdigris:*")  # counted in Redis again
    finally:
        _close(loop, limits)


def test_redis_unreachable_from_the_start_still_answers_and_limits(
    store: Store, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = Settings(redis_url=nowhere)
    with TestClient(create_app(settings, store=store)) as client:
        api = make_api(client, services, "down@example.com", "Down")
        codes = [api.post("/leads/bulk_create", {"leads": []}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "Redis failed" in caplog.text


def _burst(base_url: str, headers: dict[str, str]) -> tuple[Counter[int], float]:
    """10 bulk requests of one user at once, each on its own connection."""
    bulk = {"url": base_url, "method": "POST", "path": "/developer_api/v1/leads/bulk_create"}
    job = {
        "start_at": time.time() + 1.5,
        "threads": 10,
        "headers": headers,
        "requests": [{**bulk, "json": {"leads": []}}] * 10,
    }
    results = run_processes([job])
    sent = [r["sent"] for r in results]
    for r in results:
        if r["status"] == 429:
            assert r["body"]["status"] == 429 and "rate limit" in r["body"]["message"].lower()
    return Counter(r["status"] for r in results), max(sent) - min(sent)


@pytest.mark.slow
def test_two_workers_with_redis_answer_exactly_3_of_a_burst_of_10(
    postgres_url: str, redis_url: str, redis_prefix: str
) -> None:
    # Without Redis, each worker counts alone: a burst reaches both workers when more than
    # 3 go through (it shows the burst below is really spread over two workers).
    alone = start_server(postgres_url, "--workers", "2")
    try:
        spread = []
        for _ in range(3):
            counts, _ = _burst(alone.base_url, alone.headers)
            spread.append(counts[200])
            if counts[200] > 3:
                break
            time.sleep(1.1)
        assert max(spread) > 3, spread
    finally:
        stop_server(alone)

    shared = start_server(
        postgres_url,
        "--workers",
        "2",
        "--redis-url",
        redis_url,
        env={"VERDIGRIS_RATE_LIMIT_KEY_PREFIX": redis_prefix},
    )
    try:
        for _ in range(2):
            counts, took = _burst(shared.base_url, shared.headers)
            assert took < 1.0
            assert counts == {200: 3, 429: 7}
            time.sleep(1.1)  # the next burst starts with an empty window
    finally:
        stop_server(shared)
