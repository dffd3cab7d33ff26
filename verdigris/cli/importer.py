"""``verdigris leads import``: upsert every row of a CSV or JSONL file through the SDK.

Each row is one upsert on the match key (email, name or a custom field), sent by a few
concurrent workers over one :class:`~verdigris.client.AsyncClient`. Upserts are
idempotent, so an import can be stopped and run again without creating duplicates.

Created or updated? An upsert's answer does not say, so the importer works it out from
the leads' own timestamps, all from the server's clock. It waits two seconds before its
first write, so every lead that existed before the import was created at least a second
before the import's first write. At the end, a lead returned by this run counts as
*created* when its ``date_created`` is not earlier than the earliest ``date_modified``
among this run's answers (the second of the first write), and every other success as
*updated*; a lead created and then updated by later rows of the same file counts once as
created, its other rows as updated. For servers that would not touch ``date_modified`` on
an update that changes nothing, the server's ``Date`` header read at start is a floor.
"""

from __future__ import annotations

import asyncio
import csv
import email.utils
import json
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from verdigris.cli.rows import RowError, RowReader, row_upsert
from verdigris.client import (
    AmbiguousMatchError,
    AsyncClient,
    AuthenticationError,
    CopperError,
    Match,
    NotFoundError,
    ValidationError,
)

Row = dict[str, Any]


@dataclass
class Source:
    """A CSV (with a header row) or JSONL file of leads."""

    path: Path
    format: str

    @classmethod
    def open(cls, path: Path, format: str | None = None) -> Source:
        fmt = format or {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(
            path.suffix.lower()
        )
        if fmt not in ("csv", "jsonl"):
            raise ValueError(f"{path}: cannot tell its format; name it .csv or .jsonl, or --format")
        if not path.is_file():
            raise ValueError(f"{path}: no such file")
        return cls(path, fmt)

    def columns(self) -> list[str]:
        """The CSV header, or the keys of the first JSONL object."""
        for _, row, _ in self.rows():
            return [k for k in (row or {}) if isinstance(k, str)]
        return []

    def rows(self) -> Iterator[tuple[int, Row | None, str | None]]:
        """``(row number, row, problem)``: CSV rows are numbered from 1 after the header,
        JSONL rows by their line number. ``problem`` says why a row could not be read."""
        with self.path.open(
            newline="" if self.format == "csv" else None, encoding="utf-8-sig"
        ) as f:
            if self.format == "csv":
                for number, row in enumerate(csv.DictReader(f), 1):
                    extra = row.pop(None, None)
                    yield number, row, "more cells than columns" if extra else None
                return
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError as exc:
                    yield number, {"_line": line.rstrip("\n")}, f"not JSON: {exc}"
                    continue
                if isinstance(value, dict):
                    yield number, value, None
                else:
                    yield number, {"_line": line.rstrip("\n")}, "not a JSON object"

    def count(self) -> int:
        return sum(1 for _ in self.rows())


class Rejects:
    """The reject file: each failed row with its row number and the reason, in the input's
    format, so that it can be fixed and imported again (``_`` columns are ignored)."""

    def __init__(self, path: Path, format: str, columns: list[str]) -> None:
        self.path = path
        self.format = format
        self.columns = ["_row", "_error", *(c for c in columns if c not in ("_row", "_error"))]
        self.count = 0
        self._file: IO[str] | None = None
        self._csv: csv.DictWriter[str] | None = None

    @staticmethod
    def default_path(source: Path, format: str) -> Path:
        return source.with_name(f"{source.stem}.rejects.{format}")

    def add(self, number: int, row: Row | None, reason: str) -> None:
        if self._file is None:
            self._file = self.path.open("w", newline="" if self.format == "csv" else None)
            if self.format == "csv":
                self._csv = csv.DictWriter(self._file, self.columns, extrasaction="ignore")
                self._csv.writeheader()
        record = {**(row or {}), "_row": number, "_error": reason}
        if self._csv is not None:
            self._csv.writerow(record)
        else:
            self._file.write(json.dumps({"_row": number, "_error": reason, **(row or {})}) + "\n")
        self._file.flush()
        self.count += 1

    def close(self) -> None:
        """Close the file, its rows put in input order (workers finish out of order)."""
        if self._file is None:
            if self.path.exists():
                self.path.unlink()  # a stale file from an earlier run: nothing failed now
            return
        self._file.close()
        self._file = None
        if self.format == "csv":
            with self.path.open(newline="") as f:
                records = sorted(csv.DictReader(f), key=lambda r: int(r["_row"]))
            with self.path.open("w", newline="") as f:
                writer = csv.DictWriter(f, self.columns, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(records)
        else:
            with self.path.open() as f:
                lines = sorted(f, key=lambda line: int(json.loads(line)["_row"]))
            self.path.write_text("".join(lines))


@dataclass
class Summary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    ambiguous: int = 0
    invalid: int = 0
    failed: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    rejects: Path | None = None
    #: successes: lead id -> its date_created
    written: dict[int, int] = field(default_factory=dict, repr=False)
    successes: int = 0
    first_write: int | None = None
    floor: int = 0
    #: a preview (``--dry-run``): nothing was written; ``reasons`` are the first rejects
    dry_run: bool = False
    reasons: list[tuple[int, str]] = field(default_factory=list, repr=False)
    #: the run id sent with every upsert (``X-Verdigris-Import-Run``): what
    #: ``verdigris leads revert`` undoes
    run_id: str | None = None

    def record(self, lead_id: int, date_created: int, date_modified: int) -> None:
        self.successes += 1
        self.written[lead_id] = date_created
        if self.first_write is None or date_modified < self.first_write:
            self.first_write = date_modified

    def settle(self) -> None:
        """Split the successes into created and updated (see the module's docstring)."""
        since = max(self.first_write or 0, self.floor)
        self.created = sum(1 for created in self.written.values() if created >= since)
        self.updated = self.successes - self.created

    @property
    def done(self) -> int:
        return self.successes

    @property
    def rejected(self) -> int:
        return self.ambiguous + self.invalid + self.failed

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def lines(self) -> list[str]:
        head = "interrupted after" if self.interrupted else "imported"
        if self.dry_run:
            head = "dry run (nothing written): " + ("interrupted after" if self.interrupted
                                                    else "checked")  # fmt: skip
        out = [
            f"{head} {self.rows} rows in {self.seconds:.1f} s ({self.rate:.0f} rows/s)",
            f"created: {self.created}",
            f"updated: {self.updated}",
            f"ambiguous: {self.ambiguous}",
            f"invalid: {self.invalid}",
            f"failed: {self.failed}",
        ]
        if self.rejects and self.rejected and not self.dry_run:
            out.append(f"rejected rows: {self.rejects}")
        if self.run_id and not self.dry_run:
            out.append(f"run id: {self.run_id} (undo: verdigris leads revert {self.run_id})")
        if self.reasons:
            out.append(f"first rejects (of {self.rejected}):")
            out += [f"  row {number}: {reason}" for number, reason in self.reasons]
        return out


class Progress:
    """What the importer reports each row to (a tqdm bar in the CLI)."""

    def advance(self, summary: Summary) -> None: ...


#: seconds between the server's ``Date`` at start and the first write (see ``run``)
DATE_SLACK = 2


async def server_time(client: AsyncClient) -> int | None:
    """The server's clock (the ``Date`` header of GET /account), which also checks the
    credentials; None when the server sends no usable date."""
    reply = await client.request("GET", "/account")
    try:
        return int(email.utils.parsedate_to_datetime(reply.headers.get("date", "")).timestamp())
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Item:
    """A row on its way to a worker: its upsert, or the reason it has none."""

    number: int
    row: Row | None
    properties: dict[str, Any] | None
    match: Match | None
    problem: str | None


class Importer:
    def __init__(
        self,
        client: AsyncClient,
        source: Source,
        reader: RowReader,
        match: str,
        rejects: Rejects,
        *,
        workers: int = 8,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.source = source
        self.reader = reader
        self.match = match
        self.rejects = rejects
        self.workers = max(1, workers)
        self.progress = progress or Progress()
        self.summary = Summary(rejects=rejects.path)

    async def run(self) -> Summary:
        """Import every row. The summary is complete even when interrupted."""
        started = time.monotonic()
        try:
            clock = await server_time(self.client)
            # the Date header may lag the server's clock by up to a second (uvicorn
            # refreshes it once a second): two seconds keep existing leads below the floor
            self.summary.floor = clock + DATE_SLACK if clock is not None else 0
            await asyncio.sleep(DATE_SLACK)  # between existing leads and our first write
            # rows that share a match key go to one worker, so they are applied in file
            # order (a file may create a lead and update it further down)
            queues: list[asyncio.Queue[Item | None]] = [
                asyncio.Queue(4) for _ in range(self.workers)
            ]
            async with asyncio.TaskGroup() as group:
                for queue in queues:
                    group.create_task(self._work(queue))
                for number, row, problem in self.source.rows():
                    item = self._prepare(number, row, problem)
                    await queues[self._shard(item)].put(item)
                for queue in queues:
                    await queue.put(None)
        except asyncio.CancelledError:
            self.summary.interrupted = True
            raise
        except BaseExceptionGroup as group:
            raise group.exceptions[0] from None
        finally:
            self.summary.seconds = time.monotonic() - started
            self.summary.settle()
            self.rejects.close()
        return self.summary

    def _prepare(self, number: int, row: Row | None, problem: str | None) -> Item:
        """A row's properties and upsert match, or why it has none."""
        try:
            properties, match = row_upsert(self.reader, self.match, row, problem)
            return Item(number, row, properties, match, None)
        except RowError as exc:
            return Item(number, row, None, None, str(exc))

    def _shard(self, item: Item) -> int:
        """The worker of ``item``: one per match key (email and name ignore case and
        surrounding spaces, as the server's matching does)."""
        if item.match is None:
            return item.number % self.workers
        if item.match.field_name in ("email", "name"):
            key = str(item.match.field_value).strip().lower()
        else:
            key = repr(item.match.field_value)
        return zlib.crc32(key.encode()) % self.workers

    async def _work(self, queue: asyncio.Queue[Item | None]) -> None:
        while (item := await queue.get()) is not None:
            await self._one(item)
            self.summary.rows += 1
            self.progress.advance(self.summary)

    async def _one(self, item: Item) -> None:
        s = self.summary
        number, row = item.number, item.row
        try:
            if item.problem is not None or item.properties is None or item.match is None:
                raise RowError(item.problem or "empty row")
            lead = await self.client.upsert_lead(item.properties, item.match)
        except RowError as exc:
            s.invalid += 1
            self.rejects.add(number, row, str(exc))
        except AmbiguousMatchError as exc:
            s.ambiguous += 1
            ids = f" (matching ids: {', '.join(map(str, exc.ids))})" if exc.ids else ""
            self.rejects.add(number, row, exc.message + ids)
        except ValidationError as exc:
            s.invalid += 1
            self.rejects.add(number, row, exc.message)
        except (AuthenticationError, NotFoundError):
            raise  # wrong credentials or URL: stop, no row can succeed
        except CopperError as exc:
            s.failed += 1
            self.rejects.add(number, row, str(exc))
        else:
            s.record(lead.id, lead.date_created, lead.date_modified)
