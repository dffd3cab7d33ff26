"""The emulator's two start-up figures: time to first 200 and the per-test reset.

    python -m benchmarks.emulator [--leads 10000] [--rounds 5] [--resets 50] [--pg-url URL]

1. **Time to first 200** of ``verdigris serve`` on an existing SQLite database (migrated,
   one user): from spawning the process to the first 200 of ``GET /developer_api/v1/
   account``, plain and with ``--emulator``; the median of ``--rounds``. The baseline,
   measured in the same run, is the time from spawning ``python -c pass`` to its exit
   (the interpreter's own start), so the figure can be read on a loaded machine as a
   ratio to it.
2. **Reset between tests** at ``--leads`` leads: the pytest plugin's server
   (:class:`verdigris.testing.EmulatorServer`) seeded with that many leads; each round a
   "test" creates a lead and updates a seeded one, then ``POST /verdigris/v1/emulator/
   reset`` (the call the ``copper`` fixture makes) is timed; also a reset after nothing.
   With ``--pg-url``, the per-account restore that PostgreSQL uses is timed on the same
   leads (``verdigris.emulator.data.restore_snapshot``).

The load average (``os.getloadavg``) is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: what any server on this stack imports before it can answer: the floor under serve's time
FLOOR = "import sqlalchemy, starlette.applications, uvicorn, msgspec, limits"


def spawn_time(code: str, rounds: int) -> float:
    """Median seconds from spawning ``python -c code`` to its exit."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def first_200(db: str, token: str, email: str, *extra: str) -> float:
    port = free_port()
    headers = {"X-PW-AccessToken": token, "X-PW-Application": "developer_api",
               "X-PW-UserEmail": email}  # fmt: skip
    url = f"http://127.0.0.1:{port}/developer_api/v1/account"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "verdigris", "serve", "--db", db, "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(timeout=1) as client:
            while True:
                try:
                    if client.get(url, headers=headers).status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError("verdigris serve exited")
                time.sleep(0.002)
    finally:
        process.terminate()
        process.wait(10)


def startup(rounds: int, workdir: Path) -> None:
    db = f"sqlite:///{workdir / 'start.db'}"
    token, email = secrets.token_hex(16), "start@example.com"
    subprocess.run(
        [sys.executable, "-m", "verdigris", "user", "add", email, "--token", token, "--db", db],
        check=True,
        capture_output=True,
    )
    base = spawn_time("pass", rounds)
    floor = spawn_time(FLOOR, rounds)
    plain = statistics.median(first_200(db, token, email) for _ in range(rounds))
    emulated = statistics.median(first_200(db, token, email, "--emulator") for _ in range(rounds))
    print(f"python -c pass: {base * 1000:.0f} ms")
    print(f"python -c '{FLOOR}' (baseline): {floor * 1000:.0f} ms")
    for label, figure in (("serve", plain), ("serve --emulator", emulated)):
        ratio = figure / floor
        print(f"{label}, first 200: {figure * 1000:.0f} ms ({ratio:.2f}x baseline)")


def resets(leads: int, count: int, workdir: Path) -> None:
    from verdigris.testing import CopperEmulator, EmulatorServer

    seed = workdir / "seed.json"
    seed.write_text(json.dumps({"leads": [{"name": f"Lead {i}", "email": {
        "email": f"lead{i}@example.com", "category": "work"}} for i in range(leads)]}))  # fmt: skip
    started = time.perf_counter()
    with EmulatorServer(seed=seed, directory=workdir / "plugin") as server:
        print(f"plugin server seeded with {leads} leads in {time.perf_counter() - started:.1f} s")
        copper = CopperEmulator(server)
        http = httpx.Client(base_url=copper.base_url, headers=copper.headers)
        first = http.post("/leads/search", json={"page_size": 1}).json()[0]["id"]
        after_writes, idle = [], []
        for i in range(count):
            http.post("/leads", json={"name": f"made in test {i}"}).raise_for_status()
            http.put(f"/leads/{first}", json={"name": f"renamed {i}"}).raise_for_status()
            t = time.perf_counter()
            copper.reset()
            after_writes.append(time.perf_counter() - t)
            t = time.perf_counter()
            copper.reset()
            idle.append(time.perf_counter() - t)
        total = int(http.post("/leads/search", json={"page_size": 1}).headers["X-PW-TOTAL"])
        assert total == leads, total
        http.close()
        copper.close()
    median, p90 = statistics.median(after_writes), sorted(after_writes)[int(count * 0.9)]
    print(f"reset after a test's writes ({leads} leads): median {median * 1000:.1f} ms")
    print(f"  p90 {p90 * 1000:.1f} ms")
    print(f"reset after nothing ({leads} leads): median {statistics.median(idle) * 1000:.1f} ms")


def _first_user(store: Any, account: int) -> tuple[int, int, str]:
    with store.transaction(write=False) as tx:
        user = tx.accounts.list_users(account)[0]
    return user.id, account, user.email


def postgres_restore(url: str, leads: int) -> None:
    import sqlalchemy as sa

    from verdigris.emulator import data, seed
    from verdigris.services import Principal, Services
    from verdigris.store import normalize_url, open_store, schema
    from verdigris.store.sql import SqlStore

    # a schema of its own, dropped at the end (the database may be shared)
    pg_schema = f"bench_emulator_{secrets.token_hex(3)}"
    admin = sa.create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {pg_schema}")
    sep = "&" if "?" in url else "?"
    store = open_store(f"{url}{sep}options=-csearch_path%3D{pg_schema}")
    assert isinstance(store, SqlStore)
    store.migrate()
    services = Services(store)
    name = f"bench-{secrets.token_hex(4)}"
    fixture = {"accounts": [{"name": name, "users": [{"email": f"{name}@example.com"}],
               "leads": [{"name": f"Lead {i}"} for i in range(leads)]}]}  # fmt: skip
    account = seed.apply(services, fixture).accounts[0]["id"]
    snap = data.take_snapshot(store, account, "bench", 0)
    who = Principal(*_first_user(store, account))
    first = snap.rows["leads"][0][[c.name for c in schema.leads.columns].index("id")]
    times = []
    for i in range(5):  # a test's writes, then the reset of the account
        services.create_lead(who, {"name": f"made in test {i}"})
        services.update_lead(who, first, {"name": f"renamed {i}"})
        t = time.perf_counter()
        data.restore_snapshot(store, snap)
        times.append(time.perf_counter() - t)
    store.close()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {pg_schema} CASCADE")
    admin.dispose()
    median = statistics.median(times)
    print(f"PostgreSQL per-account restore ({leads} leads): median {median * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--resets", type=int, default=50)
    parser.add_argument("--pg-url", help="also time PostgreSQL's per-account restore")
    parser.add_argument("--skip-sqlite", action="store_true", help="only the PostgreSQL part")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_sqlite:
            startup(args.rounds, Path(tmp))
            resets(args.leads, args.resets, Path(tmp))
    if args.pg_url:
        postgres_restore(args.pg_url, args.leads)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
