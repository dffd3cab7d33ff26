"""What follows a write: every change of a record, seen inside its own transaction.

A use case that changes a record calls :meth:`ServiceBase.record_change` while its
transaction is still open (it builds the :class:`Change` only when someone observes, and
hands it to :meth:`ServiceBase.changed`). Each registered observer (the
webhook outbox, the lead history...) writes what must follow that change through the
same ``tx``, so a rolled back write leaves nothing behind and a committed one never
loses what follows it.

Observers run in registration order and must only write through ``tx``: they are
called inside bulk items' savepoints too, so a failed item takes its observers' rows
with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from verdigris.store.base import StoreTx

#: the record types a change is about, as Copper names them in webhooks
Entity = Literal["lead", "person", "company", "opportunity", "activity", "task"]
#: Copper's webhook events
Event = Literal["new", "update", "delete"]


@dataclass(frozen=True)
class Change:
    """One record created, updated or deleted by one use case."""

    entity: Entity
    event: Event
    account_id: int
    record_id: int
    #: who made the change (None: verdigris itself)
    user_id: int | None
    #: the record before the change (None for ``new``); a domain object
    before: Any
    #: the record after the change (None for ``delete``); a domain object
    after: Any
    #: the service clock at the change, in seconds
    at: int
    #: why, when it is not a plain create/update/delete: ``"upsert"``, ``"convert"``,
    #: ``"bulk_update"``, ``"bulk_create"``...
    cause: str | None = None


#: an observer of changes, called inside the change's transaction
Observer = Callable[[StoreTx, Change], None]
