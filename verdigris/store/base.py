"""The storage interface every engine implements, and the records it returns.

A service opens one transaction per use case with :meth:`Store.transaction` and
works through the :class:`StoreTx` it yields; committing happens when the block
ends without an exception, and nothing is written when it raises.

    StoreError
    └── StoreUnavailable     the database cannot be reached or is locked too long
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager

import msgspec

from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.domain.leads import Lead
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.search import SearchQuery


class StoreError(Exception):
    """Base of the errors raised by stores."""


class StoreUnavailable(StoreError):
    """The database could not serve the request (unreachable, or locked too long)."""


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


class StoreTx(ABC):
    """The operations available inside one transaction."""

    # accounts, users and keys -----------------------------------------------------------
    @abstractmethod
    def create_account(self, name: str, now: int) -> AccountRecord: ...

    @abstractmethod
    def find_account(self, name: str) -> AccountRecord | None: ...

    @abstractmethod
    def get_account(self, account_id: int) -> AccountRecord | None: ...

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

    # account lookups --------------------------------------------------------------------
    @abstractmethod
    def add_status(self, account_id: int, name: str, order: int, is_default: bool) -> int: ...

    @abstractmethod
    def list_statuses(self, account_id: int) -> list[StatusRecord]: ...

    @abstractmethod
    def add_source(self, account_id: int, name: str) -> int: ...

    @abstractmethod
    def list_sources(self, account_id: int) -> list[SourceRecord]: ...

    @abstractmethod
    def lead_custom_fields(self, account_id: int) -> list[CustomFieldDefinition]: ...

    # leads ------------------------------------------------------------------------------
    @abstractmethod
    def insert_lead(self, lead: Lead) -> Lead:
        """Insert ``lead`` (its ``id`` is ignored) and return it with its new id."""

    @abstractmethod
    def update_lead(self, lead: Lead) -> None: ...

    @abstractmethod
    def get_lead(self, account_id: int, lead_id: int) -> Lead | None: ...

    @abstractmethod
    def delete_lead(self, account_id: int, lead_id: int) -> bool: ...

    @abstractmethod
    def lock_match(self, account_id: int, criteria: MatchCriteria) -> None:
        """Serialize, until the transaction ends, every writer using the same criteria."""

    @abstractmethod
    def match_lead_ids(self, account_id: int, criteria: MatchCriteria, limit: int) -> Sequence[int]:
        """Ids of leads matching ``criteria`` (at most ``limit``), found by an index."""

    # search (issue 4) -------------------------------------------------------------------
    @abstractmethod
    def search_leads(self, account_id: int, query: SearchQuery) -> tuple[int, list[Lead]]:
        """``(total matches, the page)`` of a search, in the query's order (ties by id).

        ``query`` must have no ``max_age`` left (see :meth:`SearchQuery.at`).
        """


class Store(ABC):
    """One database, whatever the engine."""

    url: str

    @abstractmethod
    def transaction(self, *, write: bool) -> AbstractContextManager[StoreTx]:
        """One transaction. ``write=True`` takes the locks a writer needs up front."""

    @abstractmethod
    def migrate(self) -> None:
        """Bring the schema to the newest migration."""

    @abstractmethod
    def reset(self) -> None:
        """Delete every row of every table (for tests and local emulation)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
