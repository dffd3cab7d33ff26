"""The SDK's lead history methods (issue 19) against a live verdigris, both clients."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live import Live
from verdigris.client import Match, NotFoundError
from verdigris.wire.history import RevertOut, VersionDiffOut, VersionOut


def test_versions_diff_restore_and_deleted(sdk: Any, live: Live) -> None:
    lead = sdk.create_lead({"name": "Ada", "title": "Countess"})
    sdk.upsert_lead({"title": "Programmer"}, Match.name("Ada"))
    versions = sdk.lead_versions(lead.id)
    assert [type(v) for v in versions] == [VersionOut, VersionOut]
    assert [v.version for v in versions] == [2, 1]
    assert sdk.lead_versions(lead.id, before=2, limit=1)[0].version == 1
    assert sdk.lead_version(lead.id, 1).lead.title == "Countess"
    diff = sdk.lead_diff(lead.id, 1, 2)
    assert isinstance(diff, VersionDiffOut)
    assert [(c.field, c.before, c.after) for c in diff.changes] == [
        ("title", "Countess", "Programmer")
    ]
    assert sdk.restore_lead_version(lead.id, 1).title == "Countess"
    sdk.delete_lead(lead.id)
    assert [d.lead.id for d in sdk.deleted_leads()] == [lead.id]
    assert sdk.restore_deleted_lead(lead.id).id == lead.id
    assert sdk.deleted_leads(after=lead.id) == []
    with pytest.raises(NotFoundError):
        sdk.lead_version(lead.id, 99)
    step = sdk.revert_import("no-such-run")
    assert step == RevertOut([], [], None, 0)
