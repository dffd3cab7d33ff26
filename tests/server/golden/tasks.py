"""Tasks, a lead's related items and tags (issue 16), on a fresh database: ids from 1."""

from __future__ import annotations

from tests.server.golden import Step


def steps() -> list[Step]:
    resource = {"resource": {"id": 1, "type": "task"}}
    return [
        # custom field definition 1, on tasks
        (
            "POST",
            "/custom_field_definitions",
            {"name": "Effort", "data_type": "Float", "available_on": ["task"]},
        ),
        ("POST", "/leads", {"name": "Ada Lovelace", "tags": ["vip"]}),
        # tasks 1-3
        ("POST", "/tasks", {"name": "Demo Task"}),
        (
            "POST",
            "/tasks",
            {
                "name": "My First Task",
                "due_date": 1496799000,
                "priority": "High",
                "tags": ["vip", "follow-up"],
                "details": "Ring twice",
                "custom_fields": [{"custom_field_definition_id": 1, "value": 2.5}],
            },
        ),
        (
            "POST",
            "/tasks",
            {
                "name": "Linked",
                "related_resource": {"id": 1, "type": "lead"},
                "status": "Completed",
            },
        ),
        ("POST", "/tasks", {"priority": "Low"}),
        ("GET", "/tasks/2", None),
        ("GET", "/tasks/2?custom_field_computed_values=true", None),
        ("GET", "/tasks/99", None),
        ("PUT", "/tasks/2", {"details": "This is an update"}),
        ("PUT", "/tasks/2", {"status": "Nope"}),
        ("POST", "/tasks/search", {"page_size": 2}),
        ("POST", "/tasks/search", {"statuses": ["Completed"], "sort_by": "name"}),
        ("POST", "/tasks/search", {"sort_by": "colour"}),
        # related items
        ("GET", "/leads/1/related", None),
        ("POST", "/leads/1/related", resource),
        ("POST", "/leads/1/related", {"resource": {"id": 1, "type": "person"}}),
        ("POST", "/leads/1/related", {"resource": {"id": 99, "type": "task"}}),
        ("GET", "/leads/1/related/tasks", None),
        ("DELETE", "/leads/1/related", resource),
        ("DELETE", "/leads/1/related", resource),
        ("GET", "/leads/99/related", None),
        # tags
        ("GET", "/tags", None),
        # deletes: the lead's tasks stay, unrelated
        ("DELETE", "/tasks/1", None),
        ("DELETE", "/leads/1", None),
        ("GET", "/tasks/3", None),
    ]
