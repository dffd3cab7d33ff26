"""The asynchronous client: :class:`AsyncClient`, on ``httpx.AsyncClient`` (asyncio or trio).
One instance can serve many tasks; its pacing and 429 pauses are shared by them."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import anyio
import httpx

from verdigris.client import activities as activity_calls
from verdigris.client import people as people_calls
from verdigris.client import record_history as history_calls
from verdigris.client.activities import ActivityPage, ActivityResult
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
    decode,
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
    OpportunityPage,
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
from verdigris.client.pacing import BULK_PER_SECOND, RetryPolicy
from verdigris.client.people import RecordPage
from verdigris.wire import (
    ActivityOut,
    CompanyOut,
    OpportunityOut,
    PersonOut,
    PipelineOut,
    PipelineStageOut,
)
from verdigris.wire.activities import ActivityTypesOut
from verdigris.wire.history import RevertOut, VersionDiffOut, VersionOut
from verdigris.wire.opportunities import LossReasonOut
from verdigris.wire.record_history import (
    CompanyVersionDiffOut,
    CompanyVersionOut,
    OpportunityVersionDiffOut,
    OpportunityVersionOut,
    PersonVersionDiffOut,
    PersonVersionOut,
)
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
        idempotency_keys: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._core = make_core(
            base_url,
            token,
            email,
            bulk_size=bulk_size,
            bulk_per_second=bulk_per_second,
            requests_per_minute=requests_per_minute,
            retry=retry,
            idempotency_keys=idempotency_keys,
        )
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._http = httpx.AsyncClient(
            base_url=self._core.base_url + "/",
            headers={**self._core.headers, **(headers or {})},
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
                request.method,
                self._core.target(request.path),
                content=request.content,
                headers=request.headers or None,
            )
        except httpx.TransportError as exc:
            return Failed(exc, sent=not not_sent(exc))
        return Reply(response.status_code, response.headers, response.content)

    # leads ------------------------------------------------------------------------------
    async def create_lead(self, lead: Mapping[str, Any] | LeadOut) -> LeadOut:
        """POST /leads, with an ``Idempotency-Key`` (unless ``idempotency_keys=False``):
        retried after a lost answer only against verdigris, which honours the key (a
        retry of a create against Copper could make a second lead)."""
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

    # verdigris's lead history (/verdigris/v1; docs/history.md) ------------------------
    async def lead_versions(
        self, lead_id: int, *, before: int | None = None, limit: int = 50
    ) -> list[VersionOut]:
        """A lead's versions, newest first (verdigris only)."""
        return await self._run(self._core.lead_versions(lead_id, before, limit))

    async def lead_version(self, lead_id: int, version: int) -> VersionOut:
        return await self._run(self._core.lead_version(lead_id, version))

    async def lead_diff(self, lead_id: int, first: int, second: int) -> VersionDiffOut:
        """What changed from version ``first`` of a lead to version ``second``."""
        return await self._run(self._core.lead_diff(lead_id, first, second))

    async def restore_lead_version(self, lead_id: int, version: int) -> LeadOut:
        """Make the lead what ``version`` holds (a new version; a deleted lead returns)."""
        return await self._run(self._core.restore_lead_version(lead_id, version))

    async def deleted_leads(self, *, after: int | None = None, limit: int = 50) -> list[VersionOut]:
        """Deleted leads, by id, each as it was deleted."""
        return await self._run(self._core.deleted_leads(after, limit))

    async def restore_deleted_lead(self, lead_id: int) -> LeadOut:
        """A deleted lead back, with its id, as it was deleted."""
        return await self._run(self._core.restore_deleted_lead(lead_id))

    async def revert_import(
        self, run: str, *, after: int | None = None, limit: int = 100
    ) -> RevertOut:
        """One step of undoing import run ``run``: pass ``next_after`` back as ``after``
        until it is None."""
        return await self._run(self._core.revert_import(run, after, limit))

    # verdigris's history of people, companies, opportunities (/verdigris/v1; issue 21) --
    async def person_versions(
        self, person_id: int, *, before: int | None = None, limit: int = 50
    ) -> list[PersonVersionOut]:
        """The versions of a person, newest first (verdigris only)."""
        step = history_calls.versions(
            self._core, "people", person_id, before, limit, PersonVersionOut
        )
        return await self._run(step)

    async def person_version(self, person_id: int, version: int) -> PersonVersionOut:
        step = history_calls.version(self._core, "people", person_id, version, PersonVersionOut)
        return await self._run(step)

    async def person_diff(self, person_id: int, first: int, second: int) -> PersonVersionDiffOut:
        """What changed from version ``first`` of a person to version ``second``."""
        step = history_calls.diff(
            self._core, "people", person_id, first, second, PersonVersionDiffOut
        )
        return await self._run(step)

    async def restore_person_version(self, person_id: int, version: int) -> PersonOut:
        """Make a person what ``version`` holds (a new version; a deleted one returns)."""
        step = history_calls.restore_version(self._core, "people", person_id, version, PersonOut)
        return await self._run(step)

    async def deleted_people(
        self, *, after: int | None = None, limit: int = 50
    ) -> list[PersonVersionOut]:
        """Deleted people, by id, each as it was deleted."""
        return await self._run(
            history_calls.deleted(self._core, "people", after, limit, PersonVersionOut)
        )

    async def restore_deleted_person(self, person_id: int) -> PersonOut:
        """A deleted person back, with its id, as it was deleted."""
        step = history_calls.restore_deleted(self._core, "people", person_id, PersonOut)
        return await self._run(step)

    async def company_versions(
        self, company_id: int, *, before: int | None = None, limit: int = 50
    ) -> list[CompanyVersionOut]:
        """The versions of a company, newest first (verdigris only)."""
        step = history_calls.versions(
            self._core, "companies", company_id, before, limit, CompanyVersionOut
        )
        return await self._run(step)

    async def company_version(self, company_id: int, version: int) -> CompanyVersionOut:
        step = history_calls.version(
            self._core, "companies", company_id, version, CompanyVersionOut
        )
        return await self._run(step)

    async def company_diff(self, company_id: int, first: int, second: int) -> CompanyVersionDiffOut:
        """What changed from version ``first`` of a company to version ``second``."""
        step = history_calls.diff(
            self._core, "companies", company_id, first, second, CompanyVersionDiffOut
        )
        return await self._run(step)

    async def restore_company_version(self, company_id: int, version: int) -> CompanyOut:
        """Make a company what ``version`` holds (a new version; a deleted one returns)."""
        step = history_calls.restore_version(
            self._core, "companies", company_id, version, CompanyOut
        )
        return await self._run(step)

    async def deleted_companies(
        self, *, after: int | None = None, limit: int = 50
    ) -> list[CompanyVersionOut]:
        """Deleted companies, by id, each as it was deleted."""
        return await self._run(
            history_calls.deleted(self._core, "companies", after, limit, CompanyVersionOut)
        )

    async def restore_deleted_company(self, company_id: int) -> CompanyOut:
        """A deleted company back, with its id, as it was deleted."""
        step = history_calls.restore_deleted(self._core, "companies", company_id, CompanyOut)
        return await self._run(step)

    async def opportunity_versions(
        self, opportunity_id: int, *, before: int | None = None, limit: int = 50
    ) -> list[OpportunityVersionOut]:
        """The versions of an opportunity, newest first (verdigris only)."""
        step = history_calls.versions(
            self._core, "opportunities", opportunity_id, before, limit, OpportunityVersionOut
        )
        return await self._run(step)

    async def opportunity_version(self, opportunity_id: int, version: int) -> OpportunityVersionOut:
        step = history_calls.version(
            self._core, "opportunities", opportunity_id, version, OpportunityVersionOut
        )
        return await self._run(step)

    async def opportunity_diff(
        self, opportunity_id: int, first: int, second: int
    ) -> OpportunityVersionDiffOut:
        """What changed from version ``first`` of an opportunity to version ``second``."""
        step = history_calls.diff(
            self._core, "opportunities", opportunity_id, first, second, OpportunityVersionDiffOut
        )
        return await self._run(step)

    async def restore_opportunity_version(
        self, opportunity_id: int, version: int
    ) -> OpportunityOut:
        """Make an opportunity what ``version`` holds (a new version; a deleted one returns)."""
        step = history_calls.restore_version(
            self._core, "opportunities", opportunity_id, version, OpportunityOut
        )
        return await self._run(step)

    async def deleted_opportunities(
        self, *, after: int | None = None, limit: int = 50
    ) -> list[OpportunityVersionOut]:
        """Deleted opportunities, by id, each as it was deleted."""
        return await self._run(
            history_calls.deleted(self._core, "opportunities", after, limit, OpportunityVersionOut)
        )

    async def restore_deleted_opportunity(self, opportunity_id: int) -> OpportunityOut:
        """A deleted opportunity back, with its id, as it was deleted."""
        step = history_calls.restore_deleted(
            self._core, "opportunities", opportunity_id, OpportunityOut
        )
        return await self._run(step)

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

    # tasks, a lead's related items, tags -------------------------------------------------
    async def create_task(self, task: Mapping[str, Any]) -> TaskOut:
        """POST /tasks. Never retried once sent (a retry could create a second task)."""
        return await self._run(self._core.create_task(task))

    async def get_task(self, task_id: int) -> TaskOut:
        return await self._run(self._core.get_task(task_id))

    async def update_task(self, task_id: int, changes: Mapping[str, Any]) -> TaskOut:
        """PUT /tasks/{id}: only the keys sent change."""
        return await self._run(self._core.update_task(task_id, changes))

    async def delete_task(self, task_id: int) -> DeletedOut:
        return await self._run(self._core.delete_task(task_id))

    async def search_tasks_page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        page_number: int = 1,
        page_size: int = 20,
    ) -> TaskPage:
        """One page of POST /tasks/search (Copper's filters: ``assignee_ids``,
        ``statuses``, ``tags``, ``minimum_due_date`` ...), with ``X-PW-TOTAL``."""
        return await self._run(self._core.search_tasks_page(filters, page_number, page_size))

    async def lead_related(self, lead_id: int) -> list[RelatedOut]:
        """GET /leads/{id}/related: what the lead relates to (tasks only, in Copper)."""
        return await self._run(self._core.lead_related(lead_id))

    async def lead_related_tasks(self, lead_id: int) -> list[RelatedOut]:
        """GET /leads/{id}/related/tasks."""
        return await self._run(self._core.lead_related(lead_id, "tasks"))

    async def relate_task_to_lead(self, lead_id: int, task_id: int) -> RelationOut:
        """POST /leads/{id}/related with the task: the task's related_resource becomes
        the lead (a task relates to one record at most)."""
        return await self._run(self._core.relate_task_to_lead(lead_id, task_id))

    async def unrelate_task_from_lead(self, lead_id: int, task_id: int) -> RemovedRelationOut:
        """DELETE /leads/{id}/related with the task."""
        return await self._run(self._core.unrelate_task_from_lead(lead_id, task_id))

    async def tags(self) -> list[TagOut]:
        """GET /tags: the account's tags with how many leads and tasks carry each."""
        return await self._run(self._core.tags())

    # opportunities, pipelines, loss reasons (issue 21) ----------------------------------
    async def create_opportunity(self, opportunity: Mapping[str, Any]) -> OpportunityOut:
        """POST /opportunities (``name`` and ``primary_contact_id`` required). Never
        retried once sent (a retry could create a second opportunity)."""
        request = self._core.create_request("/opportunities", opportunity)
        return await self._run(self._core.call(request, OpportunityOut))

    async def get_opportunity(self, opportunity_id: int) -> OpportunityOut:
        request = Request("GET", f"/opportunities/{int(opportunity_id)}")
        return await self._run(self._core.call(request, OpportunityOut))

    async def update_opportunity(
        self, opportunity_id: int, changes: Mapping[str, Any]
    ) -> OpportunityOut:
        """PUT /opportunities/{id}: only the keys sent change (``pipeline_stage_id``,
        ``status``, ``loss_reason_id``, ``monetary_value``, ``close_date`` ...)."""
        request = Request.json("PUT", f"/opportunities/{int(opportunity_id)}", changes)
        return await self._run(self._core.call(request, OpportunityOut))

    async def delete_opportunity(self, opportunity_id: int) -> DeletedOut:
        request = Request("DELETE", f"/opportunities/{int(opportunity_id)}")
        return await self._run(self._core.call(request, DeletedOut))

    async def search_opportunities_page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        page_number: int = 1,
        page_size: int = 20,
    ) -> OpportunityPage:
        """One page of POST /opportunities/search, with the server's total (``X-PW-TOTAL``)."""
        body = {**(filters or {}), "page_number": page_number, "page_size": page_size}
        request = Request.json("POST", "/opportunities/search", body)
        reply = await self._run(self._core.exchange(request))
        total = reply.headers.get("x-pw-total", "")
        found = decode(reply.content, list[OpportunityOut])
        return OpportunityPage(found, int(total) if total.isdigit() else None)

    async def search_opportunities(
        self, filters: Mapping[str, Any] | None = None, *, limit: int | None = None
    ) -> list[OpportunityOut]:
        """Every opportunity matching ``filters`` (at most ``limit``), in pages of 200,
        until a short page, the server's total, or Copper's 100,000-record window."""
        found: list[OpportunityOut] = []
        page_number = 1
        while limit is None or len(found) < limit:
            page = await self.search_opportunities_page(
                filters, page_number=page_number, page_size=MAX_PAGE_SIZE
            )
            found.extend(page.opportunities)
            done = page.total is not None and page_number * MAX_PAGE_SIZE >= page.total
            if len(page.opportunities) < MAX_PAGE_SIZE or done:
                break
            if page_number * MAX_PAGE_SIZE >= 100_000:
                break
            page_number += 1
        return found if limit is None else found[:limit]

    async def pipelines(self) -> list[PipelineOut]:
        return await self._run(self._core.call(Request("GET", "/pipelines"), list[PipelineOut]))

    async def pipeline_stages(self, pipeline_id: int | None = None) -> list[PipelineStageOut]:
        """Every stage (GET /pipeline_stages), or one pipeline's
        (GET /pipeline_stages/pipeline/{id})."""
        path = "/pipeline_stages"
        if pipeline_id is not None:
            path += f"/pipeline/{int(pipeline_id)}"
        return await self._run(self._core.call(Request("GET", path), list[PipelineStageOut]))

    async def loss_reasons(self) -> list[LossReasonOut]:
        request = Request("GET", "/loss_reasons")
        return await self._run(self._core.call(request, list[LossReasonOut]))

    # activities -------------------------------------------------------------------------
    async def activity_types(self) -> ActivityTypesOut:
        """GET /activity_types: ``.user`` (Note, Phone Call, Meeting...) and ``.system``."""
        return await self._run(activity_calls.activity_types(self._core))

    async def create_activity(self, activity: Mapping[str, Any]) -> ActivityOut:
        """POST /activities (``parent``, ``type``, ``details``, ``activity_date``). Never
        retried once sent (a retry could log it twice)."""
        return await self._run(activity_calls.create_activity(self._core, activity))

    async def get_activity(self, activity_id: int) -> ActivityOut | DeletedOut:
        """An activity; a deleted one reads as Copper's stub (a DeletedOut)."""
        return await self._run(activity_calls.get_activity(self._core, activity_id))

    async def update_activity(self, activity_id: int, changes: Mapping[str, Any]) -> ActivityOut:
        """PUT /activities/{id}: only the keys sent change."""
        return await self._run(activity_calls.update_activity(self._core, activity_id, changes))

    async def delete_activity(self, activity_id: int) -> DeletedOut:
        return await self._run(activity_calls.delete_activity(self._core, activity_id))

    async def search_activities_page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        page_number: int = 1,
        page_size: int = 20,
    ) -> ActivityPage:
        """One page of POST /activities/search (``parent``, ``activity_types``,
        ``minimum_activity_date``...), newest first, with the server's total."""
        step = activity_calls.search_activities_page(self._core, filters, page_number, page_size)
        return await self._run(step)

    async def bulk_create_activities(
        self, activities: Iterable[Mapping[str, Any]]
    ) -> list[ActivityResult]:
        """Create any number of activities, in requests of the server's limit, paced. One
        result per input item, in input order: an ActivityOut or a BulkItemFailure."""
        return await self._run(activity_calls.bulk_create_activities(self._core, activities))

    # people and companies (issue 21) ----------------------------------------------------
    async def create_person(self, person: Mapping[str, Any]) -> PersonOut:
        """POST /people. Never retried once sent (a retry could create a second person)."""
        return await self._run(people_calls.create_person(self._core, person))

    async def get_person(self, person_id: int) -> PersonOut:
        return await self._run(people_calls.get_person(self._core, person_id))

    async def update_person(self, person_id: int, changes: Mapping[str, Any]) -> PersonOut:
        """PUT /people/{id}: only the keys sent change."""
        return await self._run(people_calls.update_person(self._core, person_id, changes))

    async def delete_person(self, person_id: int) -> DeletedOut:
        return await self._run(people_calls.delete_person(self._core, person_id))

    async def fetch_person_by_email(self, email: str) -> PersonOut:
        """POST /people/fetch_by_email (NotFoundError when no person has the address)."""
        return await self._run(people_calls.fetch_person_by_email(self._core, email))

    async def search_people_page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        page_number: int = 1,
        page_size: int = 20,
    ) -> RecordPage[PersonOut]:
        """One page of POST /people/search, with the server's total (``X-PW-TOTAL``)."""
        step = people_calls.search_people_page(self._core, filters, page_number, page_size)
        return await self._run(step)

    async def create_company(self, company: Mapping[str, Any]) -> CompanyOut:
        """POST /companies. Never retried once sent (a retry could create a second one)."""
        return await self._run(people_calls.create_company(self._core, company))

    async def get_company(self, company_id: int) -> CompanyOut:
        return await self._run(people_calls.get_company(self._core, company_id))

    async def update_company(self, company_id: int, changes: Mapping[str, Any]) -> CompanyOut:
        """PUT /companies/{id}: only the keys sent change."""
        return await self._run(people_calls.update_company(self._core, company_id, changes))

    async def delete_company(self, company_id: int) -> DeletedOut:
        return await self._run(people_calls.delete_company(self._core, company_id))

    async def search_companies_page(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        page_number: int = 1,
        page_size: int = 20,
    ) -> RecordPage[CompanyOut]:
        """One page of POST /companies/search, with the server's total (``X-PW-TOTAL``)."""
        step = people_calls.search_companies_page(self._core, filters, page_number, page_size)
        return await self._run(step)

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
