"""``verdigris serve --workers N`` on Linux: a listening socket per worker.

uvicorn's own ``--workers`` shares one listening socket between the processes, and the
worker that wakes first accepts whatever is waiting. Clients that keep their connections
open (wrk, SDKs, sync jobs with a connection pool) then often all land on one worker and
the others idle: benchmark runs showed splits of 0% / 100% CPU between two workers.
Here each worker binds its own socket with ``SO_REUSEPORT``, and the kernel spreads new
connections over the workers' sockets.

The supervisor checks the port is free, holds it with a bound socket that never
listens, starts the workers, restarts one that dies,
and on SIGINT or SIGTERM stops them all (uvicorn's graceful shutdown in each) and exits 0.
A worker that fails while starting stops the whole command with exit status 1.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from types import FrameType

log = logging.getLogger("verdigris.serve")

APP = "verdigris.server.app:app_from_env"
#: how long stopping workers may take before they are killed
STOP_SECONDS = 20.0


def supported() -> bool:
    """Whether the kernel spreads connections over SO_REUSEPORT sockets (Linux does)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listener(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int, log_level: str, ready: Event) -> None:  # in the child
    import uvicorn

    sock = listener(host, port)
    config = uvicorn.Config(
        APP, factory=True, host=host, port=port, log_level=log_level, access_log=False
    )
    server = uvicorn.Server(config)

    def tell_when_started() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            ready.set()

    threading.Thread(target=tell_when_started, daemon=True).start()
    server.run(sockets=[sock])


def _free_port(host: str, port: int) -> int:
    """``port`` if nothing holds it (a plain bind, which SO_REUSEPORT sockets of another
    ``serve`` also refuse), else OSError; for port 0, the one the kernel picks."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return int(probe.getsockname()[1])


def serve(workers: int, host: str, port: int, log_level: str) -> int:
    port = _free_port(host, port)
    reserved = listener(host, port)  # holds the port; never listens, never accepts
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    def start() -> tuple[BaseProcess, Event]:
        ready = context.Event()
        process = context.Process(target=_worker, args=(host, port, log_level, ready))
        process.start()
        return process, ready

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    running = [start() for _ in range(workers)]
    try:
        while not stopping:
            for i, (process, ready) in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                if not ready.is_set():
                    log.error("worker %s failed to start (exit %s)", process.pid, process.exitcode)
                    stopping, status = True, 1
                    break
                log.warning(
                    "worker %s exited (%s); starting another", process.pid, process.exitcode
                )
                running[i] = start()
            time.sleep(0.2)
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes its requests and stops
        deadline = time.monotonic() + STOP_SECONDS
        for process, _ in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        reserved.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
