"""What the report says around the figures: the header (machine, versions, command),
the legend, and the whole report as plain text or Markdown."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import sqlite3
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

import verdigris
from benchmarks import dataset, loadgen, report
from benchmarks.report import Results

ROOT = Path(__file__).resolve().parent.parent


def read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> str:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in read("/proc/cpuinfo").splitlines()
            if ln.startswith("model name")
        ),
        platform.processor() or "?",
    )
    mem = next(
        (ln.split()[1] for ln in read("/proc/meminfo").splitlines() if ln.startswith("MemTotal")),
        "0",
    )
    load = read("/proc/loadavg").split()[:3]
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {int(mem) / 1024 / 1024:.1f} GiB RAM, "
        f"Linux {platform.release()}, load average at start {' '.join(load)}"
    )


def git_commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    return f"{commit} ({branch}){' + local changes' if dirty else ''}"


def pg_version(pg_url: str) -> str:
    try:
        engine = dataset.pg_admin(pg_url)
        with engine.connect() as conn:
            version = conn.execute(sa.text("SHOW server_version")).scalar_one()
        engine.dispose()
        return f"PostgreSQL {str(version).split()[0]}"
    except Exception as exc:  # reported, not fatal: the header is informative only
        return f"PostgreSQL unreachable ({type(exc).__name__})"


def header(args: argparse.Namespace, engines: list[str], argv: list[str]) -> list[str]:
    package = Path(verdigris.__file__).resolve().parent.parent
    where = "" if package == ROOT else f" from {package}"
    versions = [f"Python {platform.python_version()}", f"verdigris {verdigris.__version__}{where}"]
    if "sqlite" in engines:
        versions.append(f"SQLite {sqlite3.sqlite_version}")
    if "postgres" in engines:
        versions.append(pg_version(args.pg_url))
    versions.append(loadgen.wrk_version())
    command = " ".join(shlex.quote(a) for a in argv)
    sides = "search side tables loaded" if dataset.side_rows else "no search side tables"
    return [
        "verdigris benchmark. RATE LIMITS ARE OFF (verdigris serve --no-rate-limits).",
        f"machine: {machine()}",
        f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}; commit {git_commit()}",
        f"versions: {', '.join(versions)}",
        f"command: scripts/bench {command}".rstrip(),
        f"data: N leads bulk-loaded with the store's row builder ({sides}), then ANALYZE; "
        "the leads a run creates are deleted after each server",
        f"load: wrk -t{args.threads} -c{args.connections} -d{args.duration}s after a "
        f"{args.warmup} s warm-up, over 127.0.0.1, one server at a time; "
        "store ceilings single-threaded in-process for the same duration",
    ]


@dataclass
class Report:
    """Everything rendered at the end of a run."""

    lines: list[str]
    results: Results
    profiles: list[tuple[str, Path, list[tuple[str, float]]]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    rate_limits_confirmed_off: bool = True
    #: the statements of one upsert, as the SQL floor recorded them
    statements: list[str] = field(default_factory=list)


def render(rep: Report, markdown: bool) -> str:
    res = rep.results
    table = report.markdown_table if markdown else report.text_table

    def title(text: str) -> list[str]:
        return ["", f"#### {text}" if markdown else text, ""]

    out = [f"- {ln}" for ln in rep.lines] if markdown else list(rep.lines)
    if not rep.rate_limits_confirmed_off:
        out.append("WARNING: a server log did not confirm that rate limits were off")
    out += [f"FAILED: {failure}" for failure in rep.failures]
    out += title("HTTP runs")
    out.append(table(report.run_headers(res), report.run_rows(res)))
    out += title("Storage ceiling (in-process, no HTTP)")
    out.append(table(report.ceiling_headers(res), report.ceiling_rows(res)))
    out += title("Bars (issue 20)")
    out.append(table(list(report.BAR_HEADERS), report.bar_rows(res)))
    phases = report.phase_rows(res)
    if phases:
        out += title("The speed of each phase (GET /account as the gauge)")
        out.append(table(list(report.PHASE_HEADERS), phases))
        out += ["", PHASE_NOTE if markdown else textwrap.fill(PHASE_NOTE, 100)]
    out += ["", LEGEND if markdown else textwrap.fill(LEGEND, 100)]
    if rep.statements:
        out += title("What one upsert by email sends (recorded for the SQL floor)")
        out += [f"    {ln}" if markdown else ln for ln in rep.statements]
    if rep.profiles:
        out += title("Profiles (py-spy, share of samples by layer)")
        for name, path, shares in rep.profiles:
            top = ", ".join(f"{layer} {share:.0%}" for layer, share in shares[:5])
            out.append(f"{'- ' if markdown else ''}{name}: {top} [{path}]")
    return "\n".join(out) + "\n"


PHASE_NOTE = (
    "Each server runs in its own minute or two of the run. GET /account's code does not "
    "depend on the data, so its CPU per request gauges how fast the machine ran that phase. "
    "A bar that divides one server's figure by another's (growth 1M ÷ 10k, PostgreSQL "
    "floor ÷ SQLite floor, 2 workers ÷ 1) is the machine's, not verdigris's, when the two "
    "servers' phases are flagged SLOW or FAST (more than 15% from the engine's median); "
    "such bars want an interleaved A/B (python -m benchmarks.ab_http, --workers 1,2)."
)

LEGEND = (
    "Columns: leads/s = leads written or returned per second (bulk_update: 10 per request; "
    "search: the probe's page length). RSS = VmRSS of the largest worker after the run. "
    "srv CPU = CPU of the workers (100% = one core; with 2 workers, the split between them); "
    "CPU ms/req = the workers' CPU time over the run ÷ requests (bulk: also per lead; "
    "+ PG: the CPU of the PostgreSQL backends serving this server's connections); "
    "wrk CPU = the load generator's. Worker state = what the workers' main threads were "
    "doing, sampled every 10 ms: run (on a CPU or waiting for one), or the kernel wait they "
    "slept in (idle (epoll) = "
    "waiting for requests or for the thread pool; sleep = SQLite's busy handler waiting for "
    "the write lock; futex = the GIL or a lock; disk = fsync or reads). "
    "÷ floor = req/s ÷ GET /account of the same server; "
    "÷ 10k, ÷ 1w = req/s ÷ the same row at the smallest size, with 1 worker. Other ratio: "
    "upserts ÷ the store ceiling, bulk_update leads/s ÷ PUT leads/s, search p50 ÷ GET p50. "
    "Store ceiling: single-threaded Services.upsert_lead in-process. SQL floor: the "
    "statements of one upsert (both outcomes, recorded) replayed on the bare driver in one "
    "process (benchmarks/sql_floor.py). On PostgreSQL "
    "one thread waits for every round trip, so HTTP with 16 connections can beat it. "
    "Runs with errors (status >= 400 or socket errors) are left out of every ratio."
)
