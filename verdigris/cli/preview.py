"""``verdigris leads import --dry-run``: what an import would do, with nothing written.

Copper has no dry run for upserts (nor, yet, does verdigris), so each row is checked here
with read-only requests only:

1. the row is read as the import reads it (columns mapped, statuses, sources and owners
   looked up in the account's lists), and its match key taken;
2. the leads matching that key are counted with a search (``emails`` or ``name``, keeping
   exact matches; a custom field key is looked up in an index of every lead's value, built
   with one pass over the leads, since Copper cannot search text fields): none → created,
   one → updated, several → ambiguous. A key that an earlier row of the file would have
   created counts as updated, as it does in the real run;
3. the properties are validated with the rules the verdigris server applies
   (:func:`verdigris.domain.leads.parse_changes`, and a name for a lead to create),
   against the account's statuses, sources, users and custom field definitions.

The counts are those a real run on the same data would report; a server whose rules
differ from verdigris's (Copper itself) may still refuse a row the preview passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verdigris.cli.importer import Progress, Row, Source, Summary
from verdigris.cli.lookups import Lookups
from verdigris.cli.rows import RowError, RowReader, row_upsert
from verdigris.client import (
    AsyncClient,
    AuthenticationError,
    CopperError,
    CustomFieldDefinitionOut,
    Match,
    NotFoundError,
)
from verdigris.domain.custom_fields import CustomFieldDefinition, Option, value_key
from verdigris.domain.errors import ValidationFailed
from verdigris.domain.leads import new_lead, normalize_email, normalize_name, parse_changes
from verdigris.domain.matching import (
    LOOKUP_LIMIT,
    MAX_LISTED_MATCHES,
    MatchCriteria,
    custom_criteria,
    parse_match,
    with_match_value,
)
from verdigris.wire import catalogue

#: how many reject reasons the preview prints
SHOWN_REASONS = 10
#: rows read (and their searches run) at a time
CHUNK_ROWS = 500


@dataclass(frozen=True)
class _Checked:
    properties: dict[str, Any]
    match: Match
    key: Any


def domain_definition(d: CustomFieldDefinitionOut) -> CustomFieldDefinition:
    return CustomFieldDefinition(
        id=d.id,
        account_id=0,
        name=d.name,
        data_type=d.data_type,
        available_on=tuple(d.available_on or ("lead",)),
        is_filterable=d.is_filterable,
        options=tuple(Option(o.id, o.name, o.rank or 0) for o in d.options),
        currency=d.currency,
        canonical_name=d.canonical_name,
    )


class AccountRules:
    """The account's lists as the domain's validation wants them (``AccountContext``).
    A list the server did not serve checks nothing (the real run's server will)."""

    def __init__(
        self, lookups: Lookups, definitions: Mapping[int, CustomFieldDefinitionOut] | None
    ) -> None:
        self.lookups = lookups
        self.definitions = (
            {i: domain_definition(d) for i, d in definitions.items()}
            if definitions is not None
            else None
        )

    def default_status_id(self) -> int | None:
        statuses = self.lookups.statuses
        default = next((s.id for s in statuses if s.is_default), None)
        return default if default is not None else (statuses[0].id if statuses else 0)

    def status_id_for_name(self, name: str) -> int | None:
        wanted = name.strip().lower()
        return next((s.id for s in self.lookups.statuses if s.name.lower() == wanted), None)

    def has_status(self, status_id: int) -> bool:
        return any(s.id == status_id for s in self.lookups.statuses)

    def has_source(self, source_id: int) -> bool:
        return any(s.id == source_id for s in self.lookups.sources)

    def has_user(self, user_id: int) -> bool:
        users = self.lookups.users
        return users is None or any(u.id == user_id for u in users)

    def custom_field(self, definition_id: int) -> CustomFieldDefinition | None:
        return (self.definitions or {}).get(definition_id)

    def lead_custom_field(self, definition_id: int) -> CustomFieldDefinition | None:
        return self.custom_field(definition_id)


class Preview:
    """Checks every row of a file against a server without writing (see the module)."""

    def __init__(
        self,
        client: AsyncClient,
        source: Source,
        reader: RowReader,
        match: str,
        lookups: Lookups,
        definitions: Mapping[int, CustomFieldDefinitionOut] | None,
        *,
        workers: int = 8,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.source = source
        self.reader = reader
        self.match = match
        self.rules = AccountRules(lookups, definitions)
        self.progress = progress or Progress()
        self.summary = Summary(dry_run=True)
        #: match keys of leads this file would create
        self.created: set[Any] = set()
        #: a custom field's values -> lead ids (built on first use)
        self.index: dict[str, list[int]] | None = None
        #: match key -> the ids of the leads it finds on the server (or the search's error)
        self.found: dict[Any, list[int] | CopperError] = {}
        self.workers = max(1, workers)

    async def run(self) -> Summary:
        """Check every row. Rows are read in chunks; the searches of a chunk's new match
        keys run concurrently (``workers`` at a time), then its rows are counted in file
        order, so that a key an earlier row creates counts as updated."""
        started = time.monotonic()
        try:
            chunk: list[tuple[int, Row | None, str | None]] = []
            for item in self.source.rows():
                chunk.append(item)
                if len(chunk) >= CHUNK_ROWS:
                    await self._chunk(chunk)
                    chunk = []
            await self._chunk(chunk)
        finally:
            self.summary.seconds = time.monotonic() - started
        return self.summary

    async def _chunk(self, items: list[tuple[int, Row | None, str | None]]) -> None:
        read = [self._read(*item) for item in items]
        todo = {
            checked.key: checked.match
            for checked in read
            if isinstance(checked, _Checked)
            and checked.key not in self.created
            and checked.key not in self.found
        }
        if any(key[0] == "custom" for key in todo) and self.index is None:
            custom = next(key for key in todo if key[0] == "custom")
            self.index = await self._custom_index(custom[1])
        gate = asyncio.Semaphore(self.workers)

        async def look(key: Any, match: Match) -> None:
            async with gate:
                try:
                    self.found[key] = await self._matching(match, key)
                except (AuthenticationError, NotFoundError):
                    raise  # wrong credentials or URL: stop, as a real run does
                except CopperError as exc:
                    self.found[key] = exc

        try:
            async with asyncio.TaskGroup() as group:
                for key, match in todo.items():
                    group.create_task(look(key, match))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        for number, checked in zip((i[0] for i in items), read, strict=True):
            self._count(number, checked)
            self.summary.rows += 1
            self.progress.advance(self.summary)
        for key in todo:
            if isinstance(self.found.get(key), CopperError):
                del self.found[key]  # a failed search is tried again for a later row

    def _reject(self, number: int, reason: str) -> None:
        if len(self.summary.reasons) < SHOWN_REASONS:
            self.summary.reasons.append((number, reason))

    def _read(self, number: int, row: Row | None, problem: str | None) -> _Checked | RowError:
        """A row's properties, match and match key, or why it cannot be imported."""
        try:
            properties, match = row_upsert(self.reader, self.match, row, problem)
            return _Checked(properties, match, self._key(match))
        except RowError as exc:
            return exc

    def _count(self, number: int, checked: _Checked | RowError) -> None:
        s = self.summary
        try:
            if isinstance(checked, RowError):
                raise checked
            key = checked.key
            ids: list[int] | CopperError = [] if key in self.created else self.found[key]
            if isinstance(ids, CopperError):
                raise ids
            if len(ids) > 1:
                s.ambiguous += 1
                self._reject(number, _ambiguous(ids))
                return
            creating = not ids and key not in self.created
            self._validate(checked.properties, checked.match, creating)
        except RowError as exc:
            s.invalid += 1
            self._reject(number, str(exc))
        except CopperError as exc:
            s.failed += 1
            self._reject(number, str(exc))
        else:
            s.successes += 1
            if creating:
                s.created += 1
                self.created.add(key)
            else:
                s.updated += 1

    def _key(self, match: Match) -> Any:
        """The match value as the server compares it."""
        if match.field_name == "email":
            return ("email", normalize_email(str(match.field_value)))
        if match.field_name == "name":
            return ("name", normalize_name(str(match.field_value)))
        value = match.field_value
        def_id = int(value["custom_field_definition_id"])
        if self.rules.custom_field(def_id) is None:
            return ("custom", def_id, repr(value["value"]))  # the server checks it
        try:
            criteria = custom_criteria(
                self.rules.custom_field, MatchCriteria("custom", value["value"], def_id)
            )
        except ValidationFailed as exc:
            raise RowError(exc.message) from None
        return ("custom", def_id, criteria.value)

    async def _matching(self, match: Match, key: Any) -> list[int]:
        """Ids of the leads the upsert would match (up to 31), from read-only searches."""
        if key[0] == "email":
            page = await self.client.search_leads_page({"emails": key[1]}, page_size=200)
            return [
                lead.id
                for lead in page.leads
                if lead.email is not None and normalize_email(lead.email.email) == key[1]
            ][:LOOKUP_LIMIT]
        if key[0] == "name":
            ids = []
            async for lead in self.client.search_leads({"name": key[1]}, page_size=200):
                if lead.name is not None and lead.name == key[1]:
                    ids.append(lead.id)
                    if len(ids) >= LOOKUP_LIMIT:
                        break
            return ids
        return (self.index or {}).get(key[2], [])[:LOOKUP_LIMIT]

    async def _custom_index(self, def_id: int) -> dict[str, list[int]]:
        """Every lead's value of one custom field (text fields cannot be searched)."""
        index: dict[str, list[int]] = {}
        async for lead in self.client.search_leads({}, page_size=200):
            for item in lead.custom_fields:
                value = item.value
                if item.custom_field_definition_id == def_id and value not in (None, []):
                    if isinstance(value, list):
                        continue  # lists (multi-select) are no match keys
                    index.setdefault(value_key(value), []).append(lead.id)
        return index

    def _validate(self, properties: Mapping[str, Any], match: Match, creating: bool) -> None:
        data = dict(properties)
        if self.rules.definitions is None:
            data.pop("custom_fields", None)  # not served: the real run's server checks them
        try:
            if creating:
                data = dict(with_match_value(data, parse_match(match.wire())))
            changes = parse_changes(data, self.rules)
            if creating:
                new_lead(
                    changes, account_id=0, now=0, default_status_id=self.rules.default_status_id()
                )
        except ValidationFailed as exc:
            raise RowError(exc.message) from None


def _ambiguous(ids: list[int]) -> str:
    if len(ids) > MAX_LISTED_MATCHES:
        return catalogue.TOO_MANY_MATCHES_MESSAGE
    listed = ", ".join(map(str, sorted(ids)))
    message = catalogue.AMBIGUOUS_MATCH_MESSAGE.format(count=len(ids))
    return f"{message} (matching ids: {listed})"
