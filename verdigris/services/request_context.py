"""What the current request is, for what follows a write (the lead history): set by the
server's endpoint for each request, read by observers inside the request's transaction.

A :class:`contextvars.ContextVar`: each request runs in its own task, and the server
runs each route's work inside a copy of its request's context (group commit runs
several requests' work in one callback, a thread pool runs it elsewhere), so every
observer sees the request that made its change. Outside a request (the CLI's admin
commands, tests calling the services) the context is empty.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    """The request a write comes from."""

    #: the route, as ``METHOD /path/{pattern}``
    route: str | None = None
    #: the id the server gave the request (``X-Verdigris-Request-Id``)
    request_id: str | None = None
    #: the import run the request belongs to (``X-Verdigris-Import-Run``)
    import_run: str | None = None


NO_REQUEST = RequestContext()

current: ContextVar[RequestContext] = ContextVar("verdigris_request", default=NO_REQUEST)
