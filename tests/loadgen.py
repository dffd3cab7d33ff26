"""A load generator process for the multi-process tests: ``python -m tests.loadgen JOB``.

JOB is JSON: ``{"start_at": UNIX_TIME, "threads": N, "headers": {...}, "requests":
[{"url": ..., "method": ..., "path": ..., "json": ...}, ...]}``. The process waits until
``start_at`` (so that several processes fire together), sends the requests from
``threads`` threads, each with its own HTTP connection, and prints one JSON list of
``{"status": code, "body": json-or-null, "sent": unix_time}`` in request order.
Every request has a timeout; the process ends on its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def run_job(job: dict[str, Any]) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = job["requests"]
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(headers=job["headers"], timeout=60)
        return local.client  # type: ignore[no-any-return]

    def one(req: dict[str, Any]) -> dict[str, Any]:
        c = client()
        delay = job["start_at"] - time.time()
        if delay > 0:
            time.sleep(delay)
        sent = time.time()
        r = c.request(req["method"], req["url"] + req["path"], json=req.get("json"))
        try:
            body = r.json()
        except ValueError:
            body = None
        return {"status": r.status_code, "body": body, "sent": sent}

    with ThreadPoolExecutor(max_workers=job["threads"]) as pool:
        return list(pool.map(one, requests))


def run_processes(jobs: list[dict[str, Any]], timeout: float = 120) -> list[dict[str, Any]]:
    """Run each job in its own ``python -m tests.loadgen`` process; all results in order."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.loadgen", json.dumps(job)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for job in jobs
    ]
    results: list[dict[str, Any]] = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"load generator failed: {err.decode()[-2000:]}")
        results.extend(json.loads(out))
    return results


if __name__ == "__main__":
    print(json.dumps(run_job(json.loads(sys.argv[1]))))
