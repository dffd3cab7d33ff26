"""Results, their ratios, the bars of issue 20, and the tables (plain text and Markdown)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.workload import ORDER, SCENARIOS

UPSERTS = ("upsert_email", "upsert_custom")


@dataclass
class Run:
    """One wrk run of one scenario against one server."""

    engine: str
    size: int
    workers: int
    scenario: str
    rps: float | None = None
    leads_per_request: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    rss_mb: float | None = None  # the largest worker after the run
    server_cpu: list[float] | None = None  # % of one core, per worker
    wrk_cpu: float | None = None
    #: PostgreSQL's backends serving this server, % of one core (benchmarks/pg_backends.py)
    db_cpu: float | None = None
    activity: dict[str, float] = field(default_factory=dict)  # worker state -> share
    errors: int = 0
    note: str = ""

    @property
    def leads_ps(self) -> float | None:
        if self.rps is None or not self.leads_per_request:
            return None
        return self.rps * self.leads_per_request

    @property
    def cpu_ms(self) -> float | None:
        """The workers' CPU milliseconds per request (all workers, user + system)."""
        if not self.rps or not self.server_cpu:
            return None
        return sum(self.server_cpu) / 100 / self.rps * 1000

    @property
    def db_cpu_ms(self) -> float | None:
        """PostgreSQL's CPU milliseconds per request (this server's backends)."""
        if not self.rps or self.db_cpu is None:
            return None
        return self.db_cpu / 100 / self.rps * 1000

    @property
    def cpu_ms_per_lead(self) -> float | None:
        if self.cpu_ms is None or self.leads_per_request <= 1:
            return None
        return self.cpu_ms / self.leads_per_request


@dataclass
class Ceiling:
    """In-process upserts/s of one workload on one database (no HTTP)."""

    engine: str
    size: int
    scenario: str
    store: float | None = None
    #: the recorded SQL of one upsert replayed on the bare driver (benchmarks/sql_floor.py)
    sql_floor: float | None = None
    note: str = ""


@dataclass
class Results:
    runs: list[Run] = field(default_factory=list)
    ceilings: list[Ceiling] = field(default_factory=list)

    def run(self, engine: str, size: int, workers: int, scenario: str) -> Run | None:
        for r in self.runs:
            if (r.engine, r.size, r.workers, r.scenario) == (engine, size, workers, scenario):
                return r
        return None

    def ceiling(self, engine: str, size: int, scenario: str) -> Ceiling | None:
        for c in self.ceilings:
            if (c.engine, c.size, c.scenario) == (engine, size, scenario):
                return c
        return None

    @property
    def sizes(self) -> list[int]:
        return sorted({r.size for r in self.runs} | {c.size for c in self.ceilings})

    @property
    def workers(self) -> list[int]:
        return sorted({r.workers for r in self.runs})


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def _rps(run: Run | None) -> float | None:
    return run.rps if run is not None and not run.errors else None


# --- ratios of one row ---------------------------------------------------------------


def vs_floor(res: Results, r: Run) -> float | None:
    if r.scenario == "account":
        return None
    return ratio(_rps(r), _rps(res.run(r.engine, r.size, r.workers, "account")))


def vs_small(res: Results, r: Run) -> float | None:
    small = res.sizes[0]
    if r.size == small:
        return None
    return ratio(_rps(r), _rps(res.run(r.engine, small, r.workers, r.scenario)))


def vs_one_worker(res: Results, r: Run) -> float | None:
    base = res.workers[0]
    if r.workers == base:
        return None
    return ratio(_rps(r), _rps(res.run(r.engine, r.size, base, r.scenario)))


def other_ratio(res: Results, r: Run) -> tuple[str, float | None]:
    if r.scenario in UPSERTS:
        c = res.ceiling(r.engine, r.size, r.scenario)
        return "÷ store", ratio(_rps(r), c.store if c else None)
    if r.scenario == "bulk_update":
        put = res.run(r.engine, r.size, r.workers, "put")
        return "leads/s ÷ PUT", ratio(
            r.leads_ps if not r.errors else None, put.leads_ps if put and not put.errors else None
        )
    if r.scenario.startswith("search"):
        get = res.run(r.engine, r.size, r.workers, "get")
        return "p50 ÷ GET p50", ratio(r.p50_ms if r.rps else None, get.p50_ms if get else None)
    return "", None


# --- formatting ----------------------------------------------------------------------


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return f"{n:,}"


def _num(x: float | None, digits: int = 0) -> str:
    if x is None:
        return "-"
    return f"{x:,.{digits}f}"


def _x(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def run_headers(res: Results) -> list[str]:
    small = size_label(res.sizes[0]) if res.sizes else "smallest"
    return [
        "engine", "leads", "w", "scenario", "req/s", "leads/s", "p50 ms", "p99 ms", "RSS MB/w",
        "srv CPU", "CPU ms/req", "worker state", "wrk CPU", "÷ floor", f"÷ {small}", "÷ 1w",
        "other ratio",
    ]  # fmt: skip


def _activity(shares: dict[str, float]) -> str:
    top = [(name, share) for name, share in shares.items() if share >= 0.1][:2]
    return ", ".join(f"{name} {share:.0%}" for name, share in top) or "-"


def _cpu(per_worker: list[float] | None) -> str:
    if not per_worker:
        return "-"
    total = f"{sum(per_worker):.0f}%"
    if len(per_worker) == 1:
        return total
    return f"{total} ({'+'.join(f'{c:.0f}' for c in per_worker)})"


def _cpu_ms(r: Run) -> str:
    if r.cpu_ms is None:
        return "-"
    per_lead = r.cpu_ms_per_lead
    text = f"{r.cpu_ms:.2f}" + (f" ({per_lead:.2f}/lead)" if per_lead is not None else "")
    if r.db_cpu_ms is not None:
        text += f" + PG {r.db_cpu_ms:.2f}"
    return text


def run_rows(res: Results) -> list[list[str]]:
    rows = []
    key = {s: i for i, s in enumerate(ORDER)}
    order = sorted(
        res.runs, key=lambda r: (r.engine != "sqlite", r.size, r.workers, key[r.scenario])
    )
    for r in order:
        label, other = other_ratio(res, r)
        if r.note:
            figures = ["-"] * 12 + [r.note]
        else:
            figures = [
                _num(r.rps),
                _num(r.leads_ps),
                _num(r.p50_ms, 2),
                _num(r.p99_ms, 2),
                _num(r.rss_mb),
                _cpu(r.server_cpu),
                _cpu_ms(r),
                _activity(r.activity),
                "-" if r.wrk_cpu is None else f"{r.wrk_cpu:.0f}%",
                _x(vs_floor(res, r)),
                _x(vs_small(res, r)),
                _x(vs_one_worker(res, r)),
                f"{label} {_x(other)}" if label else "",
            ]
            if r.errors:
                figures[-1] = f"{r.errors} ERRORS " + figures[-1]
        rows.append(
            [r.engine, size_label(r.size), str(r.workers), SCENARIOS[r.scenario].label, *figures]
        )
    return rows


def ceiling_headers(res: Results) -> list[str]:
    small = size_label(res.sizes[0]) if res.sizes else "smallest"
    return [
        "engine", "leads", "workload", "store upserts/s",
        f"HTTP {res.workers[0] if res.workers else 1}w ÷ store", f"store ÷ {small}",
        "SQL floor upserts/s", f"HTTP {res.workers[0] if res.workers else 1}w ÷ SQL floor",
    ]  # fmt: skip


def ceiling_rows(res: Results) -> list[list[str]]:
    rows = []
    small = res.sizes[0] if res.sizes else 0
    base = res.workers[0] if res.workers else 1
    key = {s: i for i, s in enumerate(ORDER)}
    for c in sorted(res.ceilings, key=lambda c: (c.engine != "sqlite", c.size, key[c.scenario])):
        http = res.run(c.engine, c.size, base, c.scenario)
        first = res.ceiling(c.engine, small, c.scenario)
        rows.append(
            [
                c.engine,
                size_label(c.size),
                SCENARIOS[c.scenario].label,
                c.note or _num(c.store),
                _x(ratio(_rps(http), c.store)),
                _x(ratio(c.store, first.store if first else None)) if c.size != small else "-",
                _num(c.sql_floor),
                _x(ratio(_rps(http), c.sql_floor)),
            ]
        )
    return rows


# --- bars ----------------------------------------------------------------------------


@dataclass
class Bar:
    text: str
    verdict: str  # PASS | MISS | n/a
    worst: str
    details: str


def _bar(
    text: str,
    checks: list[tuple[str, float | None]],
    limit: float,
    *,
    at_least: bool = True,
    caveat: str = "",
) -> Bar:
    def ok(v: float) -> bool:
        return v >= limit if at_least else v <= limit

    measured = [(where, v) for where, v in checks if v is not None]
    if not measured:
        return Bar(text, "n/a", "-", caveat or "not measured in this run")
    worst_where, worst = (min if at_least else max)(measured, key=lambda wv: wv[1])
    missing = [where for where, v in checks if v is None]
    if not all(ok(v) for _, v in measured):
        verdict = "MISS"
    else:
        verdict = "PASS (partial)" if missing else "PASS"
    details = ", ".join(f"{w} {v:.2f}" + ("" if ok(v) else " ✗") for w, v in measured)
    if missing:
        details += "; not measured: " + ", ".join(missing)
    if caveat:
        details = f"{caveat}. {details}"
    return Bar(text, verdict, f"{worst_where} {worst:.2f}", details)


def _cpu_of(run: Run | None) -> float | None:
    return run.cpu_ms if run is not None and not run.errors else None


def bars(res: Results, rss_limit_mb: float = 150.0) -> list[Bar]:
    """The bars of issue 20: ratios within one run, per engine."""
    sizes, workers = res.sizes, res.workers
    engines = sorted({r.engine for r in res.runs}, key=lambda e: e != "sqlite")
    if not sizes:
        return []
    big, small = sizes[-1], sizes[0]
    one = workers[0] if workers else 1
    caveat = "" if big >= 1_000_000 else f"measured at {size_label(big)}, not 1M"
    out = []

    text = "PostgreSQL floor ≥ 0.6 x SQLite floor (GET /account, 1 worker)"
    if {"sqlite", "postgres"} <= set(engines):
        checks = [
            (
                size_label(n),
                ratio(
                    _rps(res.run("postgres", n, one, "account")),
                    _rps(res.run("sqlite", n, one, "account")),
                ),
            )
            for n in sizes
        ]
        out.append(_bar(text, checks, 0.6))
    else:
        out.append(Bar(text, "n/a", "-", "needs both engines"))

    checks = [
        (
            f"{w}w",
            ratio(
                _rps(res.run("postgres", big, w, "upsert_email")),
                _rps(res.run("postgres", big, w, "account")),
            ),
        )
        for w in workers
    ]
    out.append(
        _bar("PostgreSQL upsert by email ≥ 0.5 x PostgreSQL floor", checks, 0.5, caveat=caveat)
    )

    checks = []
    for e in engines:
        for w in workers:
            bulk, put = res.run(e, big, w, "bulk_update"), res.run(e, big, w, "put")
            a = bulk.leads_ps if bulk and not bulk.errors else None
            b = put.leads_ps if put and not put.errors else None
            checks.append((f"{e}/{w}w", ratio(a, b)))
    out.append(_bar("bulk_update of 10: leads/s ≥ 2.5 x PUT", checks, 2.5, caveat=caveat))

    checks = []
    for e in engines:
        c = res.ceiling(e, big, "upsert_email")
        checks.append(
            (
                f"{e}/{one}w",
                ratio(_rps(res.run(e, big, one, "upsert_email")), c.sql_floor if c else None),
            )
        )
    out.append(_bar("HTTP upsert by email ≥ 0.5 x SQL floor", checks, 0.5, caveat=caveat))

    text = "PostgreSQL CPU ms per upsert, 2 workers within 15% of 1 worker"
    if "postgres" in engines and 1 in workers and 2 in workers:
        checks = [
            (
                f"{size_label(n)}/{s.split('_')[1]}",
                ratio(_cpu_of(res.run("postgres", n, 2, s)), _cpu_of(res.run("postgres", n, 1, s))),
            )
            for n in sizes
            for s in UPSERTS
        ]
        out.append(_bar(text, checks, 1.15, at_least=False))
    else:
        out.append(Bar(text, "n/a", "-", "needs postgres with --workers 1,2"))

    for e, limit in (("postgres", 0.85), ("sqlite", 0.75)):
        text = f"{e} growth: upsert 1M ≥ {limit} x 10k"
        if e not in engines:
            continue
        if big <= small:
            out.append(Bar(text, "n/a", "-", "needs two sizes (--sizes 10000,1000000)"))
            continue
        checks = [
            (
                f"{w}w/{s.split('_')[1]}",
                ratio(_rps(res.run(e, big, w, s)), _rps(res.run(e, small, w, s))),
            )
            for w in workers
            for s in UPSERTS
        ]
        out.append(_bar(text, checks, limit))

    checks = []
    for e in engines:
        for w in workers:
            search, get = res.run(e, big, w, "search"), res.run(e, big, w, "get")
            ok = search is not None and search.rps and not search.errors and not search.note
            checks.append(
                (
                    f"{e}/{w}w",
                    ratio(search.p50_ms if ok and search else None, get.p50_ms if get else None),
                )
            )
    note = caveat
    if all(v is None for _, v in checks) and any(
        r.scenario == "search" and r.note for r in res.runs
    ):
        note = "search endpoint missing on this branch"
    out.append(
        _bar("search page of 200: p50 ≤ 8 x GET p50 (1M)", checks, 8, at_least=False, caveat=note)
    )

    checks = []
    for e in engines:
        for w in workers:
            rss = [
                r.rss_mb
                for r in res.runs
                if (r.engine, r.size, r.workers) == (e, big, w) and r.rss_mb
            ]
            checks.append((f"{e}/{w}w", max(rss) if rss else None))
    out.append(
        _bar(
            f"RSS ≤ {rss_limit_mb:.0f} MB per worker (1M)",
            checks,
            rss_limit_mb,
            at_least=False,
            caveat=caveat,
        )
    )
    # issue 16: the same bar for a search on the interaction filters (only when it ran)
    checks = []
    for e in engines:
        for w in workers:
            search = res.run(e, big, w, "search_interactions")
            get = res.run(e, big, w, "get")
            ok = search is not None and search.rps and not search.errors and not search.note
            p50 = search.p50_ms if ok and search else None
            checks.append((f"{e}/{w}w", ratio(p50, get.p50_ms if get else None)))
    if any(v is not None for _, v in checks):
        text = "search by interactions, page of 200: p50 ≤ 10 x GET p50 (1M)"
        out.append(_bar(text, checks, 10, at_least=False, caveat=caveat))
    return out


#: how far a server's GET /account CPU may stray from its engine's median before the
#: ratios that divide its figures by another server's are read as the machine's, not ours
PHASE_TOLERANCE = 0.15

PHASE_HEADERS = (
    "engine", "leads", "w", "GET /account CPU ms/req", "÷ engine median", "phase",
)  # fmt: skip


def phase_rows(res: Results) -> list[list[str]]:
    """The speed of each server's phase of the run, read from the request whose code
    does not depend on the data: GET /account's CPU per request (worker + PostgreSQL).

    On a shared VM the same request has cost up to 2x more CPU in one phase of a run
    than in another (docs/performance.md, "The full runs of 2026-12-03"): a bar that
    divides one server's figure by another's (growth, the PostgreSQL floor over
    SQLite's, 2 workers over 1) then measures the phases. A phase whose gauge is more
    than :data:`PHASE_TOLERANCE` from its engine's median is flagged."""
    gauges: dict[tuple[str, int, int], float] = {}
    for r in res.runs:
        if r.scenario == "account" and not r.errors and r.cpu_ms:
            gauges[(r.engine, r.size, r.workers)] = r.cpu_ms + (r.db_cpu_ms or 0.0)
    rows = []
    for engine in sorted({k[0] for k in gauges}, key=lambda e: e != "sqlite"):
        mine = {k: v for k, v in gauges.items() if k[0] == engine}
        median = statistics.median(mine.values())
        for (_, size, w), gauge in sorted(mine.items(), key=lambda kv: (kv[0][1], kv[0][2])):
            off = gauge / median
            flag = "ok" if abs(off - 1) <= PHASE_TOLERANCE else "SLOW" if off > 1 else "FAST"
            rows.append([engine, size_label(size), str(w), f"{gauge:.2f}", f"{off:.2f}x", flag])
    return rows


BAR_HEADERS = ("bar", "verdict", "worst", "all figures")


def bar_rows(res: Results) -> list[list[str]]:
    return [[b.text, b.verdict, b.worst, b.details] for b in bars(res)]


# --- tables --------------------------------------------------------------------------


def text_table(headers: Sequence[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < 4 or i in (11, len(widths) - 1) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def markdown_table(headers: Sequence[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)
