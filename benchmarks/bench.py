"""Measure verdigris where its users feel it: upsert, bulk update, search and reads,
at 10k and 1M leads, SQLite and PostgreSQL, 1 and 2 workers, side by side in one run.

    scripts/bench --quick                      # 10k leads, 2 s runs (development)
    scripts/bench                              # 10k and 1M, both engines, 1 and 2 workers
    scripts/bench --markdown bench.md --profile

For each engine and size the harness creates a database (SQLite file / PostgreSQL
schema of its own, dropped at the end), seeds the account with ``verdigris user add``,
bulk-loads N leads (benchmarks/dataset.py), times the upsert logic in-process (the
storage ceiling, benchmarks/ceiling.py), then for each worker count starts
``verdigris serve --no-rate-limits`` and drives it over loopback with wrk and
benchmarks/bench.lua: a 1 s warm-up, then the measured run, then the RSS of every
worker. Each figure is printed with its ratios, and the bars of issue 7 are checked.
See docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import (
    ceiling,
    dataset,
    loadgen,
    output,
    pg_backends,
    profile,
    report,
    server,
    sql_floor,
)
from benchmarks.dataset import Dataset
from benchmarks.report import Ceiling, Results, Run
from benchmarks.workload import ORDER, SCENARIOS, Bodies

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
ROOT = output.ROOT


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_sizes(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        mult = {"k": 1000, "m": 1_000_000}.get(part[-1:], 1)
        out.append(int(float(part.rstrip("km")) * mult))
    return sorted(set(out))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", help="lead counts (default 10000,1000000; --quick: 10000)")
    p.add_argument("--engines", default="sqlite,postgres", help="default sqlite,postgres")
    p.add_argument("--workers", default="1,2", help="server worker counts (default 1,2)")
    p.add_argument("--scenarios", default=",".join(ORDER), help=f"default {','.join(ORDER)}")
    p.add_argument("--duration", type=int, help="seconds per measured run (5; --quick: 2)")
    p.add_argument(
        "--ceiling-seconds", type=float, help="seconds per store ceiling (default: --duration)"
    )
    p.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per run (1)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    p.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    p.add_argument("--quick", action="store_true", help="10k leads only, 2 s runs (development)")
    p.add_argument("--markdown", type=Path, help="also write the report as Markdown here")
    p.add_argument("--profile", action="store_true", help="py-spy the upsert path (extra runs)")
    p.add_argument("--out", type=Path, default=ROOT / "bench-out", help="profiles and logs")
    p.add_argument("--workdir", type=Path, help="where SQLite files go (default: a temp dir)")
    p.add_argument(
        "--pg-url",
        default=os.environ.get("VERDIGRIS_BENCH_POSTGRES_URL", DEFAULT_PG),
        help=f"PostgreSQL server; the harness works in a schema of its own (default {DEFAULT_PG})",
    )
    p.add_argument("--keep", action="store_true", help="keep the databases at the end")
    return p


# --- measuring -----------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> list[float]:
    """User + system CPU seconds of each process so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = []
    for pid in pids:
        stat = output.read(f"/proc/{pid}/stat")
        fields = stat[stat.rfind(")") + 2 :].split() if stat else []
        out.append((int(fields[11]) + int(fields[12])) / ticks if fields else 0.0)
    return out


def memory_seen(ds: Dataset) -> str:
    """The database's size next to the page cache the kernel holds (growth bar)."""
    meminfo = {
        ln.split(":")[0]: int(ln.split()[1]) * 1024
        for ln in output.read("/proc/meminfo").splitlines()
        if ln.split()
    }
    gib = 1024**3
    size = ""
    if ds.path is not None:
        total = sum(
            Path(f"{ds.path}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{ds.path}{suffix}").exists()
        )
        size = f"database file {total / gib:.2f} GiB; "
    return (
        f"{size}page cache (Cached) {meminfo.get('Cached', 0) / gib:.1f} GiB, "
        f"MemAvailable {meminfo.get('MemAvailable', 0) / gib:.1f} GiB after the load"
    )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Bench:
    def __init__(self, args: argparse.Namespace, lines: list[str]) -> None:
        self.args = args
        self.results = Results()
        self.report = output.Report(lines, self.results)
        self.nonce = int(time.time()) % 100_000 * 1000
        self.workers = sorted({int(w) for w in args.workers.split(",")})

    def next_nonce(self) -> int:
        self.nonce += 1
        return self.nonce

    def measure_ceilings(self, ds: Dataset) -> None:
        args = self.args
        for key in report.UPSERTS:
            row = Ceiling(ds.engine, ds.size, key)
            try:
                row.store = ceiling.measure(
                    ds,
                    key,
                    nonce=self.next_nonce(),
                    seconds=args.ceiling_seconds,
                    warmup=args.warmup,
                )
            except Exception as exc:  # keep the run going; the table says what failed
                log(f"  ceiling {key}: FAILED {type(exc).__name__}: {exc}")
                row.note = f"failed: {type(exc).__name__}"
            else:
                log(f"  ceiling {key:14} {row.store:8,.0f} upserts/s")
            if key == "upsert_email":
                try:
                    row.sql_floor, recorded = sql_floor.measure(
                        ds, seconds=args.ceiling_seconds, warmup=args.warmup
                    )
                except Exception as exc:  # keep the run going; the table says what failed
                    log(f"  SQL floor: FAILED {type(exc).__name__}: {exc}")
                else:
                    log(f"  SQL floor {key:14} {row.sql_floor:8,.0f} upserts/s")
                    if ds.size == min(parse_sizes(args.sizes)):
                        self.report.statements += sql_floor.describe(recorded)
            self.results.ceilings.append(row)
        if args.profile:
            raw_path = args.out / f"profile-{ds.engine}-{report.size_label(ds.size)}-store.txt"
            gil = ds.engine == "postgres"
            rec = profile.Recorder(os.getpid(), raw_path, args.duration, gil=gil)
            time.sleep(0.5)  # let py-spy attach
            ceiling.measure(
                ds,
                "upsert_email",
                nonce=self.next_nonce(),
                seconds=args.duration,
                warmup=0,
            )
            rec.wait()
            self._summarize(
                raw_path,
                f"store ceiling, {ds.engine}, {report.size_label(ds.size)} leads, upsert by email",
                gil=gil,
            )

    def _summarize(self, raw_path: Path, title: str, *, gil: bool) -> None:
        if not raw_path.exists():
            log(f"  profile: py-spy wrote nothing to {raw_path}")
            return
        text, shares = profile.summarize(raw_path, title, gil=gil)
        summary = raw_path.with_name(raw_path.stem + "-summary.txt")
        summary.write_text(text)
        self.report.profiles.append((title, summary, shares))
        log(f"  profile: {summary}")

    def run_server(self, ds: Dataset, workers: int, scenarios: list[str]) -> None:
        args = self.args
        size = report.size_label(ds.size)
        log_path = args.out / f"server-{ds.engine}-{size}-{workers}w.log"
        srv = server.start(ds.url, workers, ds.token, ds.email, log_path)
        try:
            if "rate limits off" not in output.read(str(log_path)):
                self.report.rate_limits_confirmed_off = False
                log("  WARNING: the server log does not say 'rate limits off'")
            written = False  # since the last settle
            for key in scenarios:
                if written and ds.engine == "postgres" and not SCENARIOS[key].writes:
                    self.settle(ds)
                    written = False
                self.results.runs.append(self.run_scenario(srv, ds, workers, key))
                written = written or SCENARIOS[key].writes
            if args.profile and workers == self.workers[0]:
                self.profile_http(srv, ds)
        finally:
            server.stop(srv)
        restored = dataset.restore(ds)
        log(f"  restored the database ({restored:,} leads created by the runs deleted)")

    def settle(self, ds: Dataset) -> None:
        """PostgreSQL, before a read scenario that follows writes: VACUUM the loaded
        tables, as autovacuum does once enough rows changed (docs/deploy.md, "Autovacuum
        on big lead tables"). The write scenarios update random leads all over the table
        and clear the visibility map of most of its pages; a search count then reads the
        500 MB table at 1M (a parallel sequential scan, ~0.4 s) instead of its 57 MB
        index, and each worker pays it once per distinct search."""
        started = time.perf_counter()
        dataset.vacuum_postgres(ds.url)
        log(f"  VACUUM ANALYZE after the write scenarios: {time.perf_counter() - started:.1f} s")

    def run_scenario(self, srv: server.Server, ds: Dataset, workers: int, key: str) -> Run:
        args = self.args
        spec = SCENARIOS[key]
        run = Run(ds.engine, ds.size, workers, key, leads_per_request=spec.leads_per_request)
        method, path, body = Bodies(ds, self.next_nonce()).request(key)
        probe = srv.request(method, path, body)
        if probe.status != 200:
            if key.startswith("search") and probe.status in (404, 405):
                run.note = "n/a (endpoint missing)"
            else:
                run.note = f"n/a (probe answered {probe.status})"
                log(f"  {key}: probe answered {probe.status}: {str(probe.body)[:300]}")
            log(f"  {ds.engine} {report.size_label(ds.size)} {workers}w {key:14} {run.note}")
            return run
        if key.startswith("search"):
            run.leads_per_request = len(probe.body) if isinstance(probe.body, list) else 0
            if "x-pw-total" not in probe.headers:
                log("  search: the answer has no X-PW-TOTAL header")
        if key == "bulk_update" and isinstance(probe.body, list):
            failed = [item for item in probe.body if item.get("success") is False]
            if failed:
                log(f"  bulk_update: {len(failed)} item(s) failed in the probe: {failed[0]}")
        common = {"threads": args.threads, "connections": args.connections}
        if args.warmup:
            loadgen.run_wrk(
                srv.base, key, ds, nonce=self.next_nonce(), seconds=args.warmup, **common
            )
        pids = srv.worker_pids()
        # the database's own CPU for this server's requests (PostgreSQL on this machine)
        backends = pg_backends.backend_pids(args.pg_url, pids) if ds.engine == "postgres" else []
        db0 = sum(cpu_seconds(backends))
        sampler = server.StateSampler(pids)
        cpu0, wrk0, wall0 = cpu_seconds(pids), children_cpu(), time.perf_counter()
        sampler.start()
        result = loadgen.run_wrk(
            srv.base, key, ds, nonce=self.next_nonce(), seconds=args.duration, **common
        )
        run.activity = sampler.stop()
        wall = time.perf_counter() - wall0
        run.server_cpu = [
            100 * (b - a) / wall for a, b in zip(cpu0, cpu_seconds(pids), strict=True)
        ]
        run.wrk_cpu = 100 * (children_cpu() - wrk0) / wall
        if backends:
            run.db_cpu = 100 * (sum(cpu_seconds(backends)) - db0) / wall
        run.rss_mb = max(srv.rss_mb())
        run.rps, run.p50_ms, run.p99_ms = result.rps, result.p50_ms, result.p99_ms
        run.errors = result.error_count
        extra = f"  {result.error_count} ERRORS {result.errors}" if result.error_count else ""
        where = f"{ds.engine} {report.size_label(ds.size)} {workers}w {key:14}"
        log(
            f"  {where} {result.rps:8,.0f} req/s  p50 {result.p50_ms:7.2f} ms"
            f"  p99 {result.p99_ms:7.2f} ms  RSS {run.rss_mb:4.0f} MB{extra}"
        )
        return run

    def profile_http(self, srv: server.Server, ds: Dataset) -> None:
        args = self.args
        label = f"{ds.engine}-{report.size_label(ds.size)}-{srv.workers}w"
        raw_path = args.out / f"profile-{label}-http.txt"
        pid = srv.worker_pids()[0]
        gil = ds.engine == "postgres"
        rec = profile.Recorder(pid, raw_path, args.duration, gil=gil)
        time.sleep(0.5)
        common = {"threads": args.threads, "connections": args.connections}
        result = loadgen.run_wrk(
            srv.base, "upsert_email", ds, nonce=self.next_nonce(), seconds=args.duration, **common
        )
        rec.wait()
        title = (
            f"HTTP upsert by email, {ds.engine}, {report.size_label(ds.size)} leads, "
            f"one of {srv.workers} worker(s), {result.rps:,.0f} req/s under py-spy"
        )
        self._summarize(raw_path, title, gil=gil)

    def run_database(self, engine: str, size: int, workdir: Path, scenarios: list[str]) -> None:
        args = self.args
        log(f"{engine}, {size:,} leads: loading")
        ds = dataset.prepare(engine, size, workdir, args.pg_url)
        log(f"  loaded in {ds.load_seconds:.1f} s ({size / ds.load_seconds:,.0f} leads/s)")
        self.report.lines.append(f"{engine} {report.size_label(size)}: {memory_seen(ds)}")
        try:
            self.measure_ceilings(ds)
            dataset.restore(ds)
            for w in self.workers:
                self.run_server(ds, w, scenarios)
        finally:
            if not args.keep:
                dataset.drop_database(ds, args.pg_url)

    def run(self) -> Results:
        args = self.args
        engines = [e.strip() for e in args.engines.split(",") if e.strip()]
        scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        unknown = [s for s in scenarios if s not in SCENARIOS]
        if unknown or any(e not in ("sqlite", "postgres") for e in engines):
            raise SystemExit(f"unknown scenario or engine: {unknown or engines}")
        if "account" not in scenarios:
            scenarios.insert(0, "account")  # every ratio needs the floor
        sizes = parse_sizes(args.sizes)
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="verdigris-bench-"))
        workdir.mkdir(parents=True, exist_ok=True)
        args.out.mkdir(parents=True, exist_ok=True)
        for engine in engines:
            for size in sizes:
                try:
                    self.run_database(engine, size, workdir, scenarios)
                except Exception as exc:  # report it and go on with the other databases
                    failure = f"{engine}, {size:,} leads: {type(exc).__name__}: {exc}"
                    log(f"FAILED: {failure}")
                    self.report.failures.append(failure.splitlines()[0])
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        return self.results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    if args.sizes is None:
        args.sizes = "10000" if args.quick else "10000,1000000"
    if args.duration is None:
        args.duration = 2 if args.quick else 5
    if args.ceiling_seconds is None:
        args.ceiling_seconds = args.duration
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    loadgen.wrk_path()
    lines = output.header(args, engines, argv)
    for ln in lines:
        log(ln)
    bench = Bench(args, lines)
    started = time.perf_counter()
    try:
        bench.run()
    finally:
        elapsed = time.perf_counter() - started
        load = " ".join(output.read("/proc/loadavg").split()[:3])
        lines.append(
            f"wall time of the whole run: {elapsed / 60:.1f} min; load average at end {load}"
        )
        print(output.render(bench.report, markdown=False))
        if args.markdown:
            args.markdown.write_text(output.render(bench.report, markdown=True))
            log(f"wrote {args.markdown}")
    return 1 if bench.report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
