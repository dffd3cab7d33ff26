"""Rate limits and connection errors, against a real verdigris server: 429s honoured
after Retry-After, bulk calls paced to 3/s, idempotent calls retried, creates never
retried once they may have reached the server."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import lead_count
from tests.live import CountingTransport, Live, LiveFactory
from verdigris.client import (
    BulkItemFailure,
    LeadOut,
    Match,
    RateLimitedError,
    RetryPolicy,
    TransportError,
)

FAST = RetryPolicy(backoff_base=0.01)
BULK = "/developer_api/v1/leads/bulk_create"


def test_a_429_is_honoured_after_retry_after(live_factory: LiveFactory) -> None:
    # one bulk request per second, so that the second request is refused whatever the load
    live = live_factory(rate_limits=True, bulk_rate_limit_per_second=1)
    transport = CountingTransport()
    started = time.monotonic()
    with live.client(transport=transport, bulk_per_second=None) as client:
        results = client.bulk_create_leads([{"name": f"R{i}"} for i in range(25)])
    elapsed = time.monotonic() - started
    statuses = [status for _, _, status in transport.log]
    assert statuses[:2] == [200, 429], statuses
    assert statuses.count(200) == 3 and statuses[-1] == 200
    assert elapsed >= 1.0  # the server said Retry-After: 1
    assert [r.name for r in results if isinstance(r, LeadOut)] == [f"R{i}" for i in range(25)]
    assert lead_count(live.store) == 25


def test_bulk_calls_are_paced_to_three_per_second(live_factory: LiveFactory) -> None:
    live = live_factory(rate_limits=True)
    transport = CountingTransport()
    started = time.monotonic()
    with live.client(transport=transport) as client:  # default pacing: 3 bulk requests/s
        results = client.bulk_create_leads([{"name": f"P{i}"} for i in range(45)])
    assert [status for _, _, status in transport.log] == [200] * 5  # no 429 at all
    assert time.monotonic() - started >= 1.0
    assert all(isinstance(r, LeadOut) for r in results)


def test_rate_limit_retries_are_bounded(live_factory: LiveFactory) -> None:
    live = live_factory(rate_limits=True, rate_limit_per_minute=2)
    with live.client(retry=RetryPolicy(max_retry_after=5)) as client:
        client.account()
        client.account()
        started = time.monotonic()
        with pytest.raises(RateLimitedError) as caught:
            client.account()  # Retry-After is about a minute: over max_retry_after
        assert time.monotonic() - started < 5
        assert caught.value.retry_after is not None and caught.value.retry_after > 5
        assert caught.value.status == 429
        # a bulk call's refused requests become failure values, one per item
        results = client.bulk_create_leads([{"name": "a"}, {"name": "b"}])
    assert [type(r) for r in results] == [BulkItemFailure, BulkItemFailure]
    assert isinstance(results[0], BulkItemFailure)
    assert isinstance(results[0].error, RateLimitedError)


class FlakyTransport(httpx.HTTPTransport):
    """Real HTTP with faults injected in order: ``connect`` fails before sending;
    ``lost`` sends the request to the server, then drops the answer."""

    def __init__(self, *faults: str) -> None:
        super().__init__()
        self.faults = list(faults)
        self.sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.faults.pop(0) if self.faults else None
        if fault == "connect":
            raise httpx.ConnectError("connection refused (injected)", request=request)
        response = super().handle_request(request)
        response.read()
        self.sent += 1
        if fault == "lost":
            raise httpx.ReadError("connection reset (injected)", request=request)
        return response


def test_idempotent_calls_are_retried_on_connection_errors(live: Live) -> None:
    transport = FlakyTransport("lost", "connect")
    with live.client(transport=transport, retry=FAST) as client:
        lead = client.upsert_lead({"name": "Once", "email": None}, Match.name("Once"))
    assert lead.name == "Once"
    assert transport.sent == 2  # the lost one reached the server, and the retry
    assert lead_count(live.store) == 1


def test_a_create_is_not_retried_once_it_may_have_been_applied(live: Live) -> None:
    transport = FlakyTransport("lost")
    with live.client(transport=transport, retry=FAST) as client, pytest.raises(TransportError) as e:
        client.create_lead({"name": "Maybe"})
    assert e.value.maybe_applied and "not retried" in e.value.message
    assert transport.sent == 1
    assert lead_count(live.store) == 1  # created once, never twice


def test_a_create_that_never_left_is_retried(live: Live) -> None:
    transport = FlakyTransport("connect", "connect")
    with live.client(transport=transport, retry=FAST) as client:
        client.create_lead({"name": "Later"})
    assert lead_count(live.store) == 1


def test_connection_retries_are_bounded(live: Live) -> None:
    transport = FlakyTransport(*["connect"] * 10)
    with live.client(transport=transport, retry=FAST) as client, pytest.raises(TransportError) as e:
        client.account()
    assert not e.value.maybe_applied
    assert len(transport.faults) == 10 - 4  # the first try and 3 retries


def test_a_bulk_create_whose_answer_is_lost_is_a_failure_value(live: Live) -> None:
    """Without idempotency keys (as against Copper), a lost bulk_create is not retried."""
    transport = FlakyTransport("ok", "lost")
    items = [{"name": f"B{i}"} for i in range(15)]
    with live.client(
        transport=transport, retry=FAST, bulk_per_second=None, idempotency_keys=False
    ) as client:
        results = client.bulk_create_leads(items)
    assert [isinstance(r, LeadOut) for r in results] == [True] * 10 + [False] * 5
    failure = results[10]
    assert isinstance(failure, BulkItemFailure) and isinstance(failure.error, TransportError)
    assert failure.error.maybe_applied
    assert lead_count(live.store) == 15  # the lost request was applied once, not repeated


def test_a_keyed_create_whose_answer_is_lost_is_retried_against_verdigris(live: Live) -> None:
    """Once the server has answered as verdigris, creates carry a key and are retried."""
    transport = FlakyTransport("ok", "lost", "ok", "lost")
    items = [{"name": f"K{i}"} for i in range(15)]
    with live.client(transport=transport, retry=FAST, bulk_per_second=None) as client:
        client.account()
        lead = client.create_lead({"name": "Keyed"})
        results = client.bulk_create_leads(items)
    assert lead.name == "Keyed"
    assert all(isinstance(r, LeadOut) for r in results)
    assert transport.sent == 6  # two lost answers, each retried with its key
    assert lead_count(live.store) == 16  # each applied once


def test_keys_can_be_turned_off(live: Live) -> None:
    seen: list[str | None] = []

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.headers.get("Idempotency-Key"))
            return super().handle_request(request)

    with live.client(transport=Recording()) as client:
        client.create_lead({"name": "A"})
        client.get_lead(client.create_lead({"name": "B"}).id)
    with live.client(transport=Recording(), idempotency_keys=False) as client:
        client.create_lead({"name": "C"})
    assert seen[0] and seen[1] and seen[0] != seen[1]
    assert seen[2:] == [None, None]


def test_every_create_carries_its_own_key(live: Live) -> None:
    """Leads, tasks, people, companies, activities and the rest: every create sends an
    ``Idempotency-Key`` (docs/history.md), a fresh one each time."""
    seen: dict[str, str | None] = {}

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and not request.url.path.endswith("/search"):
                seen[request.url.path.rsplit("/v1/", 1)[1]] = request.headers.get("Idempotency-Key")
            return super().handle_request(request)

    with live.client(transport=Recording()) as client:
        lead = client.create_lead({"name": "Keyed"})
        client.create_task({"name": "Call back"})
        person = client.create_person({"name": "Pat Keyed"})
        client.create_company({"name": "Keyed Co"})
        client.create_activity(
            {"parent": {"type": "lead", "id": lead.id}, "type": {"category": "user", "id": 0},
             "details": "a note"}
        )  # fmt: skip
        client.bulk_create_activities(
            [{"parent": {"type": "person", "id": person.id}, "type": {"category": "user", "id": 0},
              "details": "bulk"}]
        )  # fmt: skip
        client.create_webhook({"target": "https://h.example/hook", "type": "lead", "event": "new"})
    assert set(seen) == {
        "leads", "tasks", "people", "companies", "activities", "activities/bulk_create", "webhooks"
    }  # fmt: skip
    keys = list(seen.values())
    assert all(keys) and len(set(keys)) == len(keys)
