"""The benchmark harness (benchmarks/, issue 7) still works against the package.

The benchmarks themselves stay outside the test run; these tests keep their moving
parts honest on tiny inputs: the bulk loader writes leads the store reads and matches
like any other (indexes rebuilt, custom values indexed), the store ceiling runs
the real upsert service, the ratios and bars are computed as documented, and one
short end-to-end run over wrk prints a table with rate limits off.
"""

from __future__ import annotations

import pickle
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from benchmarks import ceiling, dataset, report, sql_floor
from benchmarks.bench import main
from benchmarks.report import Ceiling, Results, Run, bars, run_rows, vs_floor
from tests.conftest import ENGINES, POSTGRES_URL, _unreachable
from verdigris.services import Services
from verdigris.store import normalize_url, open_store
from verdigris.store import schema as t

pytestmark = pytest.mark.slow  # loads data sets and runs the benchmark harness


@pytest.fixture(params=ENGINES)
def loaded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dataset.Dataset]:
    if request.param == "postgres":
        try:
            dataset.pg_admin(POSTGRES_URL).connect().close()
        except sa.exc.OperationalError as exc:
            _unreachable(f"PostgreSQL at {POSTGRES_URL}", exc, "VERDIGRIS_REQUIRE_POSTGRES")
    ds = dataset.prepare(request.param, 300, tmp_path, POSTGRES_URL)
    yield ds
    dataset.drop_database(ds, POSTGRES_URL)


def _indexes(url: str) -> set[tuple[str, str]]:
    engine = sa.create_engine(normalize_url(url))
    try:
        inspector = sa.inspect(engine)
        return {
            (table, str(ix["name"]))
            for table in inspector.get_table_names()
            for ix in inspector.get_indexes(table)
        }
    finally:
        engine.dispose()


def test_loader_writes_leads_the_store_reads_and_matches(loaded: dataset.Dataset) -> None:
    ds = loaded
    store = open_store(ds.url)
    try:
        services = Services(store)
        shown = services.get_lead(ds.principal, ds.id_lo + 7)
        assert shown.lead.email is not None
        assert shown.lead.email.email == dataset.email_of(7)
        assert shown.lead.custom_fields == {ds.definition_id: dataset.ext_of(7)}
        assert shown.status is not None  # a seeded status of the account
        by_email = services.upsert_lead(
            ds.principal,
            {
                "properties": {"title": "Matched"},
                "match": {"field_name": "email", "field_value": dataset.email_of(7).upper()},
            },
        )
        assert by_email.lead.id == ds.id_lo + 7
        custom = {"custom_field_definition_id": ds.definition_id, "value": dataset.ext_of(9)}
        match = {"field_name": "custom", "field_value": custom}
        by_custom = services.upsert_lead(
            ds.principal, {"properties": {"title": "Matched"}, "match": match}
        )
        assert by_custom.lead.id == ds.id_lo + 9
        created = services.create_lead(ds.principal, {"name": "After The Load"})
        assert created.lead.id == ds.id_hi + 1  # the id sequence continues after the load
    finally:
        store.close()
    assert dataset.restore(ds) == 1


def test_loader_leaves_the_schema_as_migrated(loaded: dataset.Dataset, tmp_path: Path) -> None:
    url, where = dataset.new_database(loaded.engine, 0, tmp_path, POSTGRES_URL)
    try:
        with open_store(url) as fresh:
            fresh.migrate()
        assert _indexes(loaded.url) == _indexes(url)
    finally:
        if loaded.engine == "postgres":
            dataset.drop_schema(POSTGRES_URL, str(where))


@pytest.mark.postgres
def test_the_load_s_wal_is_checkpointed_before_the_runs(
    tmp_path: Path,
) -> None:
    """The loader leaves no WAL of its own for the first scenarios to meet: SQLite's
    WAL file truncated, PostgreSQL's last checkpoint begun after the load began."""
    import psycopg

    admin = POSTGRES_URL
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            start = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()
    except psycopg.OperationalError as exc:
        _unreachable(f"PostgreSQL at {POSTGRES_URL}", exc, "VERDIGRIS_REQUIRE_POSTGRES")
    assert start is not None
    before = start[0]
    ds = dataset.prepare("postgres", 300, tmp_path, POSTGRES_URL)
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            row = conn.execute(
                "SELECT redo_lsn >= %s::pg_lsn, redo_lsn - %s::pg_lsn FROM pg_control_checkpoint()",
                (before, before),
            ).fetchone()
        assert row is not None and row[0], f"no checkpoint since the load began: {row}"
    finally:
        dataset.drop_database(ds, POSTGRES_URL)
    (tmp_path / "lite").mkdir()
    lite = dataset.prepare("sqlite", 300, tmp_path / "lite", POSTGRES_URL)
    wal = Path(lite.url.removeprefix("sqlite:///") + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_store_ceiling_runs_the_real_upsert_service(loaded: dataset.Dataset) -> None:
    for nonce, key in enumerate(("upsert_email", "upsert_custom"), 1):
        rate = ceiling.measure(loaded, key, nonce=nonce, seconds=0.2, warmup=0)
        assert rate > 0
    assert dataset.restore(loaded) > 0  # half of the upserts created leads


def _results() -> Results:
    res = Results()
    for engine in ("sqlite", "postgres"):
        for size, slow in ((10_000, 1.0), (1_000_000, 0.9)):
            for workers, more in ((1, 1.0), (2, 1.5)):
                k = slow * more
                floor = 1000 if engine == "sqlite" else 700
                rows = {"account": floor, "upsert_email": 600, "upsert_custom": 400, "put": 500}
                for scenario, rps in rows.items():
                    res.runs.append(Run(engine, size, workers, scenario, rps=rps * k,
                                        leads_per_request=0 if scenario == "account" else 1,
                                        p50_ms=2.0, rss_mb=90 + workers,
                                        server_cpu=[90.0 / workers] * workers))  # fmt: skip
                res.runs.append(Run(engine, size, workers, "bulk_update", rps=150 * k,
                                    leads_per_request=10, p50_ms=20.0, rss_mb=100))  # fmt: skip
                res.runs.append(Run(engine, size, workers, "get", rps=900 * k,
                                    leads_per_request=1, p50_ms=2.0, rss_mb=100))  # fmt: skip
                res.runs.append(Run(engine, size, workers, "search", note="n/a (endpoint missing)"))
            res.ceilings.append(Ceiling(engine, size, "upsert_email", store=800, sql_floor=1000))
    return res


def test_phases_whose_gauge_strays_are_flagged() -> None:
    """GET /account's CPU per request gauges each server's phase; one more than 15% off
    its engine's median is SLOW or FAST (PostgreSQL's backends counted in)."""
    res = Results()
    gauges: dict[tuple[str, int, int], tuple[float, float | None]] = {
        ("sqlite", 10_000, 1): (20.0, None),  # 0.20 ms
        ("sqlite", 1_000_000, 1): (20.0, None),
        ("sqlite", 10_000, 2): (21.0, None),
        ("sqlite", 1_000_000, 2): (40.0, None),  # 0.40 ms: the machine slowed down
        ("postgres", 10_000, 1): (30.0, 7.0),  # 0.37 ms
        ("postgres", 1_000_000, 1): (14.0, 3.0),  # 0.17 ms
        ("postgres", 1_000_000, 2): (18.0, 2.0),  # 0.20 ms
    }
    for (engine, size, w), (worker, db) in gauges.items():
        res.runs.append(Run(engine, size, w, "account", rps=1000, server_cpu=[worker], db_cpu=db))
    res.runs.append(Run("sqlite", 10_000, 1, "get", rps=1000, server_cpu=[90.0]))  # not a gauge
    flags = {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in report.phase_rows(res)}
    assert flags[("sqlite", "10k", "1")] == ("0.20", "0.98x", "ok")
    assert flags[("sqlite", "1M", "2")][2] == "SLOW"
    assert flags[("postgres", "10k", "1")] == ("0.37", "1.85x", "SLOW")
    assert flags[("postgres", "1M", "1")][2] == "ok"
    assert len(flags) == 7


def test_ratios_and_bars() -> None:
    res = _results()
    run = res.run("sqlite", 1_000_000, 2, "upsert_email")
    assert run is not None
    assert vs_floor(res, run) == pytest.approx(0.6)
    # 90% of a core over 600 x 0.9 x 1.5 requests/s
    assert run.cpu_ms == pytest.approx(0.9 / (600 * 0.9 * 1.5) * 1000)
    verdicts = {b.text: b for b in bars(res)}
    assert verdicts["PostgreSQL floor ≥ 0.6 x SQLite floor (GET /account, 1 worker)"].verdict == (
        "PASS"  # 700 / 1000
    )
    assert verdicts["PostgreSQL upsert by email ≥ 0.5 x PostgreSQL floor"].verdict == "PASS"
    assert verdicts["postgres growth: upsert 1M ≥ 0.85 x 10k"].verdict == "PASS"  # 0.9
    assert verdicts["sqlite growth: upsert 1M ≥ 0.75 x 10k"].verdict == "PASS"
    assert verdicts["bulk_update of 10: leads/s ≥ 2.5 x PUT"].verdict == "PASS"  # 1500 / 500
    assert verdicts["HTTP upsert by email ≥ 0.5 x SQL floor"].verdict == "PASS"  # 540 / 1000
    cpu = verdicts["PostgreSQL CPU ms per upsert, 2 workers within 15% of 1 worker"]
    assert cpu.verdict == "PASS"  # the same CPU for 1.5 x the requests: less per upsert
    two = res.run("postgres", 10_000, 2, "upsert_email")
    assert two is not None
    two.server_cpu = [150.0, 150.0]  # 2 x 150% for 900 upserts/s vs 90% for 600: 2.2 x
    worse = {b.text: b for b in bars(res)}
    assert worse[cpu.text].verdict == "MISS"
    two.server_cpu = [45.0, 45.0]
    assert verdicts["RSS ≤ 150 MB per worker (1M)"].verdict == "PASS"
    search = verdicts["search page of 200: p50 ≤ 8 x GET p50 (1M)"]
    assert (search.verdict, search.details) == ("n/a", "search endpoint missing on this branch")
    slow = res.run("postgres", 1_000_000, 1, "upsert_custom")
    assert slow is not None
    slow.rps = 100.0
    again = {b.text: b for b in bars(res)}
    assert again["postgres growth: upsert 1M ≥ 0.85 x 10k"].verdict == "MISS"
    assert "1w/custom" in again["postgres growth: upsert 1M ≥ 0.85 x 10k"].worst
    slow.errors = 3  # a run with errors counts nowhere
    again = {b.text: b for b in bars(res)}
    assert "not measured: 1w/custom" in again["postgres growth: upsert 1M ≥ 0.85 x 10k"].details
    assert any("ERRORS" in cell for row in run_rows(res) for cell in row)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_a_short_run_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = tmp_path / "bench.md"
    argv = ["--engines", "sqlite", "--sizes", "300", "--workers", "1", "--duration", "1"]
    argv += ["--warmup", "0", "--ceiling-seconds", "0.2", "--scenarios", "upsert_email,get,search"]
    argv += ["--workdir", str(tmp_path), "--out", str(tmp_path), "--markdown", str(md)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "RATE LIMITS ARE OFF" in out
    rows = [line for line in out.splitlines() if line.startswith("sqlite")]
    assert "ERRORS" not in out
    assert any("upsert by email" in line and "÷ store" in line for line in rows)
    assert "| sqlite | 300 | 1 | GET /leads/{id} |" in md.read_text()
    # the SQL floor recorded one upsert's statements and replayed them (issue 20)
    assert "What one upsert by email sends" in out
    assert "sqlite upsert by email, create:" in out and "BEGIN IMMEDIATE" in out
    assert "CPU ms/req" in out


def test_profiles_count_the_store_s_own_driver_calls_as_driver_work() -> None:
    """The write path calls the DB-API cursor from verdigris/store/fast.py."""
    from benchmarks.profile import DRIVER, Frame, layer

    store = "/work/x/verdigris/store/fast.py"
    assert layer([Frame("FastCursor.execute", store)]) == DRIVER
    assert layer([Frame("FastCursor.executemany", store)]) == DRIVER
    assert layer([Frame("FastCursor.savepoint", store)]) != DRIVER
    assert layer([Frame("SqlLeads.update", "/work/x/verdigris/store/leads_sql.py")]) != DRIVER


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_ab_serves_each_source_tree_and_compares_medians(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """benchmarks/ab_http.py: each --source runs its own package, side by side."""
    from benchmarks import ab_http

    root = Path(__file__).resolve().parents[1]
    marked = tmp_path / "marked"
    shutil.copytree(root / "verdigris", marked / "verdigris")
    cli = marked / "verdigris" / "cli" / "__init__.py"
    text = cli.read_text()
    cli.write_text(
        text.replace(
            "def _serve(args: argparse.Namespace) -> int:\n",
            "def _serve(args: argparse.Namespace) -> int:\n    print('served from marked')\n",
        )
    )
    work = tmp_path / "work"
    assert ab_http.main(["--prepare", "sqlite:300", "--workdir", str(work)]) == 0
    argv = [str(work / "ds-sqlite-300.pkl"), "--workdir", str(work), "--scenarios", "get"]
    argv += ["--source", f"now={root}", "--source", f"marked={marked}"]
    argv += ["--rounds", "1", "--duration", "1", "--warmup", "0"]
    assert ab_http.main(argv) == 0
    out = capsys.readouterr().out
    assert "RATE LIMITS ARE OFF" in out and "ERRORS" not in out
    assert "round 1 now" in out and "round 1 marked" in out
    # each run reports its worker's memory: VmRSS and its anonymous and file parts
    assert re.search(r"round 1 now .* RSS \d+ \(anon \d+ file \d+\) MB", out)
    summary = out.split("median req/s")[1]
    assert "get" in summary and "x)" in summary
    assert "served from marked" in (work / "ab-marked.log").read_text()
    assert "served from marked" not in (work / "ab-now.log").read_text()


def test_ab_source_may_name_its_own_dataset(tmp_path: Path) -> None:
    """benchmarks/ab_http.py: ``--source NAME=DIR@DATASET`` serves DIR on its own dataset
    (code on either side of a migration that changes the rows' layout); without @, the
    run's dataset."""
    from benchmarks import ab_http

    for name in ("old", "new"):
        (tmp_path / name / "verdigris").mkdir(parents=True)
        (tmp_path / name / "verdigris" / "__init__.py").write_text("")
    own = tmp_path / "ds-old.pkl"
    own.write_bytes(b"")
    found = ab_http.sources([f"old={tmp_path / 'old'}@{own}", f"new={tmp_path / 'new'}"])
    assert found == [("old", tmp_path / "old", own), ("new", tmp_path / "new", None)]
    with pytest.raises(SystemExit, match="no dataset"):
        ab_http.sources([f"old={tmp_path / 'old'}@{tmp_path / 'missing.pkl'}", "new=."])
    with pytest.raises(SystemExit, match="give a dataset"):  # one source has none
        ab_http.main(
            ["--source", f"old={tmp_path / 'old'}@{own}", "--source", f"new={tmp_path / 'new'}"]
        )
    # datasets of two sizes: a comparison across them only when asked (--across)
    for size in (10_000, 1_000_000):
        ds = dataset.Dataset("sqlite", "sqlite:///x.db", size, 1, "t", "e", None, 1)  # type: ignore[arg-type]
        (tmp_path / f"ds-{size}.pkl").write_bytes(pickle.dumps(ds))
    small, big = (f"{tmp_path / 'old'}@{tmp_path / f'ds-{n}.pkl'}" for n in (10_000, 1_000_000))
    with pytest.raises(SystemExit, match="--across allows it"):
        ab_http.main(["--source", f"10k={small}", "--source", f"1M={big}"])


def _versions(ds: dataset.Dataset, lead_id: int) -> list[tuple[int, str]]:
    engine = sa.create_engine(normalize_url(ds.url))
    try:
        with engine.connect() as conn:
            v = t.lead_versions.c
            rows = conn.execute(
                sa.select(v.version, v.event).where(v.lead_id == lead_id).order_by(v.version)
            )
            return [(r[0], r[1]) for r in rows]
    finally:
        engine.dispose()


class _Draw:
    """A random.Random stand-in that draws ``i`` every time."""

    def __init__(self, i: int) -> None:
        self.i = i

    def randrange(self, *_: int) -> int:
        return self.i


def test_sql_floor_replays_the_server_s_statements_on_loaded_leads(
    loaded: dataset.Dataset,
) -> None:
    """The floor records an upsert as the server runs it (history and webhook observers
    on) and updates a loaded lead never written before, as the HTTP scenario does at 1M:
    its first version is renumbered under a baseline. Replayed on another loaded lead,
    the update writes that lead (baseline and version); on a lead that has a version
    already, it leaves out the baseline, as the store does."""
    rec = sql_floor.record(loaded)
    update = " ".join(st.sql for st in rec.update).upper()
    assert "INSERT INTO LEAD_VERSIONS" in update
    assert loaded.id_lo <= rec.updated_id <= loaded.id_hi
    assert [e for _, e in _versions(loaded, rec.updated_id)] == ["baseline", "update"]
    if loaded.engine == "sqlite":
        assert "UPDATE LEAD_VERSIONS" in update  # the renumbering
    create = " ".join(st.sql for st in rec.create).upper()
    assert "INSERT INTO LEAD_VERSIONS" in create
    i = next(
        i
        for i in range(loaded.size - 1, 0, -1)
        if loaded.id_lo + i != rec.updated_id and not _versions(loaded, loaded.id_lo + i)
    )
    target = loaded.id_lo + i
    replayer = sql_floor.Replayer(loaded, rec)
    replayer.rng = _Draw(i)  # type: ignore[assignment]
    try:
        for _ in range(4):  # create, update, create, update (the second: a lead with history)
            replayer.one()
    finally:
        replayer.close()
    assert [e for _, e in _versions(loaded, target)] == ["baseline", "update", "update"]
    assert dataset.restore(loaded) >= 2  # the replayed creates
