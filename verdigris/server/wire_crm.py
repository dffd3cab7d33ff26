"""Copper JSON for what a lead conversion creates, its lookups, and activities (issue 8).

Key names and order follow Copper's own examples: the convert response, the
people/companies/opportunities search examples, List Pipelines, List Contact Types
and See a Lead's Activities.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from verdigris.domain import custom_fields as cf
from verdigris.domain.activities import Activity
from verdigris.domain.crm import (
    Company,
    ContactType,
    ConvertedFrom,
    Opportunity,
    Person,
    Pipeline,
    Stage,
)
from verdigris.domain.leads import Address
from verdigris.server.wire import (
    AddressOut,
    CustomFieldValueOut,
    EmailOut,
    LinkOut,
    PhoneOut,
)
from verdigris.services import Conversion, WithFields


class ConvertedFromOut(msgspec.Struct):
    lead_id: int
    converted_timestamp: int


class PersonOut(msgspec.Struct):
    id: int
    name: str | None
    prefix: str | None
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    suffix: str | None
    address: AddressOut | None
    assignee_id: int | None
    company_id: int | None
    company_name: str | None
    contact_type_id: int | None
    details: str | None
    emails: list[EmailOut]
    phone_numbers: list[PhoneOut]
    socials: list[LinkOut]
    tags: list[str]
    title: str | None
    websites: list[LinkOut]
    custom_fields: list[CustomFieldValueOut]
    date_created: int
    date_modified: int
    date_last_contacted: int | None
    interaction_count: int
    leads_converted_from: list[ConvertedFromOut]
    date_lead_created: int | None


class CompanyOut(msgspec.Struct):
    id: int
    name: str
    address: AddressOut | None
    assignee_id: int | None
    contact_type_id: int | None
    details: str | None
    email_domain: str | None
    phone_numbers: list[PhoneOut]
    socials: list[LinkOut]
    tags: list[str]
    websites: list[LinkOut]
    custom_fields: list[CustomFieldValueOut]
    interaction_count: int
    date_created: int
    date_modified: int


class OpportunityOut(msgspec.Struct):
    id: int
    name: str
    assignee_id: int | None
    close_date: str | None
    company_id: int | None
    company_name: str | None
    customer_source_id: int | None
    details: str | None
    loss_reason_id: int | None
    pipeline_id: int
    pipeline_stage_id: int
    primary_contact_id: int | None
    priority: str | None
    status: str
    tags: list[str]
    interaction_count: int
    monetary_unit: str | None
    monetary_value: float | int | None
    win_probability: int
    date_stage_changed: int | None
    date_last_contacted: int | None
    leads_converted_from: list[ConvertedFromOut]
    date_lead_created: int | None
    date_created: int
    date_modified: int
    custom_fields: list[CustomFieldValueOut]


class ConvertOut(msgspec.Struct):
    """The answer to ``POST /leads/{id}/convert``."""

    person: PersonOut
    company: CompanyOut | None
    opportunity: OpportunityOut | None


class StageOut(msgspec.Struct):
    id: int
    name: str
    win_probability: int


class PipelineOut(msgspec.Struct):
    id: int
    name: str
    stages: list[StageOut]


class PipelineStageOut(msgspec.Struct):
    id: int
    name: str
    pipeline_id: int
    win_probability: int


class ContactTypeOut(msgspec.Struct):
    id: int
    name: str


class ParentOut(msgspec.Struct):
    id: int
    type: str


class ActivityTypeOut(msgspec.Struct):
    id: int
    category: str


class ActivityOut(msgspec.Struct):
    id: int
    parent: ParentOut
    type: ActivityTypeOut
    user_id: int | None
    details: str | None
    activity_date: int
    old_value: Any
    new_value: Any
    date_created: int
    date_modified: int


def _address(a: Address | None) -> AddressOut | None:
    return AddressOut(a.street, a.city, a.state, a.postal_code, a.country) if a else None


def _custom(
    values: Mapping[int, Any], shown: WithFields[Any], computed: bool
) -> list[CustomFieldValueOut]:
    """``custom_fields``; ``computed`` adds Copper's ``computed_value`` to each."""
    out = [CustomFieldValueOut(i, values.get(i)) for i in shown.custom_field_ids]
    if computed:
        for item in out:
            definition = shown.definitions.get(item.custom_field_definition_id)
            if definition is not None:
                item.computed_value = cf.computed_value(definition, item.value)
    return out


def _from(entries: list[ConvertedFrom]) -> list[ConvertedFromOut]:
    return [ConvertedFromOut(e.lead_id, e.converted_timestamp) for e in entries]


def person_out(shown: WithFields[Person], computed: bool = False) -> PersonOut:
    p = shown.record
    return PersonOut(
        id=p.id,
        name=p.name,
        prefix=p.prefix,
        first_name=p.first_name,
        middle_name=p.middle_name,
        last_name=p.last_name,
        suffix=p.suffix,
        address=_address(p.address),
        assignee_id=p.assignee_id,
        company_id=p.company_id,
        company_name=p.company_name,
        contact_type_id=p.contact_type_id,
        details=p.details,
        emails=[EmailOut(e.email, e.category) for e in p.emails],
        phone_numbers=[PhoneOut(n.number, n.category) for n in p.phone_numbers],
        socials=[LinkOut(s.url, s.category) for s in p.socials],
        tags=list(p.tags),
        title=p.title,
        websites=[LinkOut(w.url, w.category) for w in p.websites],
        custom_fields=_custom(p.custom_fields, shown, computed),
        date_created=p.date_created,
        date_modified=p.date_modified,
        date_last_contacted=p.date_last_contacted,
        interaction_count=p.interaction_count,
        leads_converted_from=_from(p.leads_converted_from),
        date_lead_created=p.date_lead_created,
    )


def company_out(shown: WithFields[Company], computed: bool = False) -> CompanyOut:
    c = shown.record
    return CompanyOut(
        id=c.id,
        name=c.name,
        address=_address(c.address),
        assignee_id=c.assignee_id,
        contact_type_id=c.contact_type_id,
        details=c.details,
        email_domain=c.email_domain,
        phone_numbers=[PhoneOut(n.number, n.category) for n in c.phone_numbers],
        socials=[LinkOut(s.url, s.category) for s in c.socials],
        tags=list(c.tags),
        websites=[LinkOut(w.url, w.category) for w in c.websites],
        custom_fields=_custom(c.custom_fields, shown, computed),
        interaction_count=c.interaction_count,
        date_created=c.date_created,
        date_modified=c.date_modified,
    )


def opportunity_out(shown: WithFields[Opportunity], computed: bool = False) -> OpportunityOut:
    o = shown.record
    return OpportunityOut(
        id=o.id,
        name=o.name,
        assignee_id=o.assignee_id,
        close_date=o.close_date,
        company_id=o.company_id,
        company_name=o.company_name,
        customer_source_id=o.customer_source_id,
        details=o.details,
        loss_reason_id=o.loss_reason_id,
        pipeline_id=o.pipeline_id,
        pipeline_stage_id=o.pipeline_stage_id,
        primary_contact_id=o.primary_contact_id,
        priority=o.priority,
        status=o.status,
        tags=list(o.tags),
        interaction_count=o.interaction_count,
        monetary_unit=o.monetary_unit,
        monetary_value=o.monetary_value,
        win_probability=o.win_probability,
        date_stage_changed=o.date_stage_changed,
        date_last_contacted=o.date_last_contacted,
        leads_converted_from=_from(o.leads_converted_from),
        date_lead_created=o.date_lead_created,
        date_created=o.date_created,
        date_modified=o.date_modified,
        custom_fields=_custom(o.custom_fields, shown, computed),
    )


def convert_out(result: Conversion, computed: bool = False) -> ConvertOut:
    """``computed``: ``?custom_field_computed_values=true`` (Copper lists Convert)."""
    return ConvertOut(
        person=person_out(result.person, computed),
        company=company_out(result.company, computed) if result.company else None,
        opportunity=(opportunity_out(result.opportunity, computed) if result.opportunity else None),
    )


def _stage(s: Stage) -> StageOut:
    return StageOut(s.id, s.name, s.win_probability)


def pipeline_out(p: Pipeline) -> PipelineOut:
    return PipelineOut(p.id, p.name, [_stage(s) for s in p.stages])


def pipeline_stage_out(s: Stage) -> PipelineStageOut:
    return PipelineStageOut(s.id, s.name, s.pipeline_id, s.win_probability)


def contact_type_out(c: ContactType) -> ContactTypeOut:
    return ContactTypeOut(c.id, c.name)


def activity_out(a: Activity) -> ActivityOut:
    return ActivityOut(
        id=a.id,
        parent=ParentOut(a.parent_id, a.parent_type),
        type=ActivityTypeOut(a.type_id, a.type_category),
        user_id=a.user_id,
        details=a.details,
        activity_date=a.activity_date,
        old_value=a.old_value,
        new_value=a.new_value,
        date_created=a.date_created,
        date_modified=a.date_modified,
    )
