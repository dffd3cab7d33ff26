"""verdigris past one process: ``serve --workers N`` and several ``serve`` processes on one
database, driven by several client processes over loopback (each test on SQLite and on
PostgreSQL)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import start_server, stop_server
from tests.loadgen import run_processes
from verdigris.cli import workers
from verdigris.store import normalize_url

pytestmark = pytest.mark.slow

EMAILS = [f"new{i:02d}@example.com" for i in range(20)]
UPSERT = "/developer_api/v1/leads/upsert"


def _upsert(email: str) -> dict[str, Any]:
    return {
        "method": "PUT",
        "path": UPSERT,
        "json": {
            "properties": {"name": email.split("@")[0], "email": {"email": email}},
            "match": {"field_name": "email", "field_value": email},
        },
    }


def _race(urls: list[str], headers: dict[str, str], processes: int = 4) -> list[dict[str, Any]]:
    """200 upserts of the 20 new emails (10 each), sent at once from ``processes`` client
    processes of 10 threads each, spread over ``urls`` in turn."""
    requests = [_upsert(email) for _ in range(10) for email in EMAILS]
    for i, req in enumerate(requests):
        req["url"] = urls[i % len(urls)]
    start_at = time.time() + 3  # every process is up and waiting by then
    jobs = [
        {
            "start_at": start_at,
            "threads": 10,
            "headers": headers,
            "requests": requests[p::processes],
        }
        for p in range(processes)
    ]
    return run_processes(jobs)


def _leads_per_email(db_url: str) -> dict[str, int]:
    engine = sa.create_engine(normalize_url(db_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT email_norm, count(*) FROM leads GROUP BY 1"))
            return {r[0]: int(r[1]) for r in rows}
    finally:
        engine.dispose()


def _assert_one_lead_per_email(results: list[dict[str, Any]], db_url: str) -> None:
    assert Counter(r["status"] for r in results) == {200: 200}
    ids: dict[str, set[int]] = {}
    for r in results:
        ids.setdefault(r["body"]["email"]["email"], set()).add(r["body"]["id"])
    assert {email: len(found) for email, found in ids.items()} == dict.fromkeys(EMAILS, 1)
    assert _leads_per_email(db_url) == dict.fromkeys(EMAILS, 1)


def test_two_workers_200_concurrent_upserts_of_20_new_emails_make_20_leads(live_db: str) -> None:
    server = start_server(live_db, "--workers", "2", "--no-rate-limits")
    try:
        results = _race([server.base_url], server.headers)
    finally:
        stop_server(server)
    _assert_one_lead_per_email(results, live_db)


def test_two_serve_processes_on_one_database_make_one_lead_per_email(live_db: str) -> None:
    first = start_server(live_db, "--no-rate-limits")
    second = start_server(live_db, "--no-rate-limits")
    try:
        assert first.base_url != second.base_url
        results = _race([first.base_url, second.base_url], first.headers)
    finally:
        stop_server(first)
        stop_server(second)
    _assert_one_lead_per_email(results, live_db)


def test_workers_get_the_settings_and_stop_cleanly_on_sigterm(live_db: str, tmp_path: Path) -> None:
    """A flag (--no-rate-limits) and a variable (VERDIGRIS_BULK_LIMIT) reach every worker;
    SIGTERM stops them all, each closing its store, and the command exits 0."""
    log = tmp_path / "serve.log"
    server = start_server(
        live_db, "--workers", "2", "--no-rate-limits", env={"VERDIGRIS_BULK_LIMIT": "2"}, log=log
    )
    try:
        three = {"leads": [{"name": f"L{i}"} for i in range(3)]}
        bulk = {"method": "POST", "path": "/developer_api/v1/leads/bulk_create", "json": three}
        job = {
            "start_at": time.time() + 1.5,
            "threads": 12,
            "headers": server.headers,
            "requests": [{**bulk, "url": server.base_url}] * 12,
        }
        results = run_processes([job])
        # over 3/s a worker with limits on would answer 429; with 10 items allowed, 200
        assert Counter(r["status"] for r in results) == {422: 12}
    finally:
        server.process.send_signal(signal.SIGTERM)
        try:
            code = server.process.wait(20)
        except subprocess.TimeoutExpired:
            stop_server(server)
            raise
    assert code == 0
    text = log.read_text()
    assert text.count("store closed") == 2, text
    assert text.count("Finished server process") == 2, text
    assert "Traceback" not in text, text


@pytest.mark.postgres
def test_processes_starting_together_on_a_new_postgres_database_migrate_it_once(
    postgres_url: str,
) -> None:
    from urllib.parse import quote

    from tests.conftest import POSTGRES_URL

    admin = sa.create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    schema = f"vtest_mig_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "verdigris", "db", "upgrade", "--db", url],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(4)
        ]
        outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, outputs
        with admin.connect() as conn:
            versions = conn.exec_driver_sql(f"SELECT version_num FROM {schema}.alembic_version")
            assert len(versions.all()) == 1
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _sockets_by_state(port: int) -> dict[str, set[str]]:
    """Inodes of this machine's TCP sockets on local ``port``: LISTEN ('0A'), ESTABLISHED ('01')."""
    found: dict[str, set[str]] = {"0A": set(), "01": set()}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] in found:
                    found[fields[3]].add(fields[9])
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@pytest.mark.skipif(not workers.supported(), reason="SO_REUSEPORT balancing is Linux's")
def test_keep_alive_connections_spread_over_the_workers(live_db: str) -> None:
    """Each worker listens on its own SO_REUSEPORT socket: 16 connections opened at once
    (as wrk or a client pool does) do not all land on one worker."""
    server = start_server(live_db, "--workers", "2", "--no-rate-limits")
    port = int(server.base_url.rsplit(":", 1)[1])
    try:
        busy = _wait_for_workers(server, port, 2)
        clients = [
            httpx.Client(base_url=server.base_url, headers=server.headers) for _ in range(16)
        ]
        try:
            for client in clients:
                assert client.get("/developer_api/v1/account").status_code == 200
            established = _sockets_by_state(port)["01"]
            per_worker = [len(_socket_inodes(c) & established) for c in busy]
        finally:
            for client in clients:
                client.close()
    finally:
        stop_server(server)
    assert sum(per_worker) == 16
    assert min(per_worker) >= 1, per_worker  # all 16 on one worker: 1 chance in 32,768


def test_a_second_serve_on_a_taken_port_fails(live_db: str) -> None:
    server = start_server(live_db, "--workers", "2", "--no-rate-limits")
    port = server.base_url.rsplit(":", 1)[1]
    command = [sys.executable, "-m", "verdigris", "serve", "--db", live_db]
    try:
        second = subprocess.run(
            [*command, "--port", port, "--workers", "2"],
            capture_output=True,
            timeout=60,
        )
        assert second.returncode != 0
        assert b"Address already in use" in second.stdout + second.stderr
    finally:
        stop_server(server)


def _listening_workers(server: Any, port: int) -> list[int]:
    listening = _sockets_by_state(port)["0A"]
    return [c for c in _children(server.process.pid) if _socket_inodes(c) & listening]


def _wait_for_workers(server: Any, port: int, count: int) -> list[int]:
    deadline = time.monotonic() + 30
    while len(found := _listening_workers(server, port)) != count:
        assert time.monotonic() < deadline, f"{len(found)} workers listening, not {count}"
        time.sleep(0.2)
    return found


@pytest.mark.skipif(not workers.supported(), reason="SO_REUSEPORT balancing is Linux's")
def test_a_worker_that_dies_is_replaced(live_db: str, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    server = start_server(live_db, "--workers", "2", "--no-rate-limits", log=log)
    port = int(server.base_url.rsplit(":", 1)[1])
    try:
        first, second = _wait_for_workers(server, port, 2)
        os.kill(second, signal.SIGKILL)
        replaced = _wait_for_workers(server, port, 2)
        assert first in replaced and second not in replaced
        answer = httpx.get(server.base_url + "/developer_api/v1/account", headers=server.headers)
        assert answer.status_code == 200
    finally:
        stop_server(server)
    assert f"worker {second} exited" in log.read_text()


@pytest.mark.skipif(not workers.supported(), reason="SO_REUSEPORT balancing is Linux's")
def test_workers_stop_when_the_supervisor_is_killed(live_db: str) -> None:
    """SIGKILL of `serve` itself (the OOM killer, kill -9): no worker goes on serving."""
    server = start_server(live_db, "--workers", "2", "--no-rate-limits")
    port = int(server.base_url.rsplit(":", 1)[1])
    try:
        pids = _wait_for_workers(server, port, 2)
        server.process.kill()
        server.process.wait(10)
        deadline = time.monotonic() + 20
        while any(Path(f"/proc/{pid}").exists() for pid in pids):
            assert time.monotonic() < deadline, "workers outlived their supervisor"
            time.sleep(0.2)
        assert not _sockets_by_state(port)["0A"]  # nothing listens on the port any more
    finally:
        stop_server(server)
