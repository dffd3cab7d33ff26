"""verdigris next to json-server 0.17, the fake REST server integrators most often pick
instead, on the same workload in one run (issue 20, bar 9)::

    mkdir -p /work/peers && (cd /work/peers && npm install json-server@0.17)
    python -m benchmarks.peers --json-server /work/peers/node_modules/.bin/json-server

For each size (1k and 10k records): json-server serves a ``db.json`` of N leads (flat
fields: name, email, title, city, country, phone), verdigris (``verdigris serve``, one
worker, SQLite by default) a database of the same N leads loaded by
benchmarks/dataset.py; then wrk drives each server in turn with the same four requests
(benchmarks/bench.lua): create a lead, get a random lead by id, update a random lead's
title and details, and list a page of 200 leads of one random city. The servers differ in
what they promise (docs/performance.md, "Peers"): json-server keeps the whole database
in memory and rewrites the whole file after each write, with no fsync; verdigris commits
each write durably (SQLite synchronous=FULL) and checks auth, input and limits.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from benchmarks import dataset, loadgen, server
from benchmarks.bench import DEFAULT_PG, cpu_seconds, parse_sizes
from benchmarks.dataset import CITIES, Dataset, email_of

#: (label, verdigris scenario, json-server scenario)
WORKLOAD = (
    ("create", "create", "js_create"),
    ("get by id", "get", "js_get"),
    ("update", "put", "js_update"),
    ("list 200 of a city", "search", "js_list"),
)


@dataclass
class Row:
    size: int
    server: str
    scenario: str
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    errors: int


def write_db(path: Path, size: int) -> None:
    """json-server's db.json: the leads of benchmarks/dataset.py, flat, ids 1..N."""
    leads = []
    for i in range(size):
        city, state = CITIES[(i * 7919) % len(CITIES)]
        leads.append(
            {
                "id": i + 1,
                "name": f"Lead {i}",
                "email": email_of(i),
                "title": "Buyer",
                "company_name": f"Company {i % 50_000}",
                "phone": f"+1 415 555 {i % 10_000:04d}",
                "city": city,
                "state": state,
                "country": "US",
            }
        )
    path.write_text(json.dumps({"leads": leads}))


def start_json_server(binary: str, db: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = server.free_port()
    proc = subprocess.Popen(
        [binary, "--host", "127.0.0.1", "--port", str(port), "--quiet", str(db)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/leads/1", timeout=2) as reply:
                if reply.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"json-server did not start: {log.read_text()[-500:]}")


def node_pids(proc: subprocess.Popen[bytes]) -> list[int]:
    """The process and its children (the json-server script may run under a wrapper)."""
    pids = [proc.pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = dataset_read(entry / "stat")
            if stat and int(stat[stat.rfind(")") + 2 :].split()[1]) == proc.pid:
                pids.append(int(entry.name))
    return pids


def dataset_read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def measure(
    base: str, scenario: str, ds: Dataset, pids: list[int], args: argparse.Namespace, nonce: int
) -> tuple[loadgen.WrkResult, float]:
    common = {"threads": 1, "connections": args.connections}
    if args.warmup:
        loadgen.run_wrk(base, scenario, ds, nonce=nonce, seconds=args.warmup, **common)
    cpu0, wall0 = sum(cpu_seconds(pids)), time.perf_counter()
    result = loadgen.run_wrk(base, scenario, ds, nonce=nonce + 1, seconds=args.duration, **common)
    wall = time.perf_counter() - wall0
    cpu = sum(cpu_seconds(pids)) - cpu0
    return result, cpu * 1000 / max(result.rps * wall, 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__)
    p.add_argument("--json-server", default="/work/peers/node_modules/.bin/json-server")
    p.add_argument("--sizes", default="1000,10000")
    p.add_argument("--engine", default="sqlite", choices=("sqlite", "postgres"))
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--pg-url", default=os.environ.get("VERDIGRIS_BENCH_POSTGRES_URL", DEFAULT_PG))
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    if not shutil.which(args.json_server) and not Path(args.json_server).exists():
        raise SystemExit(f"json-server not found at {args.json_server} (see the docstring)")
    work = Path(tempfile.mkdtemp(prefix="verdigris-peers-"))
    rows: list[Row] = []
    nonce = int(time.time()) % 100_000 * 1000
    load0 = " ".join(dataset_read(Path("/proc/loadavg")).split()[:3])
    try:
        for size in parse_sizes(args.sizes):
            db = work / f"db-{size}.json"
            write_db(db, size)
            ds = dataset.prepare(args.engine, size, work, args.pg_url)
            peer = Dataset(**{**ds.__dict__, "id_lo": 1})  # json-server's ids
            try:
                proc, base = start_json_server(args.json_server, db, work / "json-server.log")
                try:
                    for label, _, js in WORKLOAD:
                        nonce += 2
                        result, cpu = measure(base, js, peer, node_pids(proc), args, nonce)
                        rows.append(
                            Row(
                                size,
                                "json-server 0.17",
                                label,
                                result.rps,
                                result.p50_ms,
                                result.p99_ms,
                                cpu,
                                result.error_count,
                            )
                        )
                        print(f"{size} json-server {label}: {result.rps:,.0f} req/s", flush=True)
                finally:
                    proc.terminate()
                    proc.wait(10)
                srv = server.start(ds.url, 1, ds.token, ds.email, work / "verdigris.log")
                try:
                    for label, key, _ in WORKLOAD:
                        nonce += 2
                        result, cpu = measure(srv.base, key, ds, srv.worker_pids(), args, nonce)
                        rows.append(
                            Row(
                                size,
                                f"verdigris ({args.engine})",
                                label,
                                result.rps,
                                result.p50_ms,
                                result.p99_ms,
                                cpu,
                                result.error_count,
                            )
                        )
                        print(f"{size} verdigris {label}: {result.rps:,.0f} req/s", flush=True)
                finally:
                    server.stop(srv)
            finally:
                dataset.drop_database(ds, args.pg_url)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load1 = " ".join(dataset_read(Path("/proc/loadavg")).split()[:3])
    lines = [
        f"load average {load0} at start, {load1} at end; wrk -t1 -c{args.connections} "
        f"-d{args.duration}s after {args.warmup} s; one server at a time",
        "",
        "| records | scenario | server | req/s | p50 ms | p99 ms | CPU ms/req | ÷ json-server |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        peer_row = next(
            x
            for x in rows
            if (x.size, x.scenario) == (r.size, r.scenario) and x.server.startswith("json")
        )
        vs = "" if r is peer_row or not peer_row.rps else f"{r.rps / peer_row.rps:.2f}x"
        errors = f" ({r.errors} errors)" if r.errors else ""
        lines.append(
            f"| {r.size:,} | {r.scenario} | {r.server} | {r.rps:,.0f}{errors} | {r.p50_ms:.2f} "
            f"| {r.p99_ms:.2f} | {r.cpu_ms:.2f} | {vs} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
