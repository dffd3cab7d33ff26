"""Thin route functions: parse the call, run one service, return a wire object.

Each route is a plain synchronous function ``(services, call) -> reply`` so that it
can run on the event loop (SQLite) or in a worker thread (PostgreSQL), and be
tested without HTTP. :mod:`verdigris.server.app` registers them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from verdigris.services import Principal, Services


@dataclass
class Call:
    """One authenticated request, as a route sees it."""

    principal: Principal
    body: Any
    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    """A wire object to encode, with extra response headers."""

    payload: Any
    headers: dict[str, str] = field(default_factory=dict)


RouteFn = Callable[[Services, Call], Any]

#: where Copper's routes live
COPPER_BASE = "/developer_api/v1"
#: where verdigris's own extensions live (never inside Copper's paths or bodies)
EXTENSION_BASE = "/verdigris/v1"


@dataclass(frozen=True)
class RouteSpec:
    """An endpoint: method, path under ``base``, and its function.

    Copper's endpoints live under :data:`COPPER_BASE`; verdigris's extensions set
    ``base=EXTENSION_BASE`` and otherwise work the same way (auth, limits, errors)."""

    method: str
    path: str
    fn: RouteFn
    summary: str
    bulk: bool = False
    request: type | None = None
    response: Any = None
    #: whether the route writes (None: every method but GET does); writes on SQLite
    #: share commits with concurrent ones (verdigris.server.group_commit)
    writes: bool | None = None
    #: the prefix of ``path``
    base: str = COPPER_BASE
    #: the route on the event loop, where the store has hot reads there
    #: (``Store.loop_reads``, PostgreSQL): no thread hop (verdigris.store.postgres_loop);
    #: None from it: ``fn`` answers instead, as usual
    on_loop: Callable[[Services, Call], Awaitable[Any]] | None = None

    @property
    def full_path(self) -> str:
        return self.base + self.path

    @property
    def is_write(self) -> bool:
        return self.method != "GET" if self.writes is None else self.writes
