"""A real verdigris server in a thread of the test process, for the SDK and the CLI tests
(their conftest files import the fixtures from here).

The server runs the ASGI app of ``create_app`` under uvicorn on a free loopback port,
over the test's engine-parametrized ``store``; the SDK talks to it over real HTTP.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from tests.conftest import free_port
from verdigris.client import AsyncClient, Client
from verdigris.config import Settings
from verdigris.server.app import create_app
from verdigris.services import Principal, Services
from verdigris.store.base import Store


@dataclass
class Live:
    """A served verdigris and the credentials of one of its users."""

    base_url: str
    email: str
    token: str
    principal: Principal
    store: Store

    def client(self, **kw: Any) -> Client:
        return Client(self.base_url, self.token, self.email, **kw)

    def async_client(self, **kw: Any) -> AsyncClient:
        return AsyncClient(self.base_url, self.token, self.email, **kw)


def first_account_answer(
    process: subprocess.Popen[bytes], port: int, token: str, email: str, timeout: float = 30
) -> httpx.Response:
    """``GET /account`` on a ``verdigris serve`` subprocess, retried until it listens
    (failing if it exits or takes longer than ``timeout`` seconds)."""
    headers = {
        "X-PW-AccessToken": token,
        "X-PW-Application": "developer_api",
        "X-PW-UserEmail": email,
    }
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/developer_api/v1/account", headers=headers)
        except httpx.TransportError:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.1)


@contextmanager
def serve(store: Store, settings: Settings) -> Iterator[str]:
    """Serve ``create_app(settings, store)`` in a thread; yields the API's base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, store=store),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"verdigris:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the in-thread verdigris server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/developer_api/v1"
    finally:
        server.should_exit = True
        thread.join(20)


LiveFactory = Callable[..., Live]


@pytest.fixture
def live_factory(store: Store, services: Services) -> Iterator[LiveFactory]:
    """``live_factory(**settings)`` starts a server with those settings (rate limits off
    unless given) and returns it with a user of account Acme."""
    stack: list[Any] = []

    def start(**settings: Any) -> Live:
        settings.setdefault("rate_limits", False)
        ctx = serve(store, Settings(**settings))
        base_url = ctx.__enter__()
        stack.append(ctx)
        user, token = services.add_user(f"sdk{len(stack)}@example.com", account="Acme")
        principal = Principal(user.id, user.account_id, user.email)
        return Live(base_url, user.email, token, principal, store)

    yield start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)


@pytest.fixture
def live(live_factory: LiveFactory) -> Live:
    return live_factory()


class AsyncAsSync:
    """An AsyncClient driven from a loop in another thread, with the sync client's API,
    so one test body checks both clients."""

    def __init__(self, client: AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop

    def _wait(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(120)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kw: Any) -> Any:
            result = attr(*args, **kw)
            if isinstance(result, AsyncIterator):
                return iter(self._wait(_collect(result)))
            return self._wait(result)

        return call


async def _collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


@contextmanager
def sdk_client(kind: str, live: Live, **kw: Any) -> Iterator[Any]:
    """A sync ``Client`` or an ``AsyncClient`` behind :class:`AsyncAsSync`."""
    if kind == "sync":
        with live.client(**kw) as client:
            yield client
        return
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        aclient = asyncio.run_coroutine_threadsafe(_make(live, kw), loop).result(10)
        try:
            yield AsyncAsSync(aclient, loop)
        finally:
            asyncio.run_coroutine_threadsafe(aclient.aclose(), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _make(live: Live, kw: dict[str, Any]) -> AsyncClient:
    return live.async_client(**kw)


class CountingTransport(httpx.HTTPTransport):
    """Real HTTP, with a record of every request's path and its answer's status."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.log.append((request.method, request.url.path, response.status_code))
        return response


@pytest.fixture(params=["sync", "async"])
def sdk(request: pytest.FixtureRequest, live: Live) -> Iterator[Any]:
    """The SDK (both clients in turn) against a live verdigris, bulk pacing off."""
    with sdk_client(request.param, live, bulk_per_second=None) as client:
        yield client
