"""Where a request's CPU goes with 1 worker and with N: one scenario served by each
worker count in turn, several rounds, each measured run watched from outside.

    python -m benchmarks.scale_probe /work/ab/ds-postgres-1000000.pkl --source /work/base \\
        --scenario upsert_email --workers 1,2 --rounds 2 --out /tmp/probe

Per run, divided by the run's requests:

- the workers' CPU (``/proc/PID/stat``), and the PostgreSQL backends' serving them
  (``benchmarks/pg_backends.py``);
- ``perf stat`` on the workers: task-clock, context switches, CPU migrations and futex
  calls (the GIL's hand-overs and the executor's queue), when ``perf`` can count them;
- PostgreSQL's waits: ``pg_stat_activity`` of this server's backends sampled every 20 ms
  (wait event, or "CPU"), and how often a backend waited for an advisory lock or a row
  lock (``pg_locks`` with ``granted = false``);
- with ``--py-spy``, each worker's samples taken while it holds the GIL (``py-spy record
  --gil --nonblocking``, the same rate and duration for every worker), written as raw
  collapsed stacks in ``--out``; ``--compare`` prints the functions whose time per
  request differs most between two worker counts.
"""

from __future__ import annotations

import argparse
import collections
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks import dataset, loadgen, pg_backends, server
from benchmarks.bench import DEFAULT_PG, cpu_seconds
from benchmarks.dataset import Dataset, pg_admin

RATE = 200  # py-spy samples per second
#: py-spy of this virtualenv (the bench extra), else the PATH's
PY_SPY = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"


class Waits(threading.Thread):
    """Samples the wait events of some backends until stopped."""

    def __init__(self, pg_url: str, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pg_url, self.pids = pg_url, pids
        self.events: collections.Counter[str] = collections.Counter()
        self.lock_waits: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        engine = pg_admin(self.pg_url)
        activity = sa.text(
            "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU'), state"
            " FROM pg_stat_activity WHERE pid = ANY(:pids)"
        )
        locks = sa.text("SELECT locktype FROM pg_locks WHERE NOT granted AND pid = ANY(:pids)")
        try:
            with engine.connect() as conn:
                while not self._stop_event.is_set():
                    for event, state in conn.execute(activity, {"pids": self.pids}):
                        if state != "idle":
                            self.events[event] += 1
                    for (locktype,) in conn.execute(locks, {"pids": self.pids}):
                        self.lock_waits[locktype] += 1
                    conn.rollback()
                    self.samples += 1
                    time.sleep(0.02)
        finally:
            engine.dispose()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def perf_stat(pids: list[int], seconds: int, out: Path) -> subprocess.Popen[bytes] | None:
    if not shutil.which("perf"):
        return None
    events = "task-clock,context-switches,cpu-migrations,syscalls:sys_enter_futex"
    cmd = ["perf", "stat", "-x", ",", "-e", events, "-p", ",".join(map(str, pids))]
    cmd += ["-o", str(out), "--", "sleep", str(seconds)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def read_perf(path: Path) -> dict[str, float]:
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[0].replace(".", "").isdigit():
                out[fields[2]] = float(fields[0])
    return out


def collapsed(path: Path) -> collections.Counter[str]:
    """Inclusive samples per function (each function counted once per stack)."""
    counts: collections.Counter[str] = collections.Counter()
    if not path.exists():
        return counts
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack:
            continue
        frames = {f.split(" (")[0] + " " + f.split("/")[-1].rstrip(")") for f in stack.split(";")}
        for frame in frames:
            counts[frame] += int(n)
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.scale_probe", description=__doc__)
    p.add_argument("dataset", type=Path)
    p.add_argument("--source", type=Path, default=Path("."))
    p.add_argument("--scenario", default="upsert_email")
    p.add_argument("--workers", default="1,2")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--duration", type=int, default=8)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--pg-url", default=DEFAULT_PG)
    p.add_argument("--py-spy", action="store_true")
    p.add_argument("--out", type=Path, default=Path("/tmp/scale-probe"))
    args = p.parse_args(argv)
    ds: Dataset = pickle.loads(args.dataset.read_bytes())
    counts = [int(c) for c in args.workers.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    nonce = 1000
    per_request: dict[int, list[dict[str, float]]] = {n: [] for n in counts}
    profiles: dict[int, collections.Counter[str]] = {n: collections.Counter() for n in counts}
    requests_profiled: dict[int, float] = dict.fromkeys(counts, 0.0)
    for round_number in range(1, args.rounds + 1):
        for workers in counts:
            log = args.out / f"server-{workers}w.log"
            srv = server.start(ds.url, workers, ds.token, ds.email, log, source=args.source)
            try:
                common = {"threads": 1, "connections": args.connections}
                loadgen.run_wrk(srv.base, args.scenario, ds, nonce=nonce, seconds=1, **common)
                pids = srv.worker_pids()
                backends = pg_backends.backend_pids(args.pg_url, pids)
                tag = f"r{round_number}-{workers}w"
                spies = []
                if args.py_spy:
                    for pid in pids:
                        cmd = [PY_SPY, "record", "--gil", "--nonblocking", "-r", str(RATE)]
                        cmd += ["-d", str(args.duration), "-f", "raw", "-p", str(pid)]
                        cmd += ["-o", str(args.out / f"{tag}-{pid}.txt")]
                        spies.append(
                            subprocess.Popen(
                                cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                            )
                        )
                perf = perf_stat(pids, args.duration, args.out / f"{tag}-perf.csv")
                waits = Waits(args.pg_url, backends)
                waits.start()
                db0, cpu0 = sum(cpu_seconds(backends)), sum(cpu_seconds(pids))
                wall0 = time.perf_counter()
                run = loadgen.run_wrk(
                    srv.base, args.scenario, ds, nonce=nonce + 1, seconds=args.duration, **common
                )
                requests = run.rps * (time.perf_counter() - wall0) or 1
                cpu = (sum(cpu_seconds(pids)) - cpu0) * 1000 / requests
                db = (sum(cpu_seconds(backends)) - db0) * 1000 / requests
                waits.stop()
                if perf is not None:
                    perf.wait()
                for spy in spies:
                    spy.wait()
                nonce += 2
                figures = {"req/s": run.rps, "CPU ms": cpu, "PG ms": db}
                for name, value in read_perf(args.out / f"{tag}-perf.csv").items():
                    figures[name] = value / requests
                busy = sum(waits.events.values()) or 1
                for event, n in waits.events.most_common(6):
                    figures[f"pg {event}"] = n / busy
                for locktype, n in waits.lock_waits.items():
                    figures[f"lock wait {locktype}/sample"] = n / max(waits.samples, 1)
                per_request[workers].append(figures)
                print(
                    f"round {round_number} {workers}w  load {os.getloadavg()[0]:.2f}  "
                    + "  ".join(f"{k} {v:,.3f}" for k, v in figures.items()),
                    flush=True,
                )
                if args.py_spy:
                    for pid in pids:
                        profiles[workers].update(collapsed(args.out / f"{tag}-{pid}.txt"))
                    requests_profiled[workers] += requests
            finally:
                server.stop(srv)
            dataset.restore(ds)
    print("\nmedians per request")
    keys = sorted({k for runs in per_request.values() for f in runs for k in f})
    for key in keys:
        cells = []
        for n in counts:
            values = [f[key] for f in per_request[n] if key in f]
            cells.append(f"{n}w {statistics.median(values):,.3f}" if values else f"{n}w -")
        print(f"  {key:<40} " + "   ".join(cells))
    if args.py_spy and len(counts) == 2:
        a, b = counts
        ms = {
            n: {f: c * 1000 / RATE / (requests_profiled[n] or 1) for f, c in profiles[n].items()}
            for n in counts
        }
        print(f"\nGIL-held ms per request by function (inclusive), {a}w vs {b}w, largest gap")
        frames = set(ms[a]) | set(ms[b])
        for frame in sorted(frames, key=lambda f: -abs(ms[b].get(f, 0) - ms[a].get(f, 0)))[:40]:
            print(f"  {ms[a].get(frame, 0):7.3f} {ms[b].get(frame, 0):7.3f}  {frame[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
