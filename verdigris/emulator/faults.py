"""Fault rules: make matching requests fail, slow down, or lose their connection.

A rule matches on method, a glob on the path and the calling account, and then either
answers itself (``rate_limit``: Copper's 429 with ``Retry-After``; ``error``: a status
and body, Copper's 500 or 503 by default), adds latency before the request goes on
(``latency``), or drops the connection (``drop``). It fires for the next ``times``
matching requests (None: until removed) and, for each, with ``probability``.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from verdigris.domain.errors import RateLimited
from verdigris.server import errors
from verdigris.wire import catalogue

KINDS = ("rate_limit", "error", "latency", "drop")
#: the longest latency a rule may add, in milliseconds
MAX_LATENCY_MS = 60_000


class RuleError(ValueError):
    """A fault rule that cannot be made (the message says why)."""


@dataclass
class FaultRule:
    id: int
    kind: str
    method: str = "*"
    path: str = "*"
    #: None: every account (and requests without one)
    account_id: int | None = None
    #: remaining matches that fire (None: until removed)
    times: int | None = None
    probability: float = 1.0
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: int = 1
    latency_ms: int = 0
    #: requests this rule has fired on
    fired: int = 0

    def matches(self, method: str, path: str, account_id: int | None) -> bool:
        if self.method != "*" and self.method != method:
            return False
        if self.account_id is not None and self.account_id != account_id:
            return False
        return fnmatch.fnmatchcase(path, self.path)

    def answer(self) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON body, headers) of an answering rule."""
        if self.kind == "rate_limit":
            # the 429 verdigris itself answers when Copper's 180/minute is spent
            exc = RateLimited(
                catalogue.RATE_LIMITED_MESSAGE.format(
                    limit=catalogue.GENERAL_RATE_LIMIT,
                    amount=180,
                    multiples=1,
                    granularity="minute",
                    seconds=self.retry_after,
                ),
                self.retry_after,
            )
            status, body, headers = errors.render(exc)
            return status, body, {**headers, **self.headers}
        body = self.body
        headers = dict(self.headers)
        if body is None:
            message = (
                catalogue.UNAVAILABLE_MESSAGE
                if self.status == 503
                else catalogue.INTERNAL_ERROR_MESSAGE
            )
            body = {"success": False, "status": self.status, "message": message}
        if self.status == 503:
            headers.setdefault("Retry-After", str(self.retry_after))
        return self.status, body, headers

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "account_id": self.account_id,
            "times": self.times,
            "probability": self.probability,
            "fired": self.fired,
        }
        if self.kind == "error":
            out.update(status=self.status, body=self.body, headers=self.headers)
        elif self.kind == "rate_limit":
            out.update(retry_after=self.retry_after)
        elif self.kind == "latency":
            out.update(latency_ms=self.latency_ms)
        return out


def _number(data: Mapping[str, Any], name: str, default: Any, low: float, high: float) -> Any:
    value = data.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise RuleError(f"{name} must be a number from {low:g} to {high:g}")
    return value


class Faults:
    """The active rules, in the order they were added (the first match wins)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rules: list[FaultRule] = []
        self.rng = rng or random.Random()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, data: Any, *, account_id: int | None = None) -> FaultRule:
        """A rule from its JSON; ``account_id``, when given, is the only account it may name."""
        if not isinstance(data, Mapping):
            raise RuleError("a fault rule is a JSON object")
        kind = data.get("kind")
        if kind not in KINDS:
            raise RuleError(f"kind must be one of {', '.join(KINDS)}")
        method = str(data.get("method") or "*").upper()
        path = data.get("path") or "*"
        if not isinstance(path, str):
            raise RuleError("path must be a string (a glob such as /developer_api/v1/leads*)")
        target = data.get("account_id")
        if target is not None and (isinstance(target, bool) or not isinstance(target, int)):
            raise RuleError("account_id must be an integer")
        if account_id is not None:
            if target not in (None, account_id):
                raise RuleError("account_id must be your own account's")
            target = account_id
        times = _number(data, "times", None, 1, 1_000_000)
        status = _number(data, "status", 503 if kind == "drop" else 500, 100, 599)
        headers = data.get("headers") or {}
        if not isinstance(headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise RuleError("headers must be an object of strings")
        with self._lock:
            rule = FaultRule(
                id=next(self._ids),
                kind=kind,
                method=method,
                path=path,
                account_id=target,
                times=None if times is None else int(times),
                probability=float(_number(data, "probability", 1.0, 0, 1)),
                status=int(status),
                body=data.get("body"),
                headers=dict(headers),
                retry_after=int(_number(data, "retry_after", 1, 0, 86_400)),
                latency_ms=int(_number(data, "latency_ms", 0, 0, MAX_LATENCY_MS)),
            )
            self.rules.append(rule)
        return rule

    def visible(self, account_id: int | None) -> list[FaultRule]:
        """The rules a caller sees: all (admin, None) or its own account's."""
        with self._lock:
            return [r for r in self.rules if account_id is None or r.account_id == account_id]

    def remove(self, rule_id: int, account_id: int | None = None) -> bool:
        with self._lock:
            for rule in self.rules:
                if rule.id == rule_id and (account_id is None or rule.account_id == account_id):
                    self.rules.remove(rule)
                    return True
        return False

    def clear(self, account_id: int | None = None) -> None:
        with self._lock:
            self.rules = [
                r for r in self.rules if account_id is not None and r.account_id != account_id
            ]

    @property
    def needs_account(self) -> bool:
        """Whether some rule matches on the account (the caller must then be looked up)."""
        return any(r.account_id is not None for r in self.rules)

    def pick(self, method: str, path: str, account_id: int | None) -> FaultRule | None:
        """The first rule that matches and fires (using up one of its ``times``)."""
        with self._lock:
            for rule in self.rules:
                if not rule.matches(method, path, account_id):
                    continue
                if rule.probability < 1.0 and self.rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self.rules.remove(rule)
                return rule
        return None
