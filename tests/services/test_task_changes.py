"""Every task write reports its change inside its transaction (services/changes.py), and a
failing observer takes the write back with it (issue 16)."""

from __future__ import annotations

import threading

import pytest

from verdigris.domain.errors import NotFound, ValidationFailed
from verdigris.services import Principal, Services
from verdigris.services.changes import Change
from verdigris.store.base import StoreTx


def _who(services: Services, email: str) -> Principal:
    user, _token = services.add_user(email, account=email)
    return Principal(user.id, user.account_id, user.email)


def test_every_task_write_reports_its_change(services: Services) -> None:
    who = _who(services, "tasks@example.com")
    seen: list[Change] = []
    services.observe(lambda tx, change: seen.append(change) if change.entity == "task" else None)
    lead = services.create_lead(who, {"name": "Ada"}).lead
    task = services.create_task(who, {"name": "Call"}).task
    services.update_task(who, task.id, {"priority": "High"})
    services.update_task(who, task.id, {"priority": "High"})  # nothing differs: not seen
    services.relate_to_lead(who, lead.id, {"resource": {"id": task.id, "type": "task"}})
    services.delete_lead(who, lead.id)
    with pytest.raises(ValidationFailed):
        services.create_task(who, {})
    services.delete_task(who, task.id)
    assert [(c.event, c.cause) for c in seen] == [
        ("new", None),
        ("update", None),
        ("update", "related"),
        ("update", "unrelated"),
        ("delete", None),
    ]
    assert all(c.record_id == task.id and c.account_id == who.account_id for c in seen)
    assert seen[1].before.priority == "None" and seen[1].after.priority == "High"
    assert seen[2].after.related_type == "lead" and seen[3].after.related_type is None
    assert seen[4].before.id == task.id and seen[4].after is None


def test_a_failing_observer_rolls_the_task_write_back(services: Services) -> None:
    who = _who(services, "tasks-fail@example.com")

    def refuse(tx: StoreTx, change: Change) -> None:
        if change.entity == "task":
            raise RuntimeError("observer failed")

    services.observe(refuse)
    with pytest.raises(RuntimeError):
        services.create_task(who, {"name": "Call"})
    total, _page = services.search_tasks(who, {})
    assert total == 0
    with pytest.raises(NotFound):
        services.get_task(who, 1)


def test_a_lead_deleted_while_a_task_is_related_to_it_keeps_no_relation(
    services: Services,
) -> None:
    """Relating (POST /leads/{id}/related, or a task's related_resource) and deleting the
    lead at once, on both engines: whichever commits first, no task is left related to a
    lead that is gone."""
    who = _who(services, "tasks-race@example.com")
    for round_ in range(6):
        lead = services.create_lead(who, {"name": f"Raced {round_}"}).lead.id
        task = services.create_task(who, {"name": "Call"}).task.id
        errors: list[BaseException] = []

        def relate(
            lead: int = lead,
            task: int = task,
            by_lead: bool = bool(round_ % 2),
            errors: list[BaseException] = errors,
        ) -> None:
            try:
                if by_lead:
                    services.relate_to_lead(who, lead, {"resource": {"id": task, "type": "task"}})
                else:
                    services.update_task(
                        who, task, {"related_resource": {"id": lead, "type": "lead"}}
                    )
            except (NotFound, ValidationFailed):
                pass  # the lead was gone first
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=relate)
        thread.start()
        services.delete_lead(who, lead)
        thread.join(10)
        assert not errors
        assert services.get_task(who, task).task.related_id is None
