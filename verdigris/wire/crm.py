"""Copper JSON for what a lead conversion creates, its lookups, and activities (issue 8).

Key names and order follow Copper's own examples: the convert response, the
people/companies/opportunities search examples, List Pipelines, List Contact Types
and See a Lead's Activities.
"""

from __future__ import annotations

from typing import Any

import msgspec

from verdigris.wire.common import AddressOut, CustomFieldValueOut, EmailOut, LinkOut, PhoneOut


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
