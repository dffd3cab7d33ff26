"""Counting a server's flushes to disk under strace, for benchmarks/durability.py and
tests/store/test_durability.py: serve under :func:`traced`, read :func:`count` before
and after the requests, stop with :func:`stop_traced`."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from pathlib import Path

FLUSH = re.compile(r"\b(fsync|fdatasync)\(")


def traced(strace: str, trace: Path, command: list[str]) -> list[str]:
    """``command`` run under strace, its children too, writing each fsync/fdatasync
    to ``trace``."""
    return [strace, "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", str(trace), *command]


def count(trace: Path) -> int:
    """fsync/fdatasync calls strace has written so far (a call strace shows in two
    parts, "<unfinished ...>" and "resumed", counts once)."""
    if not trace.exists():
        return 0
    return sum(
        1 for line in trace.read_text().splitlines() if FLUSH.search(line) and "resumed" not in line
    )


def stop_traced(process: subprocess.Popen[bytes]) -> None:
    """Stop the server strace runs (strace itself waits for it), then strace."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    pids = children.read_text().split() if children.exists() else []
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
