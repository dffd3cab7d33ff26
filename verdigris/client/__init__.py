"""The Python SDK for Copper's Leads API, and for verdigris.

    from verdigris.client import Client, Match

    with Client("http://127.0.0.1:8000/developer_api/v1", token, email) as copper:
        lead = copper.upsert_lead({"name": "Ada", "email": {"email": "ada@example.com",
                                   "category": "work"}}, Match.email("ada@example.com"))

``Client`` blocks; ``AsyncClient`` is the same API with ``await``. Both default to
``https://api.copper.com/developer_api/v1``: only ``base_url`` changes between Copper and
verdigris. Results are the server's own wire structs (``LeadOut`` ...); errors are the
hierarchy drawn in :mod:`verdigris.client.errors`.
"""

from verdigris.client.aio import AsyncClient
from verdigris.client.core import COPPER_BASE_URL, Reply
from verdigris.client.errors import (
    AmbiguousMatchError,
    ApiError,
    AuthenticationError,
    BadRequestError,
    CopperError,
    NotFoundError,
    RateLimitedError,
    RequestTooLargeError,
    ServerError,
    TransportError,
    ValidationError,
    VerdigrisClientError,
)
from verdigris.client.models import (
    AccountOut,
    BulkItemFailure,
    BulkResult,
    CustomFieldDefinitionOut,
    DeletedOut,
    LeadOut,
    Match,
    RelatedOut,
    RelationOut,
    RemovedRelationOut,
    SearchPage,
    SourceOut,
    StatusOut,
    TagOut,
    TaskOut,
    TaskPage,
    UserOut,
)
from verdigris.client.pacing import Pacer, RetryPolicy
from verdigris.client.sync import Client

__all__ = [
    "COPPER_BASE_URL",
    "AccountOut",
    "AmbiguousMatchError",
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "BulkItemFailure",
    "BulkResult",
    "Client",
    "CopperError",
    "CustomFieldDefinitionOut",
    "DeletedOut",
    "LeadOut",
    "Match",
    "NotFoundError",
    "Pacer",
    "RateLimitedError",
    "RelatedOut",
    "RelationOut",
    "RemovedRelationOut",
    "Reply",
    "RequestTooLargeError",
    "RetryPolicy",
    "SearchPage",
    "ServerError",
    "SourceOut",
    "StatusOut",
    "TagOut",
    "TaskOut",
    "TaskPage",
    "TransportError",
    "UserOut",
    "ValidationError",
    "VerdigrisClientError",
]
