"""A search page of 200 leads against GET /leads/{id}: the search route's read path, and
its rendering against the one a lead gets from ``render.lead_out``.

Outside the default test run. In one process, over a prepared benchmark database
(:mod:`benchmarks.dataset`), it times the work of the two routes without HTTP:

- ``search new``: ``Services.search_lead_page`` then ``render_page.leads_out`` and the
  encoder, as ``POST /leads/search`` does (the old path, a ``Lead`` and ``Shown`` per
  row, is gone from the store: docs/performance.md has its figures);
- ``render old`` / ``render new``: one page already read (no SQL) rendered through
  ``render.lead_out`` per lead, as the search route did, and through ``render_page``;
- ``get``: ``Services.get_lead`` then ``render.lead_out`` and the encoder.

The search is Issue 7's: ``{"page_size": 200, "city": <one of 40 cities>}``. Each
round runs every variant ``--calls`` times, interleaved call by call on the same
cities and ids, and keeps the median per call; the figures are the medians of the
rounds' medians, so that another process's load hits old and new alike.

Usage::

    python benchmarks/search_render.py /tmp/exp/ds-1000000.pkl
    python benchmarks/search_render.py --prepare 10000 --workdir /tmp/wt-search-data

``DATASET`` is a pickled :class:`benchmarks.dataset.Dataset`; ``--prepare N`` builds
a SQLite one of N leads in ``--workdir`` first (and keeps it as ``ds-N.pkl`` there).
"""

from __future__ import annotations

import argparse
import pickle
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.dataset import CITIES, Dataset, prepare
from verdigris.server import render, render_page
from verdigris.services import Services
from verdigris.store import open_store


def load(args: argparse.Namespace) -> Dataset:
    if args.prepare:
        workdir = Path(args.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        ds = prepare("sqlite", args.prepare, workdir, "")
        (workdir / f"ds-{args.prepare}.pkl").write_bytes(pickle.dumps(ds))
        return ds
    with open(args.dataset, "rb") as f:
        ds = pickle.load(f)
    assert isinstance(ds, Dataset)
    return ds


def run(ds: Dataset, rounds: int, calls: int, seed: int) -> dict[str, float]:
    store = open_store(ds.url)
    services = Services(store)
    who = ds.principal
    rng = random.Random(seed)
    encode = render.encoder.encode

    def search_new(city: str) -> bytes:
        _, page = services.search_lead_page(who, {"page_size": 200, "city": city})
        return encode(render_page.leads_out(page))

    def get(lead_id: int) -> bytes:
        return encode(render.lead_out(services.get_lead(who, lead_id)))

    params = {"page_size": 200, "city": CITIES[0][0]}
    _, field_page = services.search_lead_page(who, params)
    shown_page = [services.get_lead(who, row[0]) for row in field_page.leads]
    assert encode([render.lead_out(s) for s in shown_page]) == encode(
        render_page.leads_out(field_page)
    ), "the two paths render different bytes"

    def render_old(_: Any) -> bytes:
        return encode([render.lead_out(s) for s in shown_page])

    def render_new(_: Any) -> bytes:
        return encode(render_page.leads_out(field_page))

    variants: dict[str, Callable[[Any], bytes]] = {
        "search new": search_new,
        "render old": render_old,
        "render new": render_new,
    }
    medians: dict[str, list[float]] = {k: [] for k in (*variants, "get")}
    for _ in range(rounds):
        times: dict[str, list[float]] = {k: [] for k in medians}
        for _ in range(calls):
            city = CITIES[rng.randrange(len(CITIES))][0]
            for key, fn in variants.items():
                started = time.perf_counter()
                fn(city)
                times[key].append(time.perf_counter() - started)
            for _ in range(5):  # a GET is short: five per search keeps the rounds balanced
                lead_id = ds.id_lo + rng.randrange(ds.size)
                started = time.perf_counter()
                get(lead_id)
                times["get"].append(time.perf_counter() - started)
        for key, xs in times.items():
            medians[key].append(statistics.median(xs))
    store.close()
    return {k: statistics.median(v) * 1e3 for k, v in medians.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", nargs="?", default="/tmp/exp/ds-10000.pkl")
    parser.add_argument("--prepare", type=int, default=0, help="build a SQLite dataset of N")
    parser.add_argument("--workdir", default="/tmp/wt-search-data")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=30, help="searches per variant per round")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    ds = load(args)
    # one warm-up round: page cache, statement caches, account cache
    run(ds, 1, 5, args.seed + 1)
    figures = run(ds, args.rounds, args.calls, args.seed)
    get = figures["get"]
    print(f"{ds.engine}, {ds.size:,} leads, {args.rounds} rounds x {args.calls} calls")
    for key, ms in figures.items():
        ratio = f"{ms / get:6.1f}x get" if key.startswith("search") else ""
        print(f"  {key:<11} {ms:8.3f} ms  {ratio}")
    print(f"  render: new/old {figures['render new'] / figures['render old']:.2f}")


if __name__ == "__main__":
    main()
