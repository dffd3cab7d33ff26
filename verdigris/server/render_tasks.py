"""Tasks, related items and tags as Copper's JSON (``verdigris.wire.tasks``)."""

from __future__ import annotations

from collections.abc import Sequence

from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.domain.tasks import Task
from verdigris.server.render import custom_fields_out
from verdigris.services.tasks import ShownTask, TaskPage
from verdigris.store.base import TagCount
from verdigris.wire.tasks import RelatedOut, RelatedResourceOut, TagOut, TaskOut


def task_out(
    task: Task, definitions: Sequence[CustomFieldDefinition], computed: bool = False
) -> TaskOut:
    return TaskOut(
        id=task.id,
        name=task.name,
        related_resource=RelatedResourceOut(task.related_id, task.related_type),
        assignee_id=task.assignee_id,
        due_date=task.due_date,
        reminder_date=task.reminder_date,
        completed_date=task.completed_date,
        priority=task.priority,
        status=task.status,
        details=task.details,
        tags=list(task.tags),
        custom_fields=custom_fields_out(task.custom_fields, definitions, computed),
        date_created=task.date_created,
        date_modified=task.date_modified,
    )


def shown_out(shown: ShownTask, computed: bool = False) -> TaskOut:
    return task_out(shown.task, shown.definitions, computed)


def page_out(page: TaskPage, computed: bool = False) -> list[TaskOut]:
    return [task_out(task, page.definitions, computed) for task in page.tasks]


def related_out(task_ids: Sequence[int]) -> list[RelatedOut]:
    return [RelatedOut(task_id, "task") for task_id in task_ids]


def tags_out(tags: Sequence[TagCount]) -> list[TagOut]:
    return [TagOut(tag.name, tag.count) for tag in tags]
