"""The ASGI application. ``create_app(settings)`` builds everything; importing this
module builds nothing."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from verdigris.clock import Clock
from verdigris.config import Settings, configure_logging
from verdigris.delivery import DeliveryConfig, DeliveryWorker
from verdigris.domain.errors import NotFound, Unauthenticated
from verdigris.domain.values import fits_int64, reject_nul
from verdigris.domain.webhooks import TargetRules
from verdigris.server import errors, extensions, openapi, render
from verdigris.server.auth import Authenticator
from verdigris.server.group_commit import GroupCommit
from verdigris.server.ratelimit import RateLimits
from verdigris.server.routes import Call, Reply, RouteSpec
from verdigris.server.routes import account as account_routes
from verdigris.server.routes import activities as activity_routes
from verdigris.server.routes import conversion as conversion_routes
from verdigris.server.routes import custom_fields as custom_field_routes
from verdigris.server.routes import history as history_routes
from verdigris.server.routes import leads as lead_routes
from verdigris.server.routes import opportunities as opportunity_routes
from verdigris.server.routes import people as people_routes
from verdigris.server.routes import record_history as record_history_routes
from verdigris.server.routes import search as search_routes
from verdigris.server.routes import tasks as task_routes
from verdigris.server.routes import webhooks as webhook_routes
from verdigris.services import Principal, Services, idempotency, request_context
from verdigris.services.webhooks import WebhookConfig
from verdigris.store import open_store
from verdigris.store.base import Store
from verdigris.wire import catalogue

log = logging.getLogger("verdigris.server")
BASE = "/developer_api/v1"
JSON = "application/json"
#: where an endpoint leaves the authenticated caller in the ASGI scope (the emulator's
#: journal reads it; verdigris.emulator.middleware)
PRINCIPAL_KEY = "verdigris.principal"


def all_routes() -> list[RouteSpec]:
    return [
        *lead_routes.ROUTES,
        *account_routes.ROUTES,
        *search_routes.ROUTES,
        *conversion_routes.ROUTES,
        *custom_field_routes.ROUTES,
        *task_routes.ROUTES,
        *opportunity_routes.ROUTES,
        *activity_routes.ROUTES,
        *history_routes.ROUTES,
        *people_routes.ROUTES,
        *webhook_routes.ROUTES,
        *record_history_routes.ROUTES,
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


#: threads per worker for the store's calls on a network database (anyio's default limit)
THREADS = 40


class Runtime:
    """What every request needs: services, auth, limits, and how to run blocking work."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        #: the server's clock (verdigris/clock.py): what the services, the rate limits and
        #: the webhook sender read. Only the emulator moves it; without the emulator the
        #: services and limits keep their plain wall clock (nothing to look up per call)
        self.clock = Clock()
        if settings.emulator:
            self.services = Services(store, bulk_limit=settings.bulk_limit, clock=self.clock)
            self.limits = RateLimits(settings, clock=self.clock.time)
        else:
            self.services = Services(store, bulk_limit=settings.bulk_limit)
            self.limits = RateLimits(settings)
        self.services.idempotency_ttl = settings.idempotency_hours * 3600
        if settings.history:
            self.services.observe(self.services.record_version)
            self.services.observe(self.services.record_crm_version)
        self.auth = Authenticator(self.services.authenticate)
        # Short local calls (SQLite): running them on the event loop beats a thread
        # hop. Network databases go to the thread pool.
        self.inline = store.capabilities.inline
        # The threads network databases' calls run in: a plain executor, handed work with
        # loop.run_in_executor, costs the event loop about half what anyio's worker
        # threads do per call (docs/performance.md). As many threads as anyio's default
        # limit, so that a burst still waits in the pool (pool_timeout, then 503), not here.
        self.threads = None if self.inline else ThreadPoolExecutor(THREADS, "verdigris-db")
        # ...but the hot reads a store can run on the event loop itself run there
        self.loop_reads = store.loop_reads
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
        if self.threads is None:
            return fn(*args)
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(
            self.threads, context.run, fn, *args
        )

    async def run_route(self, spec: RouteSpec, call: Call, *, dry_run: bool = False) -> Any:
        """The route's function on the services; a write joins the next group commit,
        which the services then open their transaction through. A dry run runs alone,
        in a transaction rolled back at the end (``Store.rehearsal``).

        The work runs in its request's context (the request context of the history):
        a group commit runs several requests' work in one callback."""
        if spec.on_loop is not None and self.loop_reads is not None:
            answer = await spec.on_loop(self.services, call)  # a read: no dry run
            if answer is not None:
                return answer
        context = contextvars.copy_context()
        if dry_run:
            return await self.run(context.run, self._rehearse, spec, call)
        group = self.group_commit
        if spec.is_write and group is not None:
            result = await group.run(
                lambda batch: context.run(spec.fn, self.services.using(batch), call)
            )
        else:
            result = await self.run(context.run, spec.fn, self.services, call)
        if spec.is_write:
            self.wake_delivery()
        return result

    def wake_delivery(self) -> None:
        """A write committed: an outbox row may be waiting for the webhook sender."""
        if self.delivery is not None:
            self.delivery.notify()

    def _rehearse(self, spec: RouteSpec, call: Call) -> Any:
        with self.store.rehearsal() as held:
            return spec.fn(self.services.using(held), call)

    async def run_keyed(
        self, spec: RouteSpec, call: Call, key: str, fingerprint: str
    ) -> tuple[idempotency.Answer, bool]:
        """A write sent with an ``Idempotency-Key``: run once, its answer stored with it
        (``services/idempotency.py``); ``(answer, replayed)``."""
        context = contextvars.copy_context()

        def answer(services: Services) -> tuple[idempotency.Answer, bool]:
            def work(through: Any) -> idempotency.Answer:
                result = spec.fn(services.using(through), call)
                if isinstance(result, Reply):
                    return 200, list(result.headers.items()), render.encoder.encode(result.payload)
                return 200, [], render.encoder.encode(result)

            return services.keyed(call.principal, key, fingerprint, work)

        group = self.group_commit
        if group is not None:
            keyed: tuple[idempotency.Answer, bool] = await group.run(
                lambda batch: context.run(answer, self.services.using(batch))
            )
        else:
            keyed = await self.run(context.run, answer, self.services)
        self.wake_delivery()
        return keyed

    def prune(self) -> None:
        """Drop history past its retention and expired idempotency keys."""
        settings, now = self.settings, self.services.clock()
        older = now - settings.history_keep_days * 86400 if settings.history_keep_days else None
        keep = settings.history_keep_versions or None
        self.services.prune_history(older_than=older, keep=keep)
        self.services.prune_keys(now - self.services.idempotency_ttl)

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

    # the route as versions record it: ``PUT /developer_api/v1/leads/{id}``
    route = f"{spec.method} {re.sub(r':[a-z]+}', '}', spec.full_path)}"
    takes_dry_run = (spec.method, spec.full_path) in extensions.DRY_RUNS
    takes_key = spec.is_write

    async def endpoint(request: Request) -> Response:
        request_id = extensions.new_request_id()
        dry = False
        try:
            token, email = rt.auth.credentials(request.headers)
            principal = rt.auth.cached(token, email) or await authenticate(request, token, email)
            request.scope[PRINCIPAL_KEY] = principal  # for the emulator's journal
            await rt.limits.check(principal.user_id, bulk=spec.bulk)
            raw = await rt.read_body(request)
            body = render.decode_body(raw)
            check_input(raw, body, request)
            call = Call(principal, body, request.path_params, request.query_params)
            request_context.current.set(
                request_context.RequestContext(
                    route, request_id, extensions.import_run(request.headers)
                )
            )
            dry = takes_dry_run and extensions.dry_run(request.query_params, request.headers)
            key = request.headers.get("idempotency-key") if takes_key and not dry else None
            if key is not None:
                response = await keyed(request, call, key)
            else:
                result = await rt.run_route(spec, call, dry_run=dry)
                if isinstance(result, Reply):
                    response = json_response(result.payload, headers=result.headers)
                else:
                    response = json_response(result)
        except Exception as exc:  # every error leaves as Copper JSON
            response = error_response(exc)
        response.headers["X-Verdigris-Request-Id"] = request_id
        if dry:
            response.headers["X-Verdigris-Dry-Run"] = "true"
        return response

    async def keyed(request: Request, call: Call, key: str) -> Response:
        idempotency.check_key(key)
        fingerprint = idempotency.fingerprint(
            spec.method,
            request.url.path.rstrip("/"),
            request.query_params.multi_items(),
            call.body,
        )
        (status, headers, payload), replayed = await rt.run_keyed(spec, call, key, fingerprint)
        response = Response(payload, status, dict(headers), media_type=JSON)
        if replayed:
            response.headers["X-Verdigris-Idempotent-Replay"] = "true"
        return response

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
            settings.db,
            pool_size=settings.db_pool_size,
            durability=settings.durability,
            loop_connections=settings.db_loop_connections,
        )
        store.migrate()
    rt = Runtime(settings, store)
    specs = all_routes()
    # built on the first GET /openapi.json, not at start-up: msgspec's schema generation
    # takes longer than everything else create_app does (docs/performance.md)
    spec_doc: list[bytes] = []

    async def openapi_json(request: Request) -> Response:
        if not spec_doc:
            spec_doc.append(render.encoder.encode(openapi.build(specs)))
        return Response(spec_doc[0], media_type=JSON)

    by_path: dict[str, dict[str, RouteSpec]] = {}
    for spec in specs:
        by_path.setdefault(spec.full_path, {})[spec.method] = spec
    routes: list[Route] = [Route("/openapi.json", openapi_json, methods=["GET"])]
    emulator = None
    if settings.emulator:  # its controls, journal, faults, clock (docs/emulator.md)
        from verdigris.emulator.core import install

        emulator, controls = install(rt)
        routes.extend(controls)
    for path, methods in by_path.items():
        # one route per path, so that a 405 lists every method of the path in ``Allow``
        endpoint = dispatch({m: make_endpoint(rt, spec) for m, spec in methods.items()})
        for variant in (path, path + "/"):
            routes.append(Route(variant, endpoint, methods=list(methods)))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # a second lifespan of the same app (another in-process client) leaves it alone
        sending = rt.delivery is not None and rt.delivery.start()
        pruning = asyncio.create_task(
            extensions.prune_forever(lambda: rt.run(rt.prune), settings.prune_interval_seconds)
        )
        yield
        pruning.cancel()
        if sending and rt.delivery is not None:
            await rt.delivery.stop()
        if emulator is not None:
            emulator.close()
        await rt.limits.close()
        if rt.loop_reads is not None:
            await rt.loop_reads.close()
        if rt.threads is not None:
            rt.threads.shutdown(wait=False)
        if owns_store:
            store.close()
            log.info("store closed")

    app = Starlette(
        routes=routes,
        exception_handlers={404: _not_found, 405: _not_found, 500: _server_error},
        lifespan=lifespan,
    )
    app.state.runtime = rt
    if emulator is not None:
        from verdigris.emulator.middleware import EmulatorMiddleware

        app.add_middleware(EmulatorMiddleware, emulator=emulator)
        app.state.emulator = emulator
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
    Only the young generations are collected first: start-up leaves next to no garbage
    in the old one (none at all measured), and a full pass over it cost 50-80 ms of the
    time to the first answer.
    """
    gc.collect(1)
    gc.freeze()
