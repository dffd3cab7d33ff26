"""verdigris's own history bodies for people, companies and opportunities
(``/verdigris/v1/``, issue 21), shaped as the lead ones (:mod:`verdigris.wire.history`):
never inside Copper's bodies."""

from __future__ import annotations

import msgspec

from verdigris.wire.crm import CompanyOut, OpportunityOut, PersonOut
from verdigris.wire.history import FieldChangeOut


class RecordVersionOut(msgspec.Struct, kw_only=True):
    """What every version says besides its record (the keys of a lead's version but
    ``import_run``: imports write leads only)."""

    #: 1, 2, 3... per record
    version: int
    #: new, update, delete, restore, or baseline (the record as found before the first
    #: write recorded, for records older than their history)
    event: str
    #: restore, when more than a plain write
    cause: str | None
    #: who wrote it (None: verdigris itself)
    user_id: int | None
    #: when, in Unix seconds
    date_created: int
    #: the route, as ``METHOD /path``
    route: str | None
    #: the request's ``X-Verdigris-Request-Id``
    request_id: str | None


class PersonVersionOut(RecordVersionOut, kw_only=True):
    """One version of a person: the person as one write left it (a delete: as it was)."""

    person: PersonOut


class CompanyVersionOut(RecordVersionOut, kw_only=True):
    """One version of a company: the company as one write left it (a delete: as it was)."""

    company: CompanyOut


class OpportunityVersionOut(RecordVersionOut, kw_only=True):
    """One version of an opportunity: as one write left it (a delete: as it was)."""

    opportunity: OpportunityOut


class PersonVersionDiffOut(msgspec.Struct):
    """What changed from one version of a person to another."""

    person_id: int
    from_version: int
    to_version: int
    changes: list[FieldChangeOut]


class CompanyVersionDiffOut(msgspec.Struct):
    """What changed from one version of a company to another."""

    company_id: int
    from_version: int
    to_version: int
    changes: list[FieldChangeOut]


class OpportunityVersionDiffOut(msgspec.Struct):
    """What changed from one version of an opportunity to another."""

    opportunity_id: int
    from_version: int
    to_version: int
    changes: list[FieldChangeOut]
