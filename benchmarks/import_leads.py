"""Throughput of ``verdigris leads import`` against a live ``verdigris serve`` on SQLite.

    python benchmarks/import_leads.py [--rows 10000] [--workers 8] [--server-workers 1]

Builds the acceptance test's CSV (5% invalid rows, 10% duplicates of existing leads;
tests/helpers.py), serves a fresh SQLite database with rate limits off, seeds the
existing leads, then imports the file twice (the second run only updates) with the CLI
in a subprocess, and prints each run's summary line (rows/s).
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import existing_leads, write_leads_csv  # noqa: E402
from verdigris.client import Client  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=8, help="importer concurrency")
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="verdigris-import-"))
    db = f"sqlite:///{work / 'bench.db'}"
    token, email = "bench-" + secrets.token_hex(6), "bench@example.com"
    verdigris = [sys.executable, "-m", "verdigris"]
    subprocess.run([*verdigris, "user", "add", email, "--token", token, "--db", db], check=True,
                   capture_output=True)  # fmt: skip
    server = subprocess.Popen(
        [*verdigris, "serve", "--db", db, "--port", str(args.port), "--no-rate-limits",
         "--workers", str(args.server_workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{args.port}/developer_api/v1"
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{args.port}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        with Client(url, token, email, bulk_per_second=None) as client:
            client.bulk_create_leads(existing_leads(args.rows // 10))
        source = work / "leads.csv"
        write_leads_csv(source, args.rows)
        env = {**os.environ, "VERDIGRIS_TOKEN": token, "VERDIGRIS_EMAIL": email}
        for run in ("first run (creates)", "second run (updates)"):
            done = subprocess.run(
                [*verdigris, "leads", "import", str(source), "--url", url, "--quiet",
                 "--workers", str(args.workers)],
                env=env, capture_output=True, text=True,
            )  # fmt: skip
            lines = done.stdout.splitlines()
            print(f"{run}: {lines[0] if lines else done.stderr.strip()}")
            print("   ", ", ".join(lines[1:6]))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
