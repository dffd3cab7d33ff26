"""``verdigris serve --workers N`` on Linux: a listening socket per worker.

uvicorn's own ``--workers`` shares one listening socket between the processes, and the
worker that wakes first accepts whatever is waiting. Clients that keep their connections
open (wrk, SDKs, sync jobs with a connection pool) then often all land on one worker and
the others idle: benchmark runs showed splits of 0% / 100% CPU between two workers.
Here each worker binds its own socket with ``SO_REUSEPORT``, and the kernel spreads new
connections over the workers' sockets.

The supervisor checks the port is free, holds it with a bound socket that never
listens, starts the workers, replaces one that dies (backing off, up to 30 s, while
replacements fail to start), and on SIGINT or SIGTERM stops them all (uvicorn's graceful
shutdown in each) and exits 0. A first worker that exits on its own while starting (not
killed by a signal) stops the whole command with exit status 1. Workers get SIGTERM if
the supervisor itself dies, even by SIGKILL (``PR_SET_PDEATHSIG``), so none goes on
serving on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from types import FrameType

log = logging.getLogger("verdigris.serve")

APP = "verdigris.server.app:app_from_env"
#: how long stopping workers may take before they are killed
STOP_SECONDS = 20.0
#: the longest wait before starting again a worker that keeps failing to start
RESTART_MAX_SECONDS = 30.0
#: prctl(2): the signal a process gets when its parent dies
PR_SET_PDEATHSIG = 1


def supported() -> bool:
    """Whether the kernel spreads connections over SO_REUSEPORT sockets (Linux does)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listener(host: str, port: int, *, reuse_port: bool = True) -> socket.socket:
    """A TCP socket bound to ``host:port`` (not listening yet)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _die_with(parent: int) -> bool:
    """Ask Linux to SIGTERM this process when the supervisor dies (even by SIGKILL), so
    no worker keeps serving on its own; False if the supervisor is already gone."""
    # without prctl the supervisor's own shutdown still stops every worker
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    return os.getppid() == parent


def _worker(host: str, port: int, log_level: str, ready: Event, parent: int) -> None:
    import uvicorn

    if not _die_with(parent):
        return

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
    with listener(host, port, reuse_port=False) as probe:
        return int(probe.getsockname()[1])


@dataclass
class _Slot:
    """One worker's place: its process, or the moment to start it again."""

    process: BaseProcess | None  # None: waiting until ``not_before`` to start again
    ready: Event | None = None
    failures: int = 0  # starts in a row that never got ready
    not_before: float = 0.0

    @property
    def is_ready(self) -> bool:
        return self.ready is not None and self.ready.is_set()


def restart_delay(failures: int) -> float:
    """Seconds before starting again a worker whose last ``failures`` starts in a row
    never got ready: 2, 4, 8... up to :data:`RESTART_MAX_SECONDS` (0: it had served)."""
    # the exponent is capped: 2.0 ** 1024 overflows, after ~8.5 hours of failed starts
    return 0.0 if failures == 0 else min(RESTART_MAX_SECONDS, 2.0 ** min(failures, 16))


class Supervisor:
    """What ``serve`` does about its workers, one :meth:`tick` at a time.

    ``start(failures)`` starts a worker and returns its slot. A worker that served and
    exits is replaced at once; one that keeps failing to start (the database down, say)
    is retried after :func:`restart_delay`. Until every first worker is ready, a worker
    that exits on its own before it is ready ends the command instead (one killed by a
    signal is replaced).
    """

    def __init__(self, workers: int, start: Callable[[int], _Slot]) -> None:
        self.start = start
        self.slots = [start(0) for _ in range(workers)]
        self.starting = True

    def tick(self, now: float) -> int | None:
        """Start what is due and note what exited; the exit status when the command must
        stop (1: a first worker failed to start), else None."""
        if self.starting:
            self.starting = not all(slot.is_ready for slot in self.slots)
        for i, slot in enumerate(self.slots):
            if slot.process is None:
                if now >= slot.not_before:
                    self.slots[i] = self.start(slot.failures)
                continue
            if slot.process.is_alive():
                continue
            pid, code = slot.process.pid, slot.process.exitcode
            was_ready = slot.is_ready
            # a first worker that exits on its own while starting (a bad setting, the
            # database unreachable) ends the command; one killed by a signal is replaced
            if self.starting and not was_ready and (code is None or code >= 0):
                log.error("worker %s failed to start (exit %s)", pid, code)
                return 1
            failures = 0 if was_ready else slot.failures + 1
            delay = restart_delay(failures)
            log.warning("worker %s exited (%s); starting another in %.0f s", pid, code, delay)
            self.slots[i] = _Slot(None, None, failures, now + delay)
        return None

    def processes(self) -> list[BaseProcess]:
        return [slot.process for slot in self.slots if slot.process is not None]


def serve(workers: int, host: str, port: int, log_level: str) -> int:
    port = _free_port(host, port)
    reserved = listener(host, port)  # holds the port; never listens, never accepts
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    def start(failures: int) -> _Slot:
        ready = context.Event()
        args = (host, port, log_level, ready, os.getpid())
        process = context.Process(target=_worker, args=args)
        process.start()
        return _Slot(process, ready, failures)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    supervisor = Supervisor(workers, start)
    try:
        while not stopping:
            result = supervisor.tick(time.monotonic())
            if result is not None:
                status = result
                break
            time.sleep(0.2)
    finally:
        alive = supervisor.processes()
        for process in alive:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes its requests and stops
        deadline = time.monotonic() + STOP_SECONDS
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        reserved.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
