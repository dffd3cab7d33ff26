"""POST /leads/search over HTTP on every engine: filters, sorts, paging, X-PW-TOTAL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from tests.conftest import Api
from tests.server.test_leads_api import LEAD_KEYS
from verdigris.services import Services
from verdigris.store.base import Store


@dataclass
class Found:
    status: int
    leads: list[dict[str, Any]]
    total: int | None
    body: Any

    @property
    def names(self) -> list[str]:
        return [lead["name"] for lead in self.leads]


def search(api: Api, body: Any = None, params: Any = None) -> Found:
    if body is None:  # no body at all, like n8n
        response = api.request("POST", "/leads/search", params=params, content=b"")
    else:
        response = api.post("/leads/search", body, params=params)
    total = response.headers.get("X-PW-TOTAL")
    body_out = response.json()
    leads = body_out if response.status_code == 200 else []
    return Found(response.status_code, leads, int(total) if total is not None else None, body_out)


def patch(store: Store, api: Api, lead_id: int, **fields: Any) -> None:
    """Set fields no endpoint writes (dates, counts, conversion) through the store."""
    with store.transaction(write=True) as tx:
        lead = tx.leads.get(api.principal.account_id, lead_id)
        assert lead is not None
        tx.leads.update(msgspec.structs.replace(lead, **fields))


def lookup(api: Api, path: str) -> dict[str, int]:
    return {item["name"]: item["id"] for item in api.get(path).json()}


def test_a_bare_array_of_full_leads_with_the_total(api: Api) -> None:
    for name in ("Cy", "Ann", "Bob"):
        api.create_lead(name=name)
    found = search(api, {})
    assert found.status == 200
    assert found.total == 3
    assert found.names == ["Ann", "Bob", "Cy"]
    assert all(list(lead) == LEAD_KEYS for lead in found.leads)
    assert found.leads[0] == api.get(f"/leads/{found.leads[0]['id']}").json()


def test_trailing_slash_and_empty_results(api: Api) -> None:
    response = api.post("/leads/search/", {})
    assert (response.status_code, response.json(), response.headers["X-PW-TOTAL"]) == (200, [], "0")


@dataclass
class World:
    ids: dict[str, int]
    users: dict[str, int]
    statuses: dict[str, int]
    sources: dict[str, int]


@pytest.fixture
def world(api: Api, other_api: Api, services: Services, store: Store) -> World:
    """Five live leads of one account, a converted one, and a lead of another account."""
    dwight, _ = services.add_user("dwight@example.com", account="Acme")
    users = {"ada": api.principal.user_id, "dwight": dwight.id}
    statuses = lookup(api, "/lead_statuses")
    sources = lookup(api, "/customer_sources")
    specs: dict[str, dict[str, Any]] = {
        "Ann Archer": {
            "address": {"city": "Savannah", "state": "GA", "postal_code": "31410", "country": "US"},
            "tags": ["vip", "web"],
            "phone_numbers": [{"number": "415-999-4321", "category": "work"}],
            "email": {"email": "ann@x.io", "category": "work"},
            "assignee_id": users["ada"],
            "status_id": statuses["Qualified"],
            "customer_source_id": sources["Email"],
            "monetary_value": 1000,
        },
        "Bob Baker": {
            "address": {"city": "Boston", "state": "MA", "postal_code": "02110", "country": "US"},
            "tags": ["VIP"],
            "phone_numbers": [{"number": "(212) 555-0000", "category": "mobile"}],
            "email": {"email": "bob@x.io", "category": "work"},
            "status": "New",
            "monetary_value": 50,
        },
        "Cy Carter": {
            "status_id": statuses["Contacted"],
            "customer_source_id": sources["Cold Call"],
        },
        "annie Ames": {
            "address": {"city": " savannah ", "state": "GA", "country": "CA"},
            "tags": ["Web"],
            "assignee_id": users["dwight"],
            "customer_source_id": sources["Web Form"],
            "monetary_value": "5000",
        },
        "Dee Dunn": {
            "address": {"street": "1 Main St"},
            "tags": ["other"],
            "status": "Unqualified",
        },
        "Eve Evans": {"address": {"city": "Savannah"}, "tags": ["vip"]},
    }
    ids = {name: api.create_lead(name=name, **fields)["id"] for name, fields in specs.items()}
    patch(store, api, ids["Eve Evans"], converted_at=1_700_000_000)
    other_api.create_lead(name="Ann Other", address={"city": "Savannah"}, tags=["vip"])
    return World(ids, users, statuses, sources)


ALL = ["Ann Archer", "annie Ames", "Bob Baker", "Cy Carter", "Dee Dunn"]


@pytest.mark.parametrize(
    ("make_params", "expected"),
    [
        (lambda w: {}, ALL),
        (lambda w: {"ids": [w.ids["Bob Baker"], w.ids["Ann Archer"]]}, ["Ann Archer", "Bob Baker"]),
        (lambda w: {"ids": [str(w.ids["Cy Carter"])]}, ["Cy Carter"]),
        (lambda w: {"ids": [w.ids["Eve Evans"]]}, []),  # converted
        (lambda w: {"name": "ann"}, ["Ann Archer", "annie Ames"]),
        (lambda w: {"name": "ANN A"}, ["Ann Archer"]),
        (lambda w: {"name": "Archer"}, []),  # a prefix of the full name, not of a word
        (lambda w: {"phone_number": "4159994321"}, ["Ann Archer"]),
        (lambda w: {"phone_number": "212.555.0000"}, ["Bob Baker"]),
        (lambda w: {"emails": "ANN@x.io"}, ["Ann Archer"]),
        (lambda w: {"assignee_ids": [w.users["ada"]]}, ["Ann Archer"]),
        (lambda w: {"assignee_ids": [-2]}, ["Bob Baker", "Cy Carter", "Dee Dunn"]),
        (lambda w: {"assignee_ids": [w.users["dwight"], -2]}, ALL[1:]),
        (lambda w: {"status_ids": [w.statuses["New"]]}, ["annie Ames", "Bob Baker"]),
        (
            lambda w: {"status_ids": [w.statuses["Qualified"], w.statuses["Contacted"]]},
            ["Ann Archer", "Cy Carter"],
        ),
        (lambda w: {"customer_source_ids": [-2]}, ["Bob Baker", "Dee Dunn"]),
        (
            lambda w: {"customer_source_ids": [w.sources["Email"], -2]},
            ["Ann Archer", "Bob Baker", "Dee Dunn"],
        ),
        (lambda w: {"city": "SAVANNAH"}, ["Ann Archer", "annie Ames"]),
        (lambda w: {"city": ""}, ["Cy Carter", "Dee Dunn"]),
        (lambda w: {"state": "ga"}, ["Ann Archer", "annie Ames"]),
        (lambda w: {"state": ""}, ["Cy Carter", "Dee Dunn"]),
        (lambda w: {"postal_code": 31410}, ["Ann Archer"]),
        (lambda w: {"postal_code": ""}, ["annie Ames", "Cy Carter", "Dee Dunn"]),
        (lambda w: {"country": "us"}, ["Ann Archer", "Bob Baker"]),
        (lambda w: {"tags": ["VIP"]}, ["Ann Archer", "Bob Baker"]),
        (lambda w: {"tags": ["vip", "web"]}, ["Ann Archer", "annie Ames", "Bob Baker"]),
        (lambda w: {"tags": {"option": "ANY", "value": ["web"]}}, ["Ann Archer", "annie Ames"]),
        (lambda w: {"tags": {"option": "ALL", "value": ["vip", "web"]}}, ["Ann Archer"]),
        (lambda w: {"tags": {"value": [], "allow_empty": True}}, ["Cy Carter"]),
        (
            lambda w: {"tags": {"value": ["other"], "allow_empty": True}},
            ["Cy Carter", "Dee Dunn"],
        ),
        (
            lambda w: {"tags": {"option": "ALL", "value": ["vip", "web"], "allow_empty": True}},
            ["Ann Archer", "Cy Carter"],
        ),
        (lambda w: {"tags": [], "socials": []}, ALL),  # activepieces' defaults filter nothing
        (lambda w: {"followed": 1}, []),
        (lambda w: {"followed": "2"}, ALL),
        (lambda w: {"minimum_monetary_value": 100}, ["Ann Archer", "annie Ames"]),
        (lambda w: {"maximum_monetary_value": "100"}, ["Bob Baker"]),
        (
            lambda w: {"minimum_monetary_value": 100, "maximum_monetary_value": 2000},
            ["Ann Archer"],
        ),
        (lambda w: {"include_converted_leads": True}, [*ALL[:4], "Dee Dunn", "Eve Evans"]),
        (lambda w: {"include_converted_leads": "true", "name": "eve"}, ["Eve Evans"]),
        (lambda w: {"city": "savannah", "tags": ["vip"]}, ["Ann Archer"]),
        (lambda w: {"city": "savannah", "status_ids": [w.statuses["Contacted"]]}, []),
    ],
)
def test_filters(api: Api, world: World, make_params: Any, expected: list[str]) -> None:
    params = make_params(world)
    found = search(api, params)
    assert found.status == 200, found.body
    assert found.names == sorted(expected, key=str.lower)  # in name order
    assert found.total == len(expected)


def test_range_filters_on_dates_and_counts(api: Api, world: World, store: Store) -> None:
    now = api.get(f"/leads/{world.ids['Cy Carter']}").json()["date_created"]
    stamps = {
        "Ann Archer": {"date_created": 100, "date_modified": 150, "date_last_contacted": 1000},
        "Bob Baker": {"date_created": 200, "date_modified": 250, "date_last_contacted": 2000},
    }
    for name, fields in stamps.items():
        patch(store, api, world.ids[name], interaction_count=len(name), **fields)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"minimum_created_date": 150, "maximum_created_date": "250"}, ["Bob Baker"]),
        ({"maximum_created_date": 150}, ["Ann Archer"]),
        ({"minimum_created_date": now}, ["annie Ames", "Cy Carter", "Dee Dunn"]),
        ({"minimum_modified_date": "100", "maximum_modified_date": "200"}, ["Ann Archer"]),
        ({"minimum_interaction_date": 1500}, ["Bob Baker"]),
        ({"maximum_interaction_date": 1500}, ["Ann Archer"]),  # never contacted: no date
        ({"minimum_interaction_count": 10}, ["Ann Archer"]),
        ({"minimum_interaction_count": "9", "maximum_interaction_count": 9}, ["Bob Baker"]),
        ({"maximum_interaction_count": 0}, ["annie Ames", "Cy Carter", "Dee Dunn"]),
        ({"age": 3600}, ["annie Ames", "Cy Carter", "Dee Dunn"]),
        ({"age": "3600", "minimum_interaction_count": 1}, []),
    ]
    for params, expected in cases:
        found = search(api, params)
        assert found.names == sorted(expected, key=str.lower), params
        assert found.total == len(expected), params


SORT_DATA: dict[str, dict[str, Any]] = {
    # each sort field orders these four leads differently from the name order
    "Ada Zed": {
        "company_name": "Mango",
        "title": "Boss",
        "monetary_value": 30,
        "email": {"email": "c@x.io", "category": "work"},
        "phone_numbers": [{"number": "300", "category": "work"}],
        "address": {"city": "Boston", "state": "NY", "country": "US", "postal_code": "200"},
    },
    "bea Young": {
        "company_name": "apple",
        "title": "Clerk",
        "monetary_value": 10,
        "email": {"email": "A@x.io", "category": "work"},
        "phone_numbers": [{"number": "100", "category": "work"}],
        "address": {"city": "Austin", "state": "TX", "country": "DE", "postal_code": "300"},
    },
    "Cal Xu": {
        "company_name": "zest",
        "title": "analyst",
        "email": {"email": "b@x.io", "category": "work"},
        "phone_numbers": [{"number": "200", "category": "work"}],
        "address": {"city": "chicago", "state": "AL", "country": "FR", "postal_code": "100"},
    },
    "Dot": {"monetary_value": 20},
}
STAMPS = {  # created, modified, last contacted
    "Ada Zed": (300, 100, 50),
    "bea Young": (100, 300, None),
    "Cal Xu": (200, 200, 150),
    "Dot": (400, 400, 100),
}
EXPECTED_ASC = {
    "name": ["Ada Zed", "bea Young", "Cal Xu", "Dot"],
    "first_name": ["Ada Zed", "bea Young", "Cal Xu", "Dot"],
    "last_name": ["Dot", "Cal Xu", "bea Young", "Ada Zed"],
    "company_name": ["Dot", "bea Young", "Ada Zed", "Cal Xu"],
    "title": ["Dot", "Cal Xu", "Ada Zed", "bea Young"],
    "value": ["Cal Xu", "bea Young", "Dot", "Ada Zed"],  # no value sorts as 0
    "email": ["Dot", "bea Young", "Cal Xu", "Ada Zed"],
    "phone": ["Dot", "bea Young", "Cal Xu", "Ada Zed"],
    "date_modified": ["Ada Zed", "Cal Xu", "bea Young", "Dot"],
    "date_created": ["bea Young", "Cal Xu", "Ada Zed", "Dot"],
    "city": ["Dot", "bea Young", "Ada Zed", "Cal Xu"],
    "state": ["Dot", "Cal Xu", "Ada Zed", "bea Young"],
    "country": ["Dot", "bea Young", "Cal Xu", "Ada Zed"],
    "zip": ["Dot", "Cal Xu", "Ada Zed", "bea Young"],
    # "from newest to oldest": the latest contact first, never contacted last
    "inactive_days": ["Cal Xu", "Dot", "Ada Zed", "bea Young"],
}


@pytest.fixture
def sortable(api: Api, store: Store) -> None:
    for name, fields in SORT_DATA.items():
        lead_id = api.create_lead(name=name, **fields)["id"]
        created, modified, contacted = STAMPS[name]
        patch(
            store,
            api,
            lead_id,
            date_created=created,
            date_modified=modified,
            date_last_contacted=contacted,
        )


@pytest.mark.parametrize("sort_by", list(EXPECTED_ASC))
def test_sorts(api: Api, sortable: None, sort_by: str) -> None:
    ascending = search(api, {"sort_by": sort_by})
    assert ascending.names == EXPECTED_ASC[sort_by]
    explicit = search(api, {"sort_by": sort_by, "sort_direction": "asc"})
    assert explicit.names == EXPECTED_ASC[sort_by]
    descending = search(api, {"sort_by": sort_by, "sort_direction": "desc"})
    assert descending.names == EXPECTED_ASC[sort_by][::-1]


def test_ties_are_broken_by_id(api: Api) -> None:
    ids = [api.create_lead(name="Same Name")["id"] for _ in range(5)]
    assert [lead["id"] for lead in search(api, {}).leads] == ids
    assert [lead["id"] for lead in search(api, {"sort_direction": "desc"}).leads] == ids[::-1]


def test_paging_252_leads_returns_each_exactly_once(api: Api, services: Services) -> None:
    for i in range(252):
        services.create_lead(api.principal, {"name": f"Lead {i % 7}"})  # many ties
    seen: list[int] = []
    for page in (1, 2, 3):
        found = search(api, {"page_size": 100, "page_number": page})
        assert found.total == 252
        assert len(found.leads) == (100 if page < 3 else 52)
        seen += [lead["id"] for lead in found.leads]
    assert len(seen) == len(set(seen)) == 252
    past = search(api, {"page_size": 100, "page_number": 4})
    assert (past.status, past.leads, past.total) == (200, [], 252)
    assert search(api, {}).total == 252  # default page size 20
    assert len(search(api, {}).leads) == 20


def test_query_string_only_with_an_empty_body(api: Api, services: Services) -> None:
    for i in range(230):
        services.create_lead(api.principal, {"name": f"Match {i}"})
    for i in range(5):
        services.create_lead(api.principal, {"name": f"Other {i}"})
    found = search(api, None, params={"page_size": "200", "name": "match"})
    assert found.status == 200, found.body
    assert len(found.leads) == 200
    assert found.total == 230
    assert all(name.startswith("Match") for name in found.names)
    second = search(api, None, params={"page_size": 200, "page_number": 2, "name": "match"})
    assert (len(second.leads), second.total) == (30, 230)


def test_query_string_and_body_together(api: Api, world: World) -> None:
    # the body wins key by key; the rest of the query string still applies
    found = search(api, {"name": "bob"}, params={"name": "ann", "country": "us"})
    assert found.names == ["Bob Baker"]
    new, contacted = world.statuses["New"], world.statuses["Contacted"]
    repeated = search(api, None, params=[("status_ids", new), ("status_ids", contacted)])
    assert repeated.names == ["annie Ames", "Bob Baker", "Cy Carter"]
    as_json = search(api, None, params={"tags": '["web"]', "assignee_ids": "-2"})
    assert as_json.names == []
    unassigned = search(api, None, params={"assignee_ids": "-2", "tags[]": "vip"})
    assert unassigned.names == ["Bob Baker"]


def test_numbers_as_strings(api: Api, world: World) -> None:
    body = {
        "page_size": "2",
        "page_number": "2",
        "status_ids": [str(world.statuses["New"]), str(world.statuses["Qualified"])],
        "minimum_monetary_value": "0",
        "include_converted_leads": "false",
    }
    found = search(api, body)
    assert found.status == 200, found.body
    assert found.total == 3
    assert found.names == ["Bob Baker"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"page_size": 201}, "page_size", "page_size must be between 1 and 200"),
        ({"page_size": "1000"}, "page_size", "page_size must be between 1 and 200"),
        ({"page_number": 0}, "page_number", "page_number starts at 1"),
        ({"sort_by": "socials"}, "sort_by", "sort_by must be one of name, first_name"),
        ({"sort_direction": "sideways"}, "sort_direction", "asc or desc"),
        ({"status_ids": ["new"]}, "status_ids", "list of ids"),
    ],
)
def test_invalid_parameters_are_422_naming_the_parameter(
    api: Api, body: dict[str, Any], field: str, words: str
) -> None:
    found = search(api, body)
    assert found.status == 422
    assert found.body["success"] is False
    assert found.body["status"] == 422
    assert words in found.body["message"]
    assert field in found.body["errors"]


def test_page_size_over_200_in_the_query_string_is_422(api: Api) -> None:
    found = search(api, None, params={"page_size": "250"})
    assert found.status == 422
    assert "page_size" in found.body["message"]


def test_a_body_that_is_not_an_object_is_400(api: Api) -> None:
    assert api.post("/leads/search", [1, 2]).status_code == 400


def test_writes_keep_search_in_step(api: Api, world: World, store: Store) -> None:
    ann = world.ids["Ann Archer"]
    changed = {
        "name": "Zoe Archer",
        "tags": ["gold"],
        "phone_numbers": [{"number": "+1 650 000 1111", "category": "work"}],
        "address": {"city": "Denver"},
        "email": {"email": "zoe@x.io", "category": "work"},
    }
    assert api.put(f"/leads/{ann}", changed).status_code == 200
    assert search(api, {"tags": ["vip"]}).names == ["Bob Baker"]
    assert search(api, {"tags": ["gold"]}).names == ["Zoe Archer"]
    assert search(api, {"phone_number": "4159994321"}).names == []
    assert search(api, {"phone_number": "16500001111"}).names == ["Zoe Archer"]
    assert search(api, {"city": "denver"}).names == ["Zoe Archer"]
    assert search(api, {"name": "zoe"}).names == ["Zoe Archer"]
    assert search(api, {"emails": "zoe@x.io"}).names == ["Zoe Archer"]
    assert search(api, {"name": "ann a"}).names == []
    # an update that leaves tags and phones alone keeps their rows
    assert api.put(f"/leads/{ann}", {"details": "note"}).status_code == 200
    assert search(api, {"tags": ["gold"]}).names == ["Zoe Archer"]
    assert search(api, {"phone_number": "16500001111"}).names == ["Zoe Archer"]
    # clearing tags makes the lead match the empty-tags filter
    assert api.put(f"/leads/{ann}", {"tags": []}).status_code == 200
    assert search(api, {"tags": {"value": [], "allow_empty": True}}).names == [
        "Cy Carter",
        "Zoe Archer",
    ]
    assert api.delete(f"/leads/{ann}").status_code == 200
    assert search(api, {"tags": {"value": [], "allow_empty": True}}).names == ["Cy Carter"]
    from verdigris.store.sql import SqlStore

    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        for table in ("lead_tags", "lead_phones"):
            left = conn.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE lead_id = {ann}")
            assert left.scalar_one() == 0


def test_upsert_and_bulk_writes_are_searchable(api: Api) -> None:
    upsert = {
        "properties": {"name": "Up Sert", "tags": ["u"]},
        "match": {"field_name": "name", "field_value": "Up Sert"},
    }
    assert api.put("/leads/upsert", upsert).status_code == 200
    bulk = {"leads": [{"name": "Bulk One", "tags": ["b"]}, {"name": "Bulk Two"}]}
    assert api.post("/leads/bulk_create", bulk).status_code == 200
    assert search(api, {"tags": ["u", "b"]}).names == ["Bulk One", "Up Sert"]


def test_other_accounts_never_show(api: Api, other_api: Api, world: World) -> None:
    found = search(other_api, {"city": "savannah", "include_converted_leads": True})
    assert found.names == ["Ann Other"]
    assert search(api, {"name": "ann o"}).names == []
