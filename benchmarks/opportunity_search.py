"""``POST /opportunities/search`` against ``GET /opportunities/{id}`` (issue 21), in one
process, without HTTP: each variant is its service call, then the rendering and encoding
its route does.

A fresh SQLite file (or ``--url`` PostgreSQL database, which must be empty) gets
``--count`` opportunities of one account, spread over the Sales pipeline's stages, the
four statuses, 50 company ids, 5 tags and values 0-100,000. Each round runs every
variant ``--calls`` times, interleaved call by call, and keeps the median per call; the
figures are the medians of the rounds' medians, with their ratio to ``get``.

Usage::

    python benchmarks/opportunity_search.py --count 20000
    python benchmarks/opportunity_search.py --count 20000 --url postgresql+psycopg://.../bench
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from verdigris.domain.crm import Opportunity
from verdigris.server import render
from verdigris.services import Principal, Services
from verdigris.store import open_store

STATUSES = ("Open", "Won", "Lost", "Abandoned")


def seed(services: Services, who: Principal, count: int) -> list[int]:
    rng = random.Random(21)
    with services.store.transaction(write=False) as tx:
        stages = tx.crm.list_pipelines(who.account_id)[0].stages
    ids: list[int] = []
    batch = 2000
    for start in range(0, count, batch):
        with services.store.transaction(write=True) as tx:
            for i in range(start, min(count, start + batch)):
                stage = rng.choice(stages)
                made = tx.opportunities.insert(
                    Opportunity(
                        account_id=who.account_id,
                        name=f"Deal {i:07d}",
                        pipeline_id=stage.pipeline_id,
                        pipeline_stage_id=stage.id,
                        status=rng.choice(STATUSES),
                        company_id=rng.randrange(1, 51),
                        monetary_value=rng.randrange(0, 100_001),
                        tags=[f"tag{rng.randrange(5)}"],
                        win_probability=stage.win_probability,
                        date_created=1_700_000_000 + i,
                        date_modified=1_700_000_000 + i,
                    )
                )
                ids.append(made.id)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default="")
    parser.add_argument(
        "--cpu", action="store_true", help="time each call's CPU (process_time), not wall time"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="opp-bench-"))
    store = open_store(args.url or f"sqlite:///{workdir / 'bench.db'}")
    store.migrate()
    services = Services(store)
    user, _ = services.add_user("bench@example.com", account="Bench")
    who = Principal(user.id, user.account_id, user.email)
    started = time.perf_counter()
    ids = seed(services, who, args.count)
    print(f"seeded {len(ids):,} opportunities in {time.perf_counter() - started:.1f} s")
    with store.transaction(write=False) as tx:
        stages = [s.id for s in tx.crm.list_pipelines(who.account_id)[0].stages]
    rng = random.Random(7)

    def get() -> Any:
        shown = services.get_opportunity(who, rng.choice(ids))
        return render.encoder.encode(render.opportunity_out(shown))

    def searcher(make: Callable[[], dict[str, Any]]) -> Callable[[], Any]:
        def run() -> Any:
            page = services.search_opportunities(who, make())
            return render.encoder.encode([render.opportunity_out(o) for o in page.opportunities])

        return run

    variants: dict[str, Callable[[], Any]] = {
        "get": get,
        "search stage+status+value, 20": searcher(
            lambda: {
                "pipeline_stage_ids": [rng.choice(stages)],
                "status_ids": [rng.randrange(4)],
                "minimum_monetary_value": 10_000,
                "maximum_monetary_value": 60_000,
            }
        ),
        "search company, 20": searcher(lambda: {"company_ids": [rng.randrange(1, 51)]}),
        "search tag, 20": searcher(lambda: {"tags": [f"tag{rng.randrange(5)}"]}),
        "search all by date_modified desc, 200": searcher(
            lambda: {"sort_by": "date_modified", "sort_direction": "desc", "page_size": 200}
        ),
        "search all by value desc, 200": searcher(
            lambda: {"sort_by": "value", "sort_direction": "desc", "page_size": 200}
        ),
        "search name": searcher(lambda: {"name": f"Deal {rng.randrange(len(ids)):07d}"}),
    }
    clock = time.process_time if args.cpu else time.perf_counter
    medians: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.calls):
            for name, fn in variants.items():
                t0 = clock()
                fn()
                timings[name].append(clock() - t0)
        for name, values in timings.items():
            medians[name].append(statistics.median(values))
    base = statistics.median(medians["get"])
    for name, values in medians.items():
        p50 = statistics.median(values)
        print(f"{name:34s} p50 {p50 * 1000:8.3f} ms  {p50 / base:6.2f}x get")
    store.close()


if __name__ == "__main__":
    main()
