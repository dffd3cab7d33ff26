"""People and companies written and searched by clients (issue 21).

Searches answer a bare JSON array with the total in ``X-PW-TOTAL``, as lead search does.
Fetch by id and delete live with conversion (``routes/conversion.py``).
"""

from __future__ import annotations

from verdigris import wire
from verdigris.domain.people_search import (
    COMPANY_SEARCH_KEYS,
    PEOPLE_SEARCH_KEYS,
    record_search_params,
)
from verdigris.server import render
from verdigris.server.routes import Call, Reply, RouteSpec
from verdigris.server.routes.leads import computed
from verdigris.server.routes.search import query_items
from verdigris.services import Services


def create_person(services: Services, call: Call) -> wire.PersonOut:
    return render.person_out(services.create_person(call.principal, call.body), computed(call))


def update_person(services: Services, call: Call) -> wire.PersonOut:
    person = services.update_person(call.principal, call.path["id"], call.body)
    return render.person_out(person, computed(call))


def fetch_person_by_email(services: Services, call: Call) -> wire.PersonOut:
    person = services.fetch_person_by_email(call.principal, call.body)
    return render.person_out(person, computed(call))


def search_people(services: Services, call: Call) -> Reply:
    params = record_search_params(call.body, query_items(call.query), PEOPLE_SEARCH_KEYS)
    total, found = services.search_people(call.principal, params)
    shown = computed(call)
    return Reply([render.person_out(p, shown) for p in found], {"X-PW-TOTAL": str(total)})


def create_company(services: Services, call: Call) -> wire.CompanyOut:
    return render.company_out(services.create_company(call.principal, call.body), computed(call))


def update_company(services: Services, call: Call) -> wire.CompanyOut:
    company = services.update_company(call.principal, call.path["id"], call.body)
    return render.company_out(company, computed(call))


def search_companies(services: Services, call: Call) -> Reply:
    params = record_search_params(call.body, query_items(call.query), COMPANY_SEARCH_KEYS)
    total, found = services.search_companies(call.principal, params)
    shown = computed(call)
    return Reply([render.company_out(c, shown) for c in found], {"X-PW-TOTAL": str(total)})


ROUTES = [
    RouteSpec(
        "POST",
        "/people",
        create_person,
        "Create a person (email addresses are unique among people)",
        request=wire.PersonIn,
        response=wire.PersonOut,
    ),
    RouteSpec(
        "PUT",
        "/people/{id:int}",
        update_person,
        "Update a person (only the keys sent change)",
        request=wire.PersonIn,
        response=wire.PersonOut,
    ),
    RouteSpec(
        "POST",
        "/people/fetch_by_email",
        fetch_person_by_email,
        "Fetch a person by email address",
        request=wire.FetchByEmailIn,
        response=wire.PersonOut,
        writes=False,
    ),
    RouteSpec(
        "POST",
        "/people/search",
        search_people,
        "Search people (filters, sort, paging); the total is in the X-PW-TOTAL header",
        request=wire.PeopleSearchIn,
        response=list[wire.PersonOut],
        writes=False,
    ),
    RouteSpec(
        "POST",
        "/companies",
        create_company,
        "Create a company",
        request=wire.CompanyIn,
        response=wire.CompanyOut,
    ),
    RouteSpec(
        "PUT",
        "/companies/{id:int}",
        update_company,
        "Update a company (only the keys sent change)",
        request=wire.CompanyIn,
        response=wire.CompanyOut,
    ),
    RouteSpec(
        "POST",
        "/companies/search",
        search_companies,
        "Search companies (filters, sort, paging); the total is in the X-PW-TOTAL header",
        request=wire.CompanySearchIn,
        response=list[wire.CompanyOut],
        writes=False,
    ),
]
