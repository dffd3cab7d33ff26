"""Search through the SDK against a real verdigris server: every page walked, filters,
limits, and the total from X-PW-TOTAL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live import CountingTransport, Live
from verdigris.client import LeadOut, SearchPage, ValidationError

SEARCH = ("POST", "/developer_api/v1/leads/search")


def make(sdk: Any, count: int, **fields: Any) -> list[LeadOut]:
    leads = sdk.bulk_create_leads([{"name": f"Lead {i:03d}", **fields} for i in range(count)])
    assert all(isinstance(lead, LeadOut) for lead in leads)
    return list(leads)


def test_search_iterates_over_every_page(sdk: Any) -> None:
    made = make(sdk, 45)
    found = list(sdk.search_leads(page_size=20))
    assert [lead.id for lead in found] == [lead.id for lead in made]  # sorted by name
    assert all(isinstance(lead, LeadOut) for lead in found)


def test_pages_stop_on_a_short_page_or_at_the_total(live: Live) -> None:
    transport = CountingTransport()
    with live.client(transport=transport, bulk_per_second=None) as client:
        make(client, 40)
        transport.log.clear()
        results = client.search_leads(page_size=20)
        assert results.total is None
        assert len(list(results)) == 40 and results.total == 40
        assert [(m, p) for m, p, _ in transport.log] == [SEARCH] * 2  # no empty third page
        transport.log.clear()
        assert len(list(client.search_leads(page_size=30))) == 40
        assert len(transport.log) == 2  # 30, then a short page of 10


def test_filters_sorting_and_limit(sdk: Any) -> None:
    make(sdk, 5, tags=["vip"])
    make(sdk, 7, tags=["other"])
    vip = list(sdk.search_leads({"tags": ["vip"], "sort_by": "name", "sort_direction": "desc"}))
    assert [lead.name for lead in vip] == [f"Lead {i:03d}" for i in reversed(range(5))]
    assert len(list(sdk.search_leads({"tags": ["other"]}, page_size=2, limit=3))) == 3
    assert list(sdk.search_leads(limit=0)) == []


def test_one_page_with_its_total(sdk: Any) -> None:
    make(sdk, 12)
    page = sdk.search_leads_page({"sort_by": "date_created"}, page_number=2, page_size=5)
    assert isinstance(page, SearchPage)
    assert page.total == 12 and len(page.leads) == 5
    past = sdk.search_leads_page(page_number=9, page_size=5)
    assert past.leads == [] and past.total == 12


def test_bad_search_parameters_raise(sdk: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        list(sdk.search_leads({"sort_by": "shoe_size"}))
    assert "sort_by" in caught.value.errors
    with pytest.raises(ValueError, match="page_size"):
        sdk.search_leads(page_size=500)
