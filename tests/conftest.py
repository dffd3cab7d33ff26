"""Shared fixtures: real databases (SQLite files and PostgreSQL), the ASGI app over
HTTP, and live ``verdigris serve`` processes.

PostgreSQL comes from ``VERDIGRIS_TEST_POSTGRES_URL`` (default: the local server at
127.0.0.1:5432, database ``test``). Each test session works in a schema of its own,
dropped at the end. When no server answers, the PostgreSQL tests are skipped with
a reason that says so, unless ``VERDIGRIS_REQUIRE_POSTGRES=1`` (CI), which makes them
fail instead.

Redis comes from ``VERDIGRIS_TEST_REDIS_URL`` (default: the local server, database 15).
Each test gets its own key prefix and deletes only its own keys. Unreachable Redis
skips its tests loudly, or fails them under ``VERDIGRIS_REQUIRE_REDIS=1`` (CI).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.helpers import raw_post, reset
from verdigris.config import Settings
from verdigris.server.app import create_app
from verdigris.services import Principal, Services
from verdigris.store import normalize_url, open_store
from verdigris.store.base import Store
from verdigris.store.postgres import PostgresStore
from verdigris.store.sql import SqlStore

POSTGRES_URL = os.environ.get(
    "VERDIGRIS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("VERDIGRIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _unreachable(what: str, exc: Exception, require_variable: str) -> None:
    """Skip loudly, or fail when the environment says this server must be there."""
    reason = f"{what} IS NOT REACHABLE, these tests did not run: {exc}"
    if os.environ.get(require_variable) == "1":
        pytest.fail(f"{reason} ({require_variable}=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL whose connections work in a fresh schema of this test session."""
    admin = sa.create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    schema = f"vtest_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        _unreachable(f"POSTGRESQL AT {POSTGRES_URL}", exc, "VERDIGRIS_REQUIRE_POSTGRES")
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis, after a ping."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unreachable(f"REDIS AT {REDIS_URL}", exc, "VERDIGRIS_REQUIRE_REDIS")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; keys starting with it (no others) are deleted after."""
    import redis

    prefix = f"vtest-{os.getpid()}-{secrets.token_hex(4)}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))  # prefix, prefix-x
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="session", params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "verdigris.db")


@pytest.fixture(scope="session")
def session_store(db_url: str) -> Iterator[Store]:
    store = open_store(db_url)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def store(session_store: Store) -> Store:
    """The session's store, emptied for this test."""
    reset(session_store)
    return session_store


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[PostgresStore]:
    """PostgreSQL alone, for what only it has (SQLite runs one writer at a time, no pool)."""
    store = open_store(postgres_url)
    assert isinstance(store, PostgresStore)
    store.migrate()
    reset(store)
    yield store
    store.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlStore]:
    """A fresh migrated SQLite file of this test's own (for what only SQLite has)."""
    store = open_store(f"sqlite:///{tmp_path / 'own.db'}")
    assert isinstance(store, SqlStore)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def live_db(db_url: str, session_store: Store) -> str:
    """The session database, emptied, for ``verdigris serve`` processes (they migrate it)."""
    reset(session_store)
    return db_url


@pytest.fixture
def services(store: Store) -> Services:
    return Services(store)


@dataclass
class Api:
    """An HTTP client bound to one user's credentials."""

    client: TestClient
    email: str
    token: str
    principal: Principal

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-PW-AccessToken": self.token,
            "X-PW-Application": "developer_api",
            "X-PW-UserEmail": self.email,
        }

    def request(self, method: str, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        # the TestClient answers with httpx2's Response where httpx2 is installed (same API)
        response: Any = self.client.request(
            method, "/developer_api/v1" + path, json=json, headers=headers, **kw
        )
        return response  # type: ignore[no-any-return]

    def raw_post(
        self, headers: list[tuple[bytes, bytes]], body: bytes | list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """:func:`tests.helpers.raw_post` to POST /leads with these credentials first,
        then ``headers`` exactly as given; the ASGI messages sent back."""
        auth = [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
        return raw_post(self.client.app, auth + headers, body)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, json, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def create_lead(self, **fields: Any) -> dict[str, Any]:
        response = self.post("/leads", fields)
        assert response.status_code == 200, response.text
        return dict(response.json())


def lead_count(store: Store) -> int:
    """Rows in the leads table, read straight from the database."""
    from verdigris.store.sql import SqlStore

    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM leads").scalar_one())


def make_api(client: TestClient, services: Services, email: str, account: str) -> Api:
    user, token = services.add_user(email, account=account)
    return Api(client, email, token, Principal(user.id, user.account_id, user.email))


@pytest.fixture
def settings() -> Settings:
    return Settings(rate_limits=False)


@pytest.fixture
def client(store: Store, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def api(client: TestClient, services: Services) -> Api:
    return make_api(client, services, "ada@example.com", "Acme")


@pytest.fixture
def other_api(client: TestClient, services: Services) -> Api:
    """A user of another account."""
    return make_api(client, services, "bob@example.org", "Globex")


# --- live servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    process: subprocess.Popen[bytes]
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-PW-AccessToken": self.token,
            "X-PW-Application": "developer_api",
            "X-PW-UserEmail": self.email,
        }


def start_server(
    db_url: str, *extra: str, env: dict[str, str] | None = None, log: Path | None = None
) -> LiveServer:
    """Run ``verdigris serve`` in a subprocess and wait until it answers."""
    port = free_port()
    token = "live-" + secrets.token_hex(8)
    email = "live@example.com"
    subprocess.run(
        [sys.executable, "-m", "verdigris", "user", "add", email, "--token", token, "--db", db_url],
        check=True,
        capture_output=True,
    )
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "verdigris", "serve", "--db", db_url, "--port", str(port), *extra],
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    server = LiveServer(f"http://127.0.0.1:{port}", process, email, token)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"verdigris serve exited with {process.returncode}")
        try:
            httpx.get(server.base_url + "/openapi.json", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("verdigris serve did not answer within 30 s")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
