"""Use cases. Each public method is one transaction on the store.

Services speak domain objects; :mod:`verdigris.server.wire` turns them into
Copper JSON. Nothing here knows about HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from verdigris.domain import leads as lead_rules
from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.domain.errors import (
    AmbiguousMatch,
    BulkTooLarge,
    MalformedRequest,
    NotFound,
    Unauthenticated,
    ValidationFailed,
    VerdigrisError,
)
from verdigris.domain.leads import Lead
from verdigris.domain.matching import LOOKUP_LIMIT, Ambiguous, Create, decide, parse_match
from verdigris.store.base import (
    AccountRecord,
    SourceRecord,
    StatusRecord,
    Store,
    StoreTx,
    UserRecord,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user of one account."""

    user_id: int
    account_id: int
    email: str


@dataclass(frozen=True)
class Shown:
    """A lead with what its Copper rendering needs from the account."""

    lead: Lead
    status: str | None
    custom_field_ids: tuple[int, ...]


@dataclass(frozen=True)
class ItemFailure:
    """One failed item of a bulk request."""

    errors: dict[str, list[str]]
    message: str
    lead_id: int | None


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_DUMMY_HASH = hash_key("verdigris: no such user")


def now() -> int:
    return int(time.time())


class TxContext:
    """The account's lookups for validation, loaded lazily inside one transaction."""

    def __init__(self, tx: StoreTx, account_id: int) -> None:
        self.tx = tx
        self.account_id = account_id
        self._statuses: list[StatusRecord] | None = None
        self._sources: set[int] | None = None
        self._fields: dict[int, CustomFieldDefinition] | None = None

    @property
    def statuses(self) -> list[StatusRecord]:
        if self._statuses is None:
            self._statuses = self.tx.list_statuses(self.account_id)
        return self._statuses

    @property
    def fields(self) -> dict[int, CustomFieldDefinition]:
        if self._fields is None:
            self._fields = {d.id: d for d in self.tx.lead_custom_fields(self.account_id)}
        return self._fields

    def default_status_id(self) -> int | None:
        for status in self.statuses:
            if status.is_default:
                return status.id
        return self.statuses[0].id if self.statuses else None

    def status_id_for_name(self, name: str) -> int | None:
        wanted = name.strip().lower()
        for status in self.statuses:
            if status.name.lower() == wanted:
                return status.id
        return None

    def has_status(self, status_id: int) -> bool:
        return any(s.id == status_id for s in self.statuses)

    def has_source(self, source_id: int) -> bool:
        if self._sources is None:
            self._sources = {s.id for s in self.tx.list_sources(self.account_id)}
        return source_id in self._sources

    def has_user(self, user_id: int) -> bool:
        return self.tx.get_user(self.account_id, user_id) is not None

    def lead_custom_field(self, definition_id: int) -> CustomFieldDefinition | None:
        return self.fields.get(definition_id)

    def show(self, lead: Lead) -> Shown:
        status = next((s.name for s in self.statuses if s.id == lead.status_id), None)
        return Shown(lead, status, tuple(self.fields))


def _require_object(data: Any, what: str = "request body") -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise MalformedRequest(f"The {what} must be a JSON object")
    return data


class Services:
    """The use cases of verdigris, over one store."""

    def __init__(self, store: Store, *, bulk_limit: int = 10, clock: Callable[[], int] = now):
        self.store = store
        self.bulk_limit = bulk_limit
        self.clock = clock

    # accounts, users, keys --------------------------------------------------------------
    def authenticate(self, token: str, email: str) -> Principal:
        """Check a key against its owner's stored hashes, in constant time."""
        presented = hash_key(token)
        with self.store.transaction(write=False) as tx:
            user = tx.find_user(email.strip().lower())
            hashes = tx.key_hashes(user.id) if user else [_DUMMY_HASH]
        ok = False
        for stored in hashes:
            ok |= hmac.compare_digest(stored, presented)
        if user is None or not ok:
            raise Unauthenticated("Invalid API key or user email")
        return Principal(user.id, user.account_id, user.email)

    def add_user(
        self,
        email: str,
        *,
        account: str = "verdigris",
        name: str | None = None,
        token: str | None = None,
    ) -> tuple[UserRecord, str]:
        """Create the account (seeded) and the user as needed, and give them a key."""
        token = token or secrets.token_hex(16)
        stamp = self.clock()
        with self.store.transaction(write=True) as tx:
            record = tx.find_account(account) or self._seed_account(tx, account, stamp)
            user = tx.find_user(email.strip().lower())
            if user is None:
                user = tx.create_user(record.id, email.strip(), name or email.split("@")[0], stamp)
            elif user.account_id != record.id:
                raise ValidationFailed(
                    {"email": ["invalid"]},
                    f"{email} already belongs to another account",
                )
            tx.add_key_hash(user.id, hash_key(token), stamp)
        return user, token

    def _seed_account(self, tx: StoreTx, name: str, stamp: int) -> AccountRecord:
        record = tx.create_account(name, stamp)
        for order, status in enumerate(lead_rules.DEFAULT_STATUSES):
            tx.add_status(record.id, status, order, is_default=order == 0)
        for source in lead_rules.DEFAULT_SOURCES:
            tx.add_source(record.id, source)
        return record

    def user_count(self) -> int:
        with self.store.transaction(write=False) as tx:
            return tx.count_users()

    def account(self, who: Principal) -> AccountRecord:
        with self.store.transaction(write=False) as tx:
            record = tx.get_account(who.account_id)
        if record is None:
            raise NotFound("Resource not found")
        return record

    def users(self, who: Principal) -> list[UserRecord]:
        with self.store.transaction(write=False) as tx:
            return tx.list_users(who.account_id)

    def user(self, who: Principal, user_id: int) -> UserRecord:
        with self.store.transaction(write=False) as tx:
            record = tx.get_user(who.account_id, user_id)
        if record is None:
            raise NotFound("Resource not found")
        return record

    def statuses(self, who: Principal) -> list[StatusRecord]:
        with self.store.transaction(write=False) as tx:
            return tx.list_statuses(who.account_id)

    def sources(self, who: Principal) -> list[SourceRecord]:
        with self.store.transaction(write=False) as tx:
            return tx.list_sources(who.account_id)

    # leads ------------------------------------------------------------------------------
    def create_lead(self, who: Principal, data: Any) -> Shown:
        data = _require_object(data)
        with self.store.transaction(write=True) as tx:
            return self._create(tx, who, data)

    def _create(self, tx: StoreTx, who: Principal, data: Mapping[str, Any]) -> Shown:
        ctx = TxContext(tx, who.account_id)
        changes = lead_rules.parse_changes(data, ctx)
        lead = lead_rules.new_lead(
            changes,
            account_id=who.account_id,
            now=self.clock(),
            default_status_id=ctx.default_status_id(),
        )
        return ctx.show(tx.insert_lead(lead))

    def get_lead(self, who: Principal, lead_id: int) -> Shown:
        with self.store.transaction(write=False) as tx:
            lead = tx.get_lead(who.account_id, lead_id)
            if lead is None:
                raise NotFound("Resource not found")
            return TxContext(tx, who.account_id).show(lead)

    def update_lead(self, who: Principal, lead_id: int, data: Any) -> Shown:
        data = _require_object(data)
        with self.store.transaction(write=True) as tx:
            return self._update(tx, who, lead_id, data)

    def _update(self, tx: StoreTx, who: Principal, lead_id: int, data: Mapping[str, Any]) -> Shown:
        current = tx.get_lead(who.account_id, lead_id)
        if current is None:
            raise NotFound("Resource not found")
        ctx = TxContext(tx, who.account_id)
        changes = lead_rules.parse_changes(data, ctx)
        lead = lead_rules.apply_changes(current, changes, self.clock())
        tx.update_lead(lead)
        return ctx.show(lead)

    def delete_lead(self, who: Principal, lead_id: int) -> int:
        with self.store.transaction(write=True) as tx:
            if not tx.delete_lead(who.account_id, lead_id):
                raise NotFound("Resource not found")
        return lead_id

    def upsert_lead(self, who: Principal, body: Any) -> Shown:
        """Copper's upsert: match, then create or update, atomically."""
        body = _require_object(body)
        properties = _require_object(body.get("properties"), "properties value")
        criteria = parse_match(body.get("match"))
        with self.store.transaction(write=True) as tx:
            ctx = TxContext(tx, who.account_id)
            if criteria.field == "custom":
                definition = ctx.lead_custom_field(int(criteria.definition_id or 0))
                if definition is None:
                    raise ValidationFailed(
                        {"match": ["not_found"]},
                        "Invalid input: Validation errors: custom field definition "
                        f"{criteria.definition_id} does not exist or is not available on leads",
                    )
                if not definition.is_filterable:
                    raise ValidationFailed(
                        {"match": ["not_filterable"]},
                        "Invalid input: Validation errors: custom field "
                        f"{definition.name!r} is not filterable, so leads cannot be matched on it",
                    )
            tx.lock_match(who.account_id, criteria)
            ids = tx.match_lead_ids(who.account_id, criteria, LOOKUP_LIMIT)
            outcome = decide(ids)
            if isinstance(outcome, Ambiguous):
                raise AmbiguousMatch(outcome.ids, outcome.truncated)
            if isinstance(outcome, Create):
                return self._create(tx, who, properties)
            return self._update(tx, who, outcome.lead_id, properties)

    def bulk_update(self, who: Principal, body: Any) -> list[Shown | ItemFailure]:
        items = self._bulk_items(body)

        def one(tx: StoreTx, item: Mapping[str, Any]) -> Shown:
            lead_id = lead_rules.as_int(item.get("id"))
            if lead_id is None:
                raise ValidationFailed({"id": ["blank"]})
            return self._update(tx, who, lead_id, item)

        return [self._bulk_item(item, one) for item in items]

    def bulk_create(self, who: Principal, body: Any) -> list[Shown | ItemFailure]:
        items = self._bulk_items(body)
        return [
            self._bulk_item(item, lambda tx, data: self._create(tx, who, data), with_id=False)
            for item in items
        ]

    def _bulk_items(self, body: Any) -> Sequence[Any]:
        body = _require_object(body)
        items = body.get("leads")
        if not isinstance(items, list):
            raise MalformedRequest('The request body must be {"leads": [...]}')
        if len(items) > self.bulk_limit:
            raise BulkTooLarge(self.bulk_limit)
        return items

    def _bulk_item(
        self,
        item: Any,
        work: Callable[[StoreTx, Mapping[str, Any]], Shown],
        *,
        with_id: bool = True,
    ) -> Shown | ItemFailure:
        lead_id = lead_rules.as_int(item.get("id")) if isinstance(item, Mapping) else None
        if not isinstance(item, Mapping):
            return ItemFailure({"lead": ["invalid_type"]}, "Each item must be an object", None)
        try:
            with self.store.transaction(write=True) as tx:
                return work(tx, item)
        except ValidationFailed as exc:
            return ItemFailure(exc.errors, exc.message, lead_id if with_id else None)
        except NotFound as exc:
            return ItemFailure({"id": ["not_found"]}, exc.message, lead_id)
        except VerdigrisError as exc:
            return ItemFailure({"lead": ["invalid"]}, exc.message, lead_id if with_id else None)
