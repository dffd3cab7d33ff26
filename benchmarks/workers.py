"""Throughput of ``verdigris serve`` with 1 and with 2 worker processes.

For each engine (PostgreSQL, SQLite) and each worker count, the script starts a real
``verdigris serve --workers N --no-rate-limits`` on a fresh database seeded with
``--seed`` leads, warms it up, then drives ``PUT /developer_api/v1/leads/upsert`` (match
on email) with wrk for ``--duration`` seconds. A Lua script alternates an existing email
(picked at random among the seeded ones: an update) and a new one (a create), so half the
upserts update and half create. Rounds alternate 1, 2, 1, 2 workers; the table gives the
medians of req/s, p50 and p99, the ratio 2 workers / 1 worker, and the CPU each side used.

Requirements: ``wrk`` on PATH (Debian: ``apt-get install -y wrk``); for PostgreSQL a server
at ``--postgres`` (default: the local one, database test), where the script works in a
schema of its own and drops it at the end. Only loopback addresses are used; every wrk
run is bounded by ``--duration``.

Usage::

    python benchmarks/workers.py                       # both engines, 1 round, 10 s runs
    python benchmarks/workers.py --rounds 3 --engines postgres
    python benchmarks/workers.py --duration 4 --seed 500   # a quick look

On a 2-core machine wrk, the workers and PostgreSQL share the CPUs: the "cpu" columns say
how busy each was, which is what bounds the figures.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wrk import HOST, WrkResult, free_port, parse_wrk, wait_listening

PATH = "/developer_api/v1/leads/upsert"
EMAIL = "bench@verdigris.local"
TOKEN = "bench-" + secrets.token_hex(8)
TICKS = os.sysconf("SC_CLK_TCK")
APP_NAME = f"vbench_{os.getpid()}"  # tags the server's PostgreSQL connections

WRK_LUA = """\
-- wrk ... -s upsert.lua URL -- RUN_ID: emails of new leads are unique per run and thread
local seeded = {seeded}
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  prefix = args[1] .. "-" .. tid
  math.randomseed(os.time() + tid)
end

local function body(email)
  return '{{"properties":{{"name":"Bench Lead","email":{{"email":"' .. email ..
    '","category":"work"}}}},"match":{{"field_name":"email","field_value":"' .. email .. '"}}}}'
end

request = function()
  counter = counter + 1
  local email
  if counter % 2 == 0 then
    email = "seed" .. math.random(0, seeded - 1) .. "@bench.test"
  else
    email = prefix .. "-" .. counter .. "@new.bench.test"
  end
  return wrk.format("PUT", "{path}", {{
    ["Content-Type"] = "application/json",
    ["X-PW-AccessToken"] = "{token}",
    ["X-PW-Application"] = "developer_api",
    ["X-PW-UserEmail"] = "{email}",
  }}, body(email))
end
"""


@dataclass(frozen=True)
class Run:
    result: WrkResult
    server_cpu: float  # CPU seconds of the serve process and its workers / wall seconds
    db_cpu: float  # CPU seconds of the PostgreSQL backends serving it / wall seconds
    wrk_cpu: float
    busy: float  # share of the whole machine busy during the run (all processes)
    wall: float

    def cost_ms(self, cpu: float) -> float:
        """CPU milliseconds per request, from a CPU-seconds-per-second figure."""
        return cpu * self.wall * 1000 / max(1, self.result.requests)


def verdigris(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verdigris", *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def seed(db: str, count: int) -> None:
    """The bench user and ``count`` leads with emails seed0..seedN-1@bench.test."""
    verdigris("user", "add", EMAIL, "--token", TOKEN, "--db", db)
    from verdigris.services import Services
    from verdigris.store import open_store

    with open_store(db) as store:
        services = Services(store)
        who = services.authenticate(TOKEN, EMAIL)
        for i in range(count):
            email = f"seed{i}@bench.test"
            services.create_lead(who, {"name": f"Seed {i}", "email": {"email": email}})


def tree(pid: int) -> list[int]:
    """``pid`` and its live children."""
    try:
        return [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    except OSError:
        return [pid]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of ``pids``, in seconds (0 for those gone)."""
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def backend_pids(db: str) -> list[int]:
    """PIDs of the PostgreSQL backends whose application_name is this benchmark's."""
    if not db.startswith("postgres"):
        return []
    import sqlalchemy as sa

    from verdigris.store import normalize_url

    engine = sa.create_engine(normalize_url(db))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :n"),
                {"n": APP_NAME},
            )
            return [int(r[0]) for r in rows]
    finally:
        engine.dispose()


def machine_busy() -> tuple[float, float]:
    """(busy ticks, all ticks) of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def run_wrk(wrk: str, port: int, lua: Path, seconds: int, connections: int) -> str:
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency"]
    cmd += ["-s", str(lua), f"http://{HOST}:{port}{PATH}", "--", secrets.token_hex(4)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 30)
    return out.stdout


def bench(db: str, workers: int, args: argparse.Namespace, wrk: str, lua: Path) -> Run:
    port = free_port()
    serve = ["serve", "--db", db, "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "verdigris", *serve, "--no-rate-limits"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "VERDIGRIS_LOG_LEVEL": "warning"},
    )
    try:
        wait_listening(port, proc)
        time.sleep(1.0 if workers > 1 else 0.2)  # every worker up
        if args.warmup:
            run_wrk(wrk, port, lua, args.warmup, args.connections)
        servers, backends = tree(proc.pid), backend_pids(db)
        cpu0, db0, busy0 = cpu_seconds(servers), cpu_seconds(backends), machine_busy()
        wrk0 = os.times()
        started = time.monotonic()
        text = run_wrk(wrk, port, lua, args.duration, args.connections)
        wall = time.monotonic() - started
        wrk1 = os.times()
        cpu1, db1, busy1 = cpu_seconds(servers), cpu_seconds(backends), machine_busy()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    wrk_cpu = (wrk1.children_user + wrk1.children_system) - (
        wrk0.children_user + wrk0.children_system
    )
    busy = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    server_cpu, db_cpu = (cpu1 - cpu0) / wall, (db1 - db0) / wall
    return Run(parse_wrk(text), server_cpu, db_cpu, wrk_cpu / wall, busy, wall)


def postgres_db(base: str) -> tuple[str, str]:
    """A fresh schema on ``base``: (URL working in it, schema name)."""
    import sqlalchemy as sa

    from verdigris.store import normalize_url

    schema = f"vbench_{os.getpid()}"
    engine = sa.create_engine(normalize_url(base), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    sep = "&" if "?" in base else "?"
    options = quote(f"-csearch_path={schema}")
    return f"{base}{sep}options={options}&application_name={APP_NAME}", schema


def drop_schema(base: str, schema: str) -> None:
    import sqlalchemy as sa

    from verdigris.store import normalize_url

    engine = sa.create_engine(normalize_url(base), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    engine.dispose()


def line(label: str, runs: list[Run]) -> tuple[float, str]:
    def med(values: object) -> float:
        return statistics.median(values)  # type: ignore[call-overload, no-any-return]

    rps = med(r.result.rps for r in runs)
    errors = sum(r.result.errors for r in runs)
    return rps, (
        f"{label:<20} {rps:>8.1f} {med(r.result.p50_ms for r in runs):>7.2f} "
        f"{med(r.result.p99_ms for r in runs):>7.2f} {errors:>6} "
        f"{med(r.server_cpu for r in runs):>6.2f} {med(r.db_cpu for r in runs):>6.2f} "
        f"{med(r.wrk_cpu for r in runs):>6.2f} {med(r.busy for r in runs) * 100:>5.0f}% "
        f"{med(r.cost_ms(r.server_cpu) for r in runs):>7.2f} "
        f"{med(r.cost_ms(r.db_cpu) for r in runs):>7.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="postgres,sqlite", help="comma-separated")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up (0: none)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per worker count")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seed", type=int, default=2000, help="existing leads")
    args = parser.parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk not found on PATH (Debian: apt-get install -y wrk)", file=sys.stderr)
        return 2
    print(
        f"{os.cpu_count()} CPUs; wrk -t1 -c{args.connections} -d{args.duration}s --latency "
        f"after {args.warmup}s warm-up; {args.rounds} round(s) alternating 1,2 workers; "
        f"{args.seed} seeded leads; half updates, half creates",
        flush=True,
    )
    summary: list[str] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="verdigris_workers_") as tmp:
        lua = Path(tmp) / "upsert.lua"
        lua.write_text(WRK_LUA.format(seeded=args.seed, path=PATH, token=TOKEN, email=EMAIL))
        for engine in args.engines.split(","):
            schema = None
            if engine == "postgres":
                db, schema = postgres_db(args.postgres)
            else:
                db = f"sqlite:///{tmp}/bench.db"
            try:
                seed(db, args.seed)
                runs: dict[int, list[Run]] = {1: [], 2: []}
                for _ in range(args.rounds):
                    for workers in (1, 2):
                        run = bench(db, workers, args, wrk, lua)
                        runs[workers].append(run)
                        r = run.result
                        print(
                            f"  {engine} {workers} worker(s): {r.rps:8.1f} req/s  "
                            f"p50 {r.p50_ms:6.2f} ms  p99 {r.p99_ms:7.2f} ms  "
                            f"errors {r.errors}  cpu: server {run.server_cpu:.2f} "
                            f"db {run.db_cpu:.2f} wrk {run.wrk_cpu:.2f}  "
                            f"machine busy {run.busy:.0%}",
                            flush=True,
                        )
            finally:
                if schema:
                    drop_schema(args.postgres, schema)
            one, text1 = line(f"{engine}, 1 worker", runs[1])
            two, text2 = line(f"{engine}, 2 workers", runs[2])
            summary += [text1, text2, f"{engine}: 2 workers / 1 worker = {two / one:.2f}"]
            failed |= any(r.result.errors for rs in runs.values() for r in rs)
    print()
    print(
        f"{'':<20} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'server':>6} {'db':>6} {'wrk':>6} {'busy':>6} {'srv ms':>7} {'db ms':>7}"
    )
    print("\n".join(summary))
    print(
        "server/db/wrk: CPU seconds per wall second (2.00 = both cores); busy: the whole "
        "machine, every process; srv ms / db ms: CPU milliseconds per request"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
