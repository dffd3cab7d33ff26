"""Benchmark a JSON PUT round trip on two candidate HTTP stacks for verdigris.

Stacks (same route, same request body, same ~900-byte response, no database):

  a  FastAPI + pydantic v2 models, async handler
  b  Starlette + msgspec Structs, async handler

Both serve ``PUT /developer_api/v1/leads/upsert``: the body is decoded into typed
models, a lead object is built from it and encoded as the JSON response.

Requirements: ``pip install fastapi pydantic starlette msgspec uvicorn`` and ``wrk``
on PATH (Debian: ``apt-get install -y wrk``).

Usage::

    python benchmarks/http_stack.py run            # full comparison (about 1 minute)
    python benchmarks/http_stack.py run --duration 4 --rounds 1
    python benchmarks/http_stack.py serve a --port 8000   # one app in the foreground

``run`` starts each app in its own uvicorn process (one worker, log level warning,
no access log) on 127.0.0.1, checks one request by hand, warms it up briefly, then
drives it with ``wrk -t1 -c32 -d8s --latency`` and a Lua script that sets method,
body and Content-Type. Rounds alternate a, b, a, b, ... and the table reports the
median requests/s, median p50 / p99 latency, and the ratio b/a. Only loopback
addresses are used; every wrk run is bounded by ``--duration``.

On a 2-core machine wrk and the server share the CPUs, so compare the ratio rather
than the absolute figures.
"""

import argparse
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
PATH = "/developer_api/v1/leads/upsert"
STACKS = {"a": "fastapi+pydantic", "b": "starlette+msgspec"}

REQUEST_BODY: dict[str, Any] = {
    "properties": {
        "name": "My Lead",
        "email": {"email": "mylead@gmail.test", "category": "work"},
    },
    "match": {"field_name": "email", "field_value": "mylead@gmail.test"},
}

# Fixed parts of the answered lead; name and email come from the request.
LEAD_ID = 8894157
DATE_CREATED = 1489018784
DATE_MODIFIED = 1496710911
LEAD_TEMPLATE: dict[str, Any] = {
    "prefix": None,
    "first_name": "My",
    "last_name": "Lead",
    "middle_name": None,
    "suffix": None,
    "address": {
        "street": "301 Howard Street",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
        "country": "United States",
    },
    "assignee_id": 137658,
    "company_name": "Verdigris Test Co",
    "customer_source_id": 331242,
    "details": "Met at the spring trade show.",
    "interaction_count": 0,
    "monetary_unit": "USD",
    "monetary_value": 25000,
    "socials": [],
    "status": "New",
    "status_id": 208231,
    "tags": ["tag 1"],
    "title": "Buyer",
    "websites": [{"url": "https://www.mylead.test", "category": "work"}],
    "phone_numbers": [
        {"number": "415-123-45678", "category": "mobile"},
    ],
    "custom_fields": [
        {"custom_field_definition_id": 100764, "value": "Gold"},
        {"custom_field_definition_id": 103481, "value": None},
    ],
}


# --------------------------------------------------------------------------- apps


def build_fastapi_app() -> Any:
    """Stack a: FastAPI with pydantic v2 request and response models."""
    from fastapi import FastAPI
    from pydantic import BaseModel

    class EmailIn(BaseModel):
        email: str
        category: str

    class PropertiesIn(BaseModel):
        name: str
        email: EmailIn

    class MatchIn(BaseModel):
        field_name: str
        field_value: str

    class UpsertIn(BaseModel):
        properties: PropertiesIn
        match: MatchIn

    class Address(BaseModel):
        street: str | None = None
        city: str | None = None
        state: str | None = None
        postal_code: str | None = None
        country: str | None = None

    class Url(BaseModel):
        url: str
        category: str

    class Phone(BaseModel):
        number: str
        category: str

    class CustomField(BaseModel):
        custom_field_definition_id: int
        value: str | int | float | bool | list[int] | None = None

    class Lead(BaseModel):
        id: int
        name: str
        prefix: str | None
        first_name: str | None
        last_name: str | None
        middle_name: str | None
        suffix: str | None
        address: Address | None
        assignee_id: int | None
        company_name: str | None
        customer_source_id: int | None
        details: str | None
        email: EmailIn | None
        interaction_count: int
        monetary_unit: str | None
        monetary_value: int | float | None
        socials: list[Url]
        status: str
        status_id: int
        tags: list[str]
        title: str | None
        websites: list[Url]
        phone_numbers: list[Phone]
        custom_fields: list[CustomField]
        date_created: int
        date_modified: int
        date_last_contacted: int | None

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.put(PATH, response_model=Lead)
    async def upsert(body: UpsertIn) -> Lead:
        props = body.properties
        row = {
            "id": LEAD_ID,
            "name": props.name,
            "email": props.email,
            "date_created": DATE_CREATED,
            "date_modified": DATE_MODIFIED,
            "date_last_contacted": None,
            **LEAD_TEMPLATE,
        }
        lead = Lead.model_validate(row)
        return lead

    return app


def build_starlette_app() -> Any:
    """Stack b: Starlette with msgspec Struct decoding and encoding."""
    import msgspec
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    class EmailIn(msgspec.Struct):
        email: str
        category: str

    class PropertiesIn(msgspec.Struct):
        name: str
        email: EmailIn

    class MatchIn(msgspec.Struct):
        field_name: str
        field_value: str

    class UpsertIn(msgspec.Struct):
        properties: PropertiesIn
        match: MatchIn

    class Address(msgspec.Struct):
        street: str | None = None
        city: str | None = None
        state: str | None = None
        postal_code: str | None = None
        country: str | None = None

    class Url(msgspec.Struct):
        url: str
        category: str

    class Phone(msgspec.Struct):
        number: str
        category: str

    class CustomField(msgspec.Struct):
        custom_field_definition_id: int
        value: str | int | float | bool | list[int] | None = None

    class Lead(msgspec.Struct):
        id: int
        name: str
        prefix: str | None
        first_name: str | None
        last_name: str | None
        middle_name: str | None
        suffix: str | None
        address: Address | None
        assignee_id: int | None
        company_name: str | None
        customer_source_id: int | None
        details: str | None
        email: EmailIn | None
        interaction_count: int
        monetary_unit: str | None
        monetary_value: int | float | None
        socials: list[Url]
        status: str
        status_id: int
        tags: list[str]
        title: str | None
        websites: list[Url]
        phone_numbers: list[Phone]
        custom_fields: list[CustomField]
        date_created: int
        date_modified: int
        date_last_contacted: int | None

    decoder = msgspec.json.Decoder(UpsertIn)
    encoder = msgspec.json.Encoder()

    async def upsert(request: Request) -> Response:
        try:
            body = decoder.decode(await request.body())
        except msgspec.ValidationError as exc:
            return Response(
                encoder.encode({"error": str(exc)}),
                status_code=422,
                media_type="application/json",
            )
        props = body.properties
        row = {
            "id": LEAD_ID,
            "name": props.name,
            "email": props.email,
            "date_created": DATE_CREATED,
            "date_modified": DATE_MODIFIED,
            "date_last_contacted": None,
            **LEAD_TEMPLATE,
        }
        lead = msgspec.convert(row, Lead)
        return Response(encoder.encode(lead), media_type="application/json")

    return Starlette(routes=[Route(PATH, upsert, methods=["PUT"])])


BUILDERS = {"a": build_fastapi_app, "b": build_starlette_app}


def serve(stack: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        BUILDERS[stack](),
        host=HOST,
        port=port,
        workers=1,
        log_level="warning",
        access_log=False,
    )


# ------------------------------------------------------------------------- driver

WRK_LUA = """\
wrk.method = "PUT"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
"""

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {HOST}:{port} within {timeout}s")


def check_once(port: int, body: bytes) -> int:
    """One request by hand: status 200, JSON lead with the expected keys. Returns size."""
    req = urllib.request.Request(
        f"http://{HOST}:{port}{PATH}",
        data=body,
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        raw = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"unexpected status {resp.status}")
    lead = json.loads(raw)
    expected = {"id", "name", "email", "date_created", "date_modified", "date_last_contacted"}
    expected.update(LEAD_TEMPLATE)
    if set(lead) != expected or lead["email"] != REQUEST_BODY["properties"]["email"]:
        raise RuntimeError(f"unexpected response: {raw[:200]!r}")
    return len(raw)


def _latency_ms(text: str, pct: str) -> float:
    match = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no {pct}% latency in wrk output:\n{text}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(text: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", text, re.MULTILINE)
    if rps is None or total is None:
        raise RuntimeError(f"cannot parse wrk output:\n{text}")
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non_2xx:
        errors += int(non_2xx.group(1))
    sock_err = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if sock_err:
        errors += sum(int(n) for n in sock_err.groups())
    return WrkResult(
        rps=float(rps.group(1)),
        p50_ms=_latency_ms(text, "50"),
        p99_ms=_latency_ms(text, "99"),
        requests=int(total.group(1)),
        errors=errors,
    )


def run_wrk(
    wrk: str, port: int, lua: Path, duration: int, threads: int, connections: int
) -> WrkResult:
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(lua),
        f"http://{HOST}:{port}{PATH}",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=duration + 30)
    return parse_wrk(out.stdout)


def bench_one(stack: str, args: argparse.Namespace, wrk: str, lua: Path, body: bytes) -> WrkResult:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "serve", stack, "--port", str(port)]
    )
    try:
        wait_listening(port, proc)
        size = check_once(port, body)
        if args.warmup > 0:
            run_wrk(wrk, port, lua, args.warmup, args.threads, args.connections)
        result = run_wrk(wrk, port, lua, args.duration, args.threads, args.connections)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print(
        f"  {stack} ({STACKS[stack]:<17}) {result.rps:>9.1f} req/s  "
        f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  "
        f"requests {result.requests}  errors {result.errors}  response {size} B",
        flush=True,
    )
    return result


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"python {sys.version.split()[0]}"]
    for pkg in ("fastapi", "pydantic", "starlette", "msgspec", "uvicorn", "uvloop", "httptools"):
        try:
            parts.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            parts.append(f"{pkg} -")
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk not found on PATH (Debian: apt-get install -y wrk)", file=sys.stderr)
        return 2
    body = json.dumps(REQUEST_BODY).encode()
    print(versions(), flush=True)
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency, "
        f"warm-up {args.warmup}s, {args.rounds} rounds alternating a,b; "
        f"request body {len(body)} B",
        flush=True,
    )
    results: dict[str, list[WrkResult]] = {s: [] for s in STACKS}
    with tempfile.TemporaryDirectory(prefix="http_stack_") as tmp:
        lua = Path(tmp) / "put.lua"
        lua.write_text(WRK_LUA.format(body=json.dumps(body.decode())))
        for _ in range(args.rounds):
            for stack in STACKS:
                results[stack].append(bench_one(stack, args, wrk, lua, body))

    medians = {
        s: (
            statistics.median(r.rps for r in rs),
            statistics.median(r.p50_ms for r in rs),
            statistics.median(r.p99_ms for r in rs),
            sum(r.errors for r in rs),
        )
        for s, rs in results.items()
    }
    print()
    print(f"{'stack':<22} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for s, (rps, p50, p99, errs) in medians.items():
        print(f"{s + ' ' + STACKS[s]:<22} {rps:>10.1f} {p50:>8.2f} {p99:>8.2f} {errs:>7}")
    ratio = medians["b"][0] / medians["a"][0]
    print(f"ratio b/a (median req/s): {ratio:.2f}")
    return 1 if any(m[3] for m in medians.values()) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_run = sub.add_parser("run", help="benchmark both stacks with wrk")
    p_run.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    p_run.add_argument("--warmup", type=int, default=1, help="seconds of warm-up (0: none)")
    p_run.add_argument("--rounds", type=int, default=3, help="runs per stack")
    p_run.add_argument("--threads", type=int, default=1)
    p_run.add_argument("--connections", type=int, default=32)
    p_serve = sub.add_parser("serve", help="serve one stack in the foreground")
    p_serve.add_argument("stack", choices=sorted(STACKS))
    p_serve.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.cmd == "serve":
        serve(args.stack, args.port)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
