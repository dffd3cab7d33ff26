"""The SDK's opportunity, pipeline and loss reason methods (issue 21) against a live
verdigris, through both the sync and the async client."""

from __future__ import annotations

from typing import Any

import pytest

from verdigris.client import DeletedOut, NotFoundError, ValidationError
from verdigris.client.models import OpportunityPage
from verdigris.wire import OpportunityOut


def test_opportunity_methods(sdk: Any) -> None:
    lead = sdk.create_lead({"name": "Jane Doe", "company_name": "Initech"})
    converted = sdk.request(
        "POST", f"/leads/{lead.id}/convert", {"details": {"person": {}, "opportunity": {}}}
    ).json()
    person, first = converted["person"], converted["opportunity"]
    pipelines = sdk.pipelines()
    stages = sdk.pipeline_stages(pipelines[0].id)
    assert [s.id for s in stages] == [s.id for s in pipelines[0].stages]
    assert len(sdk.pipeline_stages()) == len(stages)
    reasons = sdk.loss_reasons()
    assert [r.name for r in reasons] == ["Price", "Features", "Competitor"]

    made = sdk.create_opportunity({"name": "Deal", "primary_contact_id": person["id"]})
    assert isinstance(made, OpportunityOut) and made.company_name == "Initech"
    moved = sdk.update_opportunity(made.id, {"pipeline_stage_id": stages[1].id})
    assert (moved.pipeline_stage_id, moved.win_probability) == (stages[1].id, 10)
    lost = sdk.update_opportunity(made.id, {"status": "Lost", "loss_reason_id": reasons[0].id})
    assert sdk.get_opportunity(made.id) == lost
    page = sdk.search_opportunities_page({"status_ids": [2]})
    assert page == OpportunityPage([lost], 1)
    assert [o.id for o in sdk.search_opportunities()] == [made.id, first["id"]]  # by name
    assert [o.id for o in sdk.search_opportunities({"sort_by": "name"}, limit=1)] == [made.id]
    with pytest.raises(ValidationError):
        sdk.update_opportunity(made.id, {"status": "Closed"})
    assert sdk.delete_opportunity(made.id) == DeletedOut(made.id, True)
    with pytest.raises(NotFoundError):
        sdk.get_opportunity(made.id)
