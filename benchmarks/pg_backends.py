"""The PostgreSQL backends serving a verdigris server's connections, for the database
CPU per request (docs/deploy.md sizes PostgreSQL from it).

A backend is found from the worker's side: each TCP socket a worker holds to the
PostgreSQL port has a local port, and ``pg_stat_activity.client_port`` names the backend
serving it. Only this server's backends are counted, not the other work the database
server does at the same time.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from benchmarks.dataset import pg_admin


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _client_ports(pids: list[int], server_port: int) -> set[int]:
    """Local ports of the TCP connections these processes hold to ``server_port``."""
    inodes = set().union(*(_socket_inodes(p) for p in pids)) if pids else set()
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == server_port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def backend_pids(pg_url: str, worker_pids: list[int]) -> list[int]:
    """The PostgreSQL backends (pids on this machine) serving these workers."""
    port = sa.engine.make_url(pg_url).port or 5432
    ports = _client_ports(worker_pids, port)
    if not ports:
        return []
    engine = pg_admin(pg_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL"
                )
            ).all()
    finally:
        engine.dispose()
    return [int(pid) for pid, client_port in rows if client_port in ports]
