"""Old and new code over HTTP on one prepared database, alternating: an A/B.

A full ``scripts/bench`` run takes ~11 minutes and this machine moves by 5-30% between
runs, so a change is judged by running the code before and after it side by side, on
the same database, several rounds in alternation, and comparing medians::

    git worktree add /tmp/before <rev>                    # the code to compare against
    python -m benchmarks.ab_http --prepare sqlite:1M --workdir /tmp/ab
    python -m benchmarks.ab_http /tmp/ab/ds-sqlite-1000000.pkl \\
        --source before=/tmp/before --source after=. --scenarios get,search --rounds 3

``--prepare ENGINE:SIZE`` loads a database as ``scripts/bench`` does and keeps it with
its description (``ds-ENGINE-SIZE.pkl`` in ``--workdir``; a PostgreSQL one is a schema
of the ``--pg-url`` server that stays until dropped). Each round starts ``verdigris
serve`` from each source tree in turn (its own ``verdigris`` package, same Python and
dependencies), runs the scenarios with wrk as ``scripts/bench`` does (a warm-up, then
``--duration`` seconds, 16 connections), and deletes the leads the run created before the
next server. Rate limits are off. It prints req/s and p50 of every run, then per
scenario the median req/s of each source and its ratio to the first source's.

``--workers 1,2`` serves each source with each worker count in turn, in the same rounds
(one source is then enough): the scale-out bar's 2 workers ÷ 1 worker measured on one
database, alternating, so the run's noise falls on both. Every run also prints the
workers' context switches per request (voluntary: waits, the GIL's hand-overs among
them; involuntary: preempted) from ``/proc/PID/status``, and each worker's memory after
the run: ``VmRSS`` (what the bench's RSS bar reads) with its ``RssAnon`` and ``RssFile``
parts (a file read through a memory map counts in the second). The summary gives the
median, min and max of the CPU per request of each source.

``--source NAME=DIR@DATASET`` serves that source on its own dataset (a ds-*.pkl that
source's code prepared, ``DIR/.venv/bin/python -m benchmarks.ab_http --prepare ...`` run
from DIR): for code on either side of a migration that changes the rows' layout, each
source runs on a database of its own layout (the positional dataset is then optional).
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import dataset, loadgen, output, pg_backends, server
from benchmarks.bench import DEFAULT_PG, cpu_seconds, parse_sizes
from benchmarks.dataset import Dataset
from benchmarks.workload import ORDER, SCENARIOS


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.ab_http", description=__doc__)
    p.add_argument("dataset", nargs="?", type=Path, help="a ds-*.pkl written by --prepare")
    p.add_argument("--prepare", metavar="ENGINE:SIZE", help="load a database (sqlite:1M...)")
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "verdigris-ab")
    p.add_argument("--pg-url", default=DEFAULT_PG, help=f"PostgreSQL server ({DEFAULT_PG})")
    p.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME=DIR[@DATASET]",
        help="a source tree to serve from (repeat; the first is the baseline),"
        " on its own dataset after @",
    )
    p.add_argument("--scenarios", default="get,search", help=f"of {','.join(ORDER)}")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=5, help="seconds per run (5)")
    p.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per run (1)")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--workers", default="1", help="worker count, or counts to alternate (1,2)")
    p.add_argument(
        "--across",
        action="store_true",
        help="let the sources' datasets differ in engine or size (one code on 10k and 1M, "
        "or on SQLite and PostgreSQL, alternating: the bench's growth and floor bars "
        "measured without the minutes between their servers)",
    )
    return p


def prepare(spec: str, workdir: Path, pg_url: str) -> Path:
    engine, _, size = spec.partition(":")
    if engine not in ("sqlite", "postgres") or not size:
        raise SystemExit(f"--prepare wants ENGINE:SIZE, such as sqlite:1M, not {spec!r}")
    (count,) = parse_sizes(size)
    workdir.mkdir(parents=True, exist_ok=True)
    ds = dataset.prepare(engine, count, workdir, pg_url)
    path = workdir / f"ds-{engine}-{count}.pkl"
    path.write_bytes(pickle.dumps(ds))
    return path


def worker_counts(spec: str) -> list[int]:
    try:
        counts = [int(part) for part in spec.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1 or len(set(counts)) != len(counts):
        raise SystemExit(f"--workers wants a count or distinct counts (1,2), not {spec!r}")
    return counts


def context_switches(pids: list[int]) -> tuple[int, int]:
    """Voluntary and involuntary context switches of these processes' threads so far
    (``/proc/PID/task/TID/status``: a process's own status counts its first thread's)."""
    voluntary = involuntary = 0
    tasks = []
    for pid in pids:
        try:
            tasks += [f"/proc/{pid}/task/{tid}/status" for tid in os.listdir(f"/proc/{pid}/task")]
        except OSError:
            continue
    for path in tasks:
        for line in output.read(path).splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                voluntary += int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches:"):
                involuntary += int(line.split()[1])
    return voluntary, involuntary


def memory(pids: list[int]) -> str:
    """Each worker's ``VmRSS`` (what the bench's RSS bar reads) and its two parts,
    ``RssAnon`` and ``RssFile`` (mapped files: shared libraries, and a SQLite database
    read through ``PRAGMA mmap_size``), in MB (10^6 bytes), from ``/proc/PID/status``."""
    out = []
    for pid in pids:
        try:
            fields = server.memory_mb(pid, ("VmRSS", "RssAnon", "RssFile"))
        except OSError:  # the worker is gone
            continue
        if fields:
            out.append(
                f"RSS {fields.get('VmRSS', 0):.0f} (anon {fields.get('RssAnon', 0):.0f}"
                f" file {fields.get('RssFile', 0):.0f})"
            )
    return ", ".join(out)


def sources(specs: list[str], counts: int = 1) -> list[tuple[str, Path, Path | None]]:
    """``(name, tree, its own dataset or None)`` of each ``NAME=DIR[@DATASET]``."""
    out = []
    for spec in specs:
        name, sep, rest = spec.partition("=")
        directory, at, own = rest.partition("@")
        tree = Path(directory).resolve()
        if not sep or not (tree / "verdigris" / "__init__.py").is_file():
            raise SystemExit(f"--source wants NAME=DIR with DIR/verdigris in it, not {spec!r}")
        if at and not Path(own).is_file():
            raise SystemExit(f"--source {name}: no dataset {own!r}")
        out.append((name, tree, Path(own) if at else None))
    if len({name for name, _, _ in out}) != len(out) or len(out) * counts < 2:
        raise SystemExit("give two or more --source NAME=DIR with different names")
    return out


def summary(
    results: dict[str, dict[str, list[float]]], names: list[str], digits: int = 0
) -> list[str]:
    """Per scenario: each source's median and its ratio to the first source's."""
    lines = []
    for scenario, by_source in results.items():
        medians = {n: statistics.median(v) if v else None for n, v in by_source.items()}
        base = medians[names[0]]
        cells = []
        for name in names:
            median = medians[name]
            if median is None:
                cells.append(f"{name} n/a")
                continue
            ratio = f" ({median / base:.2f}x)" if name != names[0] and base else ""
            cells.append(f"{name} {median:,.{digits}f}{ratio}")
        lines.append(f"{scenario:<14} " + "   ".join(cells))
    return lines


def spread(results: dict[str, dict[str, list[float]]], names: list[str]) -> list[str]:
    """Per scenario and source: median, min and max over the rounds."""
    lines = []
    for scenario, by_source in results.items():
        for name in names:
            values = by_source[name]
            if values:
                lines.append(
                    f"{scenario:<14} {name:<12} median {statistics.median(values):.3f}"
                    f"  min {min(values):.3f}  max {max(values):.3f}  (n={len(values)})"
                )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.prepare:
        path = prepare(args.prepare, args.workdir, args.pg_url)
        print(f"prepared {path}")
        if not args.source:
            return 0
        args.dataset = path
    counts = worker_counts(args.workers)
    trees = sources(args.source, len(counts))
    if args.dataset is None and any(own is None for _, _, own in trees):
        raise SystemExit("give a dataset (ds-*.pkl) or --prepare ENGINE:SIZE")
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenarios: {unknown}")
    dataset_of = {name: own or args.dataset for name, _, own in trees}
    datasets: dict[Path, Dataset] = {}
    for path in dataset_of.values():
        assert path is not None
        datasets[path] = pickle.loads(path.read_bytes())
    variants = [
        (f"{name}/{n}w" if len(counts) > 1 else name, tree, n, datasets[dataset_of[name]])
        for name, tree, own in trees
        for n in counts
    ]
    if len({(d.engine, d.size) for d in datasets.values()}) > 1 and not args.across:
        raise SystemExit("the sources' datasets differ in engine or size (--across allows it)")
    ds = variants[0][3]
    names = [name for name, _, _, _ in variants]
    results: dict[str, dict[str, list[float]]] = {s: {n: [] for n in names} for s in scenarios}
    cpu_per_request: dict[str, dict[str, list[float]]] = {
        s: {n: [] for n in names} for s in scenarios
    }
    #: PostgreSQL: the CPU of the backends serving the server's connections
    db_per_request: dict[str, dict[str, list[float]]] = {
        s: {n: [] for n in names} for s in scenarios
    }
    nonce = 1
    print(f"RATE LIMITS ARE OFF. {ds.engine}, {ds.size:,} leads, {args.workers} worker(s)")
    if len(datasets) > 1:
        for name, _, _, own in variants:
            print(f"{name} on its own dataset {own.schema or own.url}")
    for round_number in range(1, args.rounds + 1):
        for name, tree, workers, ds in variants:
            log = args.workdir / f"ab-{name.replace('/', '-')}.log"
            args.workdir.mkdir(parents=True, exist_ok=True)
            srv = server.start(ds.url, workers, ds.token, ds.email, log, source=tree)
            try:
                for scenario in scenarios:
                    common = {"threads": 1, "connections": args.connections}
                    if args.warmup:
                        loadgen.run_wrk(
                            srv.base, scenario, ds, nonce=nonce, seconds=args.warmup, **common
                        )
                    pids = srv.worker_pids()
                    backends = (
                        pg_backends.backend_pids(args.pg_url, pids)
                        if ds.engine == "postgres"
                        else []
                    )
                    db0 = sum(cpu_seconds(backends))
                    switches0 = context_switches(pids)
                    cpu0, wall0 = sum(cpu_seconds(pids)), time.perf_counter()
                    run = loadgen.run_wrk(
                        srv.base, scenario, ds, nonce=nonce + 1, seconds=args.duration, **common
                    )
                    requests = run.rps * (time.perf_counter() - wall0) or 1
                    cpu_ms = (sum(cpu_seconds(pids)) - cpu0) * 1000 / requests
                    db_ms = (sum(cpu_seconds(backends)) - db0) * 1000 / requests
                    switches1 = context_switches(pids)
                    rss = memory(pids)
                    voluntary = (switches1[0] - switches0[0]) / requests
                    involuntary = (switches1[1] - switches0[1]) / requests
                    nonce += 2
                    errors = f"  {run.error_count} ERRORS" if run.error_count else ""
                    db = f" + PG {db_ms:6.3f}" if backends else ""
                    print(
                        f"round {round_number} {name:<10} {scenario:<14} {run.rps:9,.0f} req/s"
                        f"  p50 {run.p50_ms:7.2f} ms  CPU {cpu_ms:6.3f}{db} ms/req"
                        f"  cs/req {voluntary:.2f} + {involuntary:.2f} invol"
                        f"  load {os.getloadavg()[0]:.2f}  {rss} MB{errors}",
                        flush=True,
                    )
                    if not run.error_count:
                        results[scenario][name].append(run.rps)
                        cpu_per_request[scenario][name].append(cpu_ms)
                        if backends:
                            db_per_request[scenario][name].append(db_ms)
            finally:
                server.stop(srv)
            dataset.restore(ds)
    print("\nmedian req/s (ratio to the first source)")
    for line in summary(results, names):
        print(line)
    print("\nmedian worker CPU ms per request (ratio to the first source)")
    for line in summary(cpu_per_request, names, digits=3):
        print(line)
    print("\nworker CPU ms per request over the rounds")
    for line in spread(cpu_per_request, names):
        print(line)
    on_postgres = any(d.engine == "postgres" for d in datasets.values())
    if on_postgres:
        print("\nPostgreSQL backend CPU ms per request over the rounds")
        for line in spread(db_per_request, names):
            print(line)
    if on_postgres:
        print("\nmedian PostgreSQL backend CPU ms per request (ratio to the first source)")
        for line in summary(db_per_request, names, digits=3):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
