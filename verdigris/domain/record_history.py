"""The history of people, companies and opportunities: their versions, and the pure
rules over them (issue 21: "webhooks and history cover them too").

The same model as a lead's history (:mod:`verdigris.domain.history`): a version is the
record as one write left it, whole, and a delete's version is the record as it was
deleted. The three kinds share one table, told apart by ``entity``; their snapshots are
the msgspec JSON of the domain struct (:class:`~verdigris.domain.crm.Person`,
:class:`~verdigris.domain.crm.Company`, :class:`~verdigris.domain.crm.Opportunity`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from verdigris.domain.crm import Company, Opportunity, Person

#: the record kinds with a history here (leads have theirs, domain/history.py)
RecordEntity = Literal["person", "company", "opportunity"]
ENTITIES: tuple[RecordEntity, ...] = ("person", "company", "opportunity")
KINDS: dict[str, type[Person] | type[Company] | type[Opportunity]] = {
    "person": Person,
    "company": Company,
    "opportunity": Opportunity,
}
#: a record with a history here
Record = Person | Company | Opportunity

_encode = msgspec.json.Encoder().encode
_decoders = {entity: msgspec.json.Decoder(kind) for entity, kind in KINDS.items()}


class RecordVersion(msgspec.Struct, frozen=True, kw_only=True):
    """One stored version of a person, a company or an opportunity."""

    account_id: int
    entity: str
    record_id: int
    version: int
    #: new, update, delete, restore, or baseline (as a lead's)
    event: str
    #: why, when more than a plain write: restore
    cause: str | None
    #: the record as JSON text (:func:`record_json`)
    data: str
    user_id: int | None
    at: int
    route: str | None = None
    request_id: str | None = None

    @property
    def record(self) -> Record:
        """The record the version holds, as its domain struct."""
        decoded: Record = _decoders[self.entity].decode(self.data)
        return decoded


def record_json(record: Record) -> str:
    """A record as a version stores it (msgspec JSON of the whole struct)."""
    return _encode(record).decode()


def restored(current: Record, old: Record, *, now: int, known_fields: Mapping[int, Any]) -> Record:
    """``current`` made what ``old`` (a version of it) holds, modified at ``now``.

    Everything comes from the version but the id, the account and ``date_created``
    (the record's own, which a version of it shares); custom field values whose
    definition no longer exists on the record's kind are left out. References to other
    records are checked by the caller (:func:`with_links`).
    """
    custom = {k: v for k, v in old.custom_fields.items() if k in known_fields}
    return msgspec.structs.replace(
        old,
        id=current.id,
        account_id=current.account_id,
        date_created=current.date_created,
        custom_fields=custom,
        date_modified=now,
    )


def revived(old: Record, *, now: int, known_fields: Mapping[int, Any]) -> Record:
    """A deleted record back from its last version, with its id, modified at ``now``."""
    custom = {k: v for k, v in old.custom_fields.items() if k in known_fields}
    return msgspec.structs.replace(old, custom_fields=custom, date_modified=now)


def with_links(record: Record, *, company: Company | None, contact_exists: bool) -> Record:
    """``record`` with its references as they can be now: a company deleted since is no
    longer its company (``company_id`` and ``company_name`` null, as deleting a company
    leaves its people and opportunities), a company renamed since gives its current name,
    and an opportunity's primary contact deleted since is null (as deleting a person
    leaves its opportunities). ``company``: the record's company as it is now (None:
    it has none, or it is gone)."""
    values: dict[str, Any] = {}
    if isinstance(record, Person | Opportunity) and record.company_id is not None:
        if company is None:
            values.update(company_id=None, company_name=None)
        elif record.company_name != company.name:
            values["company_name"] = company.name
    if isinstance(record, Opportunity) and record.primary_contact_id and not contact_exists:
        values["primary_contact_id"] = None
    return msgspec.structs.replace(record, **values) if values else record
