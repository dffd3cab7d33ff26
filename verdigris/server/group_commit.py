"""Group commit of concurrent write requests on SQLite.

A write to SQLite costs its statements plus a commit that writes every page the
transaction dirtied to the WAL: with the search indexes that is about thirty pages,
and the commit was the largest single cost of an upsert (docs/performance.md).
SQLite runs one writer at a time anyway, so instead of committing each request on
its own, :class:`GroupCommit` runs the write requests that are waiting at the same
moment one after another inside one transaction (:meth:`Store.batch`), each in its
own savepoint, and commits once. Pages several of them touch are written once, and in
durable mode (the default, docs/deploy.md) the commit's flush to disk is paid once too.
Each request's work is handed the batch (a :class:`~verdigris.store.base.Transactions`)
and opens its transaction through it: nothing finds the batch behind its back.

What each request sees is unchanged:

* it is atomic on its own: an error undoes only its savepoint and answers only it;
* no response leaves before the commit that holds its writes: results are handed
  back after the batch has committed, and if that commit fails every request of the
  batch gets the error (nothing of it was written);
* requests never wait for company: a batch is whatever is queued when the event loop
  gets to it, one request when the server is idle. At most ``max_batch`` run in one
  batch, so that reads are not held up behind a long one.

A server runs one event loop per process, but an app served in process may be driven
from several (a test client with its lifespan on one thread, another client's requests
on loops of their own, the webhook sender on the first): each loop keeps its own queue,
its futures are only ever resolved on it, and batches of different loops take turns
on the store (a lock), never open two at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from verdigris.store.base import Store, Transactions

log = logging.getLogger(__name__)

#: the most requests one commit carries (at ~0.3 ms each, ~10 ms of event loop time)
MAX_BATCH = 32

#: a request's work: given where to open its transaction, it returns its result
Work = Callable[[Transactions], Any]
_Item = tuple[Work, "asyncio.Future[Any]"]


class GroupCommit:
    """Runs write calls on the event loop, several to a transaction."""

    def __init__(self, store: Store, max_batch: int = MAX_BATCH) -> None:
        self.store = store
        self.max_batch = max_batch
        #: each event loop's waiting requests (a loop's futures are resolved on it only)
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[_Item]] = (
            weakref.WeakKeyDictionary()
        )
        #: one batch open on the store at a time, whichever thread's loop runs it
        self._turn = threading.Lock()
        #: sizes of the batches run so far (count, requests), for the logs and tests
        self.batches = 0
        self.requests = 0

    async def run(self, work: Work) -> Any:
        """``work(batch)`` inside the next batch; its result once the batch committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        queue = self._queues.get(loop)
        if queue is None:  # nothing waiting on this loop: a drain is due
            queue = self._queues[loop] = []
            loop.call_soon(self._drain, loop)
        queue.append((work, future))
        return await future

    def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        queue = self._queues.pop(loop, [])
        items, rest = queue[: self.max_batch], queue[self.max_batch :]
        if rest:
            self._queues[loop] = rest
            loop.call_soon(self._drain, loop)
        items = [item for item in items if not item[1].cancelled()]
        if not items:
            return
        self.batches += 1
        self.requests += len(items)
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self._turn, self.store.batch() as batch:
                for work, _ in items:
                    try:
                        outcomes.append((True, work(batch)))
                    except Exception as exc:  # this request's error, its savepoint undone
                        outcomes.append((False, exc))
        except Exception as exc:  # the batch itself failed: none of it was written
            log.warning("group commit of %d request(s) failed: %s", len(items), exc)
            outcomes = [(False, exc)] * len(items)
        except BaseException as exc:  # not an error of one request: fail them all, go on up
            failed = RuntimeError(f"the group commit was interrupted: {exc!r}")
            for _, future in items:
                if not future.done():
                    future.set_exception(failed)
            raise
        for (_, future), (ok, value) in zip(items, outcomes, strict=True):
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
