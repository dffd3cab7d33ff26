"""Copper's JSON as msgspec structs: exact key names and order, shared by server and SDK.

A leaf package: it imports msgspec and nothing else of verdigris, so the SDK
(:mod:`verdigris.client`) decodes into the very structs the server renders without
loading the server, the services, the store or the domain. The server maps its domain
objects onto these structs in :mod:`verdigris.server.render`; ``/openapi.json`` is
generated from them, so their names and docstrings are part of that document.

    common         contact entries, addresses, custom field values, delete/bulk/error bodies
    leads          LeadOut (and its key order, LEAD_KEYS)
    account        the account, users, lead statuses, customer sources
    custom_fields  custom field definitions
    crm            conversion: people, companies, opportunities, pipelines, activities
    tasks          tasks, a lead's related items, the account's tags
    requests       request bodies, for /openapi.json only (requests are validated by hand)
"""

from __future__ import annotations

from verdigris.wire.account import (
    AccountOut,
    AccountSettingsOut,
    GroupOut,
    SourceOut,
    StatusOut,
    UserOut,
)
from verdigris.wire.common import (
    AddressOut,
    BulkFailureOut,
    CustomFieldValueOut,
    DeletedOut,
    EmailOut,
    ErrorOut,
    LinkOut,
    PhoneOut,
)
from verdigris.wire.crm import (
    ActivityOut,
    ActivityTypeOut,
    CompanyOut,
    ContactTypeOut,
    ConvertedFromOut,
    ConvertOut,
    OpportunityOut,
    ParentOut,
    PersonOut,
    PipelineOut,
    PipelineStageOut,
    StageOut,
)
from verdigris.wire.custom_fields import CustomFieldDefinitionOut, OptionOut
from verdigris.wire.leads import CONVERTED_KEYS, LEAD_KEYS, LeadOut
from verdigris.wire.people import (
    CompanyIn,
    CompanySearchIn,
    FetchByEmailIn,
    PeopleSearchIn,
    PersonIn,
)
from verdigris.wire.requests import (
    ActivitySearchIn,
    ActivityTypeIn,
    AddressIn,
    BulkCreateIn,
    BulkUpdateIn,
    ConvertCompanyIn,
    ConvertDetailsIn,
    ConvertIn,
    ConvertOpportunityIn,
    ConvertPersonIn,
    CustomFieldDefinitionIn,
    CustomFieldFilterIn,
    CustomFieldOptionIn,
    CustomFieldValueIn,
    EmailIn,
    LeadIn,
    LeadSearchIn,
    LeadUpdateIn,
    LinkIn,
    MatchIn,
    PagingIn,
    PhoneIn,
    TagFilterIn,
    UpsertIn,
)
from verdigris.wire.tasks import (
    RelatedIn,
    RelatedOut,
    RelatedResourceOut,
    RelationOut,
    RemovedRelationOut,
    TagOut,
    TaskIn,
    TaskOut,
    TaskSearchIn,
)

__all__ = [
    "CONVERTED_KEYS",
    "LEAD_KEYS",
    "AccountOut",
    "AccountSettingsOut",
    "ActivityOut",
    "ActivitySearchIn",
    "ActivityTypeIn",
    "ActivityTypeOut",
    "AddressIn",
    "AddressOut",
    "BulkCreateIn",
    "BulkFailureOut",
    "BulkUpdateIn",
    "CompanyIn",
    "CompanyOut",
    "CompanySearchIn",
    "ContactTypeOut",
    "ConvertCompanyIn",
    "ConvertDetailsIn",
    "ConvertIn",
    "ConvertOpportunityIn",
    "ConvertOut",
    "ConvertPersonIn",
    "ConvertedFromOut",
    "CustomFieldDefinitionIn",
    "CustomFieldDefinitionOut",
    "CustomFieldFilterIn",
    "CustomFieldOptionIn",
    "CustomFieldValueIn",
    "CustomFieldValueOut",
    "DeletedOut",
    "EmailIn",
    "EmailOut",
    "ErrorOut",
    "FetchByEmailIn",
    "GroupOut",
    "LeadIn",
    "LeadOut",
    "LeadSearchIn",
    "LeadUpdateIn",
    "LinkIn",
    "LinkOut",
    "MatchIn",
    "OpportunityOut",
    "OptionOut",
    "PagingIn",
    "ParentOut",
    "PeopleSearchIn",
    "PersonIn",
    "PersonOut",
    "PhoneIn",
    "PhoneOut",
    "PipelineOut",
    "PipelineStageOut",
    "RelatedIn",
    "RelatedOut",
    "RelatedResourceOut",
    "RelationOut",
    "RemovedRelationOut",
    "SourceOut",
    "StageOut",
    "StatusOut",
    "TagFilterIn",
    "TagOut",
    "TaskIn",
    "TaskOut",
    "TaskSearchIn",
    "UpsertIn",
    "UserOut",
]
