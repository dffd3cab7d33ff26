"""The acceptance import: 10,000 CSV rows (5% invalid, 10% duplicates of existing leads)
into a live ``verdigris serve`` process on SQLite; then the same file again; and an
import stopped half-way with Ctrl-C, then run again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import LiveServer, start_server, stop_server
from tests.helpers import existing_leads, reject_reasons, write_leads_csv
from verdigris.cli import main
from verdigris.client import Client, LeadOut

pytestmark = pytest.mark.slow

ROWS = 10_000


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    srv = start_server(f"sqlite:///{tmp_path / 'import.db'}", "--no-rate-limits")
    yield srv
    stop_server(srv)


def count_leads(tmp_path: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'import.db'}")
    with engine.connect() as conn:
        n = int(conn.exec_driver_sql("SELECT count(*) FROM leads").scalar_one())
    engine.dispose()
    return n


def cli_args(server: LiveServer, path: Path) -> list[str]:
    return ["leads", "import", str(path), "--url", server.base_url + "/developer_api/v1",
            "--token", server.token, "--email", server.email, "--quiet"]  # fmt: skip


def summary(out: str) -> tuple[dict[str, int], float]:
    counts = {k: int(v) for k, v in re.findall(r"^(\w+): (\d+)$", out, re.MULTILINE)}
    rate = re.search(r"\((\d+) rows/s\)", out)
    assert rate, out
    return counts, float(rate.group(1))


def test_ten_thousand_rows_then_the_same_file_again(
    server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = server.base_url + "/developer_api/v1"
    with Client(api, server.token, server.email, bulk_per_second=None) as client:
        seeded = client.bulk_create_leads(existing_leads(ROWS // 10))
    assert all(isinstance(r, LeadOut) for r in seeded)
    source = tmp_path / "leads.csv"
    write_leads_csv(source, ROWS)

    assert main(cli_args(server, source)) == 2  # finished, with rejected rows
    counts, rate = summary(capsys.readouterr().out)
    assert counts == {
        "created": 8_500, "updated": 1_000, "ambiguous": 0, "invalid": 500, "failed": 0,
    }  # fmt: skip
    assert count_leads(tmp_path) == 9_500
    reasons = reject_reasons(tmp_path / "leads.rejects.csv")
    assert sorted(reasons) == [i + 1 for i in range(0, ROWS, 20)]  # row numbers from 1
    assert "Email: is invalid" in reasons[1]
    assert "Name: can't be blank" in reasons[21]
    assert "customer_source_id must be a whole number" in reasons[41]
    with Client(api, server.token, server.email) as client:
        assert isinstance(seeded[0], LeadOut) and seeded[0].id is not None
        updated = client.get_lead(seeded[0].id)
    assert updated.name == "Lead 1" and updated.tags == ["csv", "import"]
    print(f"\nfirst run: {rate:.0f} rows/s", file=sys.stderr)

    assert main(cli_args(server, source)) == 2
    counts, rate = summary(capsys.readouterr().out)
    assert counts["created"] == 0 and counts["updated"] == 9_500 and counts["invalid"] == 500
    assert count_leads(tmp_path) == 9_500
    print(f"second run: {rate:.0f} rows/s", file=sys.stderr)


def test_an_import_stopped_half_way_runs_again_without_duplicates(
    server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "new.csv"
    write_leads_csv(source, 3_000, invalid_every=0, existing_every=0)
    process = subprocess.Popen(
        [sys.executable, "-m", "verdigris", *cli_args(server, source)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 60
    while count_leads(tmp_path) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 130, out
    assert out.startswith("interrupted after")
    time.sleep(0.5)
    before = count_leads(tmp_path)
    assert 300 <= before < 3_000

    assert main(cli_args(server, source)) == 0
    counts, _ = summary(capsys.readouterr().out)
    assert count_leads(tmp_path) == 3_000
    assert counts["created"] == 3_000 - before and counts["updated"] == before
