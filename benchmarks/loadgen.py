"""Drive a server with wrk and ``bench.lua``; read the figures ``done()`` prints."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchmarks.dataset import Dataset
from benchmarks.workload import CITY_NAMES

LUA = Path(__file__).with_name("bench.lua")


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: dict[str, int]

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return found


def wrk_version() -> str:
    out = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].split("[")[0].strip() if first else "wrk"


def run_wrk(
    base_url: str,
    scenario: str,
    ds: Dataset,
    *,
    nonce: int,
    seconds: int,
    threads: int,
    connections: int,
) -> WrkResult:
    cmd = [wrk_path(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    cmd += ["--timeout", "30s", "-s", str(LUA), base_url, "--", scenario, ds.token, ds.email]
    cmd += [str(ds.size), str(ds.id_lo), str(nonce), str(ds.definition_id), ",".join(CITY_NAMES)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            data = json.loads(line[len("BENCH_RESULT ") :])
            break
    else:
        raise RuntimeError(
            f"wrk printed no result (exit {out.returncode}):\n{out.stdout}{out.stderr}"
        )
    secs = data["duration_us"] / 1e6
    return WrkResult(
        requests=data["requests"],
        seconds=secs,
        rps=data["requests"] / secs if secs else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["errors"],
    )
