"""Task use cases (create, read, update, delete, search), a lead's related items and the
account's tags (issue 16). Each public method is one transaction.

A task's relation is its ``related_resource`` (a task relates to one record at most,
as in Copper), so ``POST /leads/{id}/related`` with a task and ``PUT /tasks/{id}`` with
``related_resource: {"id": lead, "type": "lead"}`` write the same thing, and every such
write is a task ``update`` for the observers (services/changes.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from verdigris.domain import tasks as rules
from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.domain.errors import NotFound
from verdigris.domain.tasks import Task
from verdigris.services.base import Principal, ServiceBase, TxContext, require_object
from verdigris.store.base import StoreTx, TagCount
from verdigris.wire import catalogue


@dataclass(frozen=True)
class ShownTask:
    """A task with the account's definitions available on tasks, in rendering order."""

    task: Task
    definitions: tuple[CustomFieldDefinition, ...]


@dataclass(frozen=True)
class TaskPage:
    """One page of a task search, and the definitions every task of it renders."""

    tasks: Sequence[Task]
    definitions: tuple[CustomFieldDefinition, ...]


class TaskContext:
    """:class:`verdigris.domain.tasks.TaskContext` over one transaction."""

    def __init__(self, ctx: TxContext) -> None:
        self.ctx = ctx
        self.tx = ctx.tx
        self.account_id = ctx.account_id

    def has_user(self, user_id: int) -> bool:
        return self.ctx.has_user(user_id)

    def record_exists(self, kind: str, record_id: int) -> bool:
        account = self.account_id
        if kind == "lead":
            # locked, so that a lead deleted meanwhile cannot keep a task related to it
            # (its delete waits, then unrelates this task; or this finds it gone)
            return self.tx.leads.get_for_update(account, record_id) is not None
        if kind == "person":
            return self.tx.crm.get_person(account, record_id) is not None
        if kind == "company":
            return self.tx.crm.get_company(account, record_id) is not None
        if kind == "opportunity":
            return self.tx.crm.get_opportunity(account, record_id) is not None
        return False  # verdigris has no projects

    def task_custom_field(self, definition_id: int) -> CustomFieldDefinition | None:
        return self.ctx.custom_field(definition_id)

    @property
    def definitions(self) -> tuple[CustomFieldDefinition, ...]:
        return tuple(d for d in self.ctx.all_fields.values() if rules.on_tasks(d))

    def show(self, task: Task) -> ShownTask:
        return ShownTask(task, self.definitions)


def unrelate_tasks(
    services: ServiceBase, tx: StoreTx, who: Principal, kind: str, record_id: int
) -> None:
    """Remove every task's relation to a record being deleted (the tasks stay, as in
    Copper: removing a relationship deletes no record), each an ``update`` change."""
    now = services.clock()
    for task in tx.tasks.related_to(who.account_id, kind, record_id):
        after = rules.unrelate(task, now)
        tx.tasks.update(after)
        services.record_change(
            tx, who, "task", "update", task.id, task, after, now, cause="unrelated"
        )


class TaskServices(ServiceBase):
    # tasks ------------------------------------------------------------------------------
    def _tasks(self, tx: StoreTx, who: Principal) -> TaskContext:
        return TaskContext(self.context(tx, who.account_id))

    def create_task(self, who: Principal, data: Any) -> ShownTask:
        data = require_object(data)
        with self.store.transaction(write=True) as tx:
            ctx = self._tasks(tx, who)
            changes = rules.parse_changes(data, ctx, creating=True)
            task = rules.new_task(
                changes, account_id=who.account_id, user_id=who.user_id, now=self.clock()
            )
            task = tx.tasks.insert(task)
            self.record_change(tx, who, "task", "new", task.id, None, task, task.date_created)
            return ctx.show(task)

    def get_task(self, who: Principal, task_id: int) -> ShownTask:
        with self.store.transaction(write=False) as tx:
            task = tx.tasks.get(who.account_id, task_id)
            if task is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return self._tasks(tx, who).show(task)

    def update_task(self, who: Principal, task_id: int, data: Any) -> ShownTask:
        data = require_object(data)
        with self.store.transaction(write=True) as tx:
            if tx.tasks.get(who.account_id, task_id) is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            ctx = self._tasks(tx, who)
            # the lead a related_resource names is locked before the task, in the order
            # a lead's delete takes them (lead, then its tasks): no deadlock between them
            changes = rules.parse_changes(data, ctx, creating=False)
            current = tx.tasks.get_for_update(who.account_id, task_id)
            if current is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            task = rules.apply_changes(current, changes, self.clock())
            if task is current:
                return ctx.show(current)  # nothing differs: no write
            self._save(tx, who, current, task)
            return ctx.show(task)

    def _save(
        self, tx: StoreTx, who: Principal, before: Task, after: Task, cause: str | None = None
    ) -> None:
        tx.tasks.update(after)
        self.record_change(
            tx, who, "task", "update", after.id, before, after, after.date_modified, cause=cause
        )

    def delete_task(self, who: Principal, task_id: int) -> int:
        with self.store.transaction(write=True) as tx:
            before = tx.tasks.get_for_update(who.account_id, task_id) if self.observers else None
            if not tx.tasks.delete(who.account_id, task_id):
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            tx.activities.delete_all(who.account_id, "task", task_id)
            self.record_change(tx, who, "task", "delete", task_id, before, None)
        return task_id

    def search_tasks(self, who: Principal, body: Any) -> tuple[int, TaskPage]:
        query = rules.parse_search(body)
        with self.store.transaction(write=False) as tx:
            total, tasks = tx.tasks.search(who.account_id, query)
            return total, TaskPage(tasks, self._tasks(tx, who).definitions)

    # related items (a lead relates to tasks only) ---------------------------------------
    def _lead_exists(self, tx: StoreTx, who: Principal, lead_id: int, *, lock: bool) -> None:
        """404 unless the lead is the account's; a write locks it (see record_exists)."""
        leads = tx.leads
        lead = (
            leads.get_for_update(who.account_id, lead_id)
            if lock
            else leads.get(who.account_id, lead_id)
        )
        if lead is None:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)

    def lead_related(self, who: Principal, lead_id: int) -> list[int]:
        """The ids of the tasks related to a lead (all a lead relates to), ascending."""
        with self.store.transaction(write=False) as tx:
            self._lead_exists(tx, who, lead_id, lock=False)
            return [task.id for task in tx.tasks.related_to(who.account_id, "lead", lead_id)]

    def relate_to_lead(self, who: Principal, lead_id: int, body: Any) -> int:
        """Relate a task to a lead; the task id. Relating it again changes nothing."""
        task_id = rules.parse_lead_resource(body)
        with self.store.transaction(write=True) as tx:
            self._lead_exists(tx, who, lead_id, lock=True)
            current = tx.tasks.get_for_update(who.account_id, task_id)
            if current is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            task = rules.relate(current, lead_id, self.clock())
            if task is not current:
                self._save(tx, who, current, task, cause="related")
        return task_id

    def unrelate_from_lead(self, who: Principal, lead_id: int, body: Any) -> int:
        """Remove a task's relation to a lead; the task id. A task not related to that
        lead is not found (404)."""
        task_id = rules.parse_lead_resource(body)
        with self.store.transaction(write=True) as tx:
            self._lead_exists(tx, who, lead_id, lock=True)
            current = tx.tasks.get_for_update(who.account_id, task_id)
            if current is None or (current.related_type, current.related_id) != ("lead", lead_id):
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            self._save(tx, who, current, rules.unrelate(current, self.clock()), cause="unrelated")
        return task_id

    # tags -------------------------------------------------------------------------------
    def tags(self, who: Principal) -> list[TagCount]:
        with self.store.transaction(write=False) as tx:
            return tx.tasks.tag_counts(who.account_id)
