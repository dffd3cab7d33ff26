"""The SDK without I/O: every call is a generator that builds requests and parses replies.

A call yields :class:`Send` (send this request, resume me with a :class:`Reply` or a
:class:`Failed`) and :class:`Sleep` (wait this long, resume me with ``None``), and returns
its typed result. :mod:`verdigris.client.sync` and :mod:`verdigris.client.aio` only carry
those actions out (httpx and ``time.sleep``, or httpx async and ``anyio.sleep``), so the
two clients share every rule: paths, bodies, retries, pacing, bulk splitting, decoding.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import msgspec

from verdigris import __version__
from verdigris.client.errors import (
    ApiError,
    AuthenticationError,
    CopperError,
    NotFoundError,
    RequestTooLargeError,
    ServerError,
    TransportError,
    error_for,
    field_codes,
    retry_after_seconds,
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
from verdigris.wire.history import RevertOut, VersionDiffOut, VersionOut
from verdigris.wire.webhooks import (
    AttemptOut,
    DeliveryModeOut,
    ReplayOut,
    WebhookDeletedOut,
    WebhookOut,
)

T = TypeVar("T")

COPPER_BASE_URL = "https://api.copper.com/developer_api/v1"
#: the path of Copper's API, and of verdigris's extensions beside it
COPPER_PATH = "/developer_api/v1"
EXTENSION_PATH = "/verdigris/v1"
#: items per bulk request: Copper's documented limit (lowered at once if a server says less)
BULK_SIZE = 10
#: the largest search page Copper serves
MAX_PAGE_SIZE = 200
#: Copper returns only the first 100,000 records of a search, whatever the paging
SEARCH_WINDOW = 100_000
USER_AGENT = f"verdigris-client/{__version__}"

_encoder = msgspec.json.Encoder()
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


def decode(content: bytes, kind: type[T]) -> T:
    """JSON ``content`` as ``kind`` (a wire struct or a list of them)."""
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    try:
        result: T = decoder.decode(content)
    except msgspec.DecodeError as exc:
        raise ServerError(200, f"Unexpected response body: {exc}", content) from None
    return result


@dataclass(frozen=True)
class Request:
    """One HTTP request; ``path`` is relative to the base URL."""

    method: str
    path: str
    content: bytes | None = None
    #: safe to send twice (GET, PUT, DELETE, upsert, bulk_update, search)
    idempotent: bool = True
    #: counts against the bulk rate limit
    bulk: bool = False
    #: extra headers (an ``Idempotency-Key``)
    headers: tuple[tuple[str, str], ...] = ()
    #: carries an ``Idempotency-Key``: safe to send twice to a server that honours keys
    keyed: bool = False

    @classmethod
    def json(cls, method: str, path: str, body: Any, **kw: Any) -> Request:
        return cls(method, path, _encoder.encode(body), **kw)


@dataclass(frozen=True)
class Reply:
    """An HTTP answer. ``headers`` is case-insensitive (httpx's)."""

    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return msgspec.json.decode(self.content) if self.content else None


@dataclass(frozen=True)
class Send:
    request: Request


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Failed:
    """No HTTP answer. ``sent``: the request may have reached the server."""

    error: Exception
    sent: bool


Action = Send | Sleep
Step = Generator[Action, Any, T]


class Core:
    """Credentials, limits and the requests of every endpoint; shared by both clients."""

    def __init__(
        self,
        base_url: str,
        token: str,
        email: str,
        *,
        pacer: Pacer,
        retry: RetryPolicy,
        bulk_size: int = BULK_SIZE,
        idempotency_keys: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: where verdigris's own extensions live (``/verdigris/v1`` beside the API)
        self.extension_url = self.base_url.removesuffix(COPPER_PATH) + EXTENSION_PATH
        #: send an ``Idempotency-Key`` with every create (POST /leads, bulk_create)
        self.idempotency_keys = idempotency_keys
        #: the server answered as verdigris (``X-Verdigris-Request-Id``), so it honours
        #: idempotency keys and a keyed create may be retried; Copper ignores the header
        self.honours_keys = False
        self.headers = {
            "X-PW-AccessToken": token,
            "X-PW-Application": "developer_api",
            "X-PW-UserEmail": email,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        self.pacer = pacer
        self.retry = retry
        self.bulk_size = bulk_size

    # one exchange, with pacing and retries ----------------------------------------------
    def exchange(self, request: Request) -> Step[Reply]:
        """Send ``request`` until it gets a success, retrying what the policy allows."""
        limited = transient = 0
        while True:
            ticket = self.pacer.reserve(bulk=request.bulk)
            if ticket.delay > 0:
                yield Sleep(ticket.delay)
            outcome = yield Send(request)
            self.pacer.done(ticket)
            if isinstance(outcome, Failed):
                safe = self._safe(request) or not outcome.sent
                wait = self.retry.after_transient(transient, safe=safe)
                if wait is None:
                    raise _transport_error(request, outcome)
                transient += 1
                yield Sleep(wait)
                continue
            reply: Reply = outcome
            if not self.honours_keys and "x-verdigris-request-id" in reply.headers:
                self.honours_keys = True
            if reply.status < 400:
                return reply
            retry_after = retry_after_seconds(reply.headers.get("retry-after"))
            if reply.status == 429:
                wait = self.retry.after_rate_limit(limited, retry_after)
                if wait is None:
                    raise error_for(reply.status, reply.headers, reply.content)
                limited += 1
                self.pacer.pause(retry_after or wait)  # hold this client's other callers too
                yield Sleep(wait)
                continue
            if reply.status in (502, 503, 504):
                wait = self.retry.after_transient(
                    transient, safe=self._safe(request), retry_after=retry_after
                )
                if wait is not None:
                    transient += 1
                    yield Sleep(wait)
                    continue
            raise error_for(reply.status, reply.headers, reply.content)

    def _safe(self, request: Request) -> bool:
        return request.idempotent or (request.keyed and self.honours_keys)

    def target(self, path: str) -> str:
        """Where ``path`` goes: relative to the base URL, or verdigris's extensions."""
        if path.startswith(EXTENSION_PATH):
            return self.extension_url + path[len(EXTENSION_PATH) :]
        return path.lstrip("/")

    def key(self) -> tuple[tuple[str, str], ...]:
        """A fresh ``Idempotency-Key`` header for a create (none with keys off)."""
        if not self.idempotency_keys:
            return ()
        return (("Idempotency-Key", uuid.uuid4().hex),)

    def create_request(self, path: str, body: Any) -> Request:
        """``POST path`` creating a record: with an ``Idempotency-Key`` (unless
        ``idempotency_keys`` is off), so that against verdigris a lost answer can be
        retried without making the record twice; against Copper it is never retried."""
        key = self.key()
        return Request.json("POST", path, body, idempotent=False, headers=key, keyed=bool(key))

    def call(self, request: Request, kind: type[T]) -> Step[T]:
        reply = yield from self.exchange(request)
        return decode(reply.content, kind)

    # leads ------------------------------------------------------------------------------
    def create_lead(self, lead: Mapping[str, Any] | LeadOut) -> Step[LeadOut]:
        return self.call(self.create_request("/leads", lead), LeadOut)

    def get_lead(self, lead_id: int) -> Step[LeadOut]:
        return self.call(Request("GET", f"/leads/{int(lead_id)}"), LeadOut)

    def update_lead(self, lead_id: int, changes: Mapping[str, Any] | LeadOut) -> Step[LeadOut]:
        return self.call(Request.json("PUT", f"/leads/{int(lead_id)}", changes), LeadOut)

    def delete_lead(self, lead_id: int) -> Step[DeletedOut]:
        return self.call(Request("DELETE", f"/leads/{int(lead_id)}"), DeletedOut)

    def upsert_lead(self, properties: Mapping[str, Any], match: Match) -> Step[LeadOut]:
        body = {"properties": properties, "match": match.wire()}
        return self.call(Request.json("PUT", "/leads/upsert", body), LeadOut)

    def bulk(self, kind: str, leads: Iterable[Mapping[str, Any]]) -> Step[list[BulkResult]]:
        """bulk_create / bulk_update of any length, in requests of the server's limit."""
        items = list(leads)
        results: list[BulkResult] = []
        start = 0
        while start < len(items):
            chunk = items[start : start + self.bulk_size]
            key = self.key() if kind == "bulk_create" else ()
            request = Request.json(
                "POST",
                f"/leads/{kind}",
                {"leads": chunk},
                idempotent=kind == "bulk_update",
                bulk=True,
                headers=key,
                keyed=bool(key),
            )
            try:
                reply = yield from self.exchange(request)
                results.extend(_bulk_results(reply, chunk, start))
            except RequestTooLargeError as exc:
                if exc.limit and 0 < exc.limit < len(chunk):
                    self.bulk_size = exc.limit  # the server's limit is lower: split again
                    continue
                results.extend(_chunk_failed(chunk, start, exc))
            except (AuthenticationError, NotFoundError):
                raise  # wrong credentials or URL: no item can succeed
            except CopperError as exc:
                results.extend(_chunk_failed(chunk, start, exc))
            start += len(chunk)
        return results

    def search_page(
        self, filters: Mapping[str, Any] | None, page_number: int, page_size: int
    ) -> Step[SearchPage]:
        """One page of POST /leads/search (read-only, so retried like a GET)."""
        body = {**(filters or {}), "page_number": page_number, "page_size": page_size}
        reply = yield from self.exchange(Request.json("POST", "/leads/search", body))
        total = reply.headers.get("x-pw-total", "")
        return SearchPage(
            decode(reply.content, list[LeadOut]), int(total) if total.isdigit() else None
        )

    def search(
        self, filters: Mapping[str, Any] | None, page_size: int, limit: int | None
    ) -> SearchCursor:
        return SearchCursor(self, filters, page_size, limit)

    # account lookups --------------------------------------------------------------------
    def lead_statuses(self) -> Step[list[StatusOut]]:
        return self.call(Request("GET", "/lead_statuses"), list[StatusOut])

    def customer_sources(self) -> Step[list[SourceOut]]:
        return self.call(Request("GET", "/customer_sources"), list[SourceOut])

    def account(self) -> Step[AccountOut]:
        return self.call(Request("GET", "/account"), AccountOut)

    def users(self) -> Step[list[UserOut]]:
        return self.call(Request("GET", "/users"), list[UserOut])

    def user(self, user_id: int | str) -> Step[UserOut]:
        key = "me" if user_id == "me" else str(int(user_id))
        return self.call(Request("GET", f"/users/{key}"), UserOut)

    # custom field definitions -----------------------------------------------------------
    def custom_field_definitions(self) -> Step[list[CustomFieldDefinitionOut]]:
        request = Request("GET", "/custom_field_definitions")
        return self.call(request, list[CustomFieldDefinitionOut])

    def custom_field_definition(self, definition_id: int) -> Step[CustomFieldDefinitionOut]:
        request = Request("GET", f"/custom_field_definitions/{int(definition_id)}")
        return self.call(request, CustomFieldDefinitionOut)

    def create_custom_field_definition(
        self, definition: Mapping[str, Any]
    ) -> Step[CustomFieldDefinitionOut]:
        request = self.create_request("/custom_field_definitions", definition)
        return self.call(request, CustomFieldDefinitionOut)

    def update_custom_field_definition(
        self, definition_id: int, changes: Mapping[str, Any]
    ) -> Step[CustomFieldDefinitionOut]:
        path = f"/custom_field_definitions/{int(definition_id)}"
        return self.call(Request.json("PUT", path, changes), CustomFieldDefinitionOut)

    def delete_custom_field_definition(self, definition_id: int) -> Step[DeletedOut]:
        request = Request("DELETE", f"/custom_field_definitions/{int(definition_id)}")
        return self.call(request, DeletedOut)

    # tasks, a lead's related items, tags -------------------------------------------------
    def create_task(self, task: Mapping[str, Any]) -> Step[TaskOut]:
        return self.call(self.create_request("/tasks", task), TaskOut)

    def get_task(self, task_id: int) -> Step[TaskOut]:
        return self.call(Request("GET", f"/tasks/{int(task_id)}"), TaskOut)

    def update_task(self, task_id: int, changes: Mapping[str, Any]) -> Step[TaskOut]:
        return self.call(Request.json("PUT", f"/tasks/{int(task_id)}", changes), TaskOut)

    def delete_task(self, task_id: int) -> Step[DeletedOut]:
        return self.call(Request("DELETE", f"/tasks/{int(task_id)}"), DeletedOut)

    def search_tasks_page(
        self, filters: Mapping[str, Any] | None, page_number: int, page_size: int
    ) -> Step[TaskPage]:
        """One page of POST /tasks/search (read-only, so retried like a GET)."""
        body = {**(filters or {}), "page_number": page_number, "page_size": page_size}
        reply = yield from self.exchange(Request.json("POST", "/tasks/search", body))
        total = reply.headers.get("x-pw-total", "")
        return TaskPage(
            decode(reply.content, list[TaskOut]), int(total) if total.isdigit() else None
        )

    def lead_related(self, lead_id: int, kind: str | None = None) -> Step[list[RelatedOut]]:
        path = f"/leads/{int(lead_id)}/related" + (f"/{kind}" if kind else "")
        return self.call(Request("GET", path), list[RelatedOut])

    def relate_task_to_lead(self, lead_id: int, task_id: int) -> Step[RelationOut]:
        body = {"resource": {"id": int(task_id), "type": "task"}}
        request = Request.json("POST", f"/leads/{int(lead_id)}/related", body)
        return self.call(request, RelationOut)

    def unrelate_task_from_lead(self, lead_id: int, task_id: int) -> Step[RemovedRelationOut]:
        body = {"resource": {"id": int(task_id), "type": "task"}}
        request = Request.json("DELETE", f"/leads/{int(lead_id)}/related", body)
        return self.call(request, RemovedRelationOut)

    def tags(self) -> Step[list[TagOut]]:
        return self.call(Request("GET", "/tags"), list[TagOut])

    # verdigris's lead history (/verdigris/v1, docs/history.md) --------------------------
    def lead_versions(self, lead_id: int, before: int | None, limit: int) -> Step[list[VersionOut]]:
        query = f"?limit={int(limit)}" + (f"&before={int(before)}" if before else "")
        path = f"{EXTENSION_PATH}/leads/{int(lead_id)}/versions{query}"
        return self.call(Request("GET", path), list[VersionOut])

    def lead_version(self, lead_id: int, version: int) -> Step[VersionOut]:
        path = f"{EXTENSION_PATH}/leads/{int(lead_id)}/versions/{int(version)}"
        return self.call(Request("GET", path), VersionOut)

    def lead_diff(self, lead_id: int, first: int, second: int) -> Step[VersionDiffOut]:
        path = f"{EXTENSION_PATH}/leads/{int(lead_id)}/diff?from={int(first)}&to={int(second)}"
        return self.call(Request("GET", path), VersionDiffOut)

    def restore_lead_version(self, lead_id: int, version: int) -> Step[LeadOut]:
        path = f"{EXTENSION_PATH}/leads/{int(lead_id)}/versions/{int(version)}/restore"
        return self.call(Request("POST", path, idempotent=False), LeadOut)

    def deleted_leads(self, after: int | None, limit: int) -> Step[list[VersionOut]]:
        query = f"?limit={int(limit)}" + (f"&after={int(after)}" if after is not None else "")
        return self.call(Request("GET", f"{EXTENSION_PATH}/leads/deleted{query}"), list[VersionOut])

    def restore_deleted_lead(self, lead_id: int) -> Step[LeadOut]:
        path = f"{EXTENSION_PATH}/leads/{int(lead_id)}/restore"
        return self.call(Request("POST", path, idempotent=False), LeadOut)

    def revert_import(self, run: str, after: int | None, limit: int) -> Step[RevertOut]:
        """One step of an import run's revert (safe to repeat: a reverted lead is skipped)."""
        query = f"?limit={int(limit)}" + (f"&after={int(after)}" if after is not None else "")
        path = f"{EXTENSION_PATH}/imports/{quote(run, safe='')}/revert{query}"
        return self.call(Request("POST", path), RevertOut)

    # webhooks (Copper's /webhooks; the inbox and delivery modes are verdigris's) -------

    def webhooks(self) -> Step[list[WebhookOut]]:
        return self.call(Request("GET", "/webhooks"), list[WebhookOut])

    def webhook(self, subscription_id: int) -> Step[WebhookOut]:
        return self.call(Request("GET", f"/webhooks/{int(subscription_id)}"), WebhookOut)

    def create_webhook(self, subscription: Mapping[str, Any]) -> Step[WebhookOut]:
        request = self.create_request("/webhooks", subscription)
        return self.call(request, WebhookOut)

    def update_webhook(self, subscription_id: int, changes: Mapping[str, Any]) -> Step[WebhookOut]:
        path = f"/webhooks/{int(subscription_id)}"
        return self.call(Request.json("PUT", path, changes), WebhookOut)

    def delete_webhook(self, subscription_id: int) -> Step[WebhookDeletedOut]:
        request = Request("DELETE", f"/webhooks/{int(subscription_id)}")
        return self.call(request, WebhookDeletedOut)

    def webhook_deliveries(self, query: Mapping[str, Any]) -> Step[list[AttemptOut]]:
        params = "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
        path = f"{self.extension_url}/webhooks/deliveries" + (f"?{params}" if params else "")
        return self.call(Request("GET", path), list[AttemptOut])

    def webhook_delivery(self, attempt_id: int) -> Step[AttemptOut]:
        path = f"{self.extension_url}/webhooks/deliveries/{int(attempt_id)}"
        return self.call(Request("GET", path), AttemptOut)

    def replay_webhook_delivery(self, attempt_id: int) -> Step[ReplayOut]:
        path = f"{self.extension_url}/webhooks/deliveries/{int(attempt_id)}/replay"
        return self.call(Request("POST", path, idempotent=False), ReplayOut)

    def webhook_delivery_mode(self, subscription_id: int) -> Step[DeliveryModeOut]:
        path = f"{self.extension_url}/webhooks/{int(subscription_id)}/delivery"
        return self.call(Request("GET", path), DeliveryModeOut)

    def set_webhook_delivery_mode(
        self, subscription_id: int, mode: str | None
    ) -> Step[DeliveryModeOut]:
        path = f"{self.extension_url}/webhooks/{int(subscription_id)}/delivery"
        return self.call(Request.json("PUT", path, {"mode": mode}), DeliveryModeOut)

    # anything else ----------------------------------------------------------------------
    def request(
        self, method: str, path: str, body: Any = None, *, idempotent: bool | None = None
    ) -> Step[Reply]:
        """A raw call (pacing, retries and errors as usual): for endpoints not wrapped."""
        method = method.upper()
        safe = method in ("GET", "PUT", "DELETE", "HEAD") if idempotent is None else idempotent
        content = None if body is None else _encoder.encode(body)
        return self.exchange(Request(method, path, content, idempotent=safe))


class SearchCursor:
    """Where a walk over every page of a search stands: which page comes next, and when
    to stop (a short page, the reported total reached, ``limit`` leads, or the end of
    Copper's 100,000-record window)."""

    def __init__(
        self, core: Core, filters: Mapping[str, Any] | None, page_size: int, limit: int | None
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if filters and ({"page_number", "page_size"} & set(filters)):
            raise ValueError("give page_size as an argument; pages are walked for you")
        self.core = core
        self.filters = dict(filters or {})
        self.page_size = page_size
        self.limit = limit
        self.page_number = 1
        self.seen = 0
        self.total: int | None = None
        self.done = limit is not None and limit <= 0

    def next_step(self) -> Step[SearchPage] | None:
        """The request for the next page, or None when the walk is over."""
        if self.done:
            return None
        return self.core.search_page(self.filters, self.page_number, self.page_size)

    def accept(self, page: SearchPage) -> list[LeadOut]:
        """Take a page's answer; returns the leads to hand out."""
        leads = page.leads
        if self.limit is not None:
            leads = leads[: self.limit - self.seen]
        self.seen += len(leads)
        self.total = page.total if page.total is not None else self.total
        offset = self.page_number * self.page_size
        self.page_number += 1
        self.done = (
            len(page.leads) < self.page_size
            or (self.total is not None and offset >= self.total)
            or (self.limit is not None and self.seen >= self.limit)
            or offset >= SEARCH_WINDOW
        )
        return leads


def _transport_error(request: Request, failed: Failed) -> TransportError:
    what = f"{request.method} {request.path}: {type(failed.error).__name__}: {failed.error}"
    if failed.sent and not request.idempotent:
        what += " (not retried: the request may have been applied)"
    return TransportError(what, maybe_applied=failed.sent)


def _describe(errors: Mapping[str, list[str]]) -> str:
    return "; ".join(f"{field}: {', '.join(codes)}" for field, codes in errors.items())


def _bulk_results(reply: Reply, chunk: list[Any], start: int) -> list[BulkResult]:
    raws = decode(reply.content, list[msgspec.Raw])
    if len(raws) != len(chunk):
        raise ServerError(reply.status, f"{len(raws)} results for {len(chunk)} items", None)
    results: list[BulkResult] = []
    for offset, raw in enumerate(raws):
        try:
            results.append(decode(raw, LeadOut))
            continue
        except ServerError:
            pass
        item = msgspec.json.decode(raw)
        item = item if isinstance(item, dict) else {}
        errors = field_codes(item.get("message"))
        message = _describe(errors) if errors else str(item.get("message") or "failed")
        lead_id = item.get("id")
        results.append(
            BulkItemFailure(
                start + offset, lead_id if isinstance(lead_id, int) else None, message, errors
            )
        )
    return results


def _chunk_failed(chunk: list[Any], start: int, exc: CopperError) -> list[BulkResult]:
    message = str(exc) if isinstance(exc, ApiError) else exc.message
    failures: list[BulkResult] = []
    for offset, item in enumerate(chunk):
        raw_id = item.get("id") if isinstance(item, Mapping) else None
        lead_id = raw_id if isinstance(raw_id, int) else None
        failures.append(BulkItemFailure(start + offset, lead_id, message, error=exc))
    return failures


def make_core(
    base_url: str,
    token: str,
    email: str,
    *,
    bulk_size: int,
    bulk_per_second: int | None,
    requests_per_minute: int | None,
    retry: RetryPolicy | None,
    idempotency_keys: bool = True,
) -> Core:
    """The core both clients build from their constructor arguments."""
    if not token or not email:
        raise ValueError("an API token and the email of its user are required")
    if bulk_size < 1:
        raise ValueError("bulk_size must be at least 1")
    pacer = Pacer(bulk_per_second=bulk_per_second, per_minute=requests_per_minute)
    return Core(
        base_url,
        token,
        email,
        pacer=pacer,
        retry=retry or RetryPolicy(),
        bulk_size=bulk_size,
        idempotency_keys=idempotency_keys,
    )


def not_sent(exc: Exception) -> bool:
    """True when an httpx error happened before the request left (no connection was made),
    so even a create can be retried safely."""
    import httpx

    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
