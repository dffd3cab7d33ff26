"""A lead's history: its versions, and the pure rules over them (issue 19).

A version is the lead as one write left it, whole (not a delta): version ``n`` of a lead
is its state after its ``n``-th recorded write, and a delete's version is the lead as it
was deleted. Whole snapshots make every read (show one, diff two, restore one) a single
row, independent of how long the history is, and keep retention simple: pruning old
versions never breaks the ones kept. A lead written before history was on gets its
state before that write recorded first, as a ``baseline`` version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from verdigris.domain.leads import Lead

#: what made a version: Copper's webhook events, a restore, or the state found before
#: the first recorded write of a lead older than its history
VersionEvent = Literal["new", "update", "delete", "restore", "baseline"]

_encode = msgspec.json.Encoder().encode
_decode_lead = msgspec.json.Decoder(Lead).decode


class Version(msgspec.Struct, frozen=True, kw_only=True):
    """One stored version of a lead."""

    account_id: int
    lead_id: int
    version: int
    event: str
    #: why, when more than a plain write: upsert, bulk_update, bulk_create, convert, restore
    cause: str | None
    #: the lead as JSON text (:func:`lead_json`)
    data: str
    user_id: int | None
    at: int
    route: str | None = None
    request_id: str | None = None
    import_run: str | None = None

    @property
    def lead(self) -> Lead:
        return _decode_lead(self.data)


def lead_json(lead: Lead) -> str:
    """A lead as a version stores it (msgspec JSON of the whole :class:`Lead`)."""
    return _encode(lead).decode()


#: the parts of a lead a restore takes from the version; the rest (id, account,
#: date_created, conversion) is the lead's own
RESTORED = tuple(
    f
    for f in Lead.__struct_fields__
    if f
    not in (
        "id",
        "account_id",
        "date_created",
        "date_modified",
        "converted_at",
        "converted_opportunity_id",
        "converted_value",
        "converted_unit",
    )
)


def restored(current: Lead, old: Lead, *, now: int, known_fields: Mapping[int, Any]) -> Lead:
    """``current`` with the values of ``old`` (a version), modified at ``now``.

    Custom field values whose definition no longer exists on leads are left out.
    """
    values = {f: getattr(old, f) for f in RESTORED}
    values["custom_fields"] = {k: v for k, v in old.custom_fields.items() if k in known_fields}
    return msgspec.structs.replace(current, **values, date_modified=now)


def revived(old: Lead, *, now: int, known_fields: Mapping[int, Any]) -> Lead:
    """A deleted lead back from its last version, with its id, modified at ``now``."""
    custom = {k: v for k, v in old.custom_fields.items() if k in known_fields}
    return msgspec.structs.replace(old, custom_fields=custom, date_modified=now)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(key, before, after)`` for every key whose value differs, in ``after``'s order
    (keys only ``before`` has come last)."""
    keys = list(after) + [k for k in before if k not in after]
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
