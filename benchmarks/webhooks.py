"""What a webhook subscription costs the API, and how late its notifications arrive.

One ``verdigris serve`` per engine, rate limits off; 10,000 leads created in bulk, then
rounds of 10,000 lead updates (each lead once, a distinct title, ``--connections``
concurrent requests), alternating *without* a subscription and *with* one ``lead``
``update`` subscription to a receiver on 127.0.0.1 (a separate process, answering 200
at once). Each round's throughput is updates/s; the ratio is the median with / the
median without, both measured in this run. The lag of a notification is the time from
the update's answer to the receiver getting the notification that names the lead::

    python -m benchmarks.webhooks --engines sqlite,postgres --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks import server as srv
from benchmarks.bench import DEFAULT_PG
from benchmarks.dataset import drop_schema, new_database

EMAIL = "bench@example.com"


# --- the receiver (a process of its own: its work must not slow the load generator) ---


async def _serve_receiver(port: int) -> None:
    arrivals: list[tuple[float, list[int]]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                body = await reader.readexactly(length) if length else b""
                if lines[0].startswith("GET /stats"):
                    payload = json.dumps(arrivals).encode()
                    arrivals.clear()
                else:
                    arrivals.append((time.time(), json.loads(body)["ids"]))
                    payload = b"ok"
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def start_receiver() -> tuple[subprocess.Popen[bytes], str]:
    port = srv.free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.webhooks", "--receiver", str(port)]
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/stats", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the receiver did not start")


# --- the load ---------------------------------------------------------------------------


async def update_all(
    base: str, headers: dict[str, str], ids: list[int], tag: str, connections: int
) -> tuple[float, dict[int, float]]:
    """Update every lead once; (updates/s, answer time by lead id)."""
    answered: dict[int, float] = {}
    queue = list(reversed(ids))
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:

        async def worker() -> None:
            while queue:
                lead_id = queue.pop()
                for attempt in range(3):  # a kept connection the server closed: again
                    try:
                        r = await c.put(
                            f"/developer_api/v1/leads/{lead_id}",
                            json={"title": f"{tag}-{lead_id}"},
                        )
                        break
                    except httpx.TransportError:
                        if attempt == 2:
                            raise
                r.raise_for_status()
                answered[lead_id] = time.time()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        took = time.perf_counter() - started
    return len(ids) / took, answered


def create_leads(server: srv.Server, count: int) -> list[int]:
    ids: list[int] = []
    with httpx.Client(base_url=server.base, headers=server.headers, timeout=60) as c:
        for start in range(0, count, 10):
            body = {"leads": [{"name": f"Bench {i}"} for i in range(start, min(start + 10, count))]}
            r = c.post("/developer_api/v1/leads/bulk_create", json=body)
            r.raise_for_status()
            ids.extend(item["id"] for item in r.json())
    return ids


def lags(receiver: str, answered: dict[int, float], timeout: float) -> tuple[list[float], int]:
    """Seconds from each update's answer to its notification; and how many never came."""
    got: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while len(got) < len(answered) and time.monotonic() < deadline:
        for at, ids in httpx.get(receiver + "/stats", timeout=30).json():
            for lead_id in ids:
                got.setdefault(lead_id, at)
        time.sleep(0.5)
    values = sorted(got[i] - answered[i] for i in answered if i in got)
    return values, len(answered) - len(got)


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def run_engine(engine: str, args: argparse.Namespace, receiver: str) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="verdigris-hooks-"))
    url, handle = new_database(engine, args.updates, workdir, args.pg_url)
    token = "bench-" + secrets.token_hex(8)
    subprocess.run(
        [sys.executable, "-m", "verdigris", "user", "add", EMAIL, "--token", token, "--db", url],
        check=True,
        capture_output=True,
    )
    server = srv.start(url, 1, token, EMAIL, workdir / "serve.log")
    try:
        ids = create_leads(server, args.updates)
        without: list[float] = []
        with_sub: list[float] = []
        all_lags: list[float] = []
        missing = 0
        for round_no in range(args.rounds):
            rate, _ = asyncio.run(
                update_all(server.base, server.headers, ids, f"a{round_no}", args.connections)
            )
            without.append(rate)
            made = server.request(
                "POST",
                "/developer_api/v1/webhooks",
                {"target": receiver + "/hook", "type": "lead", "event": "update"},
            ).body
            rate, answered = asyncio.run(
                update_all(server.base, server.headers, ids, f"b{round_no}", args.connections)
            )
            with_sub.append(rate)
            round_lags, lost = lags(receiver, answered, args.drain_timeout)
            all_lags.extend(round_lags)
            missing += lost
            server.request("DELETE", f"/developer_api/v1/webhooks/{made['id']}")
            print(
                f"{engine} round {round_no + 1}: without {without[-1]:.0f}/s, "
                f"with {with_sub[-1]:.0f}/s, lag p50 {pct(round_lags, 0.5):.2f}s "
                f"p99 {pct(round_lags, 0.99):.2f}s, not arrived {lost}",
                flush=True,
            )
        all_lags.sort()
        return {
            "engine": engine,
            "without": statistics.median(without),
            "with": statistics.median(with_sub),
            "ratio": statistics.median(with_sub) / statistics.median(without),
            "lag_p50": pct(all_lags, 0.5),
            "lag_p99": pct(all_lags, 0.99),
            "missing": missing,
        }
    finally:
        srv.stop(server)
        if engine == "postgres":
            drop_schema(args.pg_url, str(handle))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.webhooks", description=__doc__)
    p.add_argument("--engines", default="sqlite,postgres")
    p.add_argument("--updates", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--drain-timeout", type=float, default=120.0)
    p.add_argument("--pg-url", default=DEFAULT_PG)
    p.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.receiver:
        asyncio.run(_serve_receiver(args.receiver))
        return 0
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}", flush=True)
    receiver, url = start_receiver()
    try:
        results = [run_engine(e, args, url) for e in args.engines.split(",")]
    finally:
        receiver.terminate()
    print(
        "| engine | updates/s without | with one subscription | ratio | lag p50 | lag p99 "
        "| not arrived |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['engine']} | {r['without']:.0f} | {r['with']:.0f} | {r['ratio']:.2f} | "
            f"{r['lag_p50']:.2f} s | {r['lag_p99']:.2f} s | {r['missing']} |"
        )
    print(f"load after: {os.getloadavg()[0]:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
