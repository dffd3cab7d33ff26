"""Group commit of concurrent write requests on SQLite.

A write to SQLite costs its statements plus a commit that writes every page the
transaction dirtied to the WAL: with the search indexes that is about thirty pages,
and the commit was the largest single cost of an upsert (docs/performance.md).
SQLite runs one writer at a time anyway, so instead of committing each request on
its own, :class:`GroupCommit` runs the write requests that are waiting at the same
moment one after another inside one transaction (:meth:`Store.batch`), each in its
own savepoint, and commits once. Pages several of them touch are written once, and in
durable mode (the default, docs/deploy.md) the commit's flush to disk is paid once too.

What each request sees is unchanged:

* it is atomic on its own: an error undoes only its savepoint and answers only it;
* no response leaves before the commit that holds its writes: results are handed
  back after the batch has committed, and if that commit fails every request of the
  batch gets the error (nothing of it was written);
* requests never wait for company: a batch is whatever is queued when the event loop
  gets to it, one request when the server is idle. At most ``max_batch`` run in one
  batch, so that reads are not held up behind a long one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from verdigris.store.base import Store

log = logging.getLogger(__name__)

#: the most requests one commit carries (at ~0.3 ms each, ~10 ms of event loop time)
MAX_BATCH = 32

_Item = tuple[Callable[..., Any], tuple[Any, ...], "asyncio.Future[Any]"]


class GroupCommit:
    """Runs write calls on the event loop, several to a transaction."""

    def __init__(self, store: Store, max_batch: int = MAX_BATCH) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: list[_Item] = []
        self._scheduled = False
        #: sizes of the batches run so far (count, requests), for the logs and tests
        self.batches = 0
        self.requests = 0

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append((fn, args, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._drain)
        return await future

    def _drain(self) -> None:
        items, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
        if self._queue:
            asyncio.get_running_loop().call_soon(self._drain)
        else:
            self._scheduled = False
        items = [item for item in items if not item[2].cancelled()]
        if not items:
            return
        self.batches += 1
        self.requests += len(items)
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self.store.batch():
                for fn, args, _ in items:
                    try:
                        outcomes.append((True, fn(*args)))
                    except Exception as exc:  # this request's error, its savepoint undone
                        outcomes.append((False, exc))
        except Exception as exc:  # the batch itself failed: none of it was written
            log.warning("group commit of %d request(s) failed: %s", len(items), exc)
            outcomes = [(False, exc)] * len(items)
        except BaseException as exc:  # not an error of one request: fail them all, go on up
            failed = RuntimeError(f"the group commit was interrupted: {exc!r}")
            for _, _, future in items:
                if not future.done():
                    future.set_exception(failed)
            raise
        for (_, _, future), (ok, value) in zip(items, outcomes, strict=True):
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
