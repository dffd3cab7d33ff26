"""Conversion rules without a database: reading the body, company names and choice."""

from __future__ import annotations

import pytest

from verdigris.domain.conversion import CompanySpec, ConvertRequest, parse_request, pick_company
from verdigris.domain.crm import Company, company_key, email_domain
from verdigris.domain.errors import AmbiguousCompany, MalformedRequest, ValidationFailed
from verdigris.domain.leads import Email


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Dunder Mifflin, Inc.", "dunder mifflin"),
        ("  dunder   MIFFLIN ", "dunder mifflin"),
        ("Initech LLC", "initech"),
        ("Acme Co. Ltd", "acme"),
        ("Co", "co"),  # a legal form alone stays the name
        ("AT&T", "at&t"),
    ],
)
def test_company_key(name: str, key: str) -> None:
    assert company_key(name) == key


@pytest.mark.parametrize(
    ("address", "domain"),
    [
        ("jane@Initech.test", "initech.test"),
        ("someone@gmail.com", None),
        ("odd@localhost", None),
    ],
)
def test_email_domain(address: str, domain: str | None) -> None:
    assert email_domain(Email(address, "work")) == domain


def test_no_body_or_empty_details_converts_with_defaults() -> None:
    assert parse_request(None) == ConvertRequest()
    assert parse_request({}) == ConvertRequest()
    assert parse_request({"details": {}}) == ConvertRequest()


@pytest.mark.parametrize(
    ("company", "spec"),
    [
        (None, CompanySpec()),
        ({}, CompanySpec()),
        ({"name": None}, CompanySpec()),
        ({"name": ""}, CompanySpec("none")),
        ({"name": "  "}, CompanySpec("none")),
        ({"id": "12"}, CompanySpec("id", id=12)),
        ({"name": " Initech "}, CompanySpec("name", name="Initech")),
        (
            {"name": "Initech", "exact_match": "true"},
            CompanySpec("name", name="Initech", exact=True),
        ),
    ],
)
def test_company_spec(company: object, spec: CompanySpec) -> None:
    assert parse_request({"details": {"company": company}}).company == spec


def test_opportunity_is_created_only_when_given() -> None:
    assert parse_request({"details": {"opportunity": None}}).opportunity is None
    opportunity = parse_request(
        {"details": {"opportunity": {"pipeline_id": "7", "monetary_value": "12.5"}}}
    ).opportunity
    assert opportunity is not None
    assert (opportunity.pipeline_id, opportunity.monetary_value) == (7, 12.5)


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_request(
            {
                "details": {
                    "person": {"contact_type_id": -1},
                    "company": {"id": 1, "name": "X"},
                    "opportunity": {"monetary_value": True},
                }
            }
        )
    assert set(caught.value.errors) == {"contact_type_id", "company", "monetary_value"}


def test_malformed_bodies() -> None:
    body: object
    for body in ([], "x", {"details": []}):
        with pytest.raises(MalformedRequest):
            parse_request(body)


def _company(ident: int, name: str) -> Company:
    return Company(id=ident, account_id=1, name=name, name_key=company_key(name))


def test_pick_company() -> None:
    a, b, c = _company(3, "Initech"), _company(1, "INITECH"), _company(2, "Initech, Inc.")
    assert pick_company([], "Initech", exact=False) is None
    assert pick_company([c], "initech", exact=False) is c
    assert pick_company([a, b, c], "Initech", exact=False) is a  # the only exact one
    assert pick_company([a, b, c], "INITECH", exact=True) is b
    assert pick_company([c], "Initech", exact=True) is None
    with pytest.raises(AmbiguousCompany) as caught:
        pick_company([a, b, c], "initech", exact=False)
    assert caught.value.ids == [1, 2, 3]
