"""The sender's HTTP/1.1 client against raw receivers on 127.0.0.1: lengths, chunked
bodies, bodies until close, no-body statuses, kept connections the receiver closed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from verdigris.delivery.http import KEEP, HttpError, Poster

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _with_server(answer: Answer, work: Callable[[str], Awaitable[None]]) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await answer(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        await work(f"http://127.0.0.1:{port}/hook?x=1")


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    return head + await reader.readexactly(length)


@pytest.mark.parametrize(
    ("response", "status", "text"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok"),
        (
            b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            500,
            "abcde",
        ),
        (b"HTTP/1.0 201 Created\r\n\r\nuntil close", 201, "until close"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", 204, ""),
        (b"HTTP/1.1 413 Big\r\nContent-Length: 2000\r\n\r\n" + b"x" * 2000, 413, "x" * KEEP),
    ],
)
def test_responses(response: bytes, status: int, text: str) -> None:
    seen: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await _read_request(reader))
        writer.write(response)
        await writer.drain()

    async def work(url: str) -> None:
        poster = Poster()
        got = await poster.post(url, b'{"ids":[1]}', {"Content-Type": "application/json"})
        assert (got.status, got.text) == (status, text)
        await poster.close()

    asyncio.run(_with_server(answer, work))
    assert seen[0].startswith(b"POST /hook?x=1 HTTP/1.1\r\nHost: 127.0.0.1:")
    assert seen[0].endswith(b'Content-Type: application/json\r\n\r\n{"ids":[1]}')


def test_a_kept_connection_closed_by_the_receiver_is_replaced() -> None:
    served = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        await _read_request(reader)
        served += 1
        # says nothing of closing, then closes: the kept connection is stale
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async def work(url: str) -> None:
        poster = Poster()
        for _ in range(3):
            assert (await poster.post(url, b"{}", {})).status == 200
            await asyncio.sleep(0.05)
        await poster.close()

    asyncio.run(_with_server(answer, work))
    assert served == 3


def test_failures_are_http_errors() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"garbage\r\n\r\n")
        await writer.drain()

    async def work(url: str) -> None:
        poster = Poster()
        with pytest.raises(HttpError, match="not an HTTP response"):
            await poster.post(url, b"{}", {})
        with pytest.raises(HttpError, match="cannot connect"):
            await poster.post("http://127.0.0.1:9/x", b"{}", {})
        await poster.close()

    asyncio.run(_with_server(answer, work))
