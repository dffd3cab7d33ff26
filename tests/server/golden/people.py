"""Golden scenario of people and companies (issue 21): create, update, fetch by email,
search (filters, sort, paging, X-PW-TOTAL), conversion's records found, errors, deletes."""

from __future__ import annotations

from tests.server.golden import Step


def steps() -> list[Step]:
    return [
        # custom field 1 on people and companies
        (
            "POST",
            "/custom_field_definitions",
            {"name": "Tier", "data_type": "String", "available_on": ["person", "company"]},
        ),
        # company 1, person 1 (Copper's "Create a New Company" / "Create a New Person" bodies)
        (
            "POST",
            "/companies",
            {
                "name": "Demo Company",
                "address": {
                    "street": "123 Main Street",
                    "city": "Savannah",
                    "state": "Georgia",
                    "postal_code": "31410",
                    "country": "United States",
                },
                "email_domain": "democompany.com",
                "details": "This is a demo company",
                "phone_numbers": [{"number": "415-123-45678", "category": "work"}],
            },
        ),
        (
            "POST",
            "/people",
            {
                "name": "My Contact",
                "emails": [{"email": "mycontact_1233@noemail.com", "category": "work"}],
                "address": {
                    "street": "123 Main Street",
                    "city": "Savannah",
                    "state": "Georgia",
                    "postal_code": "31410",
                    "country": "United States",
                },
                "phone_numbers": [{"number": "415-123-45678", "category": "mobile"}],
                "company_id": 1,
                "tags": ["vip"],
                "custom_fields": [{"custom_field_definition_id": 1, "value": "Gold"}],
            },
        ),
        ("POST", "/people", {"name": "Second Person", "title": "CTO", "assignee_id": 1}),
        ("POST", "/people", {"name": "Dup", "emails": [{"email": "MyContact_1233@noemail.com"}]}),
        ("POST", "/people", {"emails": [{"email": "not-an-email"}]}),
        ("PUT", "/people/1", {"details": "This is an update"}),
        ("PUT", "/people/1", {"details": "This is an update"}),
        ("PUT", "/people/2", {"last_name": "Human", "contact_type_id": 2}),
        ("PUT", "/people/99", {"details": "x"}),
        ("POST", "/people/fetch_by_email", {"email": "mycontact_1233@noemail.com"}),
        ("POST", "/people/fetch_by_email", {"email": "nobody@noemail.com"}),
        ("POST", "/people/fetch_by_email", {}),
        ("POST", "/people/search", {}),
        ("POST", "/people/search", {"page_size": 1, "sort_by": "name", "sort_direction": "desc"}),
        ("POST", "/people/search", {"emails": ["MYCONTACT_1233@noemail.com"]}),
        ("POST", "/people/search", {"phone_number": "45678"}),
        ("POST", "/people/search", {"company_ids": [-2], "assignee_ids": [1]}),
        ("POST", "/people/search", {"tags": {"option": "ANY", "value": ["VIP"]}}),
        ("POST", "/people/search?custom_field_computed_values=true", {"ids": [1]}),
        ("POST", "/people/search", {"sort_by": "value", "status_ids": [1]}),
        ("POST", "/people/search", {"sort_by": "value"}),
        # company 2, updated; companies searched
        ("POST", "/companies", {"name": "Globex", "tags": ["b2b"], "assignee_id": 1}),
        ("PUT", "/companies/2", {"phone_numbers": [{"number": "+1 212 555 0142"}]}),
        ("PUT", "/companies/1", {"name": "Demo Company Inc"}),
        ("GET", "/people/1", None),
        ("POST", "/companies", {"details": "no name"}),
        ("PUT", "/companies/99", {"details": "x"}),
        ("POST", "/companies/search", {}),
        ("POST", "/companies/search", {"sort_by": "name", "page_size": 1, "page_number": 2}),
        ("POST", "/companies/search", {"email_domains": "DemoCompany.com"}),
        ("POST", "/companies/search", {"phone_number": {"value": "0142", "match": "partial"}}),
        ("POST", "/companies/search", {"sort_by": "contact"}),
        # a converted lead's person and company are found like any other
        (
            "POST",
            "/leads",
            {
                "name": "Jane Public",
                "email": {"email": "jane@initech.test", "category": "work"},
                "phone_numbers": [{"number": "512-555-0177", "category": "work"}],
            },
        ),
        ("POST", "/leads/1/convert", {"details": {"company": {"name": "Initech"}}}),
        ("POST", "/people/fetch_by_email", {"email": "JANE@initech.test"}),
        ("POST", "/people/search", {"phone_number": "5550177"}),
        ("POST", "/companies/search", {"name": "initech"}),
        ("DELETE", "/people/3", None),
        ("POST", "/people/fetch_by_email", {"email": "jane@initech.test"}),
        ("DELETE", "/companies/2", None),
        ("POST", "/companies/search", {"tags": ["b2b"]}),
    ]
