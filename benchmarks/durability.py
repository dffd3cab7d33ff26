"""What durability costs: upsert and PUT throughput on SQLite, durable against fast.

    python -m benchmarks.durability --size 10k --rounds 3

Loads a SQLite database as ``scripts/bench`` does (``--size`` leads), then each round
serves it once per mode (``VERDIGRIS_DURABILITY=durable``, then ``fast``; the order
alternates between rounds) and runs wrk with ``bench.lua`` on each scenario at 1 and 16
connections (a warm-up, then ``--duration`` seconds), deleting the leads a run created
before the next server. Rate limits are off. It prints every run, then the median req/s
of each mode and the durable/fast ratio.

With ``--flushes`` (needs strace) it then serves the durable mode once more under
``strace -f -e trace=fsync,fdatasync`` and counts requests per flush at 1 and 16
connections: what group commit buys (one flush per commit, several requests per commit
when they arrive together). strace slows the server; only the ratio is read from it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import dataset, fsyncs, loadgen, server
from benchmarks.bench import DEFAULT_PG, parse_sizes
from benchmarks.dataset import Dataset

MODES = ("durable", "fast")
SCENARIOS = ("upsert_email", "put")
CONNECTIONS = (1, 16)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.durability", description=__doc__)
    p.add_argument("--size", default="10k", help="leads in the database (10k)")
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "verdigris-dur")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=5, help="seconds per run (5)")
    p.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per run (1)")
    p.add_argument("--flushes", action="store_true", help="count requests per flush (strace)")
    return p


def _run(
    srv: server.Server, ds: Dataset, scenario: str, conns: int, nonce: int, secs: int
) -> loadgen.WrkResult:
    return loadgen.run_wrk(
        srv.base, scenario, ds, nonce=nonce, seconds=secs, threads=1, connections=conns
    )


def _start(ds: Dataset, mode: str, log: Path) -> server.Server:
    os.environ["VERDIGRIS_DURABILITY"] = mode  # server.start hands its environment on
    try:
        return server.start(ds.url, 1, ds.token, ds.email, log)
    finally:
        del os.environ["VERDIGRIS_DURABILITY"]


def throughput(ds: Dataset, args: argparse.Namespace) -> dict[tuple[str, int, str], list[float]]:
    results: dict[tuple[str, int, str], list[float]] = {}
    nonce = 1
    for round_number in range(1, args.rounds + 1):
        modes = MODES if round_number % 2 else tuple(reversed(MODES))
        for mode in modes:
            srv = _start(ds, mode, args.workdir / f"dur-{mode}.log")
            try:
                for conns in CONNECTIONS:
                    for scenario in SCENARIOS:
                        if args.warmup:
                            _run(srv, ds, scenario, conns, nonce, args.warmup)
                        run = _run(srv, ds, scenario, conns, nonce + 1, args.duration)
                        nonce += 2
                        errors = f"  {run.error_count} ERRORS" if run.error_count else ""
                        print(
                            f"round {round_number} {mode:<8} {scenario:<13} c={conns:<3}"
                            f"{run.rps:8,.0f} req/s  p50 {run.p50_ms:6.2f} ms"
                            f"  p99 {run.p99_ms:6.2f} ms{errors}",
                            flush=True,
                        )
                        if not run.error_count:
                            results.setdefault((scenario, conns, mode), []).append(run.rps)
            finally:
                server.stop(srv)
            dataset.restore(ds)
    return results


def flushes(ds: Dataset, args: argparse.Namespace) -> list[str]:
    """Requests per flush of a durable server, per scenario and connection count."""
    strace = shutil.which("strace")
    if strace is None:
        raise SystemExit("--flushes needs strace: apt-get install -y strace")
    trace = args.workdir / "dur-flushes.strace"
    trace.unlink(missing_ok=True)
    port = server.free_port()
    serve = [sys.executable, "-m", "verdigris", "serve", "--db", ds.url, "--host", server.HOST]
    serve += ["--port", str(port), "--no-rate-limits", "--durability", "durable"]
    log = open(args.workdir / "dur-flushes.log", "wb")  # noqa: SIM115
    env = {**os.environ, "VERDIGRIS_LOG_LEVEL": "warning"}
    cmd = fsyncs.traced(strace, trace, serve)
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    srv = server.Server(ds.url, 1, port, process, args.workdir / "dur-flushes.log")
    srv.headers = {
        "X-PW-AccessToken": ds.token,
        "X-PW-UserEmail": ds.email,
        "X-PW-Application": "developer_api",
    }
    lines = []
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                if srv.request("GET", "/developer_api/v1/account").status == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the traced server did not start:\n{srv.log_tail()}")
            time.sleep(0.2)
        nonce = 10_001
        for conns in CONNECTIONS:
            for scenario in SCENARIOS:
                before = fsyncs.count(trace)
                run = _run(srv, ds, scenario, conns, nonce, args.duration)
                nonce += 1
                count = fsyncs.count(trace) - before
                per = run.requests / count if count else float("inf")
                lines.append(
                    f"{scenario:<13} c={conns:<3} {run.requests:7,} requests  {count:7,} flushes"
                    f"  {per:5.2f} requests per flush (under strace: {run.rps:,.0f} req/s)"
                )
                print(lines[-1], flush=True)
    finally:
        fsyncs.stop_traced(process)
        dataset.restore(ds)
    return lines


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    (size,) = parse_sizes(args.size)
    args.workdir.mkdir(parents=True, exist_ok=True)
    ds = dataset.prepare("sqlite", size, args.workdir, DEFAULT_PG)
    print(f"RATE LIMITS ARE OFF. sqlite, {ds.size:,} leads, 1 worker, wrk 1 thread")
    results = throughput(ds, args)
    print("\nmedian req/s: durable, fast, durable/fast")
    for scenario in SCENARIOS:
        for conns in CONNECTIONS:
            durable = statistics.median(results.get((scenario, conns, "durable"), [0.0]))
            fast = statistics.median(results.get((scenario, conns, "fast"), [0.0]))
            ratio = durable / fast if fast else 0.0
            print(f"{scenario:<13} c={conns:<3} {durable:8,.0f} {fast:8,.0f}  {ratio:.2f}x")
    if args.flushes:
        print("\nrequests per flush, durable mode")
        flushes(ds, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
