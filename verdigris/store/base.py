"""The storage interface every engine implements, and the records it returns.

A service opens one transaction per use case with :meth:`Store.transaction` and
works through the :class:`StoreTx` it yields; committing happens when the block
ends without an exception, and nothing is written when it raises. A transaction
holds one small repository per aggregate: ``tx.leads`` (:class:`Leads`),
``tx.accounts`` (:class:`Accounts`), ``tx.definitions`` (:class:`Definitions`),
``tx.activities`` (:class:`Activities`) and ``tx.crm`` (:class:`Crm`). Each has one
SQL implementation (``leads_sql.py``, ``accounts_sql.py``, ``custom_fields_sql.py``,
``activities_sql.py``, ``crm_sql.py``); engines override only what differs.

    StoreError
    ├── StoreUnavailable     the database cannot be reached or is locked too long
    └── StoreConflict        a write broke a uniqueness rule
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import msgspec

from verdigris.domain.activities import Activity, ActivityQuery, ActivityType
from verdigris.domain.activity_input import ActivitySearch
from verdigris.domain.crm import Company, ContactType, Opportunity, Person, Pipeline
from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.domain.history import Version
from verdigris.domain.leads import Lead
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.opportunities import LossReason, OpportunityQuery
from verdigris.domain.people_search import RecordQuery
from verdigris.domain.record_history import RecordVersion
from verdigris.domain.search import SearchQuery
from verdigris.domain.tasks import Task, TaskQuery
from verdigris.domain.webhooks import Attempt, NewEvent, Pending, Subscription


class StoreError(Exception):
    """Base of the errors raised by stores."""


class StoreUnavailable(StoreError):
    """The database could not serve the request (unreachable, or locked too long)."""


class StoreConflict(StoreError):
    """A write broke a uniqueness rule (e.g. a canonical name already in use)."""


class AccountRecord(msgspec.Struct, frozen=True):
    id: int
    name: str
    date_created: int


class UserRecord(msgspec.Struct, frozen=True):
    id: int
    account_id: int
    name: str
    email: str


class StatusRecord(msgspec.Struct, frozen=True):
    id: int
    account_id: int
    name: str
    order: int
    is_default: bool


class SourceRecord(msgspec.Struct, frozen=True):
    id: int
    account_id: int
    name: str


class LeadFields(NamedTuple):
    """A lead as stored, read only to be rendered (search pages): no :class:`Lead` built.

    The store hands these over as the rows it read: the driver's tuples, or
    SQLAlchemy's rows, with these fields in this order (unpack them; do not read them
    by name). ``monetary_value`` and ``converted_value`` are as stored, floats even
    when whole (:class:`Lead` holds whole amounts as ints; the renderer does the same).
    The lists are the JSON text the store wrote, which is msgspec's encoding of
    ``list[Phone]``, ``list[Link]`` and ``list[str]`` (so already in Copper's shape), and
    ``custom_fields`` the encoding of ``{definition id: value}``.
    """

    id: int
    name: str | None
    prefix: str | None
    first_name: str | None
    last_name: str | None
    middle_name: str | None
    suffix: str | None
    street: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    assignee_id: int | None
    company_name: str | None
    customer_source_id: int | None
    details: str | None
    email: str | None
    email_category: str | None
    interaction_count: int
    monetary_unit: str | None
    converted_unit: str | None
    socials: str
    status_id: int | None
    tags: str
    title: str | None
    websites: str
    phone_numbers: str
    custom_fields: str
    date_created: int
    date_modified: int
    date_last_contacted: int | None
    converted_opportunity_id: int | None
    converted_at: int | None
    monetary_value: float | None
    converted_value: float | None


class WireFields(NamedTuple):
    """A lead of a search page: its stored wire form (``leads.wire``, see
    :mod:`verdigris.store.wire_form`) and the values that fill it.

    Like :class:`LeadFields`, the store hands these over as the driver's tuples in this
    order (unpack them; do not read them by name)."""

    id: int
    wire: bytes
    interaction_count: int
    status_id: int | None
    custom_fields: str
    date_last_contacted: int | None


class Leads(ABC):
    """``tx.leads``: leads, their upsert matches and their search."""

    @abstractmethod
    def insert(self, lead: Lead) -> Lead:
        """Insert ``lead`` (its ``id`` is ignored) and return it with its new id."""

    @abstractmethod
    def update(self, lead: Lead) -> None: ...

    @abstractmethod
    def get(self, account_id: int, lead_id: int) -> Lead | None: ...

    @abstractmethod
    def get_for_update(self, account_id: int, lead_id: int) -> Lead | None:
        """Read a lead and lock its row until the transaction ends."""

    def read_ahead_for_update(
        self, account_id: int, lead_ids: Sequence[int]
    ) -> Mapping[int, Lead] | None:
        """Read and lock these leads now, in one go, for the ``get_for_update`` calls
        that follow (bulk requests), and return those found by id. Only a hint: by
        default nothing is read (None), and each ``get_for_update`` reads its lead."""
        return None

    @abstractmethod
    def delete(self, account_id: int, lead_id: int) -> bool: ...

    def reinsert(self, lead: Lead) -> None:
        """Insert a deleted lead again with its own id (a restore: ids are never reused,
        so the id is free)."""
        raise NotImplementedError

    @abstractmethod
    def lock_match(self, account_id: int, criteria: MatchCriteria) -> None:
        """Serialize, until the transaction ends, every writer using the same criteria:
        the transaction's statements after this call run holding the lock (an engine may
        send the lock with the next one: PostgreSQL, one round trip with the match)."""

    @abstractmethod
    def match_ids(self, account_id: int, criteria: MatchCriteria, limit: int) -> Sequence[int]:
        """Ids of leads matching ``criteria`` (at most ``limit``), found by an index.

        Converted leads never match (Copper removes a lead once it is converted).
        """

    @abstractmethod
    def with_custom_value(self, account_id: int, definition_id: int) -> list[Lead]:
        """The leads holding a value for the definition, found by the value index."""

    @abstractmethod
    def search(self, account_id: int, query: SearchQuery) -> tuple[int, Sequence[WireFields]]:
        """``(total matches, the page)`` of a search, in the query's order (ties by id),
        the page's leads as stored, to be rendered (no :class:`Lead` built).

        ``query`` must have no ``max_age`` left (see :meth:`SearchQuery.at`).
        """

    @abstractmethod
    def set_interactions(
        self, account_id: int, lead_id: int, count: int, last_contacted: int | None
    ) -> None:
        """Write a lead's ``interaction_count`` and ``date_last_contacted`` (and the
        search key of the latter) alone: nothing else of the lead changes (issue 16)."""


class Accounts(ABC):
    """``tx.accounts``: accounts, their users and API keys, lead statuses and sources."""

    @abstractmethod
    def create(self, name: str, now: int) -> AccountRecord: ...

    @abstractmethod
    def find(self, name: str) -> AccountRecord | None: ...

    @abstractmethod
    def get(self, account_id: int) -> AccountRecord | None: ...

    @abstractmethod
    def create_user(self, account_id: int, email: str, name: str, now: int) -> UserRecord: ...

    @abstractmethod
    def find_user(self, email_norm: str) -> UserRecord | None: ...

    @abstractmethod
    def get_user(self, account_id: int, user_id: int) -> UserRecord | None: ...

    @abstractmethod
    def list_users(self, account_id: int) -> list[UserRecord]: ...

    @abstractmethod
    def count_users(self) -> int: ...

    @abstractmethod
    def add_key_hash(self, user_id: int, key_hash: str, now: int) -> None: ...

    @abstractmethod
    def key_hashes(self, user_id: int) -> list[str]: ...

    @abstractmethod
    def add_status(self, account_id: int, name: str, order: int, is_default: bool) -> int: ...

    @abstractmethod
    def list_statuses(self, account_id: int) -> list[StatusRecord]: ...

    @abstractmethod
    def add_source(self, account_id: int, name: str) -> int: ...

    @abstractmethod
    def list_sources(self, account_id: int) -> list[SourceRecord]: ...


class Definitions(ABC):
    """``tx.definitions``: an account's custom field definitions (issue 5)."""

    @abstractmethod
    def version(self, account_id: int) -> int:
        """A number every change of the account's definitions increases (for caches)."""

    def version_later(self, account_id: int) -> Callable[[], int]:
        """:meth:`version`, read by calling what this returns. Here it is asked then; an
        engine may ask now, with the transaction's next statement (PostgreSQL)."""
        return lambda: self.version(account_id)

    @abstractmethod
    def all(self, account_id: int) -> list[CustomFieldDefinition]:
        """Every definition of the account, whatever it is available on, by id."""

    @abstractmethod
    def ids_on(self, account_id: int, entity: str) -> list[int]:
        """Ids of the definitions available on ``entity`` ("person", ...)."""

    @abstractmethod
    def get(self, account_id: int, definition_id: int) -> CustomFieldDefinition | None: ...

    @abstractmethod
    def insert(self, definition: CustomFieldDefinition) -> CustomFieldDefinition:
        """Insert ``definition`` (its ``id`` is ignored); :class:`StoreConflict` on a
        canonical name the account already uses."""

    @abstractmethod
    def update(self, definition: CustomFieldDefinition) -> None:
        """Rewrite a definition; :class:`StoreConflict` as for insert."""

    @abstractmethod
    def delete(self, account_id: int, definition_id: int) -> bool:
        """Delete a definition and its value-index rows (lead values are the caller's)."""

    @abstractmethod
    def allocate_option_id(self, account_id: int) -> int:
        """A new option id, unique across accounts and never handed out again."""


class Activities(ABC):
    """``tx.activities``: the activities logged on leads, people, companies..."""

    @abstractmethod
    def add(self, activity: Activity) -> None: ...

    @abstractmethod
    def page(
        self, account_id: int, parent_type: str, parent_id: int, query: ActivityQuery
    ) -> list[Activity]:
        """One page of a record's activities, newest first."""

    @abstractmethod
    def delete_all(self, account_id: int, parent_type: str, parent_id: int) -> None:
        """Delete every activity of one record."""

    # issue 16: activities through the API, their types, a lead's interactions
    @abstractmethod
    def insert(self, activity: Activity) -> Activity:
        """Insert ``activity`` (its ``id`` is ignored) and return it with its new id."""

    @abstractmethod
    def get(self, account_id: int, activity_id: int) -> Activity | None:
        """An activity, deleted ones included (their ``deleted_at`` set)."""

    @abstractmethod
    def update(self, activity: Activity) -> None:
        """Rewrite an activity (``deleted_at`` included)."""

    @abstractmethod
    def search(self, account_id: int, query: ActivitySearch) -> tuple[int, list[Activity]]:
        """``(total, page)`` of the account's live activities matching ``query``, newest
        first (ties: newest id first)."""

    @abstractmethod
    def interactions(
        self, account_id: int, lead_id: int, type_ids: Sequence[int]
    ) -> tuple[int, int | None]:
        """``(count, latest activity date)`` of a lead's live user activities of
        ``type_ids``, read through the timeline index."""

    @abstractmethod
    def add_type(self, account_id: int, name: str, count_as_interaction: bool) -> int: ...

    @abstractmethod
    def list_types(self, account_id: int) -> list[ActivityType]:
        """The account's stored user types (not Note, not the system types), by id."""


class Crm(ABC):
    """``tx.crm``: what a lead converts into (issue 8): people, companies,
    opportunities, and the account's contact types and pipelines."""

    @abstractmethod
    def add_contact_type(self, account_id: int, name: str) -> int: ...

    @abstractmethod
    def list_contact_types(self, account_id: int) -> list[ContactType]: ...

    @abstractmethod
    def add_pipeline(
        self, account_id: int, name: str, stages: Sequence[tuple[str, int]]
    ) -> Pipeline:
        """A pipeline with its stages, given as (name, win probability) in order."""

    @abstractmethod
    def list_pipelines(self, account_id: int) -> list[Pipeline]: ...

    @abstractmethod
    def insert_person(self, person: Person) -> Person: ...

    @abstractmethod
    def get_person(self, account_id: int, person_id: int) -> Person | None: ...

    @abstractmethod
    def delete_person(self, account_id: int, person_id: int) -> bool:
        """Delete a person; opportunities that had it as primary contact lose it."""

    @abstractmethod
    def insert_company(self, company: Company) -> Company: ...

    @abstractmethod
    def get_company(self, account_id: int, company_id: int) -> Company | None: ...

    @abstractmethod
    def find_companies(self, account_id: int, name_key: str, limit: int) -> list[Company]:
        """Companies whose fuzzy name key is ``name_key`` (at most ``limit``), by index."""

    @abstractmethod
    def delete_company(self, account_id: int, company_id: int) -> bool:
        """Delete a company; its people and opportunities are detached from it."""

    @abstractmethod
    def insert_opportunity(self, opportunity: Opportunity) -> Opportunity: ...

    @abstractmethod
    def get_opportunity(self, account_id: int, opportunity_id: int) -> Opportunity | None: ...

    @abstractmethod
    def delete_opportunity(self, account_id: int, opportunity_id: int) -> bool: ...


class TagCount(msgspec.Struct, frozen=True):
    """One tag of an account and how many records (leads and tasks) carry it."""

    name: str
    count: int


class Tasks(ABC):
    """``tx.tasks``: tasks, the record each relates to, and the account's tags (issue 16)."""

    @abstractmethod
    def insert(self, task: Task) -> Task: ...

    @abstractmethod
    def update(self, task: Task) -> None: ...

    @abstractmethod
    def get(self, account_id: int, task_id: int) -> Task | None: ...

    @abstractmethod
    def get_for_update(self, account_id: int, task_id: int) -> Task | None:
        """As :meth:`get`, locking the row until the transaction ends (PostgreSQL)."""

    @abstractmethod
    def delete(self, account_id: int, task_id: int) -> bool: ...

    @abstractmethod
    def search(self, account_id: int, query: TaskQuery) -> tuple[int, list[Task]]:
        """The total of tasks matching ``query`` and its page."""

    @abstractmethod
    def related_to(self, account_id: int, kind: str, record_id: int) -> list[Task]:
        """The tasks related to one record, by id."""

    @abstractmethod
    def tag_counts(self, account_id: int) -> list[TagCount]:
        """Every tag of the account's leads and tasks, with how many carry it, by name."""


class Opportunities(ABC):
    """``tx.opportunities`` (issue 21): opportunities written and searched through the
    API, with the keys and tags their search reads, and the account's loss reasons."""

    @abstractmethod
    def insert(self, opportunity: Opportunity) -> Opportunity: ...

    @abstractmethod
    def update(self, opportunity: Opportunity) -> None: ...

    @abstractmethod
    def get_for_update(self, account_id: int, opportunity_id: int) -> Opportunity | None:
        """The opportunity, its row locked until the transaction ends (PostgreSQL)."""

    @abstractmethod
    def search(self, account_id: int, query: OpportunityQuery) -> tuple[int, list[Opportunity]]:
        """(the number of matches, this page of them)."""

    @abstractmethod
    def add_loss_reason(self, account_id: int, name: str) -> int: ...

    @abstractmethod
    def list_loss_reasons(self, account_id: int) -> list[LossReason]: ...

    @abstractmethod
    def reinsert(self, opportunity: Opportunity) -> None:
        """Insert a deleted opportunity back with its own id (a history restore)."""


class History(ABC):
    """A lead's versions (verdigris.domain.history), written by the history observer."""

    @abstractmethod
    def latest(self, account_id: int, lead_id: int) -> int:
        """The lead's newest version number (0: none)."""

    @abstractmethod
    def add(self, version: Version) -> None: ...

    @abstractmethod
    def add_next(self, version: Version) -> int:
        """Add ``version`` as the lead's next one (its ``version`` ignored); its number."""

    @abstractmethod
    def renumber(self, account_id: int, lead_id: int, old: int, new: int) -> None: ...

    def add_following(self, version: Version, baseline: Callable[[], Version] | None) -> None:
        """Add ``version`` as the lead's next one (its ``version`` ignored). If the lead has
        no version yet and ``baseline`` is given (a lead older than its history),
        ``baseline()``, the lead before this write, is stored first, as version 1.

        Here: the next number read back, then the baseline only if needed. An engine may
        do it all in one statement whose answer nobody waits for (PostgreSQL)."""
        if self.add_next(version) == 1 and baseline is not None:
            self.renumber(version.account_id, version.lead_id, 1, 2)
            self.add(baseline())

    @contextmanager
    def together(self, account_id: int, lead_ids: Sequence[int]) -> Iterator[None]:
        """The versions :meth:`add_following` adds inside the block, for these leads of the
        account, are those of one request's changes told together (a bulk request's
        items: ``LeadServices._bulk_together``); nothing else writes their versions
        meanwhile. An engine may then read the leads' newest numbers in one statement,
        the first time it needs one, and add the versions with their numbers known (no
        renumbering) when the block ends without an error. Here: nothing of the kind."""
        yield

    @abstractmethod
    def versions(
        self, account_id: int, lead_id: int, *, before: int | None, limit: int
    ) -> list[Version]:
        """The lead's versions, newest first, below ``before`` if given."""

    @abstractmethod
    def get(self, account_id: int, lead_id: int, version: int) -> Version | None: ...

    @abstractmethod
    def deleted(self, account_id: int, *, after: int | None, limit: int) -> list[Version]:
        """The last version of each deleted lead (that was not restored), by lead id."""

    @abstractmethod
    def run_leads(
        self, account_id: int, run: str, *, after: int | None, limit: int
    ) -> list[tuple[int, int, int]]:
        """``(lead_id, first version, last version)`` of the leads an import run wrote."""

    @abstractmethod
    def run_size(self, account_id: int, run: str) -> int:
        """How many leads an import run wrote."""

    @abstractmethod
    def prune(self, *, older_than: int | None, keep: int | None) -> int: ...


class RecordHistory(ABC):
    """The versions of people, companies and opportunities
    (verdigris.domain.record_history), written by their history observer. ``entity``
    is ``person``, ``company`` or ``opportunity``."""

    @abstractmethod
    def latest(self, account_id: int, entity: str, record_id: int) -> int:
        """The record's newest version number (0: none)."""

    @abstractmethod
    def add(self, version: RecordVersion) -> None: ...

    @abstractmethod
    def add_next(self, version: RecordVersion) -> int:
        """Add ``version`` as the record's next one (its ``version`` ignored); its number."""

    @abstractmethod
    def renumber(
        self, account_id: int, entity: str, record_id: int, old: int, new: int
    ) -> None: ...

    @abstractmethod
    def versions(
        self, account_id: int, entity: str, record_id: int, *, before: int | None, limit: int
    ) -> list[RecordVersion]:
        """The record's versions, newest first, below ``before`` if given."""

    @abstractmethod
    def get(
        self, account_id: int, entity: str, record_id: int, version: int
    ) -> RecordVersion | None: ...

    @abstractmethod
    def deleted(
        self, account_id: int, entity: str, *, after: int | None, limit: int
    ) -> list[RecordVersion]:
        """The last version of each deleted record of the kind (not restored), by id."""

    @abstractmethod
    def prune(self, *, older_than: int | None, keep: int | None) -> int: ...


class StoredAnswer(NamedTuple):
    """The answer stored for an idempotency key (status 0: claimed, not answered)."""

    fingerprint: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    created_at: int


class Idempotency(ABC):
    """Answers of writes sent with an ``Idempotency-Key``, stored with the write."""

    @abstractmethod
    def find(self, account_id: int, key: str) -> StoredAnswer | None: ...

    @abstractmethod
    def claim(self, account_id: int, key: str, fingerprint: str, now: int) -> bool:
        """Take the key (an unanswered row) unless it is taken; whether this took it."""

    @abstractmethod
    def forget(self, account_id: int, key: str) -> None: ...

    @abstractmethod
    def answer(
        self,
        account_id: int,
        key: str,
        status: int,
        headers: Sequence[tuple[str, str]],
        body: bytes,
    ) -> None: ...

    @abstractmethod
    def prune(self, older_than: int) -> int: ...


class People(ABC):
    """``tx.people``: people and companies as clients write and search them (issue 21)."""

    @abstractmethod
    def insert_person(self, person: Person) -> Person:
        """Insert ``person`` (its ``id`` is ignored) with its search keys and rows."""

    @abstractmethod
    def update_person(self, person: Person) -> None: ...

    @abstractmethod
    def get_person_for_update(self, account_id: int, person_id: int) -> Person | None:
        """Read a person and lock its row until the transaction ends."""

    @abstractmethod
    def person_ids_by_email(self, account_id: int, email: str, limit: int) -> list[int]:
        """Ids of the people having this normalized address (at most ``limit``), by index."""

    @abstractmethod
    def search_people(self, account_id: int, query: RecordQuery) -> tuple[int, list[Person]]:
        """``(total matches, the page)`` of a people search (``query.max_age`` resolved)."""

    @abstractmethod
    def insert_company(self, company: Company) -> Company: ...

    @abstractmethod
    def update_company(self, company: Company) -> None: ...

    @abstractmethod
    def get_company_for_update(self, account_id: int, company_id: int) -> Company | None: ...

    @abstractmethod
    def rename_company_of_people(self, account_id: int, company_id: int, name: str) -> None:
        """Give the people of a renamed company its new ``company_name``."""

    @abstractmethod
    def search_companies(self, account_id: int, query: RecordQuery) -> tuple[int, list[Company]]:
        """``(total matches, the page)`` of a companies search."""

    @abstractmethod
    def reinsert_person(self, person: Person) -> None:
        """Insert a deleted person back with its own id, keys and rows (a history restore)."""

    @abstractmethod
    def reinsert_company(self, company: Company) -> None:
        """Insert a deleted company back with its own id, keys and rows (a history restore)."""


class Webhooks(ABC):
    """``tx.webhooks``: an account's webhook subscriptions (store/webhooks_sql.py)."""

    @abstractmethod
    def all(self, account_id: int) -> list[Subscription]: ...

    @abstractmethod
    def get(self, account_id: int, subscription_id: int) -> Subscription | None: ...

    @abstractmethod
    def get_any(self, subscription_id: int) -> Subscription | None:
        """A subscription of any account (the sender's lookup)."""

    @abstractmethod
    def count(self, account_id: int) -> int: ...

    @abstractmethod
    def for_topic(self, account_id: int, type: str, event: str) -> list[Subscription]: ...

    def expect_type(self, account_id: int, type: str) -> None:
        """:meth:`for_topic` will be asked about this type in this transaction: an engine
        may read the type's subscriptions now, with the transaction's next statement
        (PostgreSQL). Nothing here."""
        return None

    @abstractmethod
    def insert(self, subscription: Subscription) -> Subscription: ...

    @abstractmethod
    def update(self, subscription: Subscription) -> None: ...

    @abstractmethod
    def delete(self, account_id: int, subscription_id: int) -> bool:
        """Delete it and the events still waiting for it."""


class Outbox(ABC):
    """``tx.outbox``: events waiting to be sent, who sends them, and the inbox of attempts."""

    @abstractmethod
    def add(self, events: Sequence[NewEvent], group_keys: Sequence[str]) -> None: ...

    @abstractmethod
    def add_replay(self, attempt: Attempt, due_at: int) -> None: ...

    @abstractmethod
    def claim(self, holder: str, limit: int, lease_until: float) -> list[Pending]:
        """Pending events, oldest first, now held by ``holder``; on PostgreSQL rows other
        transactions hold are skipped (``FOR UPDATE SKIP LOCKED``)."""

    @abstractmethod
    def renew(self, holder: str, lease_until: float) -> None: ...

    @abstractmethod
    def expired(self, now: float, limit: int) -> list[Pending]:
        """Claimed events whose holder's lease ran out (a server stopped), locked."""

    @abstractmethod
    def release(
        self, ids: Sequence[int], due_at: int, attempts: int, delivery_id: str | None
    ) -> None:
        """Back to pending, to be tried again from ``due_at``."""

    @abstractmethod
    def pending_exists(self) -> bool:
        """Whether any event waits to be claimed."""

    @abstractmethod
    def done(self, ids: Sequence[int]) -> None: ...

    @abstractmethod
    def replay_of(self, event_id: int) -> int | None: ...

    @abstractmethod
    def take_lease(self, name: str, holder: str, until: float, now: float) -> bool:
        """Hold the named lease until ``until`` if it is free, expired or ours."""

    @abstractmethod
    def add_attempt(self, attempt: Attempt) -> None: ...

    @abstractmethod
    def add_attempts(self, attempts: Sequence[Attempt]) -> None: ...

    @abstractmethod
    def attempts(
        self,
        account_id: int,
        *,
        subscription_id: int | None = None,
        delivery_id: str | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[Attempt]:
        """The account's attempts, newest first."""

    @abstractmethod
    def attempt(self, account_id: int, attempt_id: int) -> Attempt | None: ...

    @abstractmethod
    def prune_attempts(self, keep: int) -> int:
        """Keep the newest ``keep`` attempts of each account; the number deleted."""

    @abstractmethod
    def pending_count(self) -> int: ...


class StoreTx(ABC):
    """One transaction: a repository per aggregate, all on the same transaction."""

    @property
    @abstractmethod
    def leads(self) -> Leads: ...

    @property
    @abstractmethod
    def accounts(self) -> Accounts: ...

    @property
    @abstractmethod
    def definitions(self) -> Definitions: ...

    @property
    @abstractmethod
    def activities(self) -> Activities: ...

    @property
    @abstractmethod
    def crm(self) -> Crm: ...

    @property
    @abstractmethod
    def tasks(self) -> Tasks: ...

    @property
    @abstractmethod
    def opportunities(self) -> Opportunities: ...

    @property
    @abstractmethod
    def history(self) -> History: ...

    @property
    @abstractmethod
    def idempotency(self) -> Idempotency: ...

    @property
    @abstractmethod
    def people(self) -> People: ...

    @property
    def webhooks(self) -> Webhooks:
        raise NotImplementedError

    @property
    def outbox(self) -> Outbox:
        raise NotImplementedError

    @property
    def record_history(self) -> RecordHistory:
        """The versions of people, companies and opportunities (issue 21)."""
        raise NotImplementedError

    @abstractmethod
    def savepoint(self) -> AbstractContextManager[None]:
        """A nested scope: an exception inside it undoes only what it wrote, then re-raises."""


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do, for the server to choose how to run calls on it."""

    #: a call is cheap local work (no network round trip): run it on the event loop
    #: rather than pay a thread hop
    inline: bool
    #: concurrent write transactions gain from sharing one commit (:meth:`Store.batch`)
    group_commit: bool
    #: search totals are kept between calls while nothing is committed
    kept_counts: bool


class Transactions(ABC):
    """What opens transactions: a :class:`Store`, or one group commit's :class:`Batch`."""

    #: the store's hot reads on the event loop (PostgreSQL), or None: every call runs
    #: as ``capabilities.inline`` says (a batch has none)
    loop_reads: LoopReads | None = None

    @abstractmethod
    def transaction(self, *, write: bool) -> AbstractContextManager[StoreTx]:
        """One transaction. ``write=True`` takes the locks a writer needs up front."""


class Batch(Transactions):
    """An open group commit (:meth:`Store.batch`): the write transactions opened through
    it share one database transaction, each in its own savepoint."""


class LoopReads(ABC):
    """Hot reads run on the event loop itself, on connections of an async driver (a
    store that has them: ``Store.loop_reads``), instead of a thread of the pool: no
    thread hop and no hand-over of the GIL per request (docs/performance.md).

    Each is one statement outside a transaction block, as the store's reads are."""

    @abstractmethod
    async def account(self, account_id: int) -> AccountRecord | None:
        """As ``tx.accounts.get``."""

    @abstractmethod
    async def lead(self, account_id: int, lead_id: int) -> tuple[Lead, int] | None:
        """As ``tx.leads.get``, with the account's ``tx.definitions.version`` read by the
        same statement."""

    @abstractmethod
    async def search_version(self, account_id: int) -> tuple[int, Hashable]:
        """The account's ``tx.definitions.version`` and the data version a search's kept
        total is checked against (verdigris.store.count_cache), read by one statement."""

    @abstractmethod
    async def search(
        self, account_id: int, query: SearchQuery, data_version: Hashable
    ) -> tuple[int, Sequence[WireFields]]:
        """As ``tx.leads.search``, its kept total checked against ``data_version`` (from
        :meth:`search_version`)."""

    @abstractmethod
    async def close(self) -> None:
        """Close the connections of the running loop."""


class Store(Transactions):
    """One database, whatever the engine."""

    url: str
    capabilities: Capabilities
    #: "durable" or "fast" (verdigris.config; docs/deploy.md, "Durability")
    durability: str = "durable"

    @abstractmethod
    def batch(self) -> AbstractContextManager[Transactions]:
        """Group commit: the write transactions opened through the handle this yields
        share one database transaction, each in its own savepoint, committed once at
        the end of the block.

        An exception inside one of them undoes only that one (and reaches its caller);
        if the final commit fails, the block raises and none of them is written, so a
        caller must not report any of them done before the block has exited.
        Engines that cannot share a transaction this way (``capabilities.group_commit``
        false) may yield the store itself: each transaction then commits on its own.
        """

    @abstractmethod
    def hold(self) -> AbstractContextManager[Batch]:
        """One write transaction that the transactions opened through the handle join as
        savepoints, committed once at the end of the block (an idempotent request's claim,
        write and stored answer; unlike :meth:`batch`, any number may be open)."""

    @abstractmethod
    def rehearsal(self) -> AbstractContextManager[Batch]:
        """As :meth:`hold`, but rolled back at the end: a dry run's transactions."""

    def durability_note(self) -> str:
        """What an acknowledged write survives here, in a few words (for ``serve``'s log)."""
        return self.durability

    @abstractmethod
    def migrate(self) -> None:
        """Bring the schema to the newest migration."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
