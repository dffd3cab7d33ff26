"""The ASGI application. ``create_app(settings)`` builds everything; importing this
module builds nothing."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from verdigris.config import Settings, configure_logging
from verdigris.delivery import DeliveryConfig, DeliveryWorker
from verdigris.domain.errors import NotFound, Unauthenticated
from verdigris.domain.values import fits_int64, reject_nul
from verdigris.domain.webhooks import TargetRules
from verdigris.server import errors, openapi, render
from verdigris.server.auth import Authenticator
from verdigris.server.group_commit import GroupCommit
from verdigris.server.ratelimit import RateLimits
from verdigris.server.routes import Call, Reply, RouteSpec
from verdigris.server.routes import account as account_routes
from verdigris.server.routes import conversion as conversion_routes
from verdigris.server.routes import custom_fields as custom_field_routes
from verdigris.server.routes import leads as lead_routes
from verdigris.server.routes import search as search_routes
from verdigris.server.routes import webhooks as webhook_routes
from verdigris.services import Principal, Services
from verdigris.services.webhooks import WebhookConfig
from verdigris.store import open_store
from verdigris.store.base import Store
from verdigris.wire import catalogue

log = logging.getLogger("verdigris.server")
BASE = "/developer_api/v1"
JSON = "application/json"


def all_routes() -> list[RouteSpec]:
    return [
        *lead_routes.ROUTES,
        *account_routes.ROUTES,
        *search_routes.ROUTES,
        *conversion_routes.ROUTES,
        *custom_field_routes.ROUTES,
        *webhook_routes.ROUTES,
    ]


def webhook_config(settings: Settings) -> WebhookConfig:
    return WebhookConfig(settings.webhook_delay, settings.webhook_mode, target_rules(settings))


def target_rules(settings: Settings) -> TargetRules:
    hosts = frozenset(
        h.strip().lower() for h in settings.webhook_allow_hosts.split(",") if h.strip()
    )
    return TargetRules(hosts, settings.webhook_allow_private)


def delivery_config(settings: Settings) -> DeliveryConfig:
    return DeliveryConfig(
        mode=settings.webhook_mode,
        targets=target_rules(settings),
        timeout=settings.webhook_timeout,
        lease_seconds=settings.webhook_lease_seconds,
        inbox_size=settings.webhook_inbox_size,
    )


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(render.encoder.encode(payload), status, headers, media_type=JSON)


def error_response(exc: Exception) -> Response:
    status, body, headers = errors.render(exc)
    return json_response(body, status, headers)


class Runtime:
    """What every request needs: services, auth, limits, and how to run blocking work."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.services = Services(store, bulk_limit=settings.bulk_limit)
        self.auth = Authenticator(self.services.authenticate)
        self.limits = RateLimits(settings)
        # Short local calls (SQLite): running them on the event loop beats a thread
        # hop. Network databases go to the thread pool.
        self.inline = store.capabilities.inline
        # ...and writes that gain from sharing commits share them (group_commit.py)
        self.group_commit = GroupCommit(store) if store.capabilities.group_commit else None
        # webhooks: the outbox written with every change, sent by a worker of this
        # process unless settings.webhook_delivery is off (verdigris.delivery)
        self.services.enable_webhooks(webhook_config(settings))
        self.delivery: DeliveryWorker | None = None
        if settings.webhook_delivery:
            group = self.group_commit
            self.delivery = DeliveryWorker(
                store,
                lambda: self.services.clock(),
                delivery_config(settings),
                run=self.run,
                # the sender's writes join the API's group commits (SQLite)
                write=group.run if group is not None else None,
            )

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.inline:
            return fn(*args)
        return await run_in_threadpool(fn, *args)

    async def run_route(self, spec: RouteSpec, call: Call) -> Any:
        """The route's function on the services; a write joins the next group commit,
        which the services then open their transaction through."""
        group = self.group_commit
        if spec.is_write and group is not None:
            result = await group.run(lambda batch: spec.fn(self.services.using(batch), call))
        else:
            result = await self.run(spec.fn, self.services, call)
        if spec.is_write and self.delivery is not None:
            self.delivery.notify()  # committed: an outbox row may be waiting
        return result

    async def read_body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise errors.BodyTooLarge(catalogue.BODY_TOO_LARGE_MESSAGE.format(limit=limit))
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise errors.BodyTooLarge(catalogue.BODY_TOO_LARGE_MESSAGE.format(limit=limit))
            chunks.append(chunk)
        return b"".join(chunks)


def make_endpoint(rt: Runtime, spec: RouteSpec) -> Callable[[Request], Awaitable[Response]]:
    async def authenticate(request: Request, token: str, email: str) -> Principal:
        # failed keys are limited per client address and email (ratelimit.check_auth)
        address = request.client.host if request.client else ""
        await rt.limits.check_auth(email, address)
        try:
            principal: Principal = await rt.run(rt.auth.authenticate, token, email)
        except Unauthenticated:
            await rt.limits.auth_failed(email, address)
            raise
        return principal

    async def endpoint(request: Request) -> Response:
        try:
            token, email = rt.auth.credentials(request.headers)
            principal = rt.auth.cached(token, email) or await authenticate(request, token, email)
            await rt.limits.check(principal.user_id, bulk=spec.bulk)
            raw = await rt.read_body(request)
            body = render.decode_body(raw)
            check_input(raw, body, request)
            call = Call(principal, body, request.path_params, request.query_params)
            result = await rt.run_route(spec, call)
        except Exception as exc:  # every error leaves as Copper JSON
            return error_response(exc)
        if isinstance(result, Reply):
            return json_response(result.payload, headers=result.headers)
        return json_response(result)

    endpoint.__name__ = spec.fn.__name__
    return endpoint


def dispatch(
    by_method: dict[str, Callable[[Request], Awaitable[Response]]],
) -> Callable[[Request], Awaitable[Response]]:
    """One endpoint for the methods of a path (HEAD is answered as GET)."""
    if len(by_method) == 1:
        return next(iter(by_method.values()))

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await by_method[method](request)

    return endpoint


def check_input(raw: bytes, body: Any, request: Request) -> None:
    """What no route takes: an id in the path past 64 bits (no such resource), a NUL
    character anywhere in the body or the query string (422)."""
    if any(isinstance(v, int) and not fits_int64(v) for v in request.path_params.values()):
        raise NotFound(catalogue.NOT_FOUND_MESSAGE)
    # JSON can only carry a NUL escaped: bodies without the escape need no walk
    reject_nul(body if b"\\u0000" in raw else None, request.query_params.multi_items())


async def _not_found(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and exc.status_code == 405:
        response = error_response(errors.MethodNotAllowed(catalogue.METHOD_NOT_ALLOWED_MESSAGE))
        allow = (exc.headers or {}).get("Allow", "")
        response.headers["Allow"] = ", ".join(sorted(m.strip() for m in allow.split(",")))
        return response
    return error_response(errors.RouteNotFound(catalogue.NOT_FOUND_MESSAGE))


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(exc)


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> Starlette:
    """Build the ASGI app. Opens (and migrates) the store unless one is given."""
    settings = settings or Settings.from_env()
    owns_store = store is None
    if store is None:
        store = open_store(
            settings.db, pool_size=settings.db_pool_size, durability=settings.durability
        )
        store.migrate()
    rt = Runtime(settings, store)
    specs = all_routes()
    spec_doc = render.encoder.encode(openapi.build(specs))

    async def openapi_json(request: Request) -> Response:
        return Response(spec_doc, media_type=JSON)

    by_path: dict[str, dict[str, RouteSpec]] = {}
    for spec in specs:
        by_path.setdefault(spec.full_path, {})[spec.method] = spec
    routes = [Route("/openapi.json", openapi_json, methods=["GET"])]
    for path, methods in by_path.items():
        # one route per path, so that a 405 lists every method of the path in ``Allow``
        endpoint = dispatch({m: make_endpoint(rt, spec) for m, spec in methods.items()})
        for variant in (path, path + "/"):
            routes.append(Route(variant, endpoint, methods=list(methods)))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if rt.delivery is not None:
            rt.delivery.start()
        yield
        if rt.delivery is not None:
            await rt.delivery.stop()
        await rt.limits.close()
        if owns_store:
            store.close()
            log.info("store closed")

    app = Starlette(
        routes=routes,
        exception_handlers={404: _not_found, 405: _not_found, 500: _server_error},
        lifespan=lifespan,
    )
    app.state.runtime = rt
    return app


def app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory`` (used by ``verdigris serve --workers N``).

    Each worker process calls it: the settings come from the ``VERDIGRIS_*`` variables
    that ``verdigris serve`` exported before starting uvicorn."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    app = create_app(settings)
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Keep what the worker built at start-up out of the garbage collector's passes.

    Modules, routes, SQLAlchemy's tables and the store's compiled statements live as
    long as the process; a full collection walked all of them (~90,000 objects), a
    25-30 ms pause of the event loop every few thousand requests, with every request
    in flight waiting behind it (docs/performance.md). ``gc.freeze`` moves them to a
    generation the collector never scans; garbage made later is collected as before.
    """
    gc.collect()
    gc.freeze()
