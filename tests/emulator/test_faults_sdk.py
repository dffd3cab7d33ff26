"""Each fault type as the SDK sees it, through a real server (the pytest plugin's
in-process uvicorn): the 429's Retry-After waited for, a 500 raised, a 503 retried,
latency added, a dropped connection retried or raised."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from verdigris.client import Client, RetryPolicy
from verdigris.client.errors import RateLimitedError, ServerError, TransportError
from verdigris.testing import CopperEmulator, EmulatorServer

LEADS = "/developer_api/v1/leads*"
pytestmark = pytest.mark.slow  # a real server, and waits of a second or more


@pytest.fixture(scope="module")
def running() -> Iterator[CopperEmulator]:
    with EmulatorServer() as server:
        emulator = CopperEmulator(server)
        yield emulator
        emulator.close()


@pytest.fixture
def copper(running: CopperEmulator) -> CopperEmulator:
    running.reset()
    return running


def test_a_rate_limit_fault_is_coppers_429_and_the_sdk_waits_its_retry_after(
    copper: CopperEmulator,
) -> None:
    copper.fault("rate_limit", path=LEADS, times=1, retry_after=1)
    started = time.monotonic()
    lead = copper.client.create_lead({"name": "Patient"})
    assert time.monotonic() - started >= 1.0  # Retry-After honoured, not earlier
    assert lead.name == "Patient"
    journal = copper.journal(path=LEADS)
    assert [e["status"] for e in journal] == [429, 200]
    assert journal[0]["response"]["headers"]["retry-after"] == "1"
    assert journal[0]["request"]["body"] == journal[1]["request"]["body"] == '{"name":"Patient"}'
    assert journal[0]["fault"] is not None and journal[1]["fault"] is None
    assert journal[0]["response"]["body"] == (
        '{"success":false,"status":429,"message":"API rate limit exceeded: '
        'at most 180 per 1 minute; retry after 1s"}'
    )
    # past the SDK's patience: RateLimitedError with the server's Retry-After
    copper.fault("rate_limit", path=LEADS, retry_after=500)
    with pytest.raises(RateLimitedError):
        copper.client.create_lead({"name": "Impatient"})


def test_a_500_is_raised_and_a_503_retried(copper: CopperEmulator) -> None:
    copper.fault("error", status=500, path=LEADS, times=1)
    with pytest.raises(ServerError) as raised:
        copper.client.create_lead({"name": "x"})
    assert raised.value.status == 500
    made = copper.client.create_lead({"name": "y"})
    copper.fault("error", status=503, method="GET", path=LEADS, times=2, retry_after=0)
    assert copper.client.get_lead(made.id).name == "y"  # two 503s, then the lead
    assert [e["status"] for e in copper.journal(method="GET")] == [503, 503, 200]


def test_latency_is_added(copper: CopperEmulator) -> None:
    copper.fault("latency", latency_ms=300, path="/developer_api/v1/account", times=1)
    started = time.monotonic()
    copper.client.account()
    assert time.monotonic() - started >= 0.3
    assert copper.journal()[-1]["duration_ms"] >= 300


def test_a_dropped_connection_is_retried_when_safe_and_raised_when_not(
    copper: CopperEmulator,
) -> None:
    copper.fault("drop", method="GET", path="/developer_api/v1/account", times=1)
    assert copper.client.account().name == copper.account  # retried
    entries = copper.journal(path="/developer_api/v1/account")
    assert [e["dropped"] for e in entries] == [True, False]
    copper.fault("drop", method="POST", path="/developer_api/v1/leads", times=1)
    client = Client(copper.base_url, copper.token, copper.email, retry=RetryPolicy())
    with client, pytest.raises(TransportError):
        client.create_lead({"name": "maybe"})  # not idempotent: not retried


def test_rules_are_listed_and_removed(copper: CopperEmulator) -> None:
    rule = copper.fault("error", status=500, path="/nowhere")
    assert [r["id"] for r in copper.faults()] == [rule["id"]]
    copper.controls.delete(f"/emulator/faults/{rule['id']}").raise_for_status()
    assert copper.faults() == []
    copper.fault("drop", path="/nowhere")
    copper.clear_faults()
    assert copper.faults() == []
