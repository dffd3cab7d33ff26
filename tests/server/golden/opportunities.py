"""Opportunities (issue 21): convert a lead with an opportunity, create another, move it
through its pipeline, lose it with a reason, search; loss reasons and a pipeline's stages."""

from __future__ import annotations

from tests.server.golden import Step


def steps() -> list[Step]:
    return [
        ("GET", "/loss_reasons", None),
        ("GET", "/pipeline_stages/pipeline/1", None),
        ("GET", "/pipeline_stages/pipeline/99", None),
        (
            "POST",
            "/leads",
            {
                "name": "Jane Doe",
                "company_name": "Initech",
                "monetary_value": 2500,
                "monetary_unit": "USD",
            },
        ),
        (
            "POST",
            "/leads/1/convert",
            {"details": {"person": {}, "opportunity": {"name": "Jane's deal"}}},
        ),
        ("POST", "/opportunities", {}),
        (
            "POST",
            "/opportunities",
            {
                "name": "Second deal",
                "primary_contact_id": 1,
                "monetary_value": 900,
                "close_date": "2/1/2026",
                "tags": ["hot"],
                "priority": "High",
            },
        ),
        ("POST", "/opportunities", {"name": "x", "primary_contact_id": 1, "pipeline_stage_id": 99}),
        ("PUT", "/opportunities/1", {"pipeline_stage_id": 2}),
        ("PUT", "/opportunities/1", {"status": "Lost", "loss_reason_id": 3}),
        ("PUT", "/opportunities/1", {"status": "Closed"}),
        ("PUT", "/opportunities/99", {"name": "Nobody"}),
        ("GET", "/opportunities/1", None),
        ("POST", "/opportunities/search", {}),
        (
            "POST",
            "/opportunities/search",
            {"pipeline_stage_ids": [2], "status_ids": [2], "minimum_monetary_value": 1000},
        ),
        ("POST", "/opportunities/search?sort_by=value&sort_direction=desc", None),
        ("POST", "/opportunities/search", {"statuses": ["Open"], "tags": ["HOT"]}),
        ("POST", "/opportunities/search", {"status": "Open"}),
        ("DELETE", "/opportunities/2", None),
        ("GET", "/opportunities/2", None),
    ]
