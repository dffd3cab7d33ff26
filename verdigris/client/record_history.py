"""The SDK's history calls for people, companies and opportunities (``/verdigris/v1``,
issue 21), as sans-I/O steps over a :class:`~verdigris.client.core.Core`: ``aio.py``
(and the generated ``sync.py``) run them. The lead ones live in ``core.py``.

``plural`` is the path segment: ``people``, ``companies`` or ``opportunities``.
Restores are never retried once sent (each one is a new version).
"""

from __future__ import annotations

from typing import TypeVar

from verdigris.client.core import EXTENSION_PATH, Core, Request, Step

V = TypeVar("V")
D = TypeVar("D")
R = TypeVar("R")


def versions(
    core: Core, plural: str, record_id: int, before: int | None, limit: int, kind: type[V]
) -> Step[list[V]]:
    query = f"?limit={int(limit)}" + (f"&before={int(before)}" if before else "")
    path = f"{EXTENSION_PATH}/{plural}/{int(record_id)}/versions{query}"
    return core.call(Request("GET", path), list[kind])  # type: ignore[valid-type]


def version(core: Core, plural: str, record_id: int, number: int, kind: type[V]) -> Step[V]:
    path = f"{EXTENSION_PATH}/{plural}/{int(record_id)}/versions/{int(number)}"
    return core.call(Request("GET", path), kind)


def diff(
    core: Core, plural: str, record_id: int, first: int, second: int, kind: type[D]
) -> Step[D]:
    query = f"?from={int(first)}&to={int(second)}"
    return core.call(
        Request("GET", f"{EXTENSION_PATH}/{plural}/{int(record_id)}/diff{query}"), kind
    )


def restore_version(core: Core, plural: str, record_id: int, number: int, kind: type[R]) -> Step[R]:
    path = f"{EXTENSION_PATH}/{plural}/{int(record_id)}/versions/{int(number)}/restore"
    return core.call(Request("POST", path, idempotent=False), kind)


def deleted(core: Core, plural: str, after: int | None, limit: int, kind: type[V]) -> Step[list[V]]:
    query = f"?limit={int(limit)}" + (f"&after={int(after)}" if after is not None else "")
    path = f"{EXTENSION_PATH}/{plural}/deleted{query}"
    return core.call(Request("GET", path), list[kind])  # type: ignore[valid-type]


def restore_deleted(core: Core, plural: str, record_id: int, kind: type[R]) -> Step[R]:
    path = f"{EXTENSION_PATH}/{plural}/{int(record_id)}/restore"
    return core.call(Request("POST", path, idempotent=False), kind)
