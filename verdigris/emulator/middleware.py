"""The emulator's ASGI middleware: faults first, then the journal records what left.

Every request outside the emulator's own controls goes through it. A fault rule that
matches may answer in the request's place, delay it, or drop the connection; then the
request (if it goes on) runs, and its entry in the journal gets the status, headers,
body, duration, caller and the caller's rate limit counters.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from verdigris.emulator.core import Emulator
from verdigris.emulator.journal import clean_headers, clip

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: paths of the emulator itself: never journaled, never faulted
CONTROL_PREFIXES = ("/verdigris/v1/emulator", "/verdigris/v1/journal", "/verdigris/ui")
#: where :func:`verdigris.server.app.make_endpoint` leaves the authenticated caller
PRINCIPAL_KEY = "verdigris.principal"


def is_control(path: str) -> bool:
    return path.startswith(CONTROL_PREFIXES)


class EmulatorMiddleware:
    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_control(scope["path"]):
            await self.app(scope, receive, send)
            return
        emu = self.emulator
        journal = emu.journal
        started = time.perf_counter()
        method = scope["method"]
        path = scope["path"]
        entry = journal.open(
            emu.clock.time(),
            method,
            path,
            scope.get("query_string", b"").decode("latin-1"),
            scope.get("headers", []),
            b"",
        )
        limit = journal.body_bytes
        request_body = bytearray()
        response_body = bytearray()

        async def receive_logged() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(request_body) <= limit:
                request_body.extend(message.get("body", b"")[: limit + 1 - len(request_body)])
            return message

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                entry.response_headers = clean_headers(message.get("headers", []))
            elif message["type"] == "http.response.body" and len(response_body) <= limit:
                response_body.extend(message.get("body", b"")[: limit + 1 - len(response_body)])
            await send(message)

        try:
            rule = None
            if emu.faults.rules:
                account = None
                if emu.faults.needs_account:
                    email = _header(scope, b"x-pw-useremail")
                    account = await emu.account_of(email)
                rule = emu.faults.pick(method, path, account)
            if rule is not None:
                entry.fault = rule.id
                if rule.kind == "latency":
                    await asyncio.sleep(rule.latency_ms / 1000)
                elif rule.kind == "drop":
                    entry.dropped = True
                    await _drop(send)
                    return
                else:
                    await _drain(receive_logged)  # the journal keeps what was sent
                    status, body, headers = rule.answer()
                    await _answer(send_logged, status, body, headers)
                    return
            await self.app(scope, receive_logged, send_logged)
        finally:
            entry.duration_ms = (time.perf_counter() - started) * 1000
            entry.request_body, entry.request_body_truncated = clip(bytes(request_body), limit)
            entry.response_body, entry.response_body_truncated = clip(bytes(response_body), limit)
            principal = scope.get(PRINCIPAL_KEY)
            if principal is not None:
                entry.account_id = principal.account_id
                entry.user_id = principal.user_id
                entry.rate_limits = await emu.rt.limits.remaining(principal.user_id)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


async def _drain(receive: Receive) -> None:
    """Read the request's body to its end (a fault answering in its place)."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _answer(send: Send, status: int, body: Any, headers: dict[str, str]) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


async def _drop(send: Send) -> None:
    """Start an answer and never finish it: the server closes the connection with the
    body unsent (uvicorn closes a connection whose application returned mid-answer),
    which clients see as the peer closing the connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
        }
    )
