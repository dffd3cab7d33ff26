"""Failed authentication is limited per client address and per email: guessing keys
gets Copper's 429 after a threshold, and valid users keep working."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.conftest import start_server, stop_server
from tests.loadgen import run_processes
from verdigris.config import Settings
from verdigris.server.app import create_app
from verdigris.services import Services
from verdigris.store.base import Store

ACCOUNT = "/developer_api/v1/account"
ATTACKER = "203.0.113.66"


def _headers(email: str, token: str) -> dict[str, str]:
    return {
        "X-PW-AccessToken": token,
        "X-PW-Application": "developer_api",
        "X-PW-UserEmail": email,
    }


def _app(store: Store, **settings: Any) -> Starlette:
    return create_app(Settings(rate_limits=False, **settings), store=store)


def _from(app: Starlette, address: str) -> TestClient:
    """A client of ``app`` whose requests come from ``address``."""
    return TestClient(app, client=(address, 40000), raise_server_exceptions=False)


def test_wrong_keys_from_one_address_get_429_after_the_threshold(
    store: Store, services: Services
) -> None:
    victim, victim_key = services.add_user("victim@example.com", account="Acme")
    other, other_key = services.add_user("other@example.com", account="Acme")
    app = _app(store, auth_failure_limit=5)
    attacker = _from(app, ATTACKER)
    wrong = _headers(victim.email, "guess")
    answers = [attacker.get(ACCOUNT, headers=wrong) for _ in range(200)]
    assert [r.status_code for r in answers] == [401] * 5 + [429] * 195
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 300
    body = refused.json()
    assert body["status"] == 429 and body["success"] is False
    assert body["message"].startswith("Too many failed authentication attempts")
    # the right key from the attacker's address is not even checked...
    assert attacker.get(ACCOUNT, headers=_headers(victim.email, victim_key)).status_code == 429
    # ...while valid users elsewhere, the victim included, are unaffected
    elsewhere = _from(app, "198.51.100.7")
    assert elsewhere.get(ACCOUNT, headers=_headers(victim.email, victim_key)).status_code == 200
    assert (
        _from(app, "198.51.100.8")
        .get(ACCOUNT, headers=_headers(other.email, other_key))
        .status_code
        == 200
    )


def test_an_email_under_attack_gives_each_address_one_guess(
    store: Store, services: Services
) -> None:
    victim, victim_key = services.add_user("target@example.com", account="Acme")
    app = _app(store, auth_failure_limit=3)
    wrong = _headers(victim.email, "guess")
    addresses = [f"10.0.0.{i}" for i in range(1, 7)]
    # a clean address gets its key checked even once the email is over the threshold
    assert [_from(app, a).get(ACCOUNT, headers=wrong).status_code for a in addresses] == [401] * 6
    # a second guess from any of them is refused unchecked: the email is over the threshold
    again = _from(app, addresses[0])
    assert again.get(ACCOUNT, headers=wrong).status_code == 429
    # that address is not over its own threshold: other emails still get checked
    stranger = _headers("nobody@example.com", "guess")
    assert again.get(ACCOUNT, headers=stranger).status_code == 401
    # the user itself, from a clean address, gets in
    clean = _from(app, "10.0.1.1")
    assert clean.get(ACCOUNT, headers=_headers(victim.email, victim_key)).status_code == 200


def test_valid_keys_are_not_counted(store: Store, services: Services) -> None:
    user, key = services.add_user("valid@example.com", account="Acme")
    app = _app(store, auth_failure_limit=2)
    app.state.runtime.auth.ttl = 0.0  # every request checks its key (no cache)
    client = _from(app, "192.0.2.1")
    codes = [client.get(ACCOUNT, headers=_headers(user.email, key)).status_code for _ in range(20)]
    assert codes == [200] * 20
    wrong = _headers(user.email, "guess")
    assert [client.get(ACCOUNT, headers=wrong).status_code for _ in range(3)] == [401, 401, 429]


def test_a_limit_of_0_turns_the_failed_authentication_limit_off(
    store: Store, services: Services
) -> None:
    app = _app(store, auth_failure_limit=0)
    client = _from(app, ATTACKER)
    wrong = _headers("victim@example.com", "guess")
    assert {client.get(ACCOUNT, headers=wrong).status_code for _ in range(50)} == {401}


def test_failed_auth_settings_from_the_environment() -> None:
    settings = Settings.from_env(
        {"VERDIGRIS_AUTH_FAILURE_LIMIT": "7", "VERDIGRIS_AUTH_FAILURE_WINDOW_SECONDS": "60"}
    )
    assert (settings.auth_failure_limit, settings.auth_failure_window_seconds) == (7, 60)
    assert Settings().auth_failure_limit == 10  # on by default
    with pytest.raises(ValueError, match="auth_failure"):
        Settings(auth_failure_limit=-1)


def _burst(base_url: str, headers: dict[str, str], n: int, threads: int) -> Counter[int]:
    job = {
        "start_at": time.time() + 1.5,
        "threads": threads,
        "headers": headers,
        "requests": [{"url": base_url, "method": "GET", "path": ACCOUNT}] * n,
    }
    results = run_processes([job])
    for r in results:
        if r["status"] == 429:
            assert r["body"]["status"] == 429
            assert "failed authentication" in r["body"]["message"]
    return Counter(r["status"] for r in results)


@pytest.mark.slow
def test_a_burst_of_200_wrong_keys_on_a_served_verdigris(db_url: str) -> None:
    server = start_server(db_url)  # default settings: a limit of 10 per address and email
    try:
        # uvicorn takes the client address from X-Forwarded-For sent by a local proxy
        wrong = {**server.headers, "X-PW-AccessToken": "guess", "X-Forwarded-For": ATTACKER}
        threads = 10
        counts = _burst(server.base_url, wrong, 200, threads)
        assert set(counts) == {401, 429}
        # requests in flight when the threshold is reached may still get their key checked
        assert 10 <= counts[401] <= 10 + threads, counts
        # the attacked user, from its own address, is served
        r = httpx.get(server.base_url + ACCOUNT, headers=server.headers)
        assert r.status_code == 200
    finally:
        stop_server(server)


def _sequential_wrong(base_url: str, headers: dict[str, str], n: int) -> Counter[int]:
    """``n`` wrong-key requests one after another, each on a new connection (so that
    they spread over the workers)."""
    return Counter(httpx.get(base_url + ACCOUNT, headers=headers).status_code for _ in range(n))


@pytest.mark.slow
@pytest.mark.redis
def test_two_workers_with_redis_share_the_failed_authentication_threshold(
    db_url: str, redis_url: str, redis_prefix: str
) -> None:
    env = {"VERDIGRIS_AUTH_FAILURE_LIMIT": "5", "VERDIGRIS_RATE_LIMIT_KEY_PREFIX": redis_prefix}
    # Without Redis each worker counts alone: more than 5 wrong keys get checked (it shows
    # these requests really spread over the two workers).
    alone = start_server(db_url, "--workers", "2", env=env)
    try:
        wrong = {**alone.headers, "X-PW-AccessToken": "guess", "X-Forwarded-For": ATTACKER}
        assert _sequential_wrong(alone.base_url, wrong, 40)[401] > 5
    finally:
        stop_server(alone)
    shared = start_server(db_url, "--workers", "2", "--redis-url", redis_url, env=env)
    try:
        wrong = {**shared.headers, "X-PW-AccessToken": "guess", "X-Forwarded-For": "192.0.2.99"}
        assert _sequential_wrong(shared.base_url, wrong, 40) == {401: 5, 429: 35}
        for _ in range(4):  # the user itself, from its own address, on either worker
            r = httpx.get(shared.base_url + ACCOUNT, headers=shared.headers)
            assert r.status_code == 200
    finally:
        stop_server(shared)
