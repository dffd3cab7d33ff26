"""Idempotency keys against real ``verdigris serve`` processes (issue 19): 50 concurrent
requests with one key, on one worker and across two; a kill -9 while keyed creates are
in flight, then every one retried with its key. Both engines."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import LiveServer, lead_count, start_server, stop_server
from verdigris.store import open_store

pytestmark = pytest.mark.slow
LEADS = "/developer_api/v1/leads"


def _fifty(server: LiveServer) -> list[tuple[int, bytes, str | None]]:
    body = {"name": "Once Only", "email": {"email": "once@example.com", "category": "work"}}
    headers = {**server.headers, "Idempotency-Key": "one-key"}
    start = threading.Barrier(25)

    def one(i: int) -> tuple[int, bytes, str | None]:
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as c:
            if i < 25:
                start.wait()
            r = c.post(LEADS, json=body)
            return r.status_code, r.content, r.headers.get("X-Verdigris-Idempotent-Replay")

    with ThreadPoolExecutor(max_workers=25) as pool:
        return list(pool.map(one, range(50)))


def _count(db_url: str) -> int:
    store = open_store(db_url)
    try:
        return lead_count(store)
    finally:
        store.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_fifty_concurrent_requests_with_one_key_make_one_lead(live_db: str, workers: int) -> None:
    server = start_server(live_db, "--no-rate-limits", "--workers", str(workers))
    try:
        results = _fifty(server)
    finally:
        stop_server(server)
    assert [status for status, _, _ in results] == [200] * 50
    assert len({body for _, body, _ in results}) == 1  # 50 identical answers
    assert sorted(str(replay) for _, _, replay in results).count("true") == 49
    assert _count(live_db) == 1


def test_kill_9_while_keyed_creates_run_then_retry_makes_no_duplicate(live_db: str) -> None:
    server = start_server(live_db, "--no-rate-limits")
    answered: dict[int, bytes] = {}
    stop = threading.Event()

    def create(i: int) -> None:
        headers = {**server.headers, "Idempotency-Key": f"key-{i}"}
        try:
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as c:
                r = c.post(LEADS, json={"name": f"Lead {i}"})
                if r.status_code == 200:
                    answered[i] = r.content
        except httpx.TransportError:
            pass  # the server died under it: the retry below settles it

    def killer() -> None:
        while len(answered) < 40 and not stop.is_set():
            time.sleep(0.001)
        os.kill(server.process.pid, signal.SIGKILL)

    kill = threading.Thread(target=killer)
    kill.start()
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(create, range(200)))
    finally:
        stop.set()
        kill.join()
        server.process.wait()
    assert 40 <= len(answered) < 200  # killed in the middle
    made = _count(live_db)
    second = start_server(live_db, "--no-rate-limits")
    try:
        with httpx.Client(base_url=second.base_url, headers=second.headers, timeout=30) as c:
            retried = {}
            for i in range(200):
                r = c.post(
                    LEADS, json={"name": f"Lead {i}"}, headers={"Idempotency-Key": f"key-{i}"}
                )
                assert r.status_code == 200
                retried[i] = (r.content, r.headers.get("X-Verdigris-Idempotent-Replay"))
    finally:
        stop_server(second)
    assert _count(live_db) == 200  # one lead per key, whatever the kill interrupted
    for i, body in answered.items():
        assert retried[i] == (body, "true")  # an answer that left is the one replayed
    assert sum(1 for _, replay in retried.values() if replay == "true") == made
