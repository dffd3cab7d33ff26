"""``tx.tasks`` in SQLAlchemy Core (:class:`SqlTasks`): tasks (tags and custom field
values as JSON text), their tag keys in ``task_tags``, task searches, and the account's
tag counts over leads and tasks.
"""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from verdigris.domain.search_keys import tag_key, tag_keys
from verdigris.domain.tasks import NONE_ID, Task, TaskQuery
from verdigris.domain.values import INT64_MAX
from verdigris.store import schema as t
from verdigris.store.base import TagCount, Tasks
from verdigris.store.rows import SqlRepository, record_from_row, record_row

TASK_JSON = frozenset(("tags", "custom_fields"))
#: the sort key of a task without a due date: due at the end of time
DUE_NEVER = INT64_MAX
c = t.tasks.c
tt = t.task_tags.c

#: a search's sort field -> the columns it orders by (then id)
SORT_COLUMNS: dict[str, tuple[sa.Column[Any], ...]] = {
    "name": (c.name_key,),
    "assigned_to": (c.assignee_id,),
    "related_to": (c.related_type, c.related_id),
    "status": (c.status,),
    "priority": (c.priority,),
    "due_date": (c.due_key,),
    "reminder_date": (c.reminder_date,),
    "completed_date": (c.completed_date,),
    "date_created": (c.date_created,),
    "date_modified": (c.date_modified,),
}


def _row(task: Task) -> dict[str, Any]:
    row = record_row(task, TASK_JSON)
    row["name_key"] = tag_key(task.name)
    row["due_key"] = DUE_NEVER if task.due_date is None else task.due_date
    return row


def _task(row: Any) -> Task:
    task = record_from_row(row, Task, TASK_JSON)
    # JSON object keys are text: definition ids back to ints
    task.custom_fields = {int(k): v for k, v in task.custom_fields.items()}
    return task


class SqlTasks(SqlRepository, Tasks):
    """The tasks of one transaction."""

    def insert(self, task: Task) -> Task:
        ident = self.conn.execute(
            t.tasks.insert().values(**_row(task)).returning(c.id)
        ).scalar_one()
        task = msgspec.structs.replace(task, id=ident)
        self._write_tags(task)
        return task

    def update(self, task: Task) -> None:
        self.conn.execute(
            t.tasks.update()
            .where(c.id == task.id, c.account_id == task.account_id)
            .values(**_row(task))
        )
        self.conn.execute(t.task_tags.delete().where(tt.task_id == task.id))
        self._write_tags(task)

    def _write_tags(self, task: Task) -> None:
        keys = tag_keys(task.tags)
        if keys:
            self.conn.execute(
                t.task_tags.insert(),
                [{"task_id": task.id, "tag": k, "account_id": task.account_id} for k in keys],
            )

    def get(self, account_id: int, task_id: int) -> Task | None:
        row = self._one(sa.select(t.tasks).where(c.id == task_id, c.account_id == account_id))
        return _task(row) if row else None

    def get_for_update(self, account_id: int, task_id: int) -> Task | None:
        row = self._one(
            sa.select(t.tasks).where(c.id == task_id, c.account_id == account_id).with_for_update()
        )
        return _task(row) if row else None

    def delete(self, account_id: int, task_id: int) -> bool:
        result = self.conn.execute(
            t.tasks.delete().where(c.id == task_id, c.account_id == account_id)
        )
        return bool(result.rowcount)

    def search(self, account_id: int, query: TaskQuery) -> tuple[int, list[Task]]:
        where = _conditions(account_id, query)
        total = self.conn.execute(
            sa.select(sa.func.count()).select_from(t.tasks).where(*where)
        ).scalar_one()
        order: list[Any] = []
        for column in SORT_COLUMNS[query.sort_by]:
            if column.nullable:  # records without a value come last, whichever the direction
                order.append(column.is_(None))
            order.append(column.desc() if query.descending else column.asc())
        order.append(c.id.desc() if query.descending else c.id.asc())
        stmt = (
            sa.select(t.tasks)
            .where(*where)
            .order_by(*order)
            .limit(query.page_size)
            .offset(query.offset)
        )
        return int(total), [_task(r) for r in self.conn.execute(stmt)]

    def related_to(self, account_id: int, kind: str, record_id: int) -> list[Task]:
        stmt = (
            sa.select(t.tasks)
            .where(c.account_id == account_id, c.related_type == kind, c.related_id == record_id)
            .order_by(c.id)
        )
        return [_task(r) for r in self.conn.execute(stmt)]

    def tag_counts(self, account_id: int) -> list[TagCount]:
        lt = t.lead_tags.c
        both = sa.union_all(
            sa.select(lt.tag.label("tag")).where(lt.account_id == account_id),
            sa.select(tt.tag.label("tag")).where(tt.account_id == account_id),
        ).subquery()
        stmt = sa.select(both.c.tag, sa.func.count()).group_by(both.c.tag).order_by(both.c.tag)
        return [TagCount(str(tag), int(n)) for tag, n in self.conn.execute(stmt)]


def _ids(column: sa.Column[Any], ids: tuple[int, ...]) -> ColumnElement[bool]:
    """``column`` in ``ids``; ``-2`` among them also takes rows without a value."""
    wanted = tuple(i for i in ids if i != NONE_ID)
    parts: list[ColumnElement[bool]] = []
    if wanted:
        parts.append(column.in_(wanted))
    if NONE_ID in ids:
        parts.append(column.is_(None))
    return sa.or_(*parts) if parts else sa.false()


def _conditions(account_id: int, q: TaskQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [c.account_id == account_id]
    if q.ids is not None:
        where.append(c.id.in_(q.ids) if q.ids else sa.false())
    if q.assignee_ids is not None:
        where.append(_ids(c.assignee_id, q.assignee_ids))
    if q.opportunity_ids is not None:
        wanted = tuple(i for i in q.opportunity_ids if i != NONE_ID)
        parts: list[ColumnElement[bool]] = []
        if wanted:
            parts.append(sa.and_(c.related_type == "opportunity", c.related_id.in_(wanted)))
        if NONE_ID in q.opportunity_ids:
            parts.append(sa.or_(c.related_type.is_(None), c.related_type != "opportunity"))
        where.append(sa.or_(*parts) if parts else sa.false())
    if q.project_ids is not None:
        wanted = tuple(i for i in q.project_ids if i != NONE_ID)
        parts = []
        if wanted:
            parts.append(sa.and_(c.related_type == "project", c.related_id.in_(wanted)))
        if NONE_ID in q.project_ids:
            parts.append(sa.or_(c.related_type.is_(None), c.related_type != "project"))
        where.append(sa.or_(*parts) if parts else sa.false())
    if q.statuses is not None:
        where.append(c.status.in_(q.statuses) if q.statuses else sa.false())
    if q.tags is not None:
        keys = tuple(tag_keys(q.tags))
        if keys:
            tagged = sa.select(tt.task_id).where(tt.account_id == account_id, tt.tag.in_(keys))
            where.append(c.id.in_(tagged))
        else:  # ``tags: []``: tasks without tags
            where.append(~sa.exists().where(tt.task_id == c.id))
    if q.followed == 1:  # verdigris has no followers: no task is followed
        where.append(sa.false())
    for column, (low, high) in (
        (c.due_date, q.due),
        (c.date_created, q.created),
        (c.date_modified, q.modified),
    ):
        if low is not None:
            where.append(column >= low)
        if high is not None:
            where.append(column <= high)
    return where
