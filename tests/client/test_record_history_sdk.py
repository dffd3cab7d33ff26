"""The SDK's history methods for people, companies and opportunities (issue 21) against a
live verdigris, both clients."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live import Live
from verdigris.client import NotFoundError
from verdigris.wire.record_history import (
    CompanyVersionDiffOut,
    CompanyVersionOut,
    OpportunityVersionOut,
    PersonVersionDiffOut,
    PersonVersionOut,
)


def test_people_versions_diff_restore_and_deleted(sdk: Any, live: Live) -> None:
    person = sdk.create_person({"name": "Ada", "title": "Countess"})
    sdk.update_person(person.id, {"title": "Programmer"})
    versions = sdk.person_versions(person.id)
    assert [type(v) for v in versions] == [PersonVersionOut, PersonVersionOut]
    assert [v.version for v in versions] == [2, 1]
    assert sdk.person_versions(person.id, before=2, limit=1)[0].version == 1
    assert sdk.person_version(person.id, 1).person.title == "Countess"
    diff = sdk.person_diff(person.id, 1, 2)
    assert isinstance(diff, PersonVersionDiffOut)
    assert [(c.field, c.before, c.after) for c in diff.changes] == [
        ("title", "Countess", "Programmer")
    ]
    assert sdk.restore_person_version(person.id, 1).title == "Countess"
    sdk.delete_person(person.id)
    assert [d.person.id for d in sdk.deleted_people()] == [person.id]
    assert sdk.restore_deleted_person(person.id).id == person.id
    assert sdk.deleted_people(after=person.id) == []
    with pytest.raises(NotFoundError):
        sdk.person_version(person.id, 99)


def test_companies_and_opportunities(sdk: Any, live: Live) -> None:
    company = sdk.create_company({"name": "Engines", "details": "one"})
    sdk.update_company(company.id, {"details": "two"})
    assert isinstance(sdk.company_version(company.id, 2), CompanyVersionOut)
    diff = sdk.company_diff(company.id, 1, 2)
    assert isinstance(diff, CompanyVersionDiffOut) and diff.company_id == company.id
    assert sdk.restore_company_version(company.id, 1).details == "one"
    assert [v.event for v in sdk.company_versions(company.id)] == ["restore", "update", "new"]
    sdk.delete_company(company.id)
    assert [d.company.id for d in sdk.deleted_companies()] == [company.id]
    assert sdk.restore_deleted_company(company.id).name == "Engines"

    contact = sdk.create_person({"name": "Grace"})
    deal = sdk.create_opportunity({"name": "Deal", "primary_contact_id": contact.id})
    sdk.update_opportunity(deal.id, {"details": "x"})
    assert sdk.opportunity_diff(deal.id, 1, 2).changes[0].field == "details"
    assert sdk.restore_opportunity_version(deal.id, 1).details is None
    assert isinstance(sdk.opportunity_versions(deal.id)[0], OpportunityVersionOut)
    assert sdk.opportunity_version(deal.id, 1).opportunity.name == "Deal"
    sdk.delete_opportunity(deal.id)
    assert [d.opportunity.id for d in sdk.deleted_opportunities()] == [deal.id]
    assert sdk.restore_deleted_opportunity(deal.id).id == deal.id
