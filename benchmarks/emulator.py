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


def _reap(process: subprocess.Popen[bytes]) -> float:
    """Wait for ``process``; the CPU seconds (user + system) it used."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return float(usage.ru_utime + usage.ru_stime)


def spawn_time(code: str, rounds: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of ``python -c code``, from spawning to its exit."""
    walls, cpus = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", code])
        cpus.append(_reap(process))
        walls.append(time.perf_counter() - started)
    return statistics.median(walls), statistics.median(cpus)


def first_200(db: str, token: str, email: str, *extra: str) -> tuple[float, float]:
    """(wall seconds to the first 200, CPU seconds the server used until then and its exit)."""
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
    wall = 0.0
    try:
        with httpx.Client(timeout=1) as client:
            while not wall:
                try:
                    if client.get(url, headers=headers).status_code == 200:
                        wall = time.perf_counter() - started
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError("verdigris serve exited")
                time.sleep(0.002)
    finally:
        process.terminate()
        cpu = _reap(process)
    return wall, cpu


def startup(rounds: int, workdir: Path) -> None:
    db = f"sqlite:///{workdir / 'start.db'}"
    token, email = secrets.token_hex(16), "start@example.com"
    subprocess.run(
        [sys.executable, "-m", "verdigris", "user", "add", email, "--token", token, "--db", db],
        check=True,
        capture_output=True,
    )
    rows = [
        ("python -c pass", spawn_time("pass", rounds)),
        (f"python -c '{FLOOR}' (baseline)", spawn_time(FLOOR, rounds)),
    ]
    for label, extra in (
        ("serve, first 200", ()),
        ("serve --emulator, first 200", ("--emulator",)),
    ):
        runs = [first_200(db, token, email, *extra) for _ in range(rounds)]
        rows.append((label, (statistics.median(r[0] for r in runs),
                             statistics.median(r[1] for r in runs))))  # fmt: skip
    floor_wall, floor_cpu = rows[1][1]
    print("wall ms, CPU ms (user+system; what an idle machine's wall time comes close to)")
    for label, (wall, cpu) in rows:
        print(f"  {label}: wall {wall * 1000:.0f} ms ({wall / floor_wall:.2f}x baseline), "
              f"CPU {cpu * 1000:.0f} ms ({cpu / floor_cpu:.2f}x)")  # fmt: skip


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
        # wall time, and this process's CPU time (the server runs in a thread of it)
        after_writes, idle, cpu_writes, cpu_idle = [], [], [], []
        for i in range(count):
            http.post("/leads", json={"name": f"made in test {i}"}).raise_for_status()
            http.put(f"/leads/{first}", json={"name": f"renamed {i}"}).raise_for_status()
            t, c = time.perf_counter(), time.process_time()
            copper.reset()
            after_writes.append(time.perf_counter() - t)
            cpu_writes.append(time.process_time() - c)
            t, c = time.perf_counter(), time.process_time()
            copper.reset()
            idle.append(time.perf_counter() - t)
            cpu_idle.append(time.process_time() - c)
        total = int(http.post("/leads/search", json={"page_size": 1}).headers["X-PW-TOTAL"])
        assert total == leads, total
        http.close()
        copper.close()
    for label, walls, cpus in (
        (f"reset after a test's writes ({leads} leads)", after_writes, cpu_writes),
        (f"reset after nothing ({leads} leads)", idle, cpu_idle),
    ):
        p90 = sorted(walls)[int(count * 0.9)] * 1000
        wall, cpu = statistics.median(walls) * 1000, statistics.median(cpus) * 1000
        print(f"{label}: wall median {wall:.1f} ms (p90 {p90:.1f}), CPU median {cpu:.1f} ms")


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
