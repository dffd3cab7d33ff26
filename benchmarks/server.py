"""A real ``verdigris serve`` process: start, probe, measure its memory, stop."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Server:
    url: str  # database URL
    workers: int
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def request(self, method: str, path: str, body: Any = None) -> Reply:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            payload = None if body is None else json.dumps(body).encode()
            headers = dict(self.headers)
            if payload is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, payload, headers)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed)
        finally:
            conn.close()

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: uvicorn's spawned workers, or the server
        process itself when it runs a single worker in-process."""
        children = [
            pid
            for pid in _children(self.process.pid)
            if "spawn_main" in _cmdline(pid)  # not multiprocessing's resource tracker
        ]
        return children or [self.process.pid]

    def rss_mb(self) -> list[float]:
        """VmRSS of every worker, in MB (10^6 bytes)."""
        return [rss_mb(pid) for pid in self.worker_pids()]

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields follow the last ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return sorted(out)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def memory_mb(pid: int, keys: tuple[str, ...] = ("VmRSS",)) -> dict[str, float]:
    """These memory fields of ``/proc/PID/status`` (``VmRSS``, ``RssAnon``...), in MB
    (10^6 bytes)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in keys:
            out[key] = int(value.split()[0]) * 1024 / 1e6
    return out


def rss_mb(pid: int) -> float:
    return memory_mb(pid).get("VmRSS", 0.0)


def start(
    db_url: str,
    workers: int,
    token: str,
    email: str,
    log_path: Path,
    *,
    source: Path | None = None,
) -> Server:
    """``verdigris serve --no-rate-limits`` on a free loopback port, ready to serve;
    with ``source``, the ``verdigris`` package of that tree (benchmarks/ab_http.py)."""
    port = free_port()
    log = open(log_path, "wb")  # noqa: SIM115 (closed when the server stops)
    cmd = [sys.executable, "-m", "verdigris", "serve", "--db", db_url, "--host", HOST]
    cmd += ["--port", str(port), "--workers", str(workers), "--no-rate-limits"]
    env = {**os.environ, "VERDIGRIS_LOG_LEVEL": "warning"}
    if source is not None:  # `python -m` looks in the working directory first
        env["PYTHONPATH"] = str(source)
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=source)
    log.close()
    server = Server(db_url, workers, port, process, log_path)
    server.headers = {
        "X-PW-AccessToken": token,
        "X-PW-UserEmail": email,
        "X-PW-Application": "developer_api",
    }
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"verdigris serve exited with {process.returncode}:\n{server.log_tail()}"
            )
        try:
            ready = server.request("GET", "/developer_api/v1/account").status == 200
        except OSError:
            ready = False
        if ready and (workers == 1 or len(server.worker_pids()) >= workers):
            return server
        time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"verdigris serve did not answer within 60 s:\n{server.log_tail()}")


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(20)
        except subprocess.TimeoutExpired:
            for pid in server.worker_pids():
                if pid != server.process.pid:
                    _kill(pid)
            server.process.kill()
            server.process.wait()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# --- what the workers are doing -------------------------------------------------------

_WAITS = (
    ("epoll", "idle (epoll)"),
    ("nanosleep", "sleep (SQLite busy wait)"),
    ("futex", "futex (GIL, locks)"),
    ("fsync", "disk (fsync)"),
    ("jbd2", "disk (fsync)"),
    ("wait_range", "disk (fsync)"),
    ("io_schedule", "disk"),
    ("folio", "disk"),
    ("poll", "poll"),
    ("sk_wait", "socket"),
    ("tcp", "socket"),
)


def _wait_name(state: str, wchan: str) -> str:
    if state == "R":
        return "run"
    for marker, name in _WAITS:
        if marker in wchan:
            return name
    if state == "D":
        return "disk"
    return wchan or state


class StateSampler(threading.Thread):
    """Samples what each worker's main thread is doing (running, or which kernel wait),
    every ``interval`` seconds, until stopped: low CPU then says what the worker waited on."""

    def __init__(self, pids: list[int], interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            for pid in self.pids:
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    wchan = Path(f"/proc/{pid}/wchan").read_text().strip()
                except OSError:
                    continue
                state = stat[stat.rfind(")") + 2 :].split()[0]
                self.counts[_wait_name(state, wchan)] += 1

    def stop(self) -> dict[str, float]:
        """Share of samples per activity, largest first."""
        self._stop_event.set()
        self.join()
        total = sum(self.counts.values()) or 1
        return {name: n / total for name, n in self.counts.most_common()}
