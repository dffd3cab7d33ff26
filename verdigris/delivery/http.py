"""A small HTTP/1.1 client for one thing: POST a JSON body, read the status.

httpx spends ~5 ms of CPU a request once a dozen are in flight (its pool assigns waiting
requests to connections in a loop over all of them); the sender shares its process with
the API, so each notification would cost about as much as the update it reports. This
client keeps idle keep-alive connections per (scheme, host, port) and does no more than a
webhook needs: no redirects, no cookies, no compression, bodies read (length, chunked or
until close) and all but the first ``keep`` bytes dropped.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024
#: a response body is read to its end but only this much is kept
KEEP = 500
#: idle connections kept per (scheme, host, port)
MAX_IDLE = 32


class HttpError(Exception):
    """The exchange failed: no status to report."""


@dataclass(frozen=True)
class Response:
    status: int
    text: str


_Key = tuple[str, str, int]
_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Poster:
    def __init__(self) -> None:
        self._idle: dict[_Key, list[_Conn]] = defaultdict(list)
        self._ssl: ssl.SSLContext | None = None

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def close(self) -> None:
        for conns in self._idle.values():
            for _, writer in conns:
                writer.close()
        self._idle.clear()

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, host, port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        netloc = host if ":" not in host else f"[{host}]"
        if parts.port is not None:
            netloc += f":{parts.port}"
        lines = [f"POST {path} HTTP/1.1", f"Host: {netloc}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        while self._idle[key]:
            reader, writer = self._idle[key].pop()
            if reader.at_eof() or writer.is_closing():
                writer.close()
                continue
            try:
                return await self._exchange(key, reader, writer, request)
            except _Stale:
                writer.close()  # the receiver closed it while idle: a new connection
        reader, writer = await self._connect(key)
        try:
            return await self._exchange(key, reader, writer, request)
        except _Stale:
            raise HttpError("the connection closed before any response") from None

    async def _connect(self, key: _Key) -> _Conn:
        scheme, host, port = key
        try:
            if scheme == "https":
                return await asyncio.open_connection(
                    host, port, ssl=self._context(), server_hostname=host
                )
            return await asyncio.open_connection(host, port)
        except ssl.SSLError as exc:
            raise HttpError(f"TLS: {exc}") from exc
        except OSError as exc:
            raise HttpError(f"cannot connect: {exc}") from exc

    async def _exchange(
        self, key: _Key, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
    ) -> Response:
        try:
            writer.write(request)
            await writer.drain()
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if not exc.partial:
                    raise _Stale from None
                raise HttpError("the receiver closed the connection mid-answer") from None
            except asyncio.LimitOverrunError:
                raise HttpError("response headers too large") from None
            status, fields = _parse_head(head)
            if status in (204, 304) or status < 200:
                text, reusable = "", True  # no body, by definition
            else:
                text, reusable = await _read_body(reader, fields)
        except (HttpError, _Stale):
            writer.close()
            raise
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            writer.close()
            raise HttpError(f"{type(exc).__name__}: {exc}") from None
        if reusable and fields.get("connection", "").lower() != "close":
            idle = self._idle[key]
            if len(idle) < MAX_IDLE:
                idle.append((reader, writer))
            else:
                writer.close()
        else:
            writer.close()
        return Response(status, text)


class _Stale(Exception):
    """A kept connection was closed by the receiver before it answered anything."""


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    if len(head) > MAX_HEAD:
        raise HttpError("response headers too large")
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise HttpError(f"not an HTTP response: {lines[0][:80]!r}")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return int(code), fields


async def _read_body(reader: asyncio.StreamReader, fields: dict[str, str]) -> tuple[str, bool]:
    """The body's first KEEP bytes as text; whether the connection can be used again."""
    kept = bytearray()

    def keep(chunk: bytes) -> None:
        if len(kept) < KEEP:
            kept.extend(chunk[: KEEP - len(kept)])

    if "chunked" in fields.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                break
            keep(await reader.readexactly(size))
            await reader.readexactly(2)
        return kept.decode(errors="replace"), True
    length = fields.get("content-length")
    if length is not None:
        remaining = int(length)
        while remaining > 0:
            chunk = await reader.read(min(remaining, 65536))
            if not chunk:
                raise HttpError("the receiver closed the connection mid-body")
            keep(chunk)
            remaining -= len(chunk)
        return kept.decode(errors="replace"), True
    while chunk := await reader.read(65536):  # until the receiver closes
        keep(chunk)
    return kept.decode(errors="replace"), False
