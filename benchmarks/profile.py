"""py-spy profiles of a running process, and a plain-text summary of where time goes.

``py-spy record --format raw`` writes collapsed stacks (one ``frame;frame;... count``
line per distinct stack): open them in https://www.speedscope.app or feed them to
flamegraph.pl for a flame graph. :func:`summarize` groups the samples by layer
(HTTP stack, verdigris code, SQLAlchemy statement building, SQLAlchemy engine,
the database driver) and lists the hottest functions.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def py_spy() -> str | None:
    here = Path(sys.executable).with_name("py-spy")
    return str(here) if here.exists() else shutil.which("py-spy")


class Recorder:
    """``py-spy record`` attached to ``pid`` for ``seconds``, in the background."""

    def __init__(
        self, pid: int, out: Path, seconds: float, *, gil: bool = False, rate: int = 200
    ) -> None:
        exe = py_spy()
        if exe is None:
            raise SystemExit("--profile needs py-spy: pip install -e '.[bench]'")
        self.out = out
        cmd = [exe, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
        cmd += ["--rate", str(rate)]
        cmd += ["--format", "raw", "--output", str(out), "--nonblocking"]
        if gil:
            # only the thread holding the GIL: threads blocked in libpq (GIL released)
            # would otherwise count as busy whenever the OS reports them runnable
            cmd.append("--gil")
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def wait(self) -> str:
        output, _ = self.process.communicate(timeout=600)
        return output.decode(errors="replace")


@dataclass(frozen=True)
class Frame:
    func: str
    file: str

    @property
    def short(self) -> str:
        path = self.file.lstrip("/")
        for marker in ("site-packages/", "lib/python3.", "wt-bench/"):
            if marker in path:
                path = path.split(marker, 1)[1]
        return f"{self.func} ({path})"


def parse(lines: Iterable[str]) -> list[tuple[list[Frame], int]]:
    stacks = []
    for line in lines:
        line = line.rstrip("\n")
        if not line or " " not in line:
            continue
        stack, _, count = line.rpartition(" ")
        frames = []
        for part in stack.split(";"):
            m = _FRAME.match(part)
            # py-spy shortens paths ("sqlalchemy/sql/dml.py"); a leading "/" makes
            # "/sqlalchemy/" match both short and absolute paths
            frames.append(Frame(m["func"], "/" + m["file"].lstrip("/")) if m else Frame(part, ""))
        stacks.append((frames, int(count)))
    return stacks


DRIVER = "database driver calls (SQLite's own work; psycopg)"
_DRIVER_FUNCS = {"do_execute", "do_executemany", "do_commit", "do_rollback", "do_begin"}


SA_BUILD = "SQLAlchemy: building statements (insert/select/update, .values(), .where())"
SA_CACHE = "SQLAlchemy: cache keys and compiling"
SA_EXEC = "SQLAlchemy: executing (contexts, parameters, results, transactions, pool)"
_CACHE_FUNCS = {"_compile_w_cache", "_generate_cache_key", "_gen_cache_key", "compile"}
_CACHE_FILES = ("/sqlalchemy/sql/compiler.py", "/sqlalchemy/sql/cache_key.py")


def _sqlalchemy_phase(frames: list[Frame]) -> str:
    """Which of SQLAlchemy's phases a sample inside SQLAlchemy belongs to, judged from
    where the caller entered SQLAlchemy and what it was doing under that entry."""
    entry = len(frames) - 1
    while entry > 0 and "/sqlalchemy/" in frames[entry - 1].file:
        entry -= 1
    inside = frames[entry:]
    if any(
        fr.func.rsplit(".", 1)[-1] in _CACHE_FUNCS or fr.file.endswith(_CACHE_FILES)
        for fr in inside
    ):
        return SA_CACHE
    if "/sqlalchemy/engine/" in inside[0].file or "/sqlalchemy/pool/" in inside[0].file:
        return SA_EXEC
    return SA_BUILD


def layer(frames: list[Frame]) -> str:
    """The layer a sample's time belongs to, judged from its innermost frames."""
    leaf = frames[-1] if frames else Frame("?", "")
    f = leaf.file
    name = leaf.func.rsplit(".", 1)[-1]
    if "psycopg" in f or (name in _DRIVER_FUNCS and "sqlalchemy/engine" in f):
        return DRIVER
    # the store's write path calls the DB-API cursor itself (verdigris/store/fast.py): a
    # sample whose innermost Python frame is that call is the driver's (C) work
    if f.endswith("/verdigris/store/fast.py") and name in {"execute", "executemany"}:
        return DRIVER
    if "/sqlalchemy/" in f:
        return _sqlalchemy_phase(frames)
    if "/verdigris/" in f:
        part = f.split("/verdigris/", 1)[1].split("/", 1)[0].removesuffix(".py")
        return f"verdigris {part} (incl. msgspec calls)"
    if any(k in f for k in ("/threading.py", "/queue.py", "/anyio/", "/concurrent/")):
        return "thread pool hand-off (anyio to_thread, threading)"
    if any(k in f for k in ("starlette", "uvicorn", "httptools", "asyncio", "uvloop")):
        return "HTTP stack and event loop (uvicorn, starlette, asyncio)"
    if "/alembic/" in f:
        return "alembic"
    return "other (stdlib, benchmark loop)"


WATCHED = (
    ("Services.upsert_lead (the whole upsert)", "upsert_lead", "verdigris/services"),
    ("store: insert_lead", "insert_lead", "verdigris/store"),
    ("store: update_lead", "update_lead", "verdigris/store"),
    ("store: match_lead_ids", "match_lead_ids", "verdigris/store"),
    ("store: get_lead", "get_lead", "verdigris/store"),
    ("lead_row (row builder)", "lead_row", "verdigris/store"),
    ("lead_from_row", "lead_from_row", "verdigris/store"),
    ("SQLAlchemy .values() (DML construction)", "values", "sqlalchemy/sql/dml"),
    ("SQLAlchemy _compile_w_cache (cache key + lookup)", "_compile_w_cache", "sqlalchemy/sql"),
    ("SQLAlchemy cache key generation", "_generate_cache_key", "sqlalchemy/sql"),
    ("SQLAlchemy compiling (cache misses)", "__init__", "sqlalchemy/sql/compiler"),
    ("SQLAlchemy execute (Connection.execute)", "execute", "sqlalchemy/engine/base"),
    ("driver calls (do_execute)", "do_execute", "sqlalchemy/engine/default"),
    ("JSON response encoding / wire", "lead_out", "verdigris/server"),
)


def summarize(
    raw: Path, title: str, top: int = 15, *, gil: bool = False
) -> tuple[str, list[tuple[str, float]]]:
    """A text report of ``raw`` and its layers as ``[(layer, share)]``, largest first."""
    stacks = parse(raw.read_text(errors="replace").splitlines())
    total = sum(n for _, n in stacks) or 1
    layers: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    watched: Counter[str] = Counter()
    for frames, n in stacks:
        layers[layer(frames)] += n
        if frames:
            self_time[frames[-1].short] += n
        for short in {fr.short for fr in frames}:
            inclusive[short] += n
        for label, func, where in WATCHED:
            if any(fr.func.rsplit(".", 1)[-1] == func and where in fr.file for fr in frames):
                watched[label] += n
    shares = [(name, n / total) for name, n in layers.most_common()]
    sampled = "the thread holding the GIL" if gil else "active threads"
    out = [f"{title}: {total} samples of {sampled}", "", "by layer:"]
    out += [f"  {share:6.1%}  {name}" for name, share in shares]
    out += ["", "inclusive share of chosen frames:"]
    out += [f"  {watched[label] / total:6.1%}  {label}" for label, _, _ in WATCHED]
    out += ["", f"top {top} functions by self time:"]
    out += [f"  {n / total:6.1%}  {name}" for name, n in self_time.most_common(top)]
    out += ["", f"top {top} functions by inclusive time:"]
    out += [f"  {n / total:6.1%}  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(out) + "\n", shares
