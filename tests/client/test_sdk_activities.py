"""The SDK's activity methods against a real verdigris server (issue 16), through both the
sync and the async client."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live import Live
from verdigris.client import BulkItemFailure, DeletedOut, NotFoundError, ValidationError
from verdigris.wire import ActivityOut


def test_activity_methods(sdk: Any, live: Live) -> None:
    types = sdk.activity_types()
    assert [t.name for t in types.user] == ["Note", "Phone Call", "Meeting"]
    assert [t.id for t in types.system] == [1, 3]
    call = types.user[1].id
    lead = sdk.create_lead({"name": "Logged"})
    on_lead = {"type": "lead", "id": lead.id}
    made = sdk.create_activity(
        {"parent": on_lead, "type": {"category": "user", "id": call}, "details": "hi"}
    )
    assert isinstance(made, ActivityOut) and made.parent.id == lead.id
    assert sdk.get_activity(made.id) == made
    assert sdk.update_activity(made.id, {"details": "hello"}).details == "hello"
    assert sdk.get_lead(lead.id).interaction_count == 1
    page = sdk.search_activities_page({"parent": on_lead}, page_size=1)
    assert page.total == 2 and [a.id for a in page.activities] == [made.id]
    note = {"parent": on_lead, "type": {"category": "user", "id": 0}, "details": "n"}
    results = sdk.bulk_create_activities([note] * 11 + [{"parent": on_lead}])
    assert len(results) == 12
    assert all(isinstance(r, ActivityOut) for r in results[:11])
    failed = results[11]
    assert isinstance(failed, BulkItemFailure) and failed.index == 11
    assert failed.errors == {"type": ["blank"], "details": ["blank"]}
    assert sdk.delete_activity(made.id) == DeletedOut(made.id, True)
    assert sdk.get_activity(made.id) == DeletedOut(made.id, True)
    assert sdk.get_lead(lead.id).interaction_count == 0
    with pytest.raises(NotFoundError):
        sdk.update_activity(made.id, {"details": "gone"})
    with pytest.raises(ValidationError):
        sdk.create_activity({"parent": on_lead})
