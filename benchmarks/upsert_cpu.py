"""The CPU one upsert costs in process, as the server's route spends it (issue 20, bar 4).

The route's work without HTTP: the JSON body decoded as the server decodes it,
``Services.upsert_lead`` with the observers ``verdigris serve`` registers by default (the
lead history and the webhook outbox), the answer rendered and encoded. The upsert by
email of the HTTP scenario (:meth:`benchmarks.workload.Bodies.upsert_email`: a create
and an update in turn) or by custom field (``--scenario upsert_custom``); ``--scenario put``
and ``--scenario bulk_update`` run the PUT and bulk_update routes' work the same way (the
CPU figure is then per request)::

    python -m benchmarks.upsert_cpu /tmp/ab-upsert/ds-sqlite-10000.pkl \\
        --source before=/work/main --source after=. --rounds 5

Each source's ``verdigris`` package runs in a process of its own, the sources in
turn for ``--rounds`` rounds; the leads a run created are deleted before the next. It
prints CPU microseconds per upsert (``time.process_time``) of every run, then the
medians and their ratio to the first source's; on PostgreSQL also the CPU per upsert of
the backends serving the process. ``--source NAME=DIR@DATASET`` runs that source on a
dataset of its own (one its own code prepared: code on either side of a migration that
changes the rows' layout, such as 0018's wire form). ``--profile FILE`` instead runs this
tree's code once under cProfile and writes the stats to FILE (``python -m pstats``).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _run(
    ds_path: Path, scenario: str, count: int, batch: int, profile: str | None
) -> tuple[float, float]:
    """CPU seconds per upsert of ``count`` upserts (after a warm-up) in this process:
    ``batch`` at a time in one group commit (verdigris.server.group_commit), or each in
    a transaction of its own (``batch`` 0); and on PostgreSQL, the CPU seconds per upsert
    of the backends serving this process's connections (0.0 on SQLite)."""
    from benchmarks.dataset import Dataset
    from benchmarks.workload import Bodies
    from verdigris.server import render
    from verdigris.services import Services, request_context
    from verdigris.store import open_store

    ds: Dataset = pickle.loads(ds_path.read_bytes())
    store = open_store(ds.url)
    try:
        services = Services(store)
        services.observe(services.record_version)  # as serve does unless history is off
        services.enable_webhooks()
        bodies = Bodies(ds, nonce=os.getpid())
        make = getattr(bodies, scenario)
        raws = [json.dumps(make()).encode() for _ in range(count + 200)]
        if scenario == "put":  # (path, body): the lead's id and its body
            puts = [json.loads(raw) for raw in raws]
            raws = [json.dumps([int(path.rsplit("/", 1)[1]), body]).encode() for path, body in puts]
        request_context.current.set(
            request_context.RequestContext("PUT /leads/upsert", "bench-request", None)
        )

        def one(on: Services, raw: bytes) -> bytes:
            if scenario == "bulk_update":
                results = on.bulk_update(ds.principal, render.decode_body(raw))
                return render.encoder.encode([render.bulk_out(r) for r in results])
            if scenario == "put":
                lead_id, body = json.loads(raw)
                shown = on.update_lead(
                    ds.principal, lead_id, render.decode_body(json.dumps(body).encode())
                )
                return render.encoder.encode(render.lead_out(shown))
            shown = on.upsert_lead(ds.principal, render.decode_body(raw))
            return render.encoder.encode(render.lead_out(shown))

        def all_of(raws: list[bytes]) -> None:
            if not batch:
                for raw in raws:
                    one(services, raw)
                return
            for i in range(0, len(raws), batch):
                with store.batch() as group:
                    on = services.using(group)
                    for raw in raws[i : i + batch]:
                        one(on, raw)

        all_of(raws[:200])
        work = raws[200:]
        if profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            all_of(work)
            profiler.disable()
            profiler.dump_stats(profile)
            return 0.0, 0.0
        backends: list[int] = []
        if ds.engine == "postgres":
            from benchmarks.bench import DEFAULT_PG
            from benchmarks.pg_backends import backend_pids

            backends = backend_pids(DEFAULT_PG, [os.getpid()])
        db0 = _cpu(backends)
        started = time.process_time()
        all_of(work)
        cpu = (time.process_time() - started) / len(work)
        return cpu, (_cpu(backends) - db0) / len(work)
    finally:
        store.close()


def _cpu(pids: list[int]) -> float:
    from benchmarks.bench import cpu_seconds

    return sum(cpu_seconds(pids))


def _restore(ds_path: Path) -> None:
    from benchmarks import dataset

    dataset.restore(pickle.loads(ds_path.read_bytes()))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.upsert_cpu", description=__doc__)
    p.add_argument("dataset", type=Path, help="a ds-*.pkl written by benchmarks.ab_http")
    p.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME=DIR[@DATASET]",
        help="a source tree (repeat), on its own dataset after @ (one that source prepared:"
        " code on either side of a migration that changes the rows' layout)",
    )
    p.add_argument(
        "--scenario",
        default="upsert_email",
        choices=("upsert_email", "upsert_custom", "put", "bulk_update"),
        help="upsert_email, upsert_custom, put (PUT /leads/{id}), bulk_update (10 leads)",
    )
    p.add_argument("--count", type=int, default=3000, help="upserts per run (3000)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batch", type=int, default=8, help="upserts per group commit (8; 0: one each)")
    p.add_argument("--profile", metavar="FILE", help="cProfile this tree's code once")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-source", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        if args.child_source:
            sys.path.insert(0, args.child_source)  # its verdigris before this tree's
        import verdigris

        print(f"verdigris from {verdigris.__file__}", file=sys.stderr)
        print(json.dumps(_run(args.dataset, args.scenario, args.count, args.batch, args.profile)))
        return
    if args.profile:
        _run(args.dataset, args.scenario, args.count, args.batch, args.profile)
        _restore(args.dataset)
        print(f"wrote {args.profile}")
        return
    sources = []
    for spec in args.source or ["this=."]:
        name, _, rest = spec.partition("=")
        src, at, own = rest.partition("@")
        sources.append((name, src, Path(own) if at else args.dataset))
    here = Path(__file__).resolve().parent.parent
    results: dict[str, list[float]] = {name: [] for name, _, _ in sources}
    db_results: dict[str, list[float]] = {name: [] for name, _, _ in sources}
    for r in range(args.rounds):
        for name, src, ds_path in sources:
            cmd = [sys.executable, "-m", "benchmarks.upsert_cpu", str(ds_path), "--child"]
            cmd += ["--child-source", str(Path(src).resolve())]
            cmd += ["--scenario", args.scenario, "--count", str(args.count)]
            cmd += ["--batch", str(args.batch)]
            done = subprocess.run(cmd, cwd=here, check=True, capture_output=True, text=True)
            if r == 0:
                print(f"{name}: {done.stderr.strip().splitlines()[-1]}")
            per, db = json.loads(done.stdout.strip().splitlines()[-1])
            results[name].append(per)
            db_results[name].append(db)
            pg = f" + PG {db * 1e6:7.1f}" if db else ""
            print(f"round {r + 1} {name}: {per * 1e6:7.1f}{pg} us CPU/upsert", flush=True)
            _restore(ds_path)
    base = statistics.median(results[sources[0][0]])
    db_base = statistics.median(db_results[sources[0][0]])
    print(
        f"{args.scenario}, {args.count} upserts per run, {args.batch or 'one'} per commit, "
        f"medians of {args.rounds} rounds:"
    )
    for name, values in results.items():
        med = statistics.median(values)
        db = statistics.median(db_results[name])
        pg = f"   PG {db * 1e6:7.1f} us ({db / db_base:.3f}x)" if db_base else ""
        print(f"  {name:>8}: {med * 1e6:7.1f} us CPU/upsert  ({med / base:.3f}x){pg}")


if __name__ == "__main__":
    main()
