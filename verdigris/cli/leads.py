"""``verdigris leads import`` and ``verdigris leads export``: leads in and out of a
running server (verdigris or Copper itself) through the SDK. See docs/cli.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from verdigris.cli import exporter
from verdigris.cli.importer import Importer, Progress, Rejects, Source, Summary
from verdigris.cli.lookups import Lookups
from verdigris.cli.presets import PRESETS, Preset
from verdigris.cli.preview import Preview
from verdigris.cli.rows import (
    LOOKED_UP,
    RowReader,
    custom_id,
    parse_map,
    resolve_column,
    valid_target,
)
from verdigris.client import AsyncClient, NotFoundError, RetryPolicy
from verdigris.client.models import CustomFieldDefinitionOut
from verdigris.client.pacing import PER_MINUTE

DEFAULT_URL = "http://127.0.0.1:8000/developer_api/v1"
TOKEN_ENV = ("VERDIGRIS_TOKEN", "COPPER_API_KEY")
EMAIL_ENV = ("VERDIGRIS_EMAIL", "COPPER_USER_EMAIL")
#: exit status of an import that finished with rejected rows
EXIT_REJECTS = 2


def _connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        metavar="URL",
        help=f"the API's base URL (default {DEFAULT_URL}; Copper: "
        "https://api.copper.com/developer_api/v1)  [env VERDIGRIS_URL]",
    )
    parser.add_argument(
        "--token", metavar="KEY", help="API key  [env VERDIGRIS_TOKEN or COPPER_API_KEY]"
    )
    parser.add_argument(
        "--email", help="email of the key's user  [env VERDIGRIS_EMAIL or COPPER_USER_EMAIL]"
    )
    parser.add_argument(
        "--rate",
        type=int,
        metavar="N",
        help="at most this many requests per minute (default: 180, Copper's limit, when the "
        "URL is Copper's; none otherwise; 0 = none)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar (it is off anyway when stderr is not a terminal) and no mapping "
        "on stderr",
    )


def add_parser(sub: Any) -> None:
    """Add ``leads import`` and ``leads export`` to the ``verdigris`` parser."""
    leads = sub.add_parser("leads", help="import and export leads through the API")
    leads_sub = leads.add_subparsers(dest="leads_command", required=True, metavar="ACTION")

    imp = leads_sub.add_parser(
        "import",
        help="upsert every row of a CSV or JSONL file",
        description="Upsert each row on its match key: re-running creates no duplicates. "
        "Rows that fail go to a reject file with the reason. Headers of other CRMs' "
        "exports (First Name, E-mail, Lead Status, Lead Owner ...) and custom field names "
        "are mapped to Copper's fields; the mapping is shown before anything is written.",
    )
    imp.add_argument("file", metavar="FILE", help="a .csv (with a header row) or .jsonl file")
    imp.add_argument(
        "--match",
        default="email",
        metavar="KEY",
        help="match rows to leads on email (default), name or custom:<definition id> (a "
        "filterable custom field)",
    )
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="read COLUMN as Copper field FIELD (COLUMN= ignores it); repeatable",
    )
    imp.add_argument(
        "--from",
        dest="preset",
        choices=sorted(PRESETS),
        help="the file is that CRM's export: its headers, list separator, date formats, "
        "and status and source names (mapped to this account's; see Moving from another CRM "
        "in docs/cli.md)",
    )
    imp.add_argument(
        "--ignore-unmapped",
        action="store_true",
        help="skip columns that map to no field, listed on stderr (default: show the "
        "mapping and stop)",
    )
    imp.add_argument(
        "--dry-run",
        action="store_true",
        help="show the mapping, check every row against the server with read-only requests "
        "and print how many leads would be created, updated, ambiguous or rejected, and "
        "the first reasons; nothing is written (no reject file either)",
    )
    imp.add_argument(
        "--rejects",
        metavar="PATH",
        help="reject file (default: FILE.rejects.csv or .jsonl beside FILE)",
    )
    imp.add_argument(
        "--format",
        choices=("csv", "jsonl"),
        help="the file's format (default: from the extension: .csv, .jsonl, .ndjson)",
    )
    imp.add_argument(
        "--workers", type=int, default=8, metavar="N", help="upserts in flight at once (default 8)"
    )
    imp.add_argument(
        "--run-id",
        metavar="ID",
        help="the id this import run is recorded under in verdigris's lead history, for "
        "`leads revert` (default: the time and a random suffix; printed at the end)",
    )
    _connection_flags(imp)

    rev = leads_sub.add_parser(
        "revert",
        help="undo an import run's creates and updates (verdigris only)",
        description="Put back every lead an import run wrote, from verdigris's lead history: "
        "a lead the run created is deleted, a lead it updated gets its version from before "
        "the run. A lead written since the run is left alone and listed. Safe to run again.",
    )
    rev.add_argument("run_id", metavar="RUN_ID", help="the run id `leads import` printed")
    _connection_flags(rev)

    exp = leads_sub.add_parser(
        "export",
        help="write every lead a search matches as CSV or JSONL",
        description="Stream the leads matching the filters (all leads by default), page by "
        "page. CSV columns are those `leads import` reads.",
    )
    exp.add_argument(
        "--format",
        choices=("csv", "jsonl"),
        help="what to write (default: from --output's extension, or csv)",
    )
    exp.add_argument("--output", "-o", metavar="FILE", help="file to write (default: stdout)")
    exp.add_argument(
        "--name", metavar="TEXT", help="leads with this full name (Copper's name filter)"
    )
    exp.add_argument(
        "--emails",
        metavar="ADDRESS",
        help="leads with this email address (Copper's emails; --email is your login)",
    )
    exp.add_argument(
        "--phone-number",
        dest="phone_number",
        metavar="NUMBER",
        help="leads with a phone number ending in these digits (phone_number; Copper's rule, "
        "docs/compatibility.md)",
    )
    for flag in ("city", "state", "postal-code", "country"):
        what = flag.replace("-", " ")
        exp.add_argument(
            f"--{flag}", dest=flag.replace("-", "_"), metavar="TEXT", help=f"leads with this {what}"
        )
    exp.add_argument(
        "--tag", action="append", metavar="TAG", help="leads with this tag (repeat: any of them)"
    )
    ids = (
        ("status-id", "leads of this status id (status_ids)"),
        ("assignee-id", "leads of this user id, -2: unassigned (assignee_ids)"),
        ("source-id", "leads of this customer source id, -2: none (customer_source_ids)"),
    )
    for flag, text in ids:
        exp.add_argument(
            f"--{flag}", dest=flag.replace("-", "_"), type=int, action="append", metavar="ID",
            help=f"{text}; repeatable (any of them)",
        )  # fmt: skip
    dates = (
        ("created-after", "leads created at DATE or later (minimum_created_date)"),
        ("created-before", "leads created before DATE (maximum_created_date, one second less)"),
        ("modified-after", "leads modified at DATE or later (minimum_modified_date)"),
        ("modified-before", "leads modified before DATE (maximum_modified_date, one second less)"),
    )
    for flag, text in dates:
        exp.add_argument(
            f"--{flag}",
            dest=flag.replace("-", "_"),
            metavar="DATE",
            help=f"{text}; DATE is YYYY-MM-DD[THH:MM] (UTC) or Unix seconds",
        )
    exp.add_argument(
        "--include-converted",
        action="store_true",
        help="include converted leads (include_converted_leads)",
    )
    exp.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any Copper search parameter; VALUE is JSON if it parses (repeatable, applied last)",
    )
    exp.add_argument(
        "--sort-by",
        default="date_created",
        metavar="FIELD",
        help="Copper's sort_by (default date_created); ties are broken by id, so pages never "
        "overlap",
    )
    exp.add_argument("--sort-direction", choices=("asc", "desc"), default="asc", help="default asc")
    exp.add_argument(
        "--page-size",
        type=int,
        default=200,
        metavar="N",
        help="leads per request (default and Copper's maximum: 200)",
    )
    exp.add_argument("--limit", type=int, metavar="N", help="stop after N leads (default: all)")
    _connection_flags(exp)


def credentials(args: argparse.Namespace) -> tuple[str, str, str]:
    url = args.url or os.environ.get("VERDIGRIS_URL") or DEFAULT_URL
    token = args.token or next((os.environ[v] for v in TOKEN_ENV if os.environ.get(v)), "")
    email = args.email or next((os.environ[v] for v in EMAIL_ENV if os.environ.get(v)), "")
    if not token:
        raise ValueError("no API key: pass --token or set VERDIGRIS_TOKEN")
    if not email:
        raise ValueError("no user email: pass --email or set VERDIGRIS_EMAIL")
    return url, token, email


def make_client(
    args: argparse.Namespace, connections: int, headers: dict[str, str] | None = None
) -> AsyncClient:
    url, token, email = credentials(args)
    rate = args.rate
    if rate is None:
        rate = PER_MINUTE if (urlsplit(url).hostname or "").endswith("copper.com") else 0
    return AsyncClient(
        url,
        token,
        email,
        requests_per_minute=rate or None,
        retry=RetryPolicy(rate_limit_retries=10),
        max_connections=max(connections, 1),
        timeout=60.0,
        headers=headers,
    )


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


class BarProgress(Progress):
    """A tqdm bar on stderr: rows done, rows/s, ETA and the counts so far."""

    def __init__(self, total: int) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit=" rows", dynamic_ncols=True, smoothing=0.05)

    def advance(self, summary: Summary) -> None:
        self.bar.update(1)
        if summary.rows % 50 == 0 or summary.rows == self.bar.total:
            self.bar.set_postfix(ok=summary.done, rejected=summary.rejected)

    def close(self) -> None:
        self.bar.close()


def _loop_factory() -> Any:
    """uvloop's event loop where installed (a dependency except on Windows)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(args: argparse.Namespace) -> int:
    if args.leads_command == "import":
        return run_import(args)
    if args.leads_command == "export":
        return run_export(args)
    if args.leads_command == "revert":
        return run_revert(args)
    raise ValueError(f"unknown leads action {args.leads_command!r}")


def run_import(args: argparse.Namespace) -> int:
    source = Source.open(Path(args.file), args.format)
    if args.match not in ("email", "name") and custom_id(args.match) is None:
        raise ValueError(f"--match must be email, name or custom:<id>, got {args.match!r}")
    rejects = (
        Path(args.rejects) if args.rejects else Rejects.default_path(source.path, source.format)
    )
    run_id = (
        args.run_id or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + os.urandom(3).hex()
    )
    if not 1 <= len(run_id) <= 64:
        raise ValueError("--run-id must be 1 to 64 characters")
    summary = Summary(rejects=rejects, dry_run=args.dry_run, run_id=run_id)
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            summary = runner.run(_import(args, source, rejects, summary))
    except KeyboardInterrupt:
        summary.interrupted = True
        return 130
    finally:
        print("\n".join(summary.lines()), flush=True)
    return EXIT_REJECTS if summary.rejected else 0


async def _import(
    args: argparse.Namespace, source: Source, rejects_path: Path, summary: Summary
) -> Summary:
    columns = source.columns()
    renames = parse_map(args.map)
    preset = PRESETS[args.preset] if args.preset else None
    headers = {"X-Verdigris-Import-Run": summary.run_id} if summary.run_id else None
    async with make_client(args, args.workers, headers) as client:
        definitions = None
        # definitions: for columns named like one, and for custom:<id> targets
        named = [c for c in columns if c not in renames and valid_target(c.strip()) is None]
        targets = [resolve_column(c, renames, preset).target for c in columns] + [args.match]
        if named or any(custom_id(t) is not None for t in targets):
            definitions = await _definitions(client)
        reader = RowReader(columns, renames, definitions, preset=preset, ignore_unmapped=True)
        unmapped = reader.unmapped(columns)
        if args.dry_run or not args.quiet or (unmapped and not args.ignore_unmapped):
            out = sys.stdout if args.dry_run else sys.stderr
            print("\n".join(mapping_lines(source, reader, preset)), file=out, flush=True)
        reader.ignore_unmapped = args.ignore_unmapped
        reader.check(columns)
        if unmapped:
            print(f"ignoring unmapped column(s): {', '.join(unmapped)}", file=sys.stderr)
        wanted = {reader.column(c).target.partition(":")[0] for c in columns}
        lookups = await Lookups.fetch(
            client, LOOKED_UP if args.dry_run else wanted.intersection(LOOKED_UP)
        )
        if "owner" in wanted and lookups.users is None:
            raise ValueError("the server does not list its users: --map the owner column")
        reader.lookups = lookups
        progress = BarProgress(source.count()) if _show_progress(args) else None
        if args.dry_run:
            preview = Preview(
                client,
                source,
                reader,
                args.match,
                lookups,
                definitions,
                workers=args.workers,
                progress=progress,
            )
            preview.summary = summary
            try:
                return await preview.run()
            finally:
                if progress:
                    progress.close()
        importer = Importer(
            client,
            source,
            reader,
            args.match,
            Rejects(rejects_path, source.format, columns),
            workers=args.workers,
            progress=progress,
        )
        importer.summary = summary
        try:
            return await importer.run()
        finally:
            if progress:
                progress.close()


def mapping_lines(source: Source, reader: RowReader, preset: Preset | None) -> list[str]:
    """The mapping, one column a line: ``column -> field`` (why), and sample values."""
    columns = source.columns()
    samples: dict[str, list[str]] = {c: [] for c in columns}
    for number, row, _ in source.rows():
        if number > 200:
            break
        for column, value in (row or {}).items():
            text = (value if isinstance(value, str) else json.dumps(value)).strip()
            shown = samples.get(column)
            if shown is not None and text and text not in shown and len(shown) < 3:
                shown.append(text)
    width = max((len(c) for c in columns), default=0)
    title = f"mapping ({preset.name} export)" if preset else "mapping"
    lines = [f"{title}:"]
    for column in columns:
        found = reader.column(column)
        if found.target == "?":
            where = "?  (unmapped)"
        elif not found.target:
            where = f"-  ({found.how})"
        else:
            where = f"{found.target}  ({found.how})"
        example = ", ".join(_short(v) for v in samples[column])
        lines.append(f"  {column:<{width}} -> {where}" + (f"  e.g. {example}" if example else ""))
    return lines


def _short(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "..."


async def _definitions(client: AsyncClient) -> dict[int, CustomFieldDefinitionOut] | None:
    """The account's custom field definitions on leads, or None when the server does not
    serve them (values then go as written, and the server checks them)."""
    try:
        found = await client.custom_field_definitions()
    except NotFoundError:
        return None
    return {d.id: d for d in found if not d.available_on or "lead" in d.available_on}


def run_export(args: argparse.Namespace) -> int:
    filters = exporter.search_filters(args)
    fmt = exporter.output_format(args)
    stream = open(args.output, "w", newline="") if args.output else sys.stdout  # noqa: SIM115
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            count, seconds = runner.run(_export(args, filters, stream, fmt))
    finally:
        if args.output:
            stream.close()
    where = args.output or "stdout"
    rate = count / seconds if seconds > 0 else 0.0
    print(f"exported {count} leads to {where} in {seconds:.1f} s ({rate:.0f} leads/s)",
          file=sys.stderr)  # fmt: skip
    return 0


async def _export(
    args: argparse.Namespace, filters: dict[str, Any], stream: Any, fmt: str
) -> tuple[int, float]:
    async with make_client(args, 2) as client:
        return await exporter.export(
            client,
            filters,
            stream,
            fmt,
            page_size=args.page_size,
            limit=args.limit,
            progress=_show_progress(args),
        )


def run_revert(args: argparse.Namespace) -> int:
    """``leads revert RUN_ID``: 0 when every lead of the run was reverted, 1 when some
    were left alone (listed), as ``leads import`` exits with rejects."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        reverted, skipped = runner.run(_revert(args))
    print(f"run {args.run_id}: reverted {reverted} lead(s), left {len(skipped)} alone")
    for lead_id, reason in skipped:
        print(f"  lead {lead_id}: {REVERT_REASONS.get(reason, reason)}")
    return EXIT_REJECTS if skipped else 0


#: why a lead was left alone, in words
REVERT_REASONS = {
    "changed_since": "changed since the run (left as it is)",
    "already_reverted": "already reverted",
    "deleted": "deleted since the run",
    "converted": "converted since the run",
    "no_earlier_version": "no version from before the run is kept (history retention)",
}


async def _revert(args: argparse.Namespace) -> tuple[int, list[tuple[int, str]]]:
    reverted = 0
    skipped: list[tuple[int, str]] = []
    bar: Any = None
    async with make_client(args, 1) as client:
        after: int | None = None
        try:
            while True:
                step = await client.revert_import(args.run_id, after=after)
                if bar is None and _show_progress(args):
                    from tqdm import tqdm

                    bar = tqdm(total=step.leads, unit=" leads", dynamic_ncols=True)
                reverted += len(step.reverted)
                skipped += [(s.id, s.reason) for s in step.skipped]
                if bar is not None:
                    bar.update(len(step.reverted) + len(step.skipped))
                    bar.set_postfix(reverted=reverted, left=len(skipped))
                if step.next_after is None:
                    return reverted, skipped
                after = step.next_after
        finally:
            if bar is not None:
                bar.close()
