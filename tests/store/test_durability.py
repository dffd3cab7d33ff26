"""Durability modes: a durable SQLite flushes every acknowledged write to disk, a fast
one does not; PostgreSQL's fast mode turns synchronous_commit off for verdigris only."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from benchmarks import fsyncs
from tests.conftest import free_port, start_server, stop_server
from verdigris.config import Settings
from verdigris.store import open_store
from verdigris.store.postgres import PostgresStore
from verdigris.store.sqlite import SqliteStore

EMAIL = "flush@example.com"


def _require_strace() -> str:
    path = shutil.which("strace")
    if path is None:
        message = "STRACE IS NOT INSTALLED, the flush-counting test did not run"
        if os.environ.get("VERDIGRIS_REQUIRE_STRACE") == "1":
            pytest.fail(message + " (VERDIGRIS_REQUIRE_STRACE=1)")
        pytest.skip(message)
    return path


def _count_flushes(tmp_path: Path, mode: str, writes: int) -> tuple[int, int]:
    """(flushes during ``writes`` sequential acknowledged creates, writes acknowledged)
    on a ``verdigris serve --durability MODE`` traced by strace in a subprocess."""
    strace = _require_strace()
    db = f"sqlite:///{tmp_path / (mode + '.db')}"
    token = "flush-" + secrets.token_hex(8)
    subprocess.run(
        [sys.executable, "-m", "verdigris", "user", "add", EMAIL, "--token", token, "--db", db],
        check=True,
        capture_output=True,
    )
    trace = tmp_path / f"{mode}.strace"
    port = free_port()
    serve = [sys.executable, "-m", "verdigris", "serve", "--db", db, "--port", str(port)]
    serve += ["--durability", mode, "--no-rate-limits"]
    process = subprocess.Popen(
        fsyncs.traced(strace, trace, serve),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    headers = {"X-PW-AccessToken": token, "X-PW-Application": "developer_api"}
    headers["X-PW-UserEmail"] = EMAIL
    base = f"http://127.0.0.1:{port}/developer_api/v1"
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    assert client.get("/account").status_code == 200
                    break
                except httpx.TransportError:
                    assert process.poll() is None, "verdigris serve under strace exited"
                    assert time.monotonic() < deadline, "verdigris serve did not start"
                    time.sleep(0.1)
            before = fsyncs.count(trace)
            acknowledged = 0
            for i in range(writes):
                r = client.post("/leads", json={"name": f"Lead {i}"})
                acknowledged += r.status_code == 200
            # strace writes each line as the call returns: every flush of an answered
            # request is in the file by now
            after = fsyncs.count(trace)
    finally:
        fsyncs.stop_traced(process)
    return after - before, acknowledged


@pytest.mark.slow
def test_durable_sqlite_flushes_every_acknowledged_write_and_fast_does_not(
    tmp_path: Path,
) -> None:
    writes = 40
    durable, acknowledged = _count_flushes(tmp_path, "durable", writes)
    assert acknowledged == writes
    assert durable >= writes  # one commit each (sequential: a group of one), each flushed
    fast, acknowledged = _count_flushes(tmp_path, "fast", writes)
    assert acknowledged == writes
    assert fast < writes // 4  # at most a checkpoint's: none per write


def test_open_store_sets_each_engines_durability(db_url: str) -> None:
    with open_store(db_url) as default, open_store(db_url, durability="fast") as fast:
        assert default.durability == "durable" and fast.durability == "fast"
        if isinstance(default, SqliteStore):
            query = "PRAGMA synchronous"
            expected: tuple[object, object] = (2, 1)  # FULL, NORMAL
        else:
            assert isinstance(default, PostgresStore)
            query = "SHOW synchronous_commit"
            expected = ("on", "off")  # the test server's own setting is on
        found = []
        for store in (default, fast):
            assert isinstance(store, SqliteStore | PostgresStore)
            with store.engine.connect() as conn:
                found.append(conn.exec_driver_sql(query).scalar())
        assert tuple(found) == expected
        assert default.durability_note().startswith("durable")
        assert fast.durability_note().startswith("fast")


def test_in_memory_sqlite_defaults_to_fast() -> None:
    with open_store("sqlite://") as store:
        assert store.durability == "fast"
        assert "in-memory" in store.durability_note()


def test_durability_setting_from_the_environment_is_checked() -> None:
    assert Settings.from_env({"VERDIGRIS_DURABILITY": "fast"}).durability == "fast"
    assert Settings.from_env({}).durability is None  # durable, unless in memory
    with pytest.raises(ValueError, match="durability must be one of durable, fast"):
        Settings.from_env({"VERDIGRIS_DURABILITY": "sometimes"})


@pytest.mark.slow
def test_serve_logs_its_durability_mode(db_url: str, tmp_path: Path) -> None:
    for extra, expected in (((), "durability: durable"), (("--durability", "fast"), "fast")):
        log = tmp_path / "serve.log"
        server = start_server(db_url, *extra, log=log)
        stop_server(server)
        lines = [line for line in log.read_text().splitlines() if "durability:" in line]
        assert len(lines) == 1 and expected in lines[0], lines


@pytest.mark.slow
def test_serve_warns_when_rate_limits_are_off(tmp_path: Path) -> None:
    """Copper's limits off is said even at --log-level warning (the benchmarks' level)."""
    db_url = f"sqlite:///{tmp_path / 'limits.db'}"
    for extra, warned in (((), False), (("--no-rate-limits",), True)):
        log = tmp_path / "serve.log"
        server = start_server(db_url, *extra, env={"VERDIGRIS_LOG_LEVEL": "warning"}, log=log)
        stop_server(server)
        text = log.read_text()
        assert ("rate limits off" in text) is warned, text
