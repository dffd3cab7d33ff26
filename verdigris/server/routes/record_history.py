"""History routes of people, companies and opportunities (issue 21), under
``/verdigris/v1``: the lead ones (``routes/history.py``) for each kind, same names and
shapes, the record rendered as Copper's ``GET /people/{id}`` (and the others) renders it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from verdigris import wire
from verdigris.domain import history as history_rules
from verdigris.domain.errors import ValidationFailed
from verdigris.domain.record_history import RecordEntity
from verdigris.server import render
from verdigris.server.routes import EXTENSION_BASE, Call, RouteSpec
from verdigris.server.routes.history import _limit, _query_int
from verdigris.services import Services
from verdigris.services.record_history import ShownRecordVersion
from verdigris.wire import catalogue
from verdigris.wire.history import FieldChangeOut, NoBodyIn
from verdigris.wire.record_history import (
    CompanyVersionDiffOut,
    CompanyVersionOut,
    OpportunityVersionDiffOut,
    OpportunityVersionOut,
    PersonVersionDiffOut,
    PersonVersionOut,
)


@dataclass(frozen=True)
class Kind:
    """What differs between the kinds: names, paths and wire types."""

    entity: RecordEntity
    #: the path segment (Copper's): people, companies, opportunities
    plural: str
    #: "a person", for the summaries
    article: str
    render: Callable[[Any], Any]
    record: type
    version: type
    #: ``list[version]``, the answer of the lists
    versions: Any
    diff: type


PERSON = Kind(
    "person",
    "people",
    "a person",
    render.person_out,
    wire.PersonOut,
    PersonVersionOut,
    list[PersonVersionOut],
    PersonVersionDiffOut,
)
COMPANY = Kind(
    "company",
    "companies",
    "a company",
    render.company_out,
    wire.CompanyOut,
    CompanyVersionOut,
    list[CompanyVersionOut],
    CompanyVersionDiffOut,
)
OPPORTUNITY = Kind(
    "opportunity",
    "opportunities",
    "an opportunity",
    render.opportunity_out,
    wire.OpportunityOut,
    OpportunityVersionOut,
    list[OpportunityVersionOut],
    OpportunityVersionDiffOut,
)


def version_out(kind: Kind, shown: ShownRecordVersion) -> Any:
    v = shown.version
    fields: dict[str, Any] = {
        "version": v.version,
        "event": v.event,
        "cause": v.cause,
        "user_id": v.user_id,
        "date_created": v.at,
        "route": v.route,
        "request_id": v.request_id,
        kind.entity: kind.render(shown.shown),
    }
    return kind.version(**fields)


def _routes(kind: Kind) -> list[RouteSpec]:
    entity, base = kind.entity, f"/{kind.plural}"

    def versions(services: Services, call: Call) -> list[Any]:
        before = _query_int(call, "before", None, 1, 2**31 - 1)
        found = services.crm_versions(
            call.principal, entity, call.path["id"], before=before, limit=_limit(call)
        )
        return [version_out(kind, v) for v in found]

    def version(services: Services, call: Call) -> Any:
        shown = services.crm_version(call.principal, entity, call.path["id"], call.path["n"])
        return version_out(kind, shown)

    def diff(services: Services, call: Call) -> Any:
        first = _query_int(call, "from", None, 1, 2**31 - 1)
        second = _query_int(call, "to", None, 1, 2**31 - 1)
        if first is None or second is None:
            raise ValidationFailed(
                {"from" if first is None else "to": ["blank"]},
                catalogue.RECORD_VERSIONS_PARAMETERS_MESSAGE.format(kind=entity),
            )
        a, b = services.crm_version_pair(call.principal, entity, call.path["id"], first, second)
        before: dict[str, Any] = msgspec.to_builtins(kind.render(a.shown))
        after: dict[str, Any] = msgspec.to_builtins(kind.render(b.shown))
        changes = [
            FieldChangeOut(key, old, new)
            for key, old, new in history_rules.diff(before, after)
            if key != "date_modified"
        ]
        return kind.diff(call.path["id"], first, second, changes)

    def restore(services: Services, call: Call) -> Any:
        shown = services.restore_crm_version(
            call.principal, entity, call.path["id"], call.path["n"]
        )
        return kind.render(shown)

    def deleted(services: Services, call: Call) -> list[Any]:
        after = _query_int(call, "after", None, 0, 2**63 - 1)
        found = services.deleted_crm_records(
            call.principal, entity, after=after, limit=_limit(call)
        )
        return [version_out(kind, v) for v in found]

    def restore_deleted(services: Services, call: Call) -> Any:
        return kind.render(
            services.restore_deleted_crm_record(call.principal, entity, call.path["id"])
        )

    what = kind.article
    return [
        RouteSpec(
            "GET",
            f"{base}/{{id:int}}/versions",
            versions,
            f"The versions of {what}, newest first (?before=N&limit=50)",
            response=kind.versions,
            base=EXTENSION_BASE,
        ),
        RouteSpec(
            "GET",
            f"{base}/{{id:int}}/versions/{{n:int}}",
            version,
            f"One version of {what}",
            response=kind.version,
            base=EXTENSION_BASE,
        ),
        RouteSpec(
            "GET",
            f"{base}/{{id:int}}/diff",
            diff,
            f"What changed between two versions of {what} (?from=N&to=M)",
            response=kind.diff,
            base=EXTENSION_BASE,
        ),
        RouteSpec(
            "POST",
            f"{base}/{{id:int}}/versions/{{n:int}}/restore",
            restore,
            f"Make {what} what one of its versions holds (a new version; a deleted one comes back)",
            request=NoBodyIn,
            response=kind.record,
            base=EXTENSION_BASE,
        ),
        RouteSpec(
            "GET",
            f"{base}/deleted",
            deleted,
            f"Deleted {kind.plural}, by id, each as it was deleted (?after=ID&limit=50)",
            response=kind.versions,
            base=EXTENSION_BASE,
        ),
        RouteSpec(
            "POST",
            f"{base}/{{id:int}}/restore",
            restore_deleted,
            f"Restore a deleted {kind.entity}, with its id, as it was deleted",
            request=NoBodyIn,
            response=kind.record,
            base=EXTENSION_BASE,
        ),
    ]


ROUTES = [*_routes(PERSON), *_routes(COMPANY), *_routes(OPPORTUNITY)]
