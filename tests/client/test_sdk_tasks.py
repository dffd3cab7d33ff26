"""The SDK's task, related-items and tags methods against a live verdigris (both the sync
and the async client; issue 16)."""

from __future__ import annotations

from typing import Any

import pytest

from verdigris.client import (
    DeletedOut,
    NotFoundError,
    RelatedOut,
    RelationOut,
    RemovedRelationOut,
    TagOut,
    TaskOut,
    ValidationError,
)


def test_tasks_related_items_and_tags(sdk: Any) -> None:
    lead = sdk.create_lead({"name": "Ada", "tags": ["vip"]})
    task = sdk.create_task({"name": "Call Ada", "due_date": 1496799000, "tags": ["vip"]})
    assert isinstance(task, TaskOut) and task.status == "Open" and task.priority == "None"
    assert sdk.get_task(task.id) == task
    updated = sdk.update_task(task.id, {"details": "This is an update"})
    assert updated.details == "This is an update"

    page = sdk.search_tasks_page({"statuses": ["Open"]}, page_size=1)
    assert page.total == 1 and [t.id for t in page.tasks] == [task.id]

    assert sdk.relate_task_to_lead(lead.id, task.id) == RelationOut(RelatedOut(task.id, "task"))
    assert sdk.lead_related(lead.id) == [RelatedOut(task.id, "task")]
    assert sdk.lead_related_tasks(lead.id) == [RelatedOut(task.id, "task")]
    assert sdk.get_task(task.id).related_resource.type == "lead"
    removed = sdk.unrelate_task_from_lead(lead.id, task.id)
    assert removed == RemovedRelationOut(True, RelatedOut(task.id, "task"))
    assert sdk.lead_related(lead.id) == []

    assert sdk.tags() == [TagOut("vip", 2)]
    with pytest.raises(ValidationError):
        sdk.create_task({"name": ""})
    assert sdk.delete_task(task.id) == DeletedOut(task.id, True)
    with pytest.raises(NotFoundError):
        sdk.get_task(task.id)
