"""The request journal: the last N requests and their answers, in a bounded ring.

Each entry keeps the method, path, query, status, headers (without credentials), the
bodies up to a size, the duration, who called (account, user) and the caller's rate
limit counters after the request. The ring holds at most ``size`` entries (the oldest
go first) and each body at most ``body_bytes``, so the journal never grows unbounded.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: headers never recorded (credentials); names lower-cased
SECRET_HEADERS = frozenset(
    {"x-pw-accesstoken", "x-verdigris-admin-token", "authorization", "cookie", "set-cookie"}
)
#: what replaces a secret header's value
REDACTED = "[redacted]"


def clean_headers(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """ASGI headers as a dict, every credential replaced by :data:`REDACTED`."""
    out: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = REDACTED if name in SECRET_HEADERS else raw_value.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def clip(body: bytes, limit: int) -> tuple[str, bool]:
    """``body`` as text, cut to ``limit`` bytes; and whether it was cut."""
    cut = len(body) > limit
    return body[:limit].decode("utf-8", "replace"), cut


@dataclass
class Entry:
    id: int
    #: when the request arrived, on the server's clock (Unix seconds)
    at: float
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: str
    request_body_truncated: bool
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    response_body_truncated: bool = False
    duration_ms: float = 0.0
    account_id: int | None = None
    user_id: int | None = None
    #: the caller's rate limit windows after this request: requests left in each
    rate_limits: dict[str, int] = field(default_factory=dict)
    #: the fault rule that answered or delayed this request, if any
    fault: int | None = None
    #: the connection was dropped (a fault) instead of answered
    dropped: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "account_id": self.account_id,
            "user_id": self.user_id,
            "rate_limits": self.rate_limits,
            "fault": self.fault,
            "dropped": self.dropped,
            "request": {
                "headers": self.request_headers,
                "body": self.request_body,
                "truncated": self.request_body_truncated,
            },
            "response": {
                "headers": self.response_headers,
                "body": self.response_body,
                "truncated": self.response_body_truncated,
            },
        }


@dataclass(frozen=True)
class JournalFilter:
    """Which entries a reader sees: all its filters must match."""

    #: None: every account (an admin); else only this account's requests
    account_id: int | None = None
    only_account: bool = False
    method: str | None = None
    #: a glob on the path (``/developer_api/v1/leads*``)
    path: str | None = None
    status: int | None = None
    #: entries with an id greater than this (for polling)
    after: int = 0
    limit: int = 100

    @classmethod
    def from_query(cls, query: Mapping[str, str], **fixed: Any) -> JournalFilter:
        def integer(name: str, default: int | None) -> int | None:
            raw = query.get(name)
            if raw is None or raw == "":
                return default
            if not raw.isascii() or not raw.lstrip("-").isdigit():
                raise ValueError(f"{name} must be a whole number")
            return int(raw)

        values: dict[str, Any] = {
            "method": (query.get("method") or "").upper() or None,
            "path": query.get("path") or None,
            "status": integer("status", None),
            "after": integer("after", 0) or 0,
            "limit": max(1, min(1000, integer("limit", 100) or 100)),
        }
        if (account := integer("account_id", None)) is not None:
            values.update(account_id=account, only_account=True)
        values.update(fixed)
        return cls(**values)

    def matches(self, entry: Entry) -> bool:
        if self.only_account and entry.account_id != self.account_id:
            return False
        if self.method and entry.method != self.method:
            return False
        if self.path and not fnmatch.fnmatchcase(entry.path, self.path):
            return False
        if self.status is not None and entry.status != self.status:
            return False
        return entry.id > self.after


class Journal:
    """The ring. Thread-safe (entries are written on the event loop, read anywhere)."""

    def __init__(self, size: int = 1000, body_bytes: int = 4096) -> None:
        self.size = size
        self.body_bytes = body_bytes
        self._ring: deque[Entry] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def open(
        self,
        at: float,
        method: str,
        path: str,
        query: str,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
    ) -> Entry:
        text, cut = clip(body, self.body_bytes)
        with self._lock:
            entry = Entry(
                next(self._ids), at, method, path, query, clean_headers(headers), text, cut
            )
            self._ring.append(entry)
        return entry

    def entries(self, where: JournalFilter) -> list[Entry]:
        """The newest matching entries (at most ``where.limit``), oldest first."""
        with self._lock:
            found = [e for e in reversed(self._ring) if where.matches(e)]
        return list(reversed(found[: where.limit]))

    def clear(self, account_id: int | None = None) -> None:
        """Forget every entry, or only ``account_id``'s."""
        with self._lock:
            if account_id is None:
                self._ring.clear()
            else:
                kept = [e for e in self._ring if e.account_id != account_id]
                self._ring = deque(kept, maxlen=self.size)

    def __len__(self) -> int:
        return len(self._ring)
