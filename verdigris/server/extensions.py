"""What every request may ask of verdigris beyond Copper (issue 19), read from its
headers: its request id, import run, dry run and idempotency key; and the background
pruning of history and keys.

* ``X-Verdigris-Request-Id``: every answer carries the id the server gave its request
  (stored with the versions that request wrote).
* ``X-Verdigris-Import-Run``: the import run a request belongs to (``verdigris leads
  import`` sends one), stored with the versions, so that a run can be reverted.
* ``?dry_run=true`` or ``X-Verdigris-Dry-Run: true`` on the routes of :data:`DRY_RUNS`:
  the call runs in a transaction that is rolled back, outside group commit; the answer
  is the one the call would give and says ``X-Verdigris-Dry-Run: true``.
* ``Idempotency-Key`` on a write: see :mod:`verdigris.services.idempotency`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping

from verdigris.domain.errors import ValidationFailed
from verdigris.server.routes import COPPER_BASE
from verdigris.wire import catalogue

log = logging.getLogger("verdigris.server")

#: the routes that take a dry run: (method, path)
DRY_RUNS = frozenset(
    (method, COPPER_BASE + path)
    for method, path in (
        ("POST", "/leads"),
        ("PUT", "/leads/upsert"),
        ("PUT", "/leads/{id:int}"),
        ("POST", "/leads/bulk_update"),
        ("POST", "/leads/bulk_create"),
        ("POST", "/leads/{id:int}/convert"),
    )
)
_TRUE = ("true", "1", "yes")


def new_request_id() -> str:
    return os.urandom(8).hex()


def dry_run(query: Mapping[str, str], headers: Mapping[str, str]) -> bool:
    flag = query.get("dry_run") or headers.get("x-verdigris-dry-run") or ""
    return flag.strip().lower() in _TRUE


def import_run(headers: Mapping[str, str]) -> str | None:
    run = headers.get("x-verdigris-import-run")
    if run is not None and not (1 <= len(run) <= 64 and run.isprintable()):
        raise ValidationFailed(
            {"x-verdigris-import-run": ["invalid"]}, catalogue.IMPORT_RUN_INVALID_MESSAGE
        )
    return run


async def prune_forever(prune: Callable[[], Awaitable[object]], interval: float) -> None:
    """Every ``interval`` seconds: history past its retention, expired keys."""
    while True:
        await asyncio.sleep(interval)
        try:
            await prune()
        except Exception as exc:  # the next round tries again
            log.warning("pruning history and idempotency keys failed: %s", exc)
