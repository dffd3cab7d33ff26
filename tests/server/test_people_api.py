"""People and companies over HTTP (issue 21): create, update, fetch by email, search,
isolation and bad input, on every engine."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Api, make_api
from tests.server.test_convert_api import (
    COMPANY_KEYS,
    PERSON_KEYS,
    add_definition,
    convert,
    full_lead,
    rows,
)
from verdigris.config import Settings
from verdigris.server.app import create_app
from verdigris.services import Services
from verdigris.store.base import Store


def person(api: Api, status: int = 200, **fields: Any) -> dict[str, Any]:
    response = api.post("/people", fields)
    assert response.status_code == status, response.text
    return dict(response.json())


def company(api: Api, status: int = 200, **fields: Any) -> dict[str, Any]:
    response = api.post("/companies", fields)
    assert response.status_code == status, response.text
    return dict(response.json())


def search(api: Api, path: str, body: Any, status: int = 200) -> tuple[list[Any], int]:
    response = api.post(path, body)
    assert response.status_code == status, response.text
    if status != 200:
        return [response.json()], -1
    return list(response.json()), int(response.headers["X-PW-TOTAL"])


def names(found: list[Any]) -> list[str]:
    return [r["name"] for r in found]


def test_create_person_keys_defaults_and_fetch(api: Api) -> None:
    made = person(
        api,
        name="Dr. Ada King Lovelace",
        emails=[{"email": "Ada@Engines.test", "category": "work"}],
        phone_numbers=[{"number": "+1 (415) 555-0199", "category": "mobile"}],
        tags=["vip", "VIP", " math "],
        title="Analyst",
    )
    assert list(made) == PERSON_KEYS
    assert (made["prefix"], made["first_name"], made["middle_name"], made["last_name"]) == (
        "Dr.",
        "Ada",
        "King",
        "Lovelace",
    )
    assert made["tags"] == ["vip", "VIP", "math"]
    uncategorized = next(
        c for c in api.get("/contact_types").json() if c["name"] == "Uncategorized"
    )
    assert made["contact_type_id"] == uncategorized["id"] and made["assignee_id"] is None
    assert made["interaction_count"] == 0 and made["leads_converted_from"] == []
    assert made["date_created"] == made["date_modified"]
    assert api.get(f"/people/{made['id']}").json() == made
    for sent in ("ada@engines.test", "  ADA@ENGINES.TEST "):
        found = api.post("/people/fetch_by_email", {"email": sent})
        assert found.status_code == 200 and found.json() == made


def test_person_email_is_unique(api: Api, store: Store) -> None:
    person(api, name="A One", emails=[{"email": "one@x.test", "category": "work"}])
    again = api.post(
        "/people", {"name": "B Two", "emails": [{"email": "ONE@x.test", "category": "personal"}]}
    )
    assert again.status_code == 422
    assert again.json()["message"].startswith(
        "Invalid input: Validation errors: Emails: has already been taken"
    )
    assert rows(store, "people") == 1
    other = person(api, name="C Three", emails=[{"email": "three@x.test", "category": "work"}])
    taken = api.put(f"/people/{other['id']}", {"emails": [{"email": "one@x.test"}]})
    assert taken.status_code == 422
    # its own address again is fine
    same = api.put(f"/people/{other['id']}", {"emails": [{"email": "THREE@x.test"}]})
    assert same.status_code == 200, same.text


def test_update_person_partial_and_no_op(api: Api) -> None:
    made = person(api, name="Grace Hopper", title="RADM", details="COBOL")
    unchanged = api.put(f"/people/{made['id']}", {"title": "RADM"}).json()
    assert unchanged == made
    updated = api.put(f"/people/{made['id']}", {"details": "This is an update"}).json()
    assert updated["details"] == "This is an update" and updated["title"] == "RADM"
    renamed = api.put(f"/people/{made['id']}", {"last_name": "Murray"}).json()
    assert (renamed["name"], renamed["last_name"]) == ("Grace Murray", "Murray")
    cleared = api.put(f"/people/{made['id']}", {"title": None}).json()
    assert cleared["title"] is None
    blank = api.put(f"/people/{made['id']}", {"name": None})
    assert blank.status_code == 422 and "Name: can't be blank" in blank.json()["message"]


def test_person_company_reference(api: Api) -> None:
    acme = company(api, name="Acme Rockets")
    made = person(api, name="Wile Coyote", company_id=acme["id"])
    assert (made["company_id"], made["company_name"]) == (acme["id"], "Acme Rockets")
    renamed = api.put(f"/companies/{acme['id']}", {"name": "Acme Anvils"}).json()
    assert renamed["name"] == "Acme Anvils"
    assert api.get(f"/people/{made['id']}").json()["company_name"] == "Acme Anvils"
    detached = api.put(f"/people/{made['id']}", {"company_id": None}).json()
    assert detached["company_id"] is None and detached["company_name"] is None
    missing = api.put(f"/people/{made['id']}", {"company_id": 999999})
    assert missing.status_code == 422 and "Company id: was not found" in missing.json()["message"]


def test_create_and_update_company(api: Api) -> None:
    made = company(
        api,
        name="Demo Company",
        email_domain="DemoCompany.com",
        phone_numbers=[{"number": "415-123-45678", "category": "work"}],
        details="This is a demo company",
    )
    assert list(made) == COMPANY_KEYS
    assert made["email_domain"] == "democompany.com"
    assert api.get(f"/companies/{made['id']}").json() == made
    phone = api.put(
        f"/companies/{made['id']}", {"phone_numbers": [{"number": "212-555-0142"}]}
    ).json()
    assert phone["phone_numbers"] == [{"number": "212-555-0142", "category": "other"}]
    assert phone["details"] == "This is a demo company"
    assert company(api, 422)["message"].endswith("Name: can't be blank")


def test_people_search_filters_sort_paging(api: Api) -> None:
    acme = company(api, name="Acme")
    a = person(
        api,
        name="Zoe Adams",
        emails=[{"email": "zoe@acme.test"}],
        phone_numbers=[{"number": "408-555-1234"}],
        company_id=acme["id"],
        tags=["vip"],
        address={"city": "Austin", "country": "US"},
    )
    b = person(api, name="Abe Baker", phone_numbers=[{"number": "650 555 9876"}], tags=["new"])
    c = person(api, name="Mia Clark", emails=[{"email": "mia@other.test"}])
    found, total = search(api, "/people/search", {})
    assert names(found) == ["Abe Baker", "Mia Clark", "Zoe Adams"] and total == 3  # first_name
    found, _ = search(api, "/people/search", {"sort_by": "last_name"})
    assert names(found) == ["Zoe Adams", "Abe Baker", "Mia Clark"]
    found, _ = search(api, "/people/search", {"sort_by": "name", "sort_direction": "desc"})
    assert names(found) == ["Zoe Adams", "Mia Clark", "Abe Baker"]
    found, total = search(api, "/people/search", {"page_size": 2, "page_number": 2})
    assert names(found) == ["Zoe Adams"] and total == 3
    assert names(search(api, "/people/search", {"emails": ["ZOE@acme.test"]})[0]) == ["Zoe Adams"]
    assert names(search(api, "/people/search", {"phone_number": "5551234"})[0]) == ["Zoe Adams"]
    assert names(search(api, "/people/search", {"phone_number": "9876"})[0]) == ["Abe Baker"]
    assert names(search(api, "/people/search", {"phone_number": "4085551234"})[0]) == ["Zoe Adams"]
    assert names(search(api, "/people/search", {"company_ids": [acme["id"]]})[0]) == ["Zoe Adams"]
    assert names(search(api, "/people/search", {"company_ids": [-2]})[0]) == [
        "Abe Baker",
        "Mia Clark",
    ]
    assert names(search(api, "/people/search", {"tags": ["VIP", "new"]})[0]) == [
        "Abe Baker",
        "Zoe Adams",
    ]
    tags_empty = {"tags": {"value": [], "allow_empty": True}}
    assert names(search(api, "/people/search", tags_empty)[0]) == ["Mia Clark"]
    assert names(search(api, "/people/search", {"name": "mia"})[0]) == ["Mia Clark"]
    assert names(search(api, "/people/search", {"city": "austin"})[0]) == ["Zoe Adams"]
    assert names(search(api, "/people/search", {"city": ""})[0]) == ["Abe Baker", "Mia Clark"]
    assert names(search(api, "/people/search", {"ids": [b["id"], c["id"]]})[0]) == [
        "Abe Baker",
        "Mia Clark",
    ]
    assert search(api, "/people/search", {"followed": 1}) == ([], 0)
    assert names(search(api, "/people/search", {"assignee_ids": [-2]})[0]) == [
        "Abe Baker",
        "Mia Clark",
        "Zoe Adams",
    ]
    window = {"minimum_created_date": a["date_created"], "maximum_created_date": 0}
    assert search(api, "/people/search", window)[1] == 0
    # the query string works as in lead search
    response = api.post("/people/search?page_size=1", None)
    assert response.status_code == 200 and len(response.json()) == 1


def test_company_search(api: Api) -> None:
    first = company(api, name="Initech", email_domain="initech.test", tags=["b2b"])
    company(
        api,
        name="Globex",
        phone_numbers=[{"number": "(212) 555-0142", "category": "work"}],
        address={"city": "Springfield"},
    )
    api.put(f"/companies/{first['id']}", {"details": "touched"})  # newest date_modified
    found, total = search(api, "/companies/search", {"sort_by": "name"})
    assert names(found) == ["Globex", "Initech"] and total == 2
    found, _ = search(api, "/companies/search", {})
    assert len(found) == 2  # default sort: date_modified
    assert names(search(api, "/companies/search", {"email_domains": "INITECH.test"})[0]) == [
        "Initech"
    ]
    assert names(search(api, "/companies/search", {"email_domains": ["x.test"]})[0]) == []
    assert names(search(api, "/companies/search", {"phone_number": "5550142"})[0]) == ["Globex"]
    assert names(search(api, "/companies/search", {"tags": ["B2B"]})[0]) == ["Initech"]
    assert names(search(api, "/companies/search", {"city": "springfield"})[0]) == ["Globex"]
    assert names(search(api, "/companies/search", {"name": "glo"})[0]) == ["Globex"]


def test_convert_then_find_update_and_search(api: Api) -> None:
    """The flow of issue 21: convert a lead with a new company, then find the person by
    email (fetch_by_email and search), update the company's phone, and find each by search
    (the phone by its last digits too)."""
    lead = full_lead(api, company_name="Initech Corp")
    made = convert(
        api,
        lead["id"],
        {"person": {}, "company": {"name": "Initech Corp"}, "opportunity": {"name": "Deal"}},
    )
    person_id, company_id = made["person"]["id"], made["company"]["id"]
    deal = made["opportunity"]["id"]
    by_deal = search(api, "/people/search", {"opportunity_ids": [deal]})[0]
    assert [p["id"] for p in by_deal] == [person_id]
    fetched = api.post("/people/fetch_by_email", {"email": "JANE@initech.test"})
    assert fetched.status_code == 200 and fetched.json()["id"] == person_id
    found, total = search(api, "/people/search", {"emails": ["jane@initech.test"]})
    assert [p["id"] for p in found] == [person_id] and total == 1
    assert [p["id"] for p in search(api, "/people/search", {"phone_number": "0100"})[0]] == [
        person_id
    ]
    assert [p["id"] for p in search(api, "/people/search", {"company_ids": [company_id]})[0]] == [
        person_id
    ]
    updated = api.put(
        f"/companies/{company_id}",
        {"phone_numbers": [{"number": "+1 512-555-0177", "category": "work"}]},
    )
    assert updated.status_code == 200, updated.text
    for phone in ("15125550177", "5550177", "0177"):
        found, _ = search(api, "/companies/search", {"phone_number": phone})
        assert [c["id"] for c in found] == [company_id], phone
    assert [c["id"] for c in search(api, "/companies/search", {"name": "initech"})[0]] == [
        company_id
    ]


def test_other_account_gets_404(api: Api, other_api: Api) -> None:
    mine = person(api, name="Ada Lovelace", emails=[{"email": "ada@lovelace.test"}])
    firm = company(api, name="Engines Ltd")
    for method, path, body in (
        ("PUT", f"/people/{mine['id']}", {"title": "x"}),
        ("PUT", f"/companies/{firm['id']}", {"details": "x"}),
        ("POST", "/people/fetch_by_email", {"email": "ada@lovelace.test"}),
        ("GET", f"/people/{mine['id']}", None),
        ("DELETE", f"/companies/{firm['id']}", None),
    ):
        response = other_api.request(method, path, body)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"success": False, "status": 404, "message": "Resource not found"}
    assert search(other_api, "/people/search", {}) == ([], 0)
    assert search(other_api, "/companies/search", {}) == ([], 0)
    # another account may use the same address
    assert person(other_api, name="Ada Too", emails=[{"email": "ada@lovelace.test"}])["id"]
    # and cannot point a person at this account's company
    elsewhere = other_api.post("/people", {"name": "Spy", "company_id": firm["id"]})
    assert elsewhere.status_code == 422


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/people", {}, "Name: can't be blank"),
        ("/people", [], "The request body must be a JSON object"),
        ("/people", {"name": "X", "emails": [{"email": "nope"}]}, "Emails: is invalid"),
        ("/people", {"name": "X", "emails": "a@b.c"}, "Emails: has the wrong type"),
        ("/people", {"name": "X", "assignee_id": 999999}, "Assignee id: was not found"),
        ("/people", {"name": "X", "contact_type_id": "x"}, "Contact type id: has the wrong type"),
        ("/people", {"name": "X" * 300}, "Name: is too long"),
        (
            "/people",
            {"name": "X", "phone_numbers": [{"number": "1", "category": "fax"}]},
            "Phone numbers: has an unknown category",
        ),
        ("/companies", {"name": "X", "email_domain": "not a domain"}, "Email domain: is invalid"),
        ("/companies", {"name": "X", "tags": "vip"}, "Tags: has the wrong type"),
        ("/people/fetch_by_email", {}, "Email: can't be blank"),
        ("/people/fetch_by_email", {"email": 5}, "Email: has the wrong type"),
        ("/people/search", {"sort_by": "value"}, "Sort by: is invalid"),
        ("/people/search", {"page_size": 201}, "Page size: is invalid"),
        ("/people/search", {"status_ids": [1]}, "Unrecognized attributes specified: status_ids"),
        (
            "/people/search",
            {"custom_fields": [{"custom_field_definition_id": 1}]},
            "Custom fields: is not supported",
        ),
        ("/companies/search", {"emails": ["a@b.c"]}, "Unrecognized attributes specified: emails"),
        ("/companies/search", {"sort_by": "contact"}, "Sort by: is not supported"),
        ("/companies/search", {"assignee_ids": ["x"]}, "Assignee ids: is invalid"),
    ],
)
def test_bad_input(api: Api, store: Store, path: str, body: Any, message: str) -> None:
    before = (rows(store, "people"), rows(store, "companies"))
    response = api.post(path, body)
    assert response.status_code in (400, 422), response.text
    assert message in response.json()["message"]
    assert (rows(store, "people"), rows(store, "companies")) == before


def test_unknown_ids_are_404(api: Api) -> None:
    assert api.put("/people/999999", {"title": "x"}).status_code == 404
    assert api.put("/companies/999999", {"details": "x"}).status_code == 404
    assert api.post("/people/fetch_by_email", {"email": "nobody@x.test"}).status_code == 404


def test_custom_fields_on_people_and_companies(api: Api, store: Store) -> None:
    on_people = add_definition(store, api.principal.account_id, "Nickname", ["person"])
    on_leads = add_definition(store, api.principal.account_id, "Lead only", ["lead"])
    made = person(
        api, name="Ada", custom_fields=[{"custom_field_definition_id": on_people, "value": "A"}]
    )
    assert made["custom_fields"] == [{"custom_field_definition_id": on_people, "value": "A"}]
    wrong = api.post(
        "/people",
        {"name": "Bob", "custom_fields": [{"custom_field_definition_id": on_leads, "value": "x"}]},
    )
    assert wrong.status_code == 422
    assert "Custom fields: is not available on this kind of record" in wrong.json()["message"]
    firm = company(api, name="Firm")
    assert firm["custom_fields"] == []  # no definition is available on companies
    cleared = api.put(
        f"/people/{made['id']}",
        {"custom_fields": [{"custom_field_definition_id": on_people, "value": None}]},
    ).json()
    assert cleared["custom_fields"] == [{"custom_field_definition_id": on_people, "value": None}]


def test_deleted_person_leaves_no_search_rows(api: Api, store: Store) -> None:
    ada = person(
        api,
        name="Ada",
        emails=[{"email": "ada@x.test"}],
        phone_numbers=[{"number": "123456"}],
        tags=["a"],
    )
    assert api.delete(f"/people/{ada['id']}").status_code == 200
    for table in ("person_emails", "person_phones", "person_tags"):
        assert rows(store, table) == 0, table
    assert api.post("/people/fetch_by_email", {"email": "ada@x.test"}).status_code == 404
    # the address is free again
    assert person(api, name="Ada", emails=[{"email": "ada@x.test"}])["id"] != ada["id"]


NEW_ROUTES = [
    ("POST", "/people", {"name": "Limit Person"}),
    ("PUT", "/people/1", {"title": "x"}),
    ("POST", "/people/fetch_by_email", {"email": "limit@x.test"}),
    ("POST", "/people/search", {}),
    ("POST", "/companies", {"name": "Limit Co"}),
    ("PUT", "/companies/1", {"details": "x"}),
    ("POST", "/companies/search", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), NEW_ROUTES)
def test_new_routes_need_credentials(api: Api, method: str, path: str, body: Any) -> None:
    headers = {**api.headers, "X-PW-AccessToken": "wrong"}
    response = api.client.request(method, "/developer_api/v1" + path, json=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_new_routes_count_against_the_rate_limit(store: Store, services: Services) -> None:
    settings = Settings(rate_limit_per_minute=len(NEW_ROUTES))
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
        limited = make_api(client, services, "limits@people.test", "People Limits")
        codes = [limited.request(m, p, b).status_code for m, p, b in NEW_ROUTES]
        assert 429 not in codes, codes
        for method, path, body in NEW_ROUTES:
            response = limited.request(method, path, body)
            assert response.status_code == 429, (method, path)
            assert int(response.headers["Retry-After"]) >= 1


def test_kept_totals_follow_every_write(api: Api) -> None:
    """Search totals are kept while nothing is committed (as lead search's): a create,
    an update and a delete each show in the next search's X-PW-TOTAL."""
    assert search(api, "/people/search", {"tags": ["t"]})[1] == 0
    ada = person(api, name="Ada", tags=["t"])
    assert search(api, "/people/search", {"tags": ["t"]})[1] == 1
    assert search(api, "/people/search", {"tags": ["t"], "page_number": 2})[1] == 1
    api.put(f"/people/{ada['id']}", {"tags": []})
    assert search(api, "/people/search", {"tags": ["t"]})[1] == 0
    firm = company(api, name="Firm")
    assert search(api, "/companies/search", {})[1] == 1
    api.delete(f"/companies/{firm['id']}")
    assert search(api, "/companies/search", {})[1] == 0


def test_pages_that_walk_the_sort_index_match_sorted_ones(api: Api) -> None:
    """Many matches for tags or a name prefix: the page walks the sort index (store
    heuristic); its pages are exactly the sorted matches, page after page, either way."""
    made = []
    for i in range(30):
        first = ["Ann", "Bea", "Cid", "Dan", "Eve"][i % 5]
        tags = ["t"] if i % 2 else []
        made.append(person(api, name=f"{first} Q{i:02d}", tags=tags))
    tagged = sorted(
        (p for p in made if p["tags"]), key=lambda p: (p["first_name"].lower(), p["name"].lower())
    )
    for size in (5, 15):
        got: list[str] = []
        for page in range(1, 4):
            body = {"tags": ["t"], "page_size": size, "page_number": page}
            found, total = search(api, "/people/search", body)
            assert total == 15
            got += names(found)
        assert got == names(tagged)
    ann = sorted((p for p in made if p["first_name"] == "Ann"), key=lambda p: p["date_created"])
    by_name: dict[str, Any] = {"name": "ann", "page_size": 2, "sort_by": "date_modified"}
    found, total = search(api, "/people/search", by_name)
    assert total == 6 and [p["id"] for p in found] == [p["id"] for p in ann[:2]]
