"""Copper JSON of the Opportunities API beside the opportunity itself (issue 21).

The opportunity is :class:`verdigris.wire.crm.OpportunityOut` (the keys and order of
Copper's search examples); here are the loss reasons (List Loss Reasons) and the
request bodies of create, update and search, described for ``/openapi.json`` only
(the domain reads the plain JSON, see verdigris/wire/requests.py).
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from verdigris.wire.requests import (
    CustomFieldFilterIn,
    CustomFieldValueIn,
    PagingIn,
    TagFilterIn,
)


class LossReasonOut(msgspec.Struct):
    id: int
    name: str


class OpportunityIn(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``POST /opportunities`` (``name`` and ``primary_contact_id`` required) and
    ``PUT /opportunities/{id}`` (any key; only the keys sent change)."""

    name: str | UnsetType = UNSET
    primary_contact_id: int | UnsetType | None = UNSET
    assignee_id: int | UnsetType | None = UNSET
    close_date: str | UnsetType | None = UNSET
    company_id: int | UnsetType | None = UNSET
    customer_source_id: int | UnsetType | None = UNSET
    details: str | UnsetType | None = UNSET
    loss_reason_id: int | UnsetType | None = UNSET
    monetary_unit: str | UnsetType | None = UNSET
    monetary_value: int | float | UnsetType | None = UNSET
    pipeline_id: int | UnsetType | None = UNSET
    pipeline_stage_id: int | UnsetType | None = UNSET
    priority: str | UnsetType | None = UNSET
    status: str | UnsetType | None = UNSET
    tags: list[str] | UnsetType | None = UNSET
    win_probability: int | UnsetType | None = UNSET
    custom_fields: list[CustomFieldValueIn] | UnsetType | None = UNSET


class OpportunitySearchIn(PagingIn):
    """``POST /opportunities/search``; the same keys also work in the query string."""

    sort_by: str | UnsetType = UNSET
    sort_direction: str | UnsetType = UNSET
    ids: list[int] | UnsetType = UNSET
    name: str | UnsetType = UNSET
    assignee_ids: list[int] | UnsetType = UNSET
    status_ids: list[int] | UnsetType = UNSET
    statuses: list[str] | UnsetType = UNSET
    pipeline_ids: list[int] | UnsetType = UNSET
    pipeline_stage_ids: list[int] | UnsetType = UNSET
    primary_contact_ids: list[int] | UnsetType = UNSET
    priority_ids: list[int] | UnsetType = UNSET
    customer_source_ids: list[int] | UnsetType = UNSET
    loss_reason_ids: list[int] | UnsetType = UNSET
    company_ids: list[int] | UnsetType = UNSET
    tags: list[str] | TagFilterIn | UnsetType = UNSET
    followed: int | UnsetType = UNSET
    minimum_monetary_value: int | float | UnsetType = UNSET
    maximum_monetary_value: int | float | UnsetType = UNSET
    minimum_interaction_count: int | UnsetType = UNSET
    maximum_interaction_count: int | UnsetType = UNSET
    minimum_close_date: int | UnsetType = UNSET
    maximum_close_date: int | UnsetType = UNSET
    minimum_interaction_date: int | UnsetType = UNSET
    maximum_interaction_date: int | UnsetType = UNSET
    minimum_stage_change_date: int | UnsetType = UNSET
    maximum_stage_change_date: int | UnsetType = UNSET
    minimum_created_date: int | UnsetType = UNSET
    maximum_created_date: int | UnsetType = UNSET
    minimum_modified_date: int | UnsetType = UNSET
    maximum_modified_date: int | UnsetType = UNSET
    custom_fields: list[CustomFieldFilterIn] | UnsetType = UNSET
