"""Opportunities (issue 21): create, update and search, as Copper's Opportunities API does.

Copper's "Opportunities" pages (create, update, search, pipelines, stages, loss
reasons) define the fields; everything here is pure. A create needs ``name`` and
``primary_contact_id`` (Copper marks both required); the opportunity lands in the
account's first pipeline and that pipeline's first stage unless told otherwise, takes
its stage's win probability, and takes its primary contact's company when no
``company_id`` is sent (Copper's create example shows the contact's company). An
update changes only the keys sent; moving the stage records Copper's "Pipeline Stage
Changed" system activity (type 3).
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from verdigris.domain import search as lead_search
from verdigris.domain.activities import PIPELINE_STAGE_CHANGED, Activity
from verdigris.domain.crm import Company, Opportunity, Person, Pipeline, Stage
from verdigris.domain.custom_field_filters import CustomFilter, parse_custom_filters
from verdigris.domain.custom_fields import CustomFieldDefinition, parse_values
from verdigris.domain.errors import UNRECOGNIZED_PREFIX, FieldErrors, ValidationFailed
from verdigris.domain.leads import SHORT_TEXT_MAX
from verdigris.domain.search import Range, SearchPage, TagFilter
from verdigris.domain.search_keys import NO_VALUE_ID, text_key
from verdigris.domain.values import (
    DEFAULT_PAGE_SIZE,
    canonical_number,
    check_text,
    paging,
    parse_amount,
    parse_int,
    parse_tags,
    whole,
)

#: Copper's opportunity statuses, in the order of their search ids (0, 1, 2, 3)
STATUSES = ("Open", "Won", "Lost", "Abandoned")
#: Copper's priorities; verdigris numbers them 0-3 in this order for ``priority_ids``
PRIORITIES = ("None", "Low", "Medium", "High")
#: Copper's default loss reasons (its List Loss Reasons example)
DEFAULT_LOSS_REASONS = ("Price", "Features", "Competitor")
#: the keys a create or update reads (every other key is ignored, as on leads)
WRITABLE = (
    "name",
    "assignee_id",
    "close_date",
    "company_id",
    "customer_source_id",
    "details",
    "loss_reason_id",
    "monetary_unit",
    "monetary_value",
    "pipeline_id",
    "pipeline_stage_id",
    "primary_contact_id",
    "priority",
    "status",
    "tags",
    "win_probability",
    "custom_fields",
)
_CLOSE_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_UNIT = re.compile(r"^[A-Za-z]{3}$")

#: Copper's sort fields (footnote 1 of "List Opportunities (Search)")
SORT_FIELDS = (
    "name",
    "account",
    "company_name",
    "value",
    "assignee",
    "customer_source_id",
    "date_modified",
    "date_created",
    "contact",
    "stage",
    "status",
    "close_date",
    "source",
    "priority",
    "last_interaction",
    "interaction_count",
    "deal_last_stage",
    "win_probability",
)
_RANGES = (
    "monetary_value",
    "interaction_count",
    "close_date",
    "interaction_date",
    "stage_change_date",
    "created_date",
    "modified_date",
)
#: every parameter of Copper's "List Opportunities (Search)", and ``statuses`` (names)
SEARCH_KEYS = frozenset(
    {
        "page_number",
        "page_size",
        "sort_by",
        "sort_direction",
        "ids",
        "name",
        "assignee_ids",
        "status_ids",
        "statuses",
        "pipeline_ids",
        "pipeline_stage_ids",
        "primary_contact_ids",
        "priority_ids",
        "customer_source_ids",
        "loss_reason_ids",
        "company_ids",
        "tags",
        "followed",
        "custom_fields",
        *(f"{side}_{name}" for side in ("minimum", "maximum") for name in _RANGES),
    }
)


class LossReason(msgspec.Struct, frozen=True):
    id: int
    account_id: int
    name: str


class OpportunityContext(Protocol):
    """What validating an opportunity needs to know about the account."""

    def has_user(self, user_id: int) -> bool: ...
    def has_source(self, source_id: int) -> bool: ...
    def has_loss_reason(self, reason_id: int) -> bool: ...
    def person(self, person_id: int) -> Person | None: ...
    def company(self, company_id: int) -> Company | None: ...
    def pipelines(self) -> Sequence[Pipeline]: ...
    def custom_field(self, definition_id: int) -> CustomFieldDefinition | None: ...


# --- reading values -------------------------------------------------------------------------


def close_date_text(value: Any) -> str | None:
    """Copper's ``close_date`` as it shows it (``"1/23/2017"``): from ``M/D/YYYY`` (as
    Copper documents it) or Unix seconds (that day, UTC). ``None`` if neither."""
    if isinstance(value, str) and (m := _CLOSE_DATE.match(value)):
        month, day, year = (int(g) for g in m.groups())
        try:
            datetime.date(year, month, day)
        except ValueError:
            return None
        return f"{month}/{day}/{year}"
    seconds = parse_int(value)
    if seconds is None or (isinstance(value, str) and not value.strip().isdecimal()):
        return None
    try:
        when = datetime.datetime.fromtimestamp(seconds, datetime.UTC).date()
    except (OverflowError, OSError, ValueError):
        return None
    return f"{when.month}/{when.day}/{when.year}"


def close_key(close_date: str | None) -> int | None:
    """The Unix seconds (midnight UTC) of a stored ``close_date``, for search and sort."""
    if close_date is None or not (m := _CLOSE_DATE.match(close_date)):
        return None
    month, day, year = (int(g) for g in m.groups())
    return calendar.timegm(datetime.date(year, month, day).timetuple())


def _choice(p: FieldErrors, field: str, raw: Any, choices: Sequence[str]) -> str | None:
    if isinstance(raw, str):
        wanted = raw.strip().lower()
        for choice in choices:
            if choice.lower() == wanted:
                return choice
    p.add(field, "invalid", f"{field} must be one of {', '.join(choices)}")
    return None


def _reference(p: FieldErrors, data: Mapping[str, Any], key: str, exists: Any) -> Any:
    """An id of something of the account: the id, ``None`` (sent as null) or ``...``
    (absent or invalid)."""
    if key not in data:
        return ...
    raw = data[key]
    if raw is None:
        return None
    ident = parse_int(raw)
    if ident is None or ident < 1:
        p.add(key, "invalid_type", f"{key} must be an id")
        return ...
    if not exists(ident):
        p.add(key, "not_found", f"{key} {ident} does not exist in this account")
        return ...
    return ident


def _custom_fields(p: FieldErrors, raw: Any, ctx: OpportunityContext) -> dict[int, Any] | None:
    return parse_values(
        p,
        raw,
        ctx.custom_field,
        entity="opportunity",
        unavailable=("invalid", "opportunities"),
        show_value=False,
        bad_item=("invalid", "custom_field_definition_id must be an id"),
    )


@dataclass(frozen=True)
class Changes:
    """What a create or update body asks for: the fields sent, checked (``values``),
    and the pipeline and stage they lead to."""

    values: dict[str, Any]
    pipeline: Pipeline
    stage: Stage


def parse_changes(
    data: Mapping[str, Any], ctx: OpportunityContext, current: Opportunity | None
) -> Changes:
    """Validate a create (``current`` None) or update body against the account; raise
    one :class:`ValidationFailed` naming every bad field, before anything is written."""
    p = FieldErrors(distinct=True)
    v: dict[str, Any] = {}
    creating = current is None
    if "name" in data or creating:
        name = check_text(p, "name", data.get("name"), SHORT_TEXT_MAX)
        if name is not None and not name.strip():
            name = None
        if name is None and "name" not in p.by_field:
            p.add("name", "blank", "an opportunity needs a name")
        elif name is not None:
            v["name"] = name.strip()
    if "details" in data:
        v["details"] = check_text(p, "details", data["details"], None)
    for key, exists in (
        ("assignee_id", ctx.has_user),
        ("customer_source_id", ctx.has_source),
        ("loss_reason_id", ctx.has_loss_reason),
        ("company_id", lambda i: ctx.company(i) is not None),
        ("primary_contact_id", lambda i: ctx.person(i) is not None),
    ):
        ident = _reference(p, data, key, exists)
        if ident is not ...:
            v[key] = ident
    if creating and v.get("primary_contact_id") is None and "primary_contact_id" not in p.by_field:
        p.add("primary_contact_id", "blank", "an opportunity needs a primary_contact_id")
    if data.get("close_date") is not None:
        text = close_date_text(data["close_date"])
        if text is None:
            p.add("close_date", "invalid", "close_date must be MM/DD/YYYY or Unix seconds")
        else:
            v["close_date"] = text
    elif "close_date" in data:
        v["close_date"] = None
    if "monetary_value" in data:
        raw = data["monetary_value"]
        number = None if raw is None or raw == "" else parse_amount(raw)
        if number is None and raw not in (None, ""):
            p.add("monetary_value", "invalid", "monetary_value must be a finite number")
        else:
            v["monetary_value"] = canonical_number(number)
    if "monetary_unit" in data:
        unit = data["monetary_unit"]
        if unit is None:
            v["monetary_unit"] = None
        elif not isinstance(unit, str) or not _UNIT.match(unit):
            p.add("monetary_unit", "invalid", "monetary_unit must be a 3-letter currency code")
        else:
            v["monetary_unit"] = unit.upper()
    if data.get("priority") is not None:
        priority = _choice(p, "priority", data["priority"], PRIORITIES)
        if priority:
            v["priority"] = priority
    if data.get("status") is not None:
        status = _choice(p, "status", data["status"], STATUSES)
        if status:
            v["status"] = status
    if data.get("win_probability") is not None:
        chance = parse_int(data["win_probability"])
        if chance is None or not 0 <= chance <= 100:
            p.add("win_probability", "invalid", "win_probability must be a whole number 0-100")
        else:
            v["win_probability"] = chance
    if "tags" in data:
        v["tags"] = parse_tags(p, data["tags"])
    fields = _custom_fields(p, data.get("custom_fields"), ctx)
    if fields is not None:
        v["custom_fields"] = fields
    target = _pipeline_and_stage(p, data, ctx, current)
    p.raise_if_any()
    assert target is not None  # _pipeline_and_stage reports why otherwise
    return Changes(v, *target)


def _pipeline_and_stage(
    p: FieldErrors, data: Mapping[str, Any], ctx: OpportunityContext, current: Opportunity | None
) -> tuple[Pipeline, Stage] | None:
    """The pipeline and stage asked for: a stage sent must be a stage of the pipeline
    (sent, or the opportunity's); a pipeline sent alone starts at its first stage."""
    pipelines = ctx.pipelines()
    pipeline_id = (
        parse_int(data.get("pipeline_id")) if data.get("pipeline_id") is not None else None
    )
    stage_id = (
        parse_int(data.get("pipeline_stage_id"))
        if data.get("pipeline_stage_id") is not None
        else None
    )
    if data.get("pipeline_id") is not None and pipeline_id is None:
        p.add("pipeline_id", "invalid_type", "pipeline_id must be an id")
        return None
    if data.get("pipeline_stage_id") is not None and stage_id is None:
        p.add("pipeline_stage_id", "invalid_type", "pipeline_stage_id must be an id")
        return None
    if pipeline_id is None:
        pipeline_id = current.pipeline_id if current else None
    if pipeline_id is None:
        pipeline = pipelines[0] if pipelines else None
    else:
        pipeline = next((x for x in pipelines if x.id == pipeline_id), None)
    if pipeline is None:
        p.add("pipeline_id", "not_found", f"pipeline {pipeline_id} does not exist in this account")
        return None
    if stage_id is None:
        if current is not None and current.pipeline_id == pipeline.id:
            stage_id = current.pipeline_stage_id
        elif pipeline.stages:
            return pipeline, pipeline.stages[0]
        else:
            p.add("pipeline_stage_id", "blank", f"pipeline {pipeline.id} has no stages")
            return None
    stage = next((s for s in pipeline.stages if s.id == stage_id), None)
    if stage is None:
        other = any(s.id == stage_id for x in pipelines for s in x.stages)
        p.add(
            "pipeline_stage_id",
            "invalid" if other else "not_found",
            f"pipeline_stage_id {stage_id} is not a stage of pipeline {pipeline.id}",
        )
        return None
    return pipeline, stage


# --- building and changing opportunities ------------------------------------------------------


def new_opportunity(
    account_id: int,
    changes: Changes,
    *,
    contact: Person | None,
    company: Company | None,
    now: int,
) -> Opportunity:
    """A new opportunity from a checked create body. ``company`` is the company sent,
    or the primary contact's."""
    v = changes.values
    return Opportunity(
        account_id=account_id,
        name=v["name"],
        assignee_id=v.get("assignee_id"),
        close_date=v.get("close_date"),
        company_id=company.id if company else None,
        company_name=company.name if company else None,
        customer_source_id=v.get("customer_source_id"),
        details=v.get("details"),
        loss_reason_id=v.get("loss_reason_id"),
        pipeline_id=changes.pipeline.id,
        pipeline_stage_id=changes.stage.id,
        primary_contact_id=contact.id if contact else None,
        priority=v.get("priority", "None"),
        status=v.get("status", "Open"),
        tags=v.get("tags", []),
        monetary_unit=v.get("monetary_unit"),
        monetary_value=v.get("monetary_value"),
        win_probability=v.get("win_probability", changes.stage.win_probability),
        date_stage_changed=now,
        date_created=now,
        date_modified=now,
        custom_fields={k: x for k, x in (v.get("custom_fields") or {}).items() if x is not None},
    )


def apply_changes(
    current: Opportunity, changes: Changes, *, company: Company | None, now: int
) -> Opportunity:
    """``current`` with the changes; ``current`` itself when nothing differs (then nothing
    is written and ``date_modified`` stays). ``company`` is the company of ``company_id``
    when one was sent."""
    v = dict(changes.values)
    fields: dict[str, Any] = {}
    for key, value in v.items():
        if key in ("custom_fields", "company_id"):
            continue
        fields[key] = value
    if "company_id" in v:
        fields["company_id"] = company.id if company else None
        fields["company_name"] = company.name if company else None
    if "custom_fields" in v:
        merged = dict(current.custom_fields)
        for def_id, value in v["custom_fields"].items():
            if value is None:
                merged.pop(def_id, None)
            else:
                merged[def_id] = value
        fields["custom_fields"] = merged
    fields["pipeline_id"] = changes.pipeline.id
    fields["pipeline_stage_id"] = changes.stage.id
    moved = changes.stage.id != current.pipeline_stage_id
    if moved and "win_probability" not in v:
        fields["win_probability"] = changes.stage.win_probability
    differs = {k: x for k, x in fields.items() if getattr(current, k) != x}
    if not differs:
        return current
    if moved:
        differs["date_stage_changed"] = now
    return msgspec.structs.replace(current, **differs, date_modified=now)


def stage_changed(
    account_id: int,
    opportunity_id: int,
    user_id: int,
    now: int,
    old: Stage | None,
    new: Stage,
) -> Activity:
    """Copper's "Pipeline Stage Changed" system activity (type 3) on the opportunity.
    ``old_value``/``new_value`` are ``{"id", "name"}`` of the stages (Copper does not
    document them; verdigris's choice, as the lead status activity)."""
    return Activity(
        account_id=account_id,
        parent_type="opportunity",
        parent_id=opportunity_id,
        type_id=PIPELINE_STAGE_CHANGED,
        user_id=user_id,
        details=f"Stage changed from {old.name if old else 'none'} to {new.name}",
        activity_date=now,
        old_value={"id": old.id, "name": old.name} if old else None,
        new_value={"id": new.id, "name": new.name},
        date_created=now,
        date_modified=now,
    )


# --- search -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpportunityQuery(SearchPage):
    """A validated opportunity search; ``None`` means "no filter" throughout. Id lists
    may hold :data:`NO_VALUE_ID` (-2, "none") where Copper allows it."""

    page_number: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort_by: str = "name"
    descending: bool = False
    ids: tuple[int, ...] | None = None
    name: str | None = None
    assignee_ids: tuple[int, ...] | None = None
    statuses: tuple[str, ...] | None = None
    pipeline_ids: tuple[int, ...] | None = None
    pipeline_stage_ids: tuple[int, ...] | None = None
    primary_contact_ids: tuple[int, ...] | None = None
    priorities: tuple[str, ...] | None = None
    customer_source_ids: tuple[int, ...] | None = None
    loss_reason_ids: tuple[int, ...] | None = None
    company_ids: tuple[int, ...] | None = None
    tags: TagFilter | None = None
    followed: bool | None = None
    monetary_value: Range = field(default_factory=Range)
    interaction_count: Range = field(default_factory=Range)
    close_date: Range = field(default_factory=Range)
    interaction_date: Range = field(default_factory=Range)
    stage_change_date: Range = field(default_factory=Range)
    created_date: Range = field(default_factory=Range)
    modified_date: Range = field(default_factory=Range)
    #: filters on custom fields available on opportunities (see :func:`custom_filters`)
    custom_fields: tuple[CustomFilter, ...] = ()


def search_params(body: Any, query: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The parameters of a search, unknown keys refused as on leads."""
    unknown: dict[str, None] = {}
    for raw_key, _value in query:
        key = raw_key[:-2] if raw_key.endswith("[]") else raw_key
        if key not in SEARCH_KEYS and key not in lead_search.HARMLESS_QUERY_KEYS:
            unknown.setdefault(raw_key, None)
    if isinstance(body, Mapping):
        for key in body:
            if key not in SEARCH_KEYS:
                unknown.setdefault(str(key), None)
    if unknown:
        raise ValidationFailed({"base": ["unrecognized"]}, UNRECOGNIZED_PREFIX + ", ".join(unknown))
    return lead_search.merge_params(body, query)


def _numbered(p: FieldErrors, field: str, raw: Any, names: Sequence[str]) -> tuple[str, ...] | None:
    ids = lead_search._ids(p, field, raw)
    if ids is None:
        return None
    if not all(0 <= i < len(names) for i in ids):
        p.add(field, "invalid", f"{field} are 0-{len(names) - 1} ({', '.join(names)})")
        return None
    return tuple(names[i] for i in ids)


def _named(p: FieldErrors, field: str, raw: Any, names: Sequence[str]) -> tuple[str, ...] | None:
    raw = lead_search._maybe_json(raw)
    if raw is None or raw == [] or raw == "":
        return None
    items = raw if isinstance(raw, list) else [raw]
    out = [_choice(p, field, item, names) for item in items]
    return None if None in out else tuple(dict.fromkeys(x for x in out if x))


def parse_search(params: Mapping[str, Any]) -> OpportunityQuery:
    """Validate search parameters; raise :class:`ValidationFailed` naming every bad one."""
    p = FieldErrors()
    page_number, page_size = paging(p, params)
    sort_by = (lead_search._text(p, "sort_by", params.get("sort_by")) or "name").strip().lower()
    if sort_by not in SORT_FIELDS:
        p.add("sort_by", "invalid", f"sort_by must be one of {', '.join(SORT_FIELDS)}")
    direction = lead_search._text(p, "sort_direction", params.get("sort_direction")) or "asc"
    if direction.strip().lower() not in ("asc", "desc"):
        p.add("sort_direction", "invalid", "sort_direction must be asc or desc")
    followed = whole(p, "followed", params.get("followed"))
    if followed not in (None, 1, 2):
        p.add("followed", "invalid", "followed must be 1 (followed) or 2 (not followed)")
    # custom_fields filters need the account's definitions: see custom_filters
    name = lead_search._text(p, "name", params.get("name"))
    statuses = _numbered(p, "status_ids", params.get("status_ids"), STATUSES)
    named = _named(p, "statuses", params.get("statuses"), STATUSES)
    if named is not None:
        statuses = tuple(s for s in named if statuses is None or s in statuses)
    ranges: dict[str, Any] = {
        name_: lead_search._range(p, params, name_, whole=name_ != "monetary_value")
        for name_ in _RANGES
    }

    def ids(field: str) -> tuple[int, ...] | None:
        return lead_search._ids(p, field, params.get(field))

    query = OpportunityQuery(
        page_number=page_number,
        page_size=page_size,
        sort_by=sort_by,
        descending=direction.strip().lower() == "desc",
        ids=ids("ids"),
        name=text_key(name) or None,
        assignee_ids=ids("assignee_ids"),
        statuses=statuses,
        pipeline_ids=ids("pipeline_ids"),
        pipeline_stage_ids=ids("pipeline_stage_ids"),
        primary_contact_ids=ids("primary_contact_ids"),
        priorities=_numbered(p, "priority_ids", params.get("priority_ids"), PRIORITIES),
        customer_source_ids=ids("customer_source_ids"),
        loss_reason_ids=ids("loss_reason_ids"),
        company_ids=ids("company_ids"),
        tags=lead_search._tags(p, params.get("tags")),
        followed=None if followed is None else followed == 1,
        **ranges,
    )
    p.raise_if_any()
    return query


def custom_filters(
    raw: Any, definitions: Mapping[int, CustomFieldDefinition]
) -> tuple[CustomFilter, ...]:
    """The ``custom_fields`` search parameter, as on leads (Copper's "Search Entity by
    Custom Field"), on definitions available on opportunities; a definition that is not
    is ``invalid``, naming it."""
    decoded = lead_search._maybe_json(raw)
    p = FieldErrors()
    usable: dict[int, CustomFieldDefinition] = {}
    for definition in definitions.values():
        if "opportunity" in definition.available_on:
            # the lead search's checks read "available on leads"; here that is opportunities
            usable[definition.id] = msgspec.structs.replace(definition, available_on=("lead",))
    for item in decoded if isinstance(decoded, list) else []:
        ident = (
            parse_int(item.get("custom_field_definition_id")) if isinstance(item, Mapping) else None
        )
        if ident is not None and ident in definitions and ident not in usable:
            label = definitions[ident].label
            p.add(
                "custom_fields",
                "invalid",
                f"custom field {label} is not available on opportunities",
            )
    p.raise_if_any()
    return parse_custom_filters(decoded, usable)


__all__ = [
    "DEFAULT_LOSS_REASONS",
    "NO_VALUE_ID",
    "PRIORITIES",
    "STATUSES",
    "Changes",
    "LossReason",
    "OpportunityContext",
    "OpportunityQuery",
    "apply_changes",
    "close_date_text",
    "close_key",
    "custom_filters",
    "new_opportunity",
    "parse_changes",
    "parse_search",
    "search_params",
    "stage_changed",
]
