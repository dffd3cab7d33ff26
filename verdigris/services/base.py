"""What every service shares: the caller, rendered results, and the account context."""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Self, TypeVar

from verdigris.cache import BoundedCache
from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.domain.errors import (
    MalformedRequest,
)
from verdigris.domain.leads import Lead
from verdigris.services.changes import Change, Entity, Event, Observer
from verdigris.store.base import (
    StatusRecord,
    StoreTx,
    Transactions,
    WireFields,
)
from verdigris.wire import catalogue

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
    #: the account's definitions available on leads, in the order they are rendered
    definitions: tuple[CustomFieldDefinition, ...]
    #: what an upsert did: ``"created"`` or ``"updated"`` (None for other calls)
    outcome: str | None = None

    @property
    def custom_field_ids(self) -> tuple[int, ...]:
        return tuple(d.id for d in self.definitions)


@dataclass(frozen=True)
class LeadPage:
    """Leads read only to be rendered (a search page), with what that needs once per page.

    :class:`Shown` per lead costs a :class:`Lead` and a status lookup each; a page of
    200 leads shares one status table and one tuple of definitions.
    """

    leads: Sequence[WireFields]
    #: status names by id (a lead whose status is not here renders ``status: null``)
    statuses: Mapping[int, str]
    #: as :attr:`Shown.definitions`
    definitions: tuple[CustomFieldDefinition, ...]


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


#: accounts whose statuses and definitions each process keeps
MAX_ACCOUNTS = 1024


class AccountCache:
    """What rarely changes in an account, kept per process across requests.

    Lead statuses never change once an account is seeded. Custom field definitions
    change through the API, in any worker: every change bumps the account's
    ``custom_fields_version`` in the same transaction, and cached definitions are used
    only while that version is still the account's, so no worker ever validates or
    renders against definitions that have changed.

    Each holds at most ``max_accounts`` accounts (:data:`MAX_ACCOUNTS`), the least
    recently used dropped first.
    """

    def __init__(self, max_accounts: int = MAX_ACCOUNTS) -> None:
        self.statuses: BoundedCache[int, list[StatusRecord]] = BoundedCache(max_accounts)
        #: (custom_fields_version, definitions by id) by account
        self.fields: BoundedCache[int, tuple[int, dict[int, CustomFieldDefinition]]] = BoundedCache(
            max_accounts
        )


class TxContext:
    """The account's lookups for validation, loaded lazily inside one transaction."""

    def __init__(self, tx: StoreTx, account_id: int, cache: AccountCache | None = None) -> None:
        self.tx = tx
        self.account_id = account_id
        self.cache = cache
        self._statuses: list[StatusRecord] | None = None
        self._sources: set[int] | None = None
        self._all_fields: dict[int, CustomFieldDefinition] | None = None
        self._lead_fields: dict[int, CustomFieldDefinition] | None = None
        #: the definitions' version, asked ahead (expect_fields)
        self._fields_version: Callable[[], int] | None = None

    def expect_fields(self) -> None:
        """The definitions will be needed (a lead is shown): their version is asked for
        now, where the engine can send the question with the transaction's next
        statement instead of on its own later (PostgreSQL; docs/performance.md)."""
        if self.cache is not None and self._all_fields is None and self._fields_version is None:
            self._fields_version = self.tx.definitions.version_later(self.account_id)

    @property
    def statuses(self) -> list[StatusRecord]:
        if self._statuses is None:
            cached = self.cache.statuses.get(self.account_id) if self.cache else None
            if cached is None:
                cached = self.tx.accounts.list_statuses(self.account_id)
                if self.cache is not None and cached:
                    self.cache.statuses.put(self.account_id, cached)
            self._statuses = cached
        return self._statuses

    @property
    def all_fields(self) -> dict[int, CustomFieldDefinition]:
        """Every custom field definition of the account, by id."""
        if self._all_fields is None:
            if self.cache is None:
                self._all_fields = {d.id: d for d in self.tx.definitions.all(self.account_id)}
                return self._all_fields
            asked = self._fields_version
            version = asked() if asked is not None else self.tx.definitions.version(self.account_id)
            hit = self.cache.fields.get(self.account_id)
            if hit is None or hit[0] != version:
                loaded = {d.id: d for d in self.tx.definitions.all(self.account_id)}
                hit = (version, loaded)
                self.cache.fields.put(self.account_id, hit)
            self._all_fields = hit[1]
        return self._all_fields

    @property
    def fields(self) -> dict[int, CustomFieldDefinition]:
        """The definitions available on leads, by id."""
        if self._lead_fields is None:
            self._lead_fields = {i: d for i, d in self.all_fields.items() if d.on_leads}
        return self._lead_fields

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
            self._sources = {s.id for s in self.tx.accounts.list_sources(self.account_id)}
        return source_id in self._sources

    def has_user(self, user_id: int) -> bool:
        return self.tx.accounts.get_user(self.account_id, user_id) is not None

    def custom_field(self, definition_id: int) -> CustomFieldDefinition | None:
        return self.all_fields.get(definition_id)

    def lead_custom_field(self, definition_id: int) -> CustomFieldDefinition | None:
        definition = self.all_fields.get(definition_id)
        return definition if definition is not None and definition.on_leads else None

    def show(self, lead: Lead) -> Shown:
        status = next((s.name for s in self.statuses if s.id == lead.status_id), None)
        return Shown(lead, status, tuple(self.fields.values()))

    def page(self, leads: Sequence[WireFields]) -> LeadPage:
        """``leads`` with what :meth:`show` would give each of them."""
        return lead_page(leads, self.statuses, self.all_fields)


def lead_page(
    leads: Sequence[WireFields],
    statuses: Sequence[StatusRecord],
    all_fields: Mapping[int, CustomFieldDefinition],
) -> LeadPage:
    """``leads`` with what :meth:`TxContext.show` would give each of them, from the
    account's statuses and custom field definitions."""
    # the first status of an id wins, as in show()
    names = {s.id: s.name for s in reversed(statuses)}
    return LeadPage(leads, names, tuple(d for d in all_fields.values() if d.on_leads))


def require_object(data: Any, what: str = "request body") -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise MalformedRequest(catalogue.NOT_AN_OBJECT_MESSAGE.format(what=what))
    return data


#: changes held back while a bulk request's items run together (LeadServices._bulk):
#: the observers hear of them only if every item succeeded, so that they never see an
#: item that is then rolled back and run again
HELD_CHANGES: ContextVar[list[tuple[StoreTx, Change]] | None] = ContextVar(
    "verdigris_held_changes", default=None
)


class ServiceBase:
    """State shared by the service mixins: the store, limits and the clock."""

    def __init__(
        self, store: Transactions, *, bulk_limit: int = 10, clock: Callable[[], int] = now
    ):
        #: where each use case opens its transaction: the store, or a group commit
        self.store = store
        self.bulk_limit = bulk_limit
        self.clock = clock
        self.cache = AccountCache()
        #: called with every change, inside its transaction (see services/changes.py);
        #: shared by the copies :meth:`using` makes
        self.observers: list[Observer] = []
        #: called before changes of an entity are made (expect_changes), so that observers
        #: can ask ahead for what they will read; shared like the observers
        self.preparers: list[Callable[[StoreTx, int, Entity], None]] = []

    def expect_changes(self, tx: StoreTx, account_id: int, entity: Entity) -> None:
        """Changes of ``entity`` records of the account are coming in ``tx``: observers
        may ask now for what they will read then (PostgreSQL sends the question with the
        transaction's next statement instead of on its own; docs/performance.md)."""
        for prepare in self.preparers:
            prepare(tx, account_id, entity)

    def observe(self, observer: Observer) -> None:
        """Call ``observer`` with every change from now on, inside its transaction."""
        self.observers.append(observer)

    def changed(self, tx: StoreTx, change: Change) -> None:
        """Tell every observer about ``change``, in ``tx`` (or, while a bulk request's
        first pass runs, once it has succeeded: ``LeadServices._bulk``)."""
        held = HELD_CHANGES.get()
        if held is not None:
            held.append((tx, change))
            return
        for observer in self.observers:
            observer(tx, change)

    def record_change(
        self,
        tx: StoreTx,
        who: Principal,
        entity: Entity,
        event: Event,
        record_id: int,
        before: Any,
        after: Any,
        at: int | None = None,
        *,
        cause: str | None = None,
    ) -> None:
        """:meth:`changed` for a change ``who`` made to a record, at ``at`` (the service
        clock when ``None``): nothing is built, nor the clock read, when nobody observes."""
        if self.observers:
            when = self.clock() if at is None else at
            change = Change(
                entity, event, who.account_id, record_id, who.user_id, before, after, when, cause
            )
            self.changed(tx, change)

    def using(self, store: Transactions) -> Self:
        """These services opening their transactions through ``store`` (a group commit's
        :class:`~verdigris.store.base.Batch`), sharing the same process cache."""
        other = copy.copy(self)
        other.store = store
        return other

    def context(self, tx: StoreTx, account_id: int) -> TxContext:
        """The account's lookups for one transaction, backed by the process cache."""
        return TxContext(tx, account_id, self.cache)

    def cached_lookups(
        self, account_id: int, fields_version: int
    ) -> tuple[list[StatusRecord], dict[int, CustomFieldDefinition]] | None:
        """The account's statuses and custom field definitions from the process cache,
        for a read on the event loop, which shows leads without a transaction: None
        when either is not cached, or when the cached definitions are not those of
        ``fields_version`` (the version read with the leads). The caller then takes the
        transaction's path, which loads them."""
        statuses = self.cache.statuses.get(account_id)
        fields = self.cache.fields.get(account_id)
        if statuses is None or fields is None or fields[0] != fields_version:
            return None
        return statuses, fields[1]
