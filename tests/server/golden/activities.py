"""Activities (issue 16): activity types, a note, calls and a meeting on a lead, the
lead's interactions following them, search, bulk create, delete and the usual errors."""

from __future__ import annotations

from tests.server.golden import Step

#: the account's Phone Call and Meeting (a fresh database seeds them first)
CALL, MEETING = 1, 2


def _on_lead(type_id: int, details: str, date: int | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "parent": {"type": "lead", "id": 1},
        "type": {"category": "user", "id": type_id},
        "details": details,
    }
    if date is not None:
        body["activity_date"] = date
    return body


def steps() -> list[Step]:
    return [
        ("GET", "/activity_types", None),
        ("POST", "/leads", {"name": "Grace Hopper"}),
        ("POST", "/activities", _on_lead(0, "This is the description of this note")),
        ("POST", "/activities", _on_lead(CALL, "Demo phone call", 1_767_000_000)),
        ("POST", "/activities", _on_lead(CALL, "Follow-up call", 1_767_100_000)),
        ("POST", "/activities", _on_lead(MEETING, "Sales discussion", 1_766_900_000)),
        ("GET", "/leads/1", None),
        ("GET", "/activities/3", None),
        ("PUT", "/activities/3", {"details": "This is an update"}),
        ("POST", "/leads/search", {"minimum_interaction_count": 3}),
        ("POST", "/leads/search", {"sort_by": "inactive_days", "minimum_interaction_count": 1}),
        ("POST", "/activities/search", {"page_size": 2}),
        (
            "POST",
            "/activities/search",
            {
                "parent": {"type": "lead", "id": 1},
                "activity_types": [{"category": "user", "id": CALL}],
                "minimum_activity_date": 1_767_050_000,
            },
        ),
        ("POST", "/leads/1/activities", {}),
        (
            "POST",
            "/activities/bulk_create",
            {
                "activities": [
                    _on_lead(0, "Bulk note"),
                    _on_lead(CALL, "Bulk call", 1_767_200_000),
                    {"parent": {"type": "lead", "id": 999}, "type": {"category": "user", "id": 0}},
                ]
            },
        ),
        ("DELETE", "/activities/4", None),
        ("GET", "/activities/4", None),
        ("GET", "/leads/1", None),
        # errors
        ("POST", "/activities", {}),
        ("POST", "/activities", _on_lead(77, "No such type")),
        ("PUT", "/activities/1", {"details": "system entries are read-only"}),
        ("DELETE", "/activities/1", None),
        ("GET", "/activities/999", None),
        ("POST", "/activities/search", {"sort_by": "activity_date"}),
        ("POST", "/activities/bulk_create", {"activities": [_on_lead(0, "n")] * 11}),
        ("POST", "/activities/bulk_create", {"leads": []}),
    ]
