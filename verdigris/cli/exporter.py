"""``verdigris leads export``: stream every lead a search matches, as CSV or JSONL.

Pages of ``POST /leads/search`` (200 leads each) are written as they arrive, so memory
stays flat whatever the count. CSV columns are the ones ``leads import`` reads, so an
export imports back as it is; JSONL lines are Copper's own lead JSON.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Protocol

import msgspec

from verdigris.cli.rows import export_columns, export_row
from verdigris.client import AsyncClient, LeadOut
from verdigris.client.core import SEARCH_WINDOW

#: repeatable id flags -> Copper's list parameter
ID_LISTS = {
    "status_id": "status_ids",
    "assignee_id": "assignee_ids",
    "source_id": "customer_source_ids",
}
TEXTS = ("name", "phone_number", "emails", "city", "state", "postal_code", "country")
DATES = {
    "created_after": ("minimum_created_date", 0),
    "created_before": ("maximum_created_date", -1),
    "modified_after": ("minimum_modified_date", 0),
    "modified_before": ("maximum_modified_date", -1),
}


def unix_time(text: str) -> int:
    """``YYYY-MM-DD``, an ISO date-time (UTC unless it says otherwise) or Unix seconds."""
    if text.strip().isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD) or Unix seconds: {text!r}") from None
    return int(when.replace(tzinfo=when.tzinfo or dt.UTC).timestamp())


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def search_filters(args: argparse.Namespace) -> dict[str, Any]:
    """Copper search parameters from the export flags (``--filter`` wins last)."""
    params: dict[str, Any] = {}
    for flag in TEXTS:
        value = getattr(args, flag, None)
        if value:
            params[flag] = value
    for flag, param in ID_LISTS.items():
        if getattr(args, flag, None):
            params[param] = list(getattr(args, flag))
    if args.tag:
        params["tags"] = list(args.tag)
    for flag, (param, shift) in DATES.items():
        if getattr(args, flag, None):
            params[param] = unix_time(getattr(args, flag)) + shift
    if args.include_converted:
        params["include_converted_leads"] = True
    params["sort_by"] = args.sort_by
    params["sort_direction"] = args.sort_direction
    for spec in args.filter:
        key, sep, raw = spec.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--filter wants KEY=VALUE, got {spec!r}")
        params[key.strip()] = _json_or_text(raw)
    return params


class Bar(Protocol):
    def update(self, n: int = 1) -> Any: ...
    def close(self) -> None: ...


class Writer:
    """CSV or JSONL lines out; the CSV header comes from the first lead's custom fields."""

    def __init__(self, stream: IO[str], format: str) -> None:
        self.stream = stream
        self.format = format
        self._csv: csv.DictWriter[str] | None = None
        self.count = 0

    def write(self, lead: LeadOut) -> None:
        if self.format == "jsonl":
            self.stream.write(msgspec.json.encode(lead).decode() + "\n")
        else:
            if self._csv is None:
                self._csv = csv.DictWriter(self.stream, export_columns(lead), extrasaction="ignore")
                self._csv.writeheader()
            self._csv.writerow(export_row(lead))
        self.count += 1

    def finish(self, columns: list[str] | None = None) -> None:
        if self.format == "csv" and self._csv is None:
            csv.writer(self.stream).writerow(columns or [])  # no leads: the header alone
        self.stream.flush()


async def export(
    client: AsyncClient,
    filters: Mapping[str, Any],
    stream: IO[str],
    format: str,
    *,
    page_size: int = 200,
    limit: int | None = None,
    progress: bool = False,
) -> tuple[int, float]:
    """Write every matching lead; returns ``(count, seconds)``."""
    from verdigris.cli.rows import BASE_COLUMNS

    started = time.monotonic()
    writer = Writer(stream, format)
    results = client.search_leads(filters, page_size=page_size, limit=limit)
    bar: Bar | None = None
    async for lead in results:
        if bar is None and progress:
            from tqdm import tqdm

            bar = tqdm(total=results.total, unit=" leads", dynamic_ncols=True)
        if writer.count == 0 and (results.total or 0) > SEARCH_WINDOW and not limit:
            print(
                f"verdigris: warning: {results.total} leads match, but a search serves only "
                f"the first {SEARCH_WINDOW:,}; narrow it (e.g. --created-after) to get the rest",
                file=sys.stderr,
            )
        writer.write(lead)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    writer.finish(list(BASE_COLUMNS))
    return writer.count, time.monotonic() - started


def output_format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.output and Path(args.output).suffix.lower() in (".jsonl", ".ndjson"):
        return "jsonl"
    return "csv"
