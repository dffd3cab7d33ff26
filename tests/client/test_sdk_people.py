"""The SDK's people and companies methods (issue 21) against a live verdigris, through
both the sync and the async client."""

from __future__ import annotations

from typing import Any

import pytest

from verdigris.client import DeletedOut, NotFoundError, ValidationError
from verdigris.client.people import RecordPage
from verdigris.wire import CompanyOut, PersonOut


def test_people_methods(sdk: Any) -> None:
    firm = sdk.create_company({"name": "Engines Ltd", "email_domain": "engines.test"})
    assert isinstance(firm, CompanyOut) and firm.email_domain == "engines.test"
    ada = sdk.create_person(
        {
            "name": "Ada Lovelace",
            "emails": [{"email": "ada@engines.test", "category": "work"}],
            "phone_numbers": [{"number": "415-555-0199", "category": "work"}],
            "company_id": firm.id,
        }
    )
    assert isinstance(ada, PersonOut) and ada.company_name == "Engines Ltd"
    assert sdk.get_person(ada.id) == ada
    assert sdk.fetch_person_by_email("ADA@engines.test") == ada
    updated = sdk.update_person(ada.id, {"title": "Countess"})
    assert updated.title == "Countess"
    page = sdk.search_people_page({"phone_number": "0199"})
    assert isinstance(page, RecordPage) and page.total == 1
    assert [p.id for p in page.records] == [ada.id]
    with pytest.raises(ValidationError):
        sdk.create_person({"name": "Twin", "emails": [{"email": "ada@engines.test"}]})
    renamed = sdk.update_company(firm.id, {"phone_numbers": [{"number": "212-555-0142"}]})
    assert renamed.phone_numbers[0].number == "212-555-0142"
    assert sdk.get_company(firm.id) == renamed
    companies = sdk.search_companies_page({"email_domains": ["engines.test"]}, page_size=5)
    assert companies.total == 1 and companies.records == [renamed]
    assert sdk.delete_person(ada.id) == DeletedOut(ada.id, True)
    with pytest.raises(NotFoundError):
        sdk.fetch_person_by_email("ada@engines.test")
    assert sdk.delete_company(firm.id) == DeletedOut(firm.id, True)
