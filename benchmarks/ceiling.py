"""The storage ceiling: the same upsert logic called in-process, without HTTP.

One figure per database and workload mix (:class:`benchmarks.workload.Bodies`),
single-threaded: ``Services.upsert_lead`` on the real store. An HTTP upsert can be no
faster than this on one worker.

(A second figure, the same service over a hand-written copy of the store's SQL sent
straight to the driver, was dropped in issue 15: the store's write path already sends
its compiled statements straight to the driver (``verdigris/store/fast.py``), the store
had become as fast as the copy or faster (store ÷ raw 1.01-1.13x in the last full run,
docs/performance.md), and the copy had drifted from the store's matching.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from benchmarks.dataset import Dataset
from benchmarks.workload import Bodies
from verdigris.services import Principal, Services
from verdigris.store import open_store


def _loop(call: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``call`` over about ``seconds``."""
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        call()
        count += 1
        if count % 8 == 0 and time.perf_counter() >= deadline:
            return count / (time.perf_counter() - started)


def upserts_per_second(
    store: Any, principal: Principal, bodies: Bodies, key: str, seconds: float, warmup: float
) -> float:
    services = Services(store)
    make: Callable[[], Any] = getattr(bodies, key)

    def one() -> object:
        return services.upsert_lead(principal, make())

    _loop(one, warmup)
    return _loop(one, seconds)


def measure(ds: Dataset, key: str, *, nonce: int, seconds: float, warmup: float) -> float:
    """Single-threaded upserts/s of scenario ``key`` on the store."""
    store = open_store(ds.url)
    try:
        bodies = Bodies(ds, nonce)
        return upserts_per_second(store, ds.principal, bodies, key, seconds, warmup)
    finally:
        store.close()
