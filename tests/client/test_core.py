"""The SDK's I/O-free parts: the error table, pacing windows, the retry policy, and the
promise that the sync and async clients offer the same methods."""

from __future__ import annotations

import inspect
import random

import msgspec
import pytest

from verdigris.client import (
    AmbiguousMatchError,
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    CopperError,
    NotFoundError,
    RateLimitedError,
    RequestTooLargeError,
    RetryPolicy,
    ServerError,
    ValidationError,
    VerdigrisClientError,
)
from verdigris.client.errors import error_for, retry_after_seconds
from verdigris.client.pacing import Pacer, SlidingWindow


def err(status: int, body: object, headers: dict[str, str] | None = None) -> Exception:
    return error_for(status, headers or {}, msgspec.json.encode(body))


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, {"message": "Malformed JSON"}, BadRequestError),
        (401, {"success": False, "status": 401, "message": "Invalid"}, AuthenticationError),
        (403, {"message": "Forbidden"}, AuthenticationError),
        (404, {"message": "Resource not found"}, NotFoundError),
        (413, {"message": "too big"}, BadRequestError),
        (422, {"message": "Invalid input: Name: can't be blank"}, ValidationError),
        (422, {"error": "Request size too large, limit is 10"}, RequestTooLargeError),
        (422, {"message": "3 leads match", "ids": [1, 2, 3]}, AmbiguousMatchError),
        (429, {"message": "API rate limit exceeded"}, RateLimitedError),
        (500, {"message": "Internal server error"}, ServerError),
        (503, {"message": "busy"}, ServerError),
    ],
)  # fmt: skip
def test_error_table(status: int, body: object, kind: type[Exception]) -> None:
    error = err(status, body)
    assert type(error) is kind
    assert isinstance(error, CopperError) and VerdigrisClientError is CopperError


def test_validation_error_fields_and_copper_wording() -> None:
    error = err(422, {"message": "Invalid input", "errors": {"name": [{"error": "blank"}]}})
    assert isinstance(error, ValidationError) and error.errors == {"name": ["blank"]}
    copper = err(422, {"success": False, "status": 422, "message": "Invalid input: x"})
    assert isinstance(copper, ValidationError) and copper.errors == {}


def test_too_large_is_a_validation_error_with_the_limit() -> None:
    error = err(422, {"error": "Request size too large, limit is 10"})
    assert isinstance(error, RequestTooLargeError) and isinstance(error, ValidationError)
    assert error.limit == 10 and error.message == "Request size too large, limit is 10"


def test_ambiguous_from_the_message_alone() -> None:
    """Copper's exact body is undocumented; its message is enough."""
    many = err(422, {"message": "More than 30 leads match the given criteria; refine the match"})
    assert isinstance(many, AmbiguousMatchError) and many.ids == []
    assert isinstance(err(422, {"message": "Multiple matches found"}), AmbiguousMatchError)
    assert isinstance(err(422, {"message": "Name: can't be blank"}), ValidationError)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    error = err(429, {"message": "slow down"}, {"retry-after": "7"})
    assert isinstance(error, RateLimitedError) and error.retry_after == 7
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_a_non_json_error_body_still_gives_a_message() -> None:
    error = error_for(502, {}, b"<html>Bad gateway</html>")
    assert isinstance(error, ServerError) and "Bad gateway" in error.message


def test_window_allows_limit_per_period() -> None:
    window = SlidingWindow(3, 1.0, margin=0.0)
    slots = []
    for _ in range(7):
        at = window.earliest(0.0)
        window.take(at)
        slots.append(at)
    assert slots == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0]


def test_pacer_staggers_callers_and_pauses_after_a_429() -> None:
    now = [100.0]
    pacer = Pacer(bulk_per_second=3, per_minute=None, clock=lambda: now[0])
    assert [round(pacer.reserve(bulk=True).delay, 2) for _ in range(4)] == [0, 0, 0, 1.05]
    assert pacer.reserve(bulk=False).delay == 0  # plain calls are not bulk-paced
    pacer.pause(5)
    assert pacer.reserve(bulk=False).delay == 5


def test_pacer_counts_a_request_from_its_answer() -> None:
    """Latency cannot squeeze four bulk requests into one server-side second."""
    now = [0.0]
    pacer = Pacer(bulk_per_second=3, clock=lambda: now[0])
    tickets = [pacer.reserve(bulk=True) for _ in range(3)]
    now[0] = 0.4  # the answers come back late
    for ticket in tickets:
        pacer.done(ticket)
    assert pacer.reserve(bulk=True).delay == pytest.approx(1.05)  # from 0.4, not from 0


def test_pacer_general_limit() -> None:
    now = [0.0]
    pacer = Pacer(bulk_per_second=None, per_minute=180, clock=lambda: now[0])
    waits = [pacer.reserve(bulk=False).delay for _ in range(181)]
    assert waits[:180] == [0.0] * 180 and waits[180] == pytest.approx(60.05)


def test_retry_policy_is_bounded_and_jittered() -> None:
    policy = RetryPolicy(rng=random.Random(1))
    waits = [policy.after_rate_limit(n, 2.0) for n in range(6)]
    assert waits[5] is None
    assert all(w is not None and 2.0 <= w <= 2.3 for w in waits[:5])
    assert len({waits[0], waits[1], waits[2]}) == 3  # jittered
    assert policy.after_rate_limit(0, 500.0) is None  # longer than max_retry_after
    assert policy.after_transient(0, safe=False) is None
    transient = [policy.after_transient(n, safe=True) for n in range(4)]
    assert transient[3] is None and all(0 <= (w or 0) <= 1 for w in transient[:3])


def test_sync_and_async_clients_offer_the_same_methods() -> None:
    def public(cls: type) -> dict[str, inspect.Signature]:
        return {
            name: inspect.signature(fn)
            for name, fn in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_") and name not in ("close", "aclose")
        }

    sync, aio = public(Client), public(AsyncClient)
    assert sync.keys() == aio.keys()
    for name, signature in sync.items():
        assert list(signature.parameters) == list(aio[name].parameters), name
        if name == "search_leads":  # both hand back an iterator: sync, or async
            continue
        assert inspect.iscoroutinefunction(getattr(AsyncClient, name)), name
