"""POST /leads/{id}/convert and the records it creates, over HTTP, on every engine."""

from __future__ import annotations

import json
import threading
from typing import Any

import sqlalchemy as sa

from tests.conftest import Api
from tests.server.test_leads_api import LEAD_KEYS
from verdigris.domain.errors import AlreadyConverted
from verdigris.services import Services
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore

PERSON_KEYS = [
    "id", "name", "prefix", "first_name", "middle_name", "last_name", "suffix", "address",
    "assignee_id", "company_id", "company_name", "contact_type_id", "details", "emails",
    "phone_numbers", "socials", "tags", "title", "websites", "custom_fields", "date_created",
    "date_modified", "date_last_contacted", "interaction_count", "leads_converted_from",
    "date_lead_created",
]  # fmt: skip
COMPANY_KEYS = [
    "id", "name", "address", "assignee_id", "contact_type_id", "details", "email_domain",
    "phone_numbers", "socials", "tags", "websites", "custom_fields", "interaction_count",
    "date_created", "date_modified",
]  # fmt: skip
OPPORTUNITY_KEYS = [
    "id", "name", "assignee_id", "close_date", "company_id", "company_name",
    "customer_source_id", "details", "loss_reason_id", "pipeline_id", "pipeline_stage_id",
    "primary_contact_id", "priority", "status", "tags", "interaction_count", "monetary_unit",
    "monetary_value", "win_probability", "date_stage_changed", "date_last_contacted",
    "leads_converted_from", "date_lead_created", "date_created", "date_modified",
    "custom_fields",
]  # fmt: skip
#: a converted lead: Copper's keys plus converted_* where real Copper responses put them
CONVERTED_LEAD_KEYS = [
    *LEAD_KEYS[: LEAD_KEYS.index("monetary_value") + 1],
    "converted_unit",
    "converted_value",
    *LEAD_KEYS[LEAD_KEYS.index("monetary_value") + 1 :],
    "converted_opportunity_id",
    "converted_at",
]


def rows(store: Store, table: str) -> int:
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def add_definition(store: Store, account_id: int, name: str, available_on: list[str]) -> int:
    """A String custom field definition, written straight to the table (bumping the
    account's definitions version, as the store does)."""
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE accounts SET custom_fields_version = custom_fields_version + 1 "
                "WHERE id = :a"
            ),
            {"a": account_id},
        )
        return int(
            conn.execute(
                sa.text(
                    "INSERT INTO custom_field_definitions "
                    "(account_id, name, data_type, available_on, is_filterable, options) "
                    "VALUES (:a, :n, 'String', :on, true, '[]') RETURNING id"
                ),
                {"a": account_id, "n": name, "on": json.dumps(available_on)},
            ).scalar_one()
        )


def convert(api: Api, lead_id: int, details: Any = None, status: int = 200) -> dict[str, Any]:
    body = None if details is None else {"details": details}
    response = api.post(f"/leads/{lead_id}/convert", body)
    assert response.status_code == status, response.text
    return dict(response.json())


def sales(api: Api) -> dict[str, Any]:
    pipelines = api.get("/pipelines").json()
    return next(p for p in pipelines if p["name"] == "Sales")


def full_lead(api: Api, **extra: Any) -> dict[str, Any]:
    return api.create_lead(
        name="Dr. Jane Q. Public",
        email={"email": "jane@initech.test", "category": "work"},
        phone_numbers=[{"number": "415-555-0100", "category": "mobile"}],
        socials=[{"url": "linkedin.com/in/jane", "category": "linkedin"}],
        websites=[{"url": "initech.test", "category": "work"}],
        address={"street": "1 Main St", "city": "Austin", "state": "TX", "country": "US"},
        tags=["vip"],
        title="CTO",
        details="met at a fair",
        monetary_value=2500,
        monetary_unit="USD",
        **extra,
    )


def test_convert_person_only(api: Api, store: Store) -> None:
    lead = full_lead(api)
    result = convert(api, lead["id"], {"person": {}})
    assert list(result) == ["person", "company", "opportunity"]
    assert result["company"] is None and result["opportunity"] is None
    person = result["person"]
    assert list(person) == PERSON_KEYS
    assert (person["name"], person["prefix"], person["first_name"]) == (
        "Dr. Jane Q. Public",
        "Dr.",
        "Jane",
    )
    assert (person["middle_name"], person["last_name"]) == ("Q.", "Public")
    assert person["emails"] == [{"email": "jane@initech.test", "category": "work"}]
    assert person["phone_numbers"] == lead["phone_numbers"]
    assert person["socials"] == lead["socials"] and person["websites"] == lead["websites"]
    assert person["address"] == lead["address"]
    assert (person["tags"], person["title"], person["details"]) == (["vip"], "CTO", "met at a fair")
    assert person["company_id"] is None and person["company_name"] is None
    uncategorized = next(
        c for c in api.get("/contact_types").json() if c["name"] == "Uncategorized"
    )
    assert person["contact_type_id"] == uncategorized["id"]
    assert person["date_lead_created"] == lead["date_created"]
    assert person["leads_converted_from"] == [
        {"lead_id": lead["id"], "converted_timestamp": person["date_created"]}
    ]
    assert api.get(f"/people/{person['id']}").json() == person
    assert rows(store, "companies") == 0 and rows(store, "opportunities") == 0


def test_converted_lead_stays_readable_with_converted_keys(api: Api) -> None:
    lead = full_lead(api)
    unconverted = api.get(f"/leads/{lead['id']}").json()
    assert list(unconverted) == LEAD_KEYS
    convert(api, lead["id"])
    converted = api.get(f"/leads/{lead['id']}").json()
    assert list(converted) == CONVERTED_LEAD_KEYS
    assert isinstance(converted["converted_at"], int) and converted["converted_at"] > 1_600_000_000
    assert converted["converted_opportunity_id"] is None
    assert (converted["converted_value"], converted["converted_unit"]) == (2500, "USD")
    assert {k: converted[k] for k in LEAD_KEYS if k != "date_modified"} == {
        k: unconverted[k] for k in LEAD_KEYS if k != "date_modified"
    }


def test_person_name_and_assignee_can_be_given(api: Api) -> None:
    lead = api.create_lead(name="Lead Name")
    user_id = api.principal.user_id
    person = convert(api, lead["id"], {"person": {"name": "John Doe", "assignee_id": user_id}})
    assert (person["person"]["first_name"], person["person"]["last_name"]) == ("John", "Doe")
    assert person["person"]["assignee_id"] == user_id


def test_lead_company_name_becomes_the_company_when_none_is_given(api: Api) -> None:
    lead = full_lead(api, company_name="Initech")
    result = convert(api, lead["id"])
    company = result["company"]
    assert list(company) == COMPANY_KEYS
    assert (company["name"], company["email_domain"]) == ("Initech", "initech.test")
    assert result["person"]["company_id"] == company["id"]
    assert result["person"]["company_name"] == "Initech"
    potential = next(
        c for c in api.get("/contact_types").json() if c["name"] == "Potential Customer"
    )
    assert company["contact_type_id"] == potential["id"]
    assert company["assignee_id"] == api.principal.user_id  # the caller, as in Copper's example
    assert api.get(f"/companies/{company['id']}").json() == company


def test_convert_with_a_new_company(api: Api, store: Store) -> None:
    lead = full_lead(api, company_name="Lead's Inc")
    result = convert(api, lead["id"], {"person": {}, "company": {"name": "Globex"}})
    assert result["company"]["name"] == "Globex"
    assert result["person"]["company_id"] == result["company"]["id"]
    assert rows(store, "companies") == 1


def test_webmail_domains_are_not_company_domains(api: Api) -> None:
    lead = api.create_lead(name="G", email={"email": "g@gmail.com"}, company_name="G Corp")
    assert convert(api, lead["id"])["company"]["email_domain"] is None


def test_convert_with_an_existing_company_id(api: Api, store: Store) -> None:
    first = convert(api, api.create_lead(name="A")["id"], {"company": {"name": "Initech"}})
    company_id = first["company"]["id"]
    second = convert(api, api.create_lead(name="B")["id"], {"company": {"id": company_id}})
    assert second["company"]["id"] == company_id
    assert second["person"]["company_id"] == company_id
    assert rows(store, "companies") == 1


def test_an_existing_company_is_found_by_name(api: Api, store: Store) -> None:
    company_id = convert(api, api.create_lead(name="A")["id"], {"company": {"name": "Initech"}})[
        "company"
    ]["id"]
    fuzzy = convert(api, api.create_lead(name="B")["id"], {"company": {"name": "initech, inc."}})
    assert fuzzy["company"]["id"] == company_id
    exact = {"name": "INITECH", "exact_match": True}
    other = convert(api, api.create_lead(name="C")["id"], {"company": exact})
    assert other["company"]["id"] != company_id and other["company"]["name"] == "INITECH"
    assert rows(store, "companies") == 2
    # two fuzzy candidates, none named exactly so: 422 listing them, nothing written
    lead = api.create_lead(name="D")
    response = api.post(
        f"/leads/{lead['id']}/convert", {"details": {"company": {"name": "initech"}}}
    )
    assert response.status_code == 422
    assert response.json()["ids"] == [company_id, other["company"]["id"]]
    assert rows(store, "people") == 3
    # exact_match picks the one named exactly
    chosen = convert(api, lead["id"], {"company": {"name": "Initech", "exact_match": True}})
    assert chosen["company"]["id"] == company_id


def test_empty_company_name_means_no_company(api: Api, store: Store) -> None:
    lead = api.create_lead(name="A", company_name="Lead Co")
    assert convert(api, lead["id"], {"company": {"name": ""}})["company"] is None
    assert rows(store, "companies") == 0


def test_unknown_company_id_is_422_and_writes_nothing(api: Api, store: Store) -> None:
    lead = api.create_lead(name="A")
    response = api.post(f"/leads/{lead['id']}/convert", {"details": {"company": {"id": 999999}}})
    assert response.status_code == 422
    assert response.json()["errors"] == {"company_id": [{"error": "not_found"}]}
    assert rows(store, "people") == 0
    assert "converted_at" not in api.get(f"/leads/{lead['id']}").json()


def test_convert_with_an_opportunity(api: Api) -> None:
    pipeline = sales(api)
    stage = pipeline["stages"][2]
    lead = full_lead(api, customer_source_id=api.get("/customer_sources").json()[0]["id"])
    result = convert(
        api,
        lead["id"],
        {
            "person": {"name": "Jane Public"},
            "company": {"name": "Initech"},
            "opportunity": {
                "name": "Demo Project",
                "pipeline_id": pipeline["id"],
                "pipeline_stage_id": stage["id"],
                "monetary_value": 1000,
            },
        },
    )
    opportunity = result["opportunity"]
    assert list(opportunity) == OPPORTUNITY_KEYS
    assert opportunity["name"] == "Demo Project"
    assert (opportunity["pipeline_id"], opportunity["pipeline_stage_id"]) == (
        pipeline["id"],
        stage["id"],
    )
    assert opportunity["win_probability"] == stage["win_probability"]
    assert (opportunity["monetary_value"], opportunity["monetary_unit"]) == (1000, "USD")
    assert opportunity["primary_contact_id"] == result["person"]["id"]
    assert opportunity["company_id"] == result["company"]["id"]
    assert opportunity["company_name"] == "Initech"
    assert opportunity["customer_source_id"] == lead["customer_source_id"]
    assert (opportunity["status"], opportunity["priority"]) == ("Open", "None")
    assert api.get(f"/opportunities/{opportunity['id']}").json() == opportunity
    converted = api.get(f"/leads/{lead['id']}").json()
    assert converted["converted_opportunity_id"] == opportunity["id"]
    assert converted["converted_value"] == 1000


def test_opportunity_defaults_to_first_stage_and_lead_values(api: Api) -> None:
    pipeline = sales(api)
    lead = full_lead(api)
    opportunity = convert(api, lead["id"], {"opportunity": {"pipeline_id": pipeline["id"]}})[
        "opportunity"
    ]
    assert opportunity["pipeline_stage_id"] == pipeline["stages"][0]["id"]
    assert opportunity["name"] == lead["name"]
    assert opportunity["monetary_value"] == 2500
    # no pipeline at all: the account's first one
    other = convert(api, api.create_lead(name="B")["id"], {"opportunity": {"name": "X"}})
    assert other["opportunity"]["pipeline_id"] == pipeline["id"]


def test_convert_twice_is_422(api: Api, store: Store) -> None:
    lead = api.create_lead(name="Twice")
    convert(api, lead["id"])
    response = api.post(f"/leads/{lead['id']}/convert", {"details": {"person": {}}})
    assert response.status_code == 422
    assert response.json()["message"] == f"Lead {lead['id']} has already been converted"
    assert rows(store, "people") == 1


def test_failing_opportunity_leaves_nothing_behind(api: Api, store: Store) -> None:
    lead = full_lead(api, company_name="Lead Co")
    before = api.get(f"/leads/{lead['id']}").json()
    activities = api.post(f"/leads/{lead['id']}/activities").json()
    for bad in (
        {"pipeline_id": 999999},
        {"pipeline_id": sales(api)["id"], "pipeline_stage_id": 999999},
    ):
        response = api.post(
            f"/leads/{lead['id']}/convert",
            {"details": {"company": {"name": "New Co"}, "opportunity": {"name": "O", **bad}}},
        )
        assert response.status_code == 422, response.text
        assert set(response.json()["errors"]) <= {"pipeline_id", "pipeline_stage_id"}
    for table in ("people", "companies", "opportunities"):
        assert rows(store, table) == 0
    assert api.get(f"/leads/{lead['id']}").json() == before
    assert api.post(f"/leads/{lead['id']}/activities").json() == activities


def test_convert_then_delete_person_then_company(api: Api) -> None:
    lead = api.create_lead(name="Client Flow", email={"email": "flow@client.test"})
    result = convert(api, lead["id"], {"person": {"name": "Client Flow"}, "company": {"name": "C"}})
    person_id, company_id = result["person"]["id"], result["company"]["id"]
    deleted = api.delete(f"/people/{person_id}")
    assert deleted.status_code == 200
    assert deleted.json() == {"id": person_id, "is_deleted": True}
    deleted = api.delete(f"/companies/{company_id}")
    assert deleted.status_code == 200
    assert deleted.json() == {"id": company_id, "is_deleted": True}
    assert api.get(f"/people/{person_id}").status_code == 404
    assert api.get(f"/companies/{company_id}").status_code == 404


def test_deleting_a_company_detaches_its_people_and_opportunities(api: Api) -> None:
    result = convert(
        api, api.create_lead(name="A")["id"], {"company": {"name": "C"}, "opportunity": {}}
    )
    assert api.delete(f"/companies/{result['company']['id']}").status_code == 200
    person = api.get(f"/people/{result['person']['id']}").json()
    assert (person["company_id"], person["company_name"]) == (None, None)
    opportunity = api.get(f"/opportunities/{result['opportunity']['id']}").json()
    assert opportunity["company_id"] is None
    assert api.delete(f"/people/{result['person']['id']}").status_code == 200
    opportunity = api.get(f"/opportunities/{result['opportunity']['id']}").json()
    assert opportunity["primary_contact_id"] is None
    deleted = api.delete(f"/opportunities/{opportunity['id']}")
    assert deleted.json() == {"id": opportunity["id"], "is_deleted": True}
    assert api.delete(f"/opportunities/{opportunity['id']}").status_code == 404


def test_records_of_another_account_are_not_found(api: Api, other_api: Api) -> None:
    lead = api.create_lead(name="Mine")
    assert other_api.post(f"/leads/{lead['id']}/convert").status_code == 404
    result = convert(api, lead["id"], {"company": {"name": "C"}, "opportunity": {}})
    for path in (
        f"/people/{result['person']['id']}",
        f"/companies/{result['company']['id']}",
        f"/opportunities/{result['opportunity']['id']}",
    ):
        assert other_api.get(path).status_code == 404
        assert other_api.delete(path).status_code == 404
        assert api.get(path).status_code == 200
    # nor can another account's pipeline or company be used
    other_lead = other_api.create_lead(name="Theirs")
    response = other_api.post(
        f"/leads/{other_lead['id']}/convert",
        {"details": {"company": {"id": result["company"]["id"]}}},
    )
    assert response.status_code == 422
    response = other_api.post(
        f"/leads/{other_lead['id']}/convert",
        {"details": {"opportunity": {"pipeline_id": sales(api)["id"]}}},
    )
    assert response.status_code == 422


def test_unknown_lead_is_404(api: Api) -> None:
    assert api.post("/leads/999999/convert", {"details": {}}).status_code == 404


def test_bad_bodies(api: Api, store: Store) -> None:
    lead = api.create_lead(name="A")
    path = f"/leads/{lead['id']}/convert"
    assert api.post(path, [1]).status_code == 400
    assert api.post(path, {"details": "x"}).status_code == 400
    cases: list[tuple[dict[str, Any], str]] = [
        ({"person": {"contact_type_id": 999999}}, "contact_type_id"),
        ({"person": {"assignee_id": 999999}}, "assignee_id"),
        ({"person": {"name": 5}}, "name"),
        ({"company": {"id": 1, "name": "X"}}, "company"),
        ({"company": {"name": "X", "exact_match": "maybe"}}, "exact_match"),
        ({"opportunity": {"monetary_value": "lots"}}, "monetary_value"),
        ({"opportunity": {"pipeline_id": "abc"}}, "pipeline_id"),
    ]
    for details, field in cases:
        response = api.post(path, {"details": details})
        assert response.status_code == 422, (details, response.text)
        assert field in response.json()["errors"], (details, response.text)
    assert rows(store, "people") == 0


def test_body_without_details_wrapper_is_tolerated(api: Api) -> None:
    lead = api.create_lead(name="A")
    response = api.post(f"/leads/{lead['id']}/convert", {"company": {"name": "Wrapless"}})
    assert response.status_code == 200
    assert response.json()["company"]["name"] == "Wrapless"


def test_custom_field_values_are_carried_over(api: Api, store: Store) -> None:
    account = api.principal.account_id
    everywhere = add_definition(
        store, account, "Everywhere", ["lead", "person", "company", "opportunity"]
    )
    lead_only = add_definition(store, account, "Lead only", ["lead"])
    person_only = add_definition(store, account, "Person only", ["person"])
    lead = api.create_lead(
        name="A",
        custom_fields=[
            {"custom_field_definition_id": everywhere, "value": "carried"},
            {"custom_field_definition_id": lead_only, "value": "stays"},
        ],
    )
    result = convert(api, lead["id"], {"company": {"name": "C"}, "opportunity": {}})
    assert result["person"]["custom_fields"] == [
        {"custom_field_definition_id": everywhere, "value": "carried"},
        {"custom_field_definition_id": person_only, "value": None},
    ]
    for kind in ("company", "opportunity"):
        assert result[kind]["custom_fields"] == [
            {"custom_field_definition_id": everywhere, "value": "carried"}
        ]


def test_converted_leads_cannot_change_and_upsert_makes_a_new_lead(api: Api) -> None:
    lead = api.create_lead(name="A", email={"email": "a@x.test"})
    convert(api, lead["id"])
    response = api.put(f"/leads/{lead['id']}", {"title": "New"})
    assert response.status_code == 422
    bulk = api.post("/leads/bulk_update", {"leads": [{"id": lead["id"], "title": "New"}]})
    assert bulk.json()[0]["success"] is False
    upsert = api.put(
        "/leads/upsert",
        {
            "properties": {"name": "A again"},
            "match": {"field_name": "email", "field_value": "a@x.test"},
        },
    )
    assert upsert.status_code == 200
    assert upsert.json()["id"] != lead["id"]
    assert api.delete(f"/leads/{lead['id']}").status_code == 200


def test_lookups(api: Api, other_api: Api) -> None:
    contact_types = api.get("/contact_types").json()
    assert [c["name"] for c in contact_types] == [
        "Potential Customer",
        "Current Customer",
        "Uncategorized",
        "Other",
    ]
    assert all(list(c) == ["id", "name"] for c in contact_types)
    pipelines = api.get("/pipelines").json()
    assert [p["name"] for p in pipelines] == ["Sales"]
    assert list(pipelines[0]) == ["id", "name", "stages"]
    assert [(s["name"], s["win_probability"]) for s in pipelines[0]["stages"]] == [
        ("Qualified", 5),
        ("Follow-up", 10),
        ("Presentation", 20),
        ("Contract Sent", 40),
        ("Negotiation", 80),
    ]
    stages = api.get("/pipeline_stages").json()
    assert all(list(s) == ["id", "name", "pipeline_id", "win_probability"] for s in stages)
    assert [s["id"] for s in stages] == [s["id"] for s in pipelines[0]["stages"]]
    theirs = other_api.get("/pipelines").json()
    assert theirs[0]["id"] != pipelines[0]["id"]


def test_concurrent_conversions_of_one_lead(services: Services, api: Api) -> None:
    lead = api.create_lead(name="Race")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            services.convert_lead(api.principal, lead["id"], {"details": {}})
            outcomes.append("converted")
        except AlreadyConverted:
            outcomes.append("already")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already", "converted"]


def test_converted_lead_leaves_default_search_and_returns_with_include_converted_leads(
    api: Api,
) -> None:
    kept = api.create_lead(name="Kept Lead", email={"email": "kept@x.test"})
    lead = api.create_lead(name="Converted Lead", email={"email": "conv@x.test"})

    def search(body: dict[str, Any]) -> tuple[list[int], int]:
        response = api.post("/leads/search", body)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()], int(response.headers["X-PW-TOTAL"])

    assert search({}) == ([lead["id"], kept["id"]], 2)
    convert(api, lead["id"])
    assert search({}) == ([kept["id"]], 1)
    assert search({"include_converted_leads": False}) == ([kept["id"]], 1)
    assert search({"emails": "conv@x.test"}) == ([], 0)
    assert search({"include_converted_leads": True}) == ([lead["id"], kept["id"]], 2)
    found = api.post(
        "/leads/search", {"include_converted_leads": True, "emails": "conv@x.test"}
    ).json()
    assert [list(r) for r in found] == [CONVERTED_LEAD_KEYS]
    assert found[0] == api.get(f"/leads/{lead['id']}").json()
    unconverted = api.post("/leads/search", {"include_converted_leads": True, "name": "Kept Lead"})
    assert [list(r) for r in unconverted.json()] == [LEAD_KEYS]
    # the query-string form used by n8n and older clients
    response = api.post("/leads/search?include_converted_leads=true")
    assert [r["id"] for r in response.json()] == [lead["id"], kept["id"]]


def test_unset_custom_fields_render_as_on_leads(api: Api) -> None:
    """An unset MultiSelect is ``[]`` and an unset Checkbox ``false`` on people, companies
    and opportunities, as on leads (they were ``null``), and whole numbers of a Float
    field are floats there too."""
    everywhere = ["lead", "person", "company", "opportunity"]
    ids = {}
    for name, data_type in (("Colours", "MultiSelect"), ("Agreed", "Checkbox"), ("Score", "Float")):
        body: dict[str, Any] = {"name": name, "data_type": data_type, "available_on": everywhere}
        if data_type == "MultiSelect":
            body["options"] = [{"name": "Red"}, {"name": "Blue"}]
        response = api.post("/custom_field_definitions", body)
        assert response.status_code == 200, response.text
        ids[name] = response.json()["id"]
    score = {"custom_field_definition_id": ids["Score"], "value": 2}
    lead = api.create_lead(name="A", custom_fields=[score])
    expected = [
        {"custom_field_definition_id": ids["Colours"], "value": []},
        {"custom_field_definition_id": ids["Agreed"], "value": False},
        {"custom_field_definition_id": ids["Score"], "value": 2.0},
    ]
    assert lead["custom_fields"] == expected
    result = convert(api, lead["id"], {"company": {"name": "C"}, "opportunity": {}})
    paths = {"person": "/people", "company": "/companies", "opportunity": "/opportunities"}
    for kind, path in paths.items():
        assert result[kind]["custom_fields"] == expected, kind
        shown = api.get(f"{path}/{result[kind]['id']}").json()
        assert shown["custom_fields"] == expected, kind
    raw = api.get(f"/people/{result['person']['id']}").text
    assert f'{{"custom_field_definition_id":{ids["Score"]},"value":2.0}}' in raw
