"""Use cases. Each public method is one transaction on the store.

Services speak domain objects; :mod:`verdigris.server.render` turns them into Copper
JSON. Nothing here knows about HTTP. :class:`Services` gathers one mixin per area.
"""

from __future__ import annotations

from verdigris.services.accounts import AccountServices
from verdigris.services.activities import ActivityServices
from verdigris.services.base import (
    ItemFailure,
    LeadPage,
    Principal,
    Shown,
    TxContext,
    hash_key,
    now,
)
from verdigris.services.conversion import Conversion, ConversionServices, WithFields
from verdigris.services.crm import CrmServices
from verdigris.services.custom_fields import CustomFieldServices
from verdigris.services.history import HistoryServices
from verdigris.services.idempotency import IdempotencyServices
from verdigris.services.leads import LeadServices
from verdigris.services.opportunities import OpportunityPage, OpportunityServices
from verdigris.services.people import PeopleServices
from verdigris.services.record_history import RecordHistoryServices
from verdigris.services.search import SearchServices
from verdigris.services.tasks import TaskServices
from verdigris.services.webhooks import WebhookServices


class Services(
    LeadServices,
    AccountServices,
    CustomFieldServices,
    SearchServices,
    ConversionServices,
    CrmServices,
    TaskServices,
    OpportunityServices,
    ActivityServices,
    HistoryServices,
    IdempotencyServices,
    PeopleServices,
    WebhookServices,
    RecordHistoryServices,
):
    """The use cases of verdigris, over one store."""


__all__ = [
    "Conversion",
    "ItemFailure",
    "LeadPage",
    "OpportunityPage",
    "Principal",
    "Services",
    "Shown",
    "TxContext",
    "WithFields",
    "hash_key",
    "now",
]
