"""The asynchronous client: :class:`AsyncClient`, on ``httpx.AsyncClient`` (asyncio or trio).
One instance can serve many tasks; its pacing and 429 pauses are shared by them."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import anyio
import httpx

from verdigris.client.core import (
    BULK_SIZE,
    COPPER_BASE_URL,
    MAX_PAGE_SIZE,
    Failed,
    Reply,
    Request,
    SearchCursor,
    Sleep,
    Step,
    make_core,
    not_sent,
)
from verdigris.client.models import (
    AccountOut,
    BulkResult,
    CustomFieldDefinitionOut,
    DeletedOut,
    LeadOut,
    Match,
    SearchPage,
    SourceOut,
    StatusOut,
    UserOut,
)
from verdigris.client.pacing import BULK_PER_SECOND, RetryPolicy
from verdigris.wire.webhooks import (
    AttemptOut,
    DeliveryModeOut,
    ReplayOut,
    WebhookDeletedOut,
    WebhookOut,
)

T = TypeVar("T")


class AsyncClient:
    """Copper's Leads API, asynchronous. Works against ``api.copper.com`` (the default
    ``base_url``) and against verdigris (``http://HOST:PORT/developer_api/v1``)."""

    def __init__(
        self,
        base_url: str = COPPER_BASE_URL,
        token: str = "",
        email: str = "",
        *,
        timeout: float = 30.0,
        bulk_size: int = BULK_SIZE,
        bulk_per_second: int | None = BULK_PER_SECOND,
        requests_per_minute: int | None = None,
        retry: RetryPolicy | None = None,
        max_connections: int = 20,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._core = make_core(
            base_url,
            token,
            email,
            bulk_size=bulk_size,
            bulk_per_second=bulk_per_second,
            requests_per_minute=requests_per_minute,
            retry=retry,
        )
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._http = httpx.AsyncClient(
            base_url=self._core.base_url + "/",
            headers=self._core.headers,
            timeout=timeout,
            limits=limits,
            transport=transport,
        )

    @property
    def base_url(self) -> str:
        return self._core.base_url

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _run(self, step: Step[T]) -> T:
        """Carry out a core step's actions until it returns."""
        outcome: Any = None
        try:
            while True:
                action = step.send(outcome)
                if isinstance(action, Sleep):
                    await anyio.sleep(action.seconds)
                    outcome = None
                else:
                    outcome = await self._send(action.request)
        except StopIteration as done:
            result: T = done.value
            return result

    async def _send(self, request: Request) -> Reply | Failed:
        try:
            response = await self._http.request(
                request.method, request.path.lstrip("/"), content=request.content
            )
        except httpx.TransportError as exc:
            return Failed(exc, sent=not not_sent(exc))
        return Reply(response.status_code, response.headers, response.content)

    # leads ------------------------------------------------------------------------------
    async def create_lead(self, lead: Mapping[str, Any] | LeadOut) -> LeadOut:
        """POST /leads. Never retried once sent (a retry could create a second lead)."""
        return await self._run(self._core.create_lead(lead))

    async def get_lead(self, lead_id: int) -> LeadOut:
        return await self._run(self._core.get_lead(lead_id))

    async def update_lead(self, lead_id: int, changes: Mapping[str, Any] | LeadOut) -> LeadOut:
        """PUT /leads/{id}: only the keys sent change."""
        return await self._run(self._core.update_lead(lead_id, changes))

    async def delete_lead(self, lead_id: int) -> DeletedOut:
        return await self._run(self._core.delete_lead(lead_id))

    async def upsert_lead(self, properties: Mapping[str, Any], match: Match) -> LeadOut:
        """PUT /leads/upsert: update the one lead matching ``match``, or create one."""
        return await self._run(self._core.upsert_lead(properties, match))

    async def bulk_create_leads(self, leads: Iterable[Mapping[str, Any]]) -> list[BulkResult]:
        """Create any number of leads, in requests of the server's limit, paced. One result
        per input item, in input order: a LeadOut or a BulkItemFailure."""
        return await self._run(self._core.bulk("bulk_create", leads))

    async def bulk_update_leads(self, leads: Iterable[Mapping[str, Any]]) -> list[BulkResult]:
        """Update any number of leads (each item carries its ``id``); as bulk_create_leads."""
        return await self._run(self._core.bulk("bulk_update", leads))

    def search_leads(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> AsyncSearchResults:
        """Every lead matching ``filters`` (Copper's search parameters: ``name``,
        ``emails``, ``tags``, ``sort_by`` ...), fetched page by page as you iterate
        (``async for lead in client.search_leads(...)``). ``total`` is the server's
        count once the first page is in. Copper serves at most 100,000 records a search."""
        cursor = self._core.search(filters, page_size, limit)
        return AsyncSearchResults(self, cursor)

    async def search_leads_page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        page_number: int = 1,
        page_size: int = 20,
    ) -> SearchPage:
        """One page of POST /leads/search, with the server's total (``X-PW-TOTAL``)."""
        return await self._run(self._core.search_page(filters, page_number, page_size))

    # account lookups --------------------------------------------------------------------
    async def lead_statuses(self) -> list[StatusOut]:
        return await self._run(self._core.lead_statuses())

    async def customer_sources(self) -> list[SourceOut]:
        return await self._run(self._core.customer_sources())

    async def account(self) -> AccountOut:
        return await self._run(self._core.account())

    async def users(self) -> list[UserOut]:
        return await self._run(self._core.users())

    async def user(self, user_id: int | str) -> UserOut:
        """A user by id, or ``"me"``."""
        return await self._run(self._core.user(user_id))

    # custom field definitions -----------------------------------------------------------
    async def custom_field_definitions(self) -> list[CustomFieldDefinitionOut]:
        return await self._run(self._core.custom_field_definitions())

    async def custom_field_definition(self, definition_id: int) -> CustomFieldDefinitionOut:
        return await self._run(self._core.custom_field_definition(definition_id))

    async def create_custom_field_definition(
        self, definition: Mapping[str, Any]
    ) -> CustomFieldDefinitionOut:
        return await self._run(self._core.create_custom_field_definition(definition))

    async def update_custom_field_definition(
        self, definition_id: int, changes: Mapping[str, Any]
    ) -> CustomFieldDefinitionOut:
        return await self._run(self._core.update_custom_field_definition(definition_id, changes))

    async def delete_custom_field_definition(self, definition_id: int) -> DeletedOut:
        return await self._run(self._core.delete_custom_field_definition(definition_id))

    # webhooks ---------------------------------------------------------------------------
    async def webhooks(self) -> list[WebhookOut]:
        """GET /webhooks: the account's subscriptions."""
        return await self._run(self._core.webhooks())

    async def webhook(self, subscription_id: int) -> WebhookOut:
        return await self._run(self._core.webhook(subscription_id))

    async def create_webhook(self, subscription: Mapping[str, Any]) -> WebhookOut:
        """POST /webhooks (``target``, ``type``, ``event``; optional ``secret``,
        ``headers``, ``custom_field_computed_values``). Never retried once sent."""
        return await self._run(self._core.create_webhook(subscription))

    async def update_webhook(self, subscription_id: int, changes: Mapping[str, Any]) -> WebhookOut:
        return await self._run(self._core.update_webhook(subscription_id, changes))

    async def delete_webhook(self, subscription_id: int) -> WebhookDeletedOut:
        return await self._run(self._core.delete_webhook(subscription_id))

    async def webhook_deliveries(
        self,
        *,
        subscription_id: int | None = None,
        delivery_id: str | None = None,
        before_id: int | None = None,
        page_size: int = 50,
    ) -> list[AttemptOut]:
        """verdigris's inbox: delivery attempts, newest first (not on api.copper.com)."""
        query = {
            "subscription_id": subscription_id,
            "delivery_id": delivery_id,
            "before_id": before_id,
            "page_size": page_size,
        }
        return await self._run(self._core.webhook_deliveries(query))

    async def webhook_delivery(self, attempt_id: int) -> AttemptOut:
        return await self._run(self._core.webhook_delivery(attempt_id))

    async def replay_webhook_delivery(self, attempt_id: int) -> ReplayOut:
        """Queue an attempt's request to be sent again as it was (verdigris only)."""
        return await self._run(self._core.replay_webhook_delivery(attempt_id))

    async def webhook_delivery_mode(self, subscription_id: int) -> DeliveryModeOut:
        return await self._run(self._core.webhook_delivery_mode(subscription_id))

    async def set_webhook_delivery_mode(
        self, subscription_id: int, mode: str | None
    ) -> DeliveryModeOut:
        """``copper``, ``reliable``, or None for the server's default (verdigris only)."""
        return await self._run(self._core.set_webhook_delivery_mode(subscription_id, mode))

    # anything else ----------------------------------------------------------------------
    async def request(
        self, method: str, path: str, body: Any = None, *, idempotent: bool | None = None
    ) -> Reply:
        """Any call, with pacing, retries and errors as usual. ``idempotent`` defaults to
        True for GET, PUT and DELETE (retried on connection errors), False otherwise."""
        return await self._run(self._core.request(method, path, body, idempotent=idempotent))


class AsyncSearchResults(AsyncIterator[LeadOut]):
    """The leads of a search, fetched a page at a time as they are iterated."""

    def __init__(self, client: AsyncClient, cursor: SearchCursor) -> None:
        self._client = client
        self._cursor = cursor
        self._buffer: deque[LeadOut] = deque()

    @property
    def total(self) -> int | None:
        """The server's ``X-PW-TOTAL`` (None before the first page)."""
        return self._cursor.total

    def __aiter__(self) -> AsyncSearchResults:
        return self

    async def __anext__(self) -> LeadOut:
        while not self._buffer:
            step = self._cursor.next_step()
            if step is None:
                raise StopAsyncIteration
            self._buffer.extend(self._cursor.accept(await self._client._run(step)))
        return self._buffer.popleft()
