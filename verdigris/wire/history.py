"""verdigris's own lead history bodies (``/verdigris/v1/``, issue 19): never inside
Copper's bodies."""

from __future__ import annotations

from typing import Any

import msgspec

from verdigris.wire.leads import LeadOut


class NoBodyIn(msgspec.Struct):
    """No body: send none, or ``{}`` (a restore or revert takes what it needs from the path
    and the query string)."""


class VersionOut(msgspec.Struct, kw_only=True):
    """One version of a lead: the lead as one write left it (a delete: as it was)."""

    #: 1, 2, 3... per lead
    version: int
    #: new, update, delete, restore, or baseline (the lead as found before the first
    #: write recorded, for leads older than their history)
    event: str
    #: upsert, bulk_update, convert, restore, revert... when more than a plain write
    cause: str | None
    #: who wrote it (None: verdigris itself)
    user_id: int | None
    #: when, in Unix seconds
    date_created: int
    #: the route, as ``METHOD /path``
    route: str | None
    #: the request's ``X-Verdigris-Request-Id``
    request_id: str | None
    #: the import run that wrote it (``X-Verdigris-Import-Run``)
    import_run: str | None
    lead: LeadOut


class FieldChangeOut(msgspec.Struct):
    """One key of the lead that differs between two versions, in Copper's names."""

    field: str
    before: Any
    after: Any


class VersionDiffOut(msgspec.Struct):
    """What changed from one version of a lead to another."""

    lead_id: int
    from_version: int
    to_version: int
    changes: list[FieldChangeOut]


class SkippedOut(msgspec.Struct):
    """A lead an import revert left alone, and why."""

    id: int
    reason: str


class RevertOut(msgspec.Struct):
    """One page of an import run's revert."""

    reverted: list[int]
    skipped: list[SkippedOut]
    #: pass as ``after`` to go on; null when the run is done
    next_after: int | None
    #: how many leads the run wrote, in all (for a progress bar)
    leads: int
