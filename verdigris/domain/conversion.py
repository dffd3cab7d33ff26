"""Lead conversion: reading the request, checking it, and building what it creates.

``POST /leads/{id}/convert`` takes ``{"details": {"person": {...}, "company":
{...}, "opportunity": {...}}}`` and turns the lead into a person, optionally
attached to a company (existing or new) and with a new opportunity. Everything
here is pure; the service runs it in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

import msgspec

from verdigris.domain.crm import (
    Company,
    ConvertedFrom,
    Opportunity,
    Person,
    Pipeline,
    Stage,
    company_key,
    email_domain,
)
from verdigris.domain.errors import AmbiguousCompany, FieldErrors, MalformedRequest
from verdigris.domain.leads import SHORT_TEXT_MAX, Lead
from verdigris.domain.names import split_name
from verdigris.domain.values import parse_amount, parse_int, text_ok
from verdigris.wire import catalogue

CompanyMode = Literal["from_lead", "none", "id", "name"]


class PersonSpec(msgspec.Struct, frozen=True):
    name: str | None = None
    contact_type_id: int | None = None
    assignee_id: int | None = None


class CompanySpec(msgspec.Struct, frozen=True):
    """How to find the person's company.

    ``from_lead``: the lead's ``company_name`` (exact name, else a new company; none
    when the lead has no company name); ``none``: no company; ``id``: that company;
    ``name``: a company by name (fuzzy unless ``exact``), else a new one.
    """

    mode: CompanyMode = "from_lead"
    id: int | None = None
    name: str | None = None
    exact: bool = False


class OpportunitySpec(msgspec.Struct, frozen=True):
    name: str | None = None
    pipeline_id: int | None = None
    pipeline_stage_id: int | None = None
    monetary_value: float | int | None = None
    assignee_id: int | None = None


class ConvertRequest(msgspec.Struct, frozen=True):
    person: PersonSpec = PersonSpec()
    company: CompanySpec = CompanySpec()
    opportunity: OpportunitySpec | None = None


class ConversionContext(Protocol):
    """What checking a conversion needs to know about the account."""

    def has_user(self, user_id: int) -> bool: ...
    def has_contact_type(self, contact_type_id: int) -> bool: ...
    def pipeline(self, pipeline_id: int | None) -> Pipeline | None:
        """The pipeline with that id, or the account's first one for ``None``."""


# --- reading the request -------------------------------------------------------------------


def parse_request(body: Any) -> ConvertRequest:
    """Read a convert body. Unknown keys are ignored; wrong types are 422s."""
    if body is None:
        return ConvertRequest()
    if not isinstance(body, Mapping):
        raise MalformedRequest(catalogue.BODY_NOT_AN_OBJECT_MESSAGE)
    details = body.get("details")
    if details is None and any(k in body for k in ("person", "company", "opportunity")):
        details = body  # tolerated: the three objects without the "details" wrapper
    if details is None:
        return ConvertRequest()
    if not isinstance(details, Mapping):
        raise MalformedRequest(catalogue.CONVERT_DETAILS_MESSAGE)
    p = FieldErrors(distinct=True)
    request = ConvertRequest(
        person=_person(p, _section(p, details, "person")),
        company=_company(p, details.get("company")),
        opportunity=_opportunity(p, details),
    )
    p.raise_if_any()
    return request


def _section(p: FieldErrors, details: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    raw = details.get(key)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        p.add(key, "invalid_type", f"{key} must be an object")
        return {}
    return raw


def _id(p: FieldErrors, data: Mapping[str, Any], key: str, section: str) -> int | None:
    raw = data.get(key)
    if raw is None:
        return None
    ident = parse_int(raw)
    if ident is None or ident < 1:
        p.add(key, "invalid_type", f"{section}.{key} must be a positive integer id")
        return None
    return ident


def _name(p: FieldErrors, data: Mapping[str, Any], section: str) -> str | None:
    raw = data.get("name")
    if raw is None:
        return None
    if not isinstance(raw, str):
        p.add("name", "invalid_type", f"{section}.name must be a string")
        return None
    if not text_ok(p, "name", raw.strip(), SHORT_TEXT_MAX, label=f"{section}.name"):
        return None
    return raw.strip()


def _person(p: FieldErrors, data: Mapping[str, Any]) -> PersonSpec:
    return PersonSpec(
        name=_name(p, data, "person") or None,
        contact_type_id=_id(p, data, "contact_type_id", "person"),
        assignee_id=_id(p, data, "assignee_id", "person"),
    )


def _company(p: FieldErrors, raw: Any) -> CompanySpec:
    if raw is None:
        return CompanySpec()
    if not isinstance(raw, Mapping):
        p.add("company", "invalid_type", "company must be an object")
        return CompanySpec()
    exact = raw.get("exact_match", False)
    if isinstance(exact, str) and exact.lower() in ("true", "false"):
        exact = exact.lower() == "true"
    if not isinstance(exact, bool):
        p.add("exact_match", "invalid_type", "company.exact_match must be a boolean")
        exact = False
    if raw.get("id") is not None:
        if raw.get("name") is not None:
            p.add("company", "invalid", "company.id and company.name are mutually exclusive")
        ident = _id(p, raw, "id", "company")
        return CompanySpec("id", id=ident) if ident else CompanySpec()
    if "name" in raw and raw["name"] is not None:
        name = _name(p, raw, "company")
        if name == "":
            return CompanySpec("none")
        return CompanySpec("name", name=name, exact=exact) if name else CompanySpec()
    return CompanySpec()


def _opportunity(p: FieldErrors, details: Mapping[str, Any]) -> OpportunitySpec | None:
    if details.get("opportunity") is None:
        return None
    data = _section(p, details, "opportunity")
    value = data.get("monetary_value")
    number: float | int | None = None
    if value is not None:
        number = parse_amount(value)
        if number is None:
            p.add("monetary_value", "invalid_type", "opportunity.monetary_value must be a number")
    return OpportunitySpec(
        name=_name(p, data, "opportunity") or None,
        pipeline_id=_id(p, data, "pipeline_id", "opportunity"),
        pipeline_stage_id=_id(p, data, "pipeline_stage_id", "opportunity"),
        monetary_value=number,
        assignee_id=_id(p, data, "assignee_id", "opportunity"),
    )


# --- checking it against the account -------------------------------------------------------


def check(request: ConvertRequest, ctx: ConversionContext) -> tuple[Pipeline, Stage] | None:
    """Check every reference at once; return the opportunity's pipeline and stage."""
    p = FieldErrors(distinct=True)
    person = request.person
    if person.contact_type_id is not None and not ctx.has_contact_type(person.contact_type_id):
        p.add(
            "contact_type_id",
            "not_found",
            f"person.contact_type_id {person.contact_type_id} does not exist in this account",
        )
    for section, user_id in (
        ("person", person.assignee_id),
        ("opportunity", request.opportunity.assignee_id if request.opportunity else None),
    ):
        if user_id is not None and not ctx.has_user(user_id):
            p.add(
                "assignee_id",
                "not_found",
                f"{section}.assignee_id {user_id} is not a user of this account",
            )
    target = _pipeline_and_stage(p, request.opportunity, ctx) if request.opportunity else None
    p.raise_if_any()
    return target


def _pipeline_and_stage(
    p: FieldErrors, spec: OpportunitySpec, ctx: ConversionContext
) -> tuple[Pipeline, Stage] | None:
    pipeline = ctx.pipeline(spec.pipeline_id)
    if pipeline is None:
        if spec.pipeline_id is None:
            p.add(
                "pipeline_id", "blank", "the account has no pipeline; pass opportunity.pipeline_id"
            )
        else:
            p.add(
                "pipeline_id",
                "not_found",
                f"opportunity.pipeline_id {spec.pipeline_id} does not exist in this account",
            )
        return None
    if spec.pipeline_stage_id is None:
        if not pipeline.stages:
            p.add("pipeline_stage_id", "blank", f"pipeline {pipeline.id} has no stages")
            return None
        return pipeline, pipeline.stages[0]
    stage = next((s for s in pipeline.stages if s.id == spec.pipeline_stage_id), None)
    if stage is None:
        p.add(
            "pipeline_stage_id",
            "not_found",
            f"opportunity.pipeline_stage_id {spec.pipeline_stage_id} "
            f"is not a stage of pipeline {pipeline.id}",
        )
        return None
    return pipeline, stage


def pick_company(candidates: Sequence[Company], name: str, *, exact: bool) -> Company | None:
    """Choose among companies sharing ``name``'s fuzzy key (see :func:`company_key`).

    Exact: the oldest company named exactly ``name``, if any. Fuzzy: the only
    candidate, or the only one named exactly ``name``; several → :class:`AmbiguousCompany`.
    """
    ordered = sorted(candidates, key=lambda c: c.id)
    exact_hits = [c for c in ordered if c.name == name]
    if exact:
        return exact_hits[0] if exact_hits else None
    if len(ordered) <= 1:
        return ordered[0] if ordered else None
    if len(exact_hits) == 1:
        return exact_hits[0]
    raise AmbiguousCompany(name, [c.id for c in ordered])


# --- building the records -------------------------------------------------------------------


def _values_for(lead: Lead, definition_ids: Sequence[int]) -> dict[int, Any]:
    """The lead's custom field values for the definitions also available on a target."""
    wanted = set(definition_ids)
    return {k: v for k, v in lead.custom_fields.items() if k in wanted}


def new_company(
    lead: Lead,
    name: str,
    *,
    contact_type_id: int | None,
    assignee_id: int | None,
    custom_field_ids: Sequence[int],
    now: int,
) -> Company:
    return Company(
        account_id=lead.account_id,
        name=name,
        name_key=company_key(name),
        assignee_id=assignee_id,
        contact_type_id=contact_type_id,
        email_domain=email_domain(lead.email),
        custom_fields=_values_for(lead, custom_field_ids),
        date_created=now,
        date_modified=now,
    )


def new_person(
    lead: Lead,
    spec: PersonSpec,
    *,
    company: Company | None,
    contact_type_id: int | None,
    custom_field_ids: Sequence[int],
    now: int,
) -> Person:
    name: str | None
    if spec.name and spec.name != lead.name:
        name = spec.name
        parts = split_name(spec.name)
    else:
        name = lead.name
        parts = lead.name_parts()
    return Person(
        account_id=lead.account_id,
        name=name,
        prefix=parts.prefix,
        first_name=parts.first_name,
        middle_name=parts.middle_name,
        last_name=parts.last_name,
        suffix=parts.suffix,
        address=lead.address,
        assignee_id=spec.assignee_id if spec.assignee_id is not None else lead.assignee_id,
        company_id=company.id if company else None,
        company_name=company.name if company else None,
        contact_type_id=contact_type_id,
        details=lead.details,
        emails=[lead.email] if lead.email else [],
        phone_numbers=list(lead.phone_numbers),
        socials=list(lead.socials),
        tags=list(lead.tags),
        title=lead.title,
        websites=list(lead.websites),
        custom_fields=_values_for(lead, custom_field_ids),
        date_created=now,
        date_modified=now,
        date_last_contacted=lead.date_last_contacted,
        interaction_count=lead.interaction_count,
        leads_converted_from=[ConvertedFrom(lead.id, now)],
        date_lead_created=lead.date_created,
    )


def new_opportunity(
    lead: Lead,
    spec: OpportunitySpec,
    target: tuple[Pipeline, Stage],
    *,
    person: Person,
    company: Company | None,
    custom_field_ids: Sequence[int],
    now: int,
) -> Opportunity:
    pipeline, stage = target
    value = spec.monetary_value if spec.monetary_value is not None else lead.monetary_value
    return Opportunity(
        account_id=lead.account_id,
        name=spec.name or lead.name or person.name or "",
        assignee_id=spec.assignee_id if spec.assignee_id is not None else person.assignee_id,
        company_id=company.id if company else None,
        company_name=company.name if company else None,
        customer_source_id=lead.customer_source_id,
        pipeline_id=pipeline.id,
        pipeline_stage_id=stage.id,
        primary_contact_id=person.id,
        monetary_unit=lead.monetary_unit,
        monetary_value=value,
        win_probability=stage.win_probability,
        date_stage_changed=now,
        leads_converted_from=[ConvertedFrom(lead.id, now)],
        date_lead_created=lead.date_created,
        date_created=now,
        date_modified=now,
        custom_fields=_values_for(lead, custom_field_ids),
    )


def mark_converted(lead: Lead, opportunity: Opportunity | None, now: int) -> Lead:
    """The lead once converted: ``converted_*`` set, nothing else changed."""
    value = opportunity.monetary_value if opportunity else lead.monetary_value
    return msgspec.structs.replace(
        lead,
        converted_at=now,
        converted_opportunity_id=opportunity.id if opportunity else None,
        converted_value=value,
        converted_unit=lead.monetary_unit,
        date_modified=now,
    )
