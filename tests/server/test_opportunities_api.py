"""Opportunities (issue 21) over HTTP, on every engine: create, update (stage, status,
value, close date, loss reason), search, loss reasons and a pipeline's stages."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Api, make_api
from tests.server.test_convert_api import OPPORTUNITY_KEYS, convert, full_lead, rows, sales
from verdigris.config import Settings
from verdigris.server.app import create_app
from verdigris.services import Services
from verdigris.services.changes import Change
from verdigris.store.base import Store


def person(api: Api, name: str = "Pat Doe", company: str | None = "Initech") -> dict[str, Any]:
    """A person (made by converting a lead, the one way verdigris creates people here)."""
    lead = api.create_lead(name=name, company_name=company)
    return dict(convert(api, lead["id"], {"person": {}})["person"])


def create(api: Api, expect: int = 200, **fields: Any) -> dict[str, Any]:
    response = api.post("/opportunities", fields)
    assert response.status_code == expect, response.text
    return dict(response.json())


def search(api: Api, body: Any, status: int = 200) -> tuple[list[dict[str, Any]], int | None]:
    response = api.post("/opportunities/search", body)
    assert response.status_code == status, response.text
    total = response.headers.get("X-PW-TOTAL")
    return list(response.json()), int(total) if total is not None else None


def ids(found: list[dict[str, Any]]) -> list[int]:
    return [o["id"] for o in found]


def second_pipeline(services: Services, api: Api) -> dict[str, Any]:
    with services.store.transaction(write=True) as tx:
        tx.crm.add_pipeline(api.principal.account_id, "Partners", [("Intro", 10), ("Deal", 60)])
    return next(p for p in api.get("/pipelines").json() if p["name"] == "Partners")


# --- create ----------------------------------------------------------------------------------


def test_create_with_copper_defaults(api: Api) -> None:
    contact = person(api)
    made = create(api, name="New Demo Opportunity", primary_contact_id=contact["id"])
    assert list(made) == OPPORTUNITY_KEYS
    pipeline = sales(api)
    first = pipeline["stages"][0]
    assert (made["pipeline_id"], made["pipeline_stage_id"]) == (pipeline["id"], first["id"])
    assert made["win_probability"] == first["win_probability"] == 5
    assert (made["status"], made["priority"], made["tags"]) == ("Open", "None", [])
    # Copper's create example: the opportunity takes its primary contact's company
    assert made["company_id"] == contact["company_id"] is not None
    assert made["company_name"] == "Initech"
    assert made["date_stage_changed"] == made["date_created"] == made["date_modified"]
    assert api.get(f"/opportunities/{made['id']}").json() == made


def test_create_with_every_field(api: Api, services: Services) -> None:
    contact = person(api, company=None)
    source = api.get("/customer_sources").json()[1]["id"]
    pipeline = sales(api)
    made = create(
        api,
        name="  Big deal ",
        primary_contact_id=str(contact["id"]),
        assignee_id=api.principal.user_id,
        close_date="01/05/2027",
        customer_source_id=source,
        details="d",
        monetary_value="1500.50",
        monetary_unit="eur",
        pipeline_stage_id=pipeline["stages"][2]["id"],
        priority="high",
        status="won",
        tags=["a", " b ", "a"],
        win_probability=90,
        id=999,
        interaction_count=7,
    )
    assert made["name"] == "Big deal"
    assert made["close_date"] == "1/5/2027"
    assert (made["monetary_value"], made["monetary_unit"]) == (1500.5, "EUR")
    assert (made["priority"], made["status"], made["win_probability"]) == ("High", "Won", 90)
    assert made["pipeline_stage_id"] == pipeline["stages"][2]["id"]
    assert made["tags"] == ["a", "b"] and made["company_id"] is None
    assert made["id"] != 999 and made["interaction_count"] == 0


def test_create_needs_name_and_primary_contact(api: Api, store: Store) -> None:
    body = create(api, 422)
    assert body["status"] == 422
    assert body["message"].startswith("Invalid input: Validation errors: Name: can't be blank")
    assert "Primary contact id: can't be blank" in body["message"]
    assert rows(store, "opportunities") == 0


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"pipeline_stage_id": 999_999}, "pipeline_stage_id", "not_found"),
        ({"pipeline_id": 999_999}, "pipeline_id", "not_found"),
        ({"status": "Closed"}, "status", "invalid"),
        ({"priority": "Urgent"}, "priority", "invalid"),
        ({"win_probability": 101}, "win_probability", "invalid"),
        ({"close_date": "2027-01-05"}, "close_date", "invalid"),
        ({"close_date": "2/30/2027"}, "close_date", "invalid"),
        ({"monetary_value": "nan"}, "monetary_value", "invalid"),
        ({"loss_reason_id": 999_999}, "loss_reason_id", "not_found"),
        ({"assignee_id": 999_999}, "assignee_id", "not_found"),
        ({"company_id": 999_999}, "company_id", "not_found"),
        ({"primary_contact_id": 999_999}, "primary_contact_id", "not_found"),
        ({"name": "x" * 256}, "name", "too_long"),
        ({"tags": "vip"}, "tags", "invalid_type"),
        ({"details": "a\u0000b"}, "details", "invalid"),
        ({"pipeline_stage_id": 2**63}, "pipeline_stage_id", "invalid_type"),
        ({"custom_fields": [{"custom_field_definition_id": 999, "value": 1}]}, "custom_fields",
         "not_found"),
    ],
)  # fmt: skip
def test_create_bad_input_writes_nothing(
    api: Api, store: Store, fields: dict[str, Any], field: str, code: str
) -> None:
    contact = person(api)
    body = create(api, 422, **{"name": "Deal", "primary_contact_id": contact["id"], **fields})
    assert body["errors"] == {field: [{"error": code}]}, body
    assert rows(store, "opportunities") == 0


def test_create_in_a_stage_of_another_pipeline_is_refused(api: Api, services: Services) -> None:
    contact = person(api)
    partners = second_pipeline(services, api)
    body = create(
        api,
        422,
        name="Deal",
        primary_contact_id=contact["id"],
        pipeline_stage_id=partners["stages"][1]["id"],
    )
    assert body["errors"] == {"pipeline_stage_id": [{"error": "invalid"}]}
    made = create(
        api,
        name="Deal",
        primary_contact_id=contact["id"],
        pipeline_id=partners["id"],
    )
    assert made["pipeline_stage_id"] == partners["stages"][0]["id"]
    assert made["win_probability"] == 10


def test_custom_fields_available_on_opportunities(api: Api, store: Store) -> None:
    definition = api.post(
        "/custom_field_definitions",
        {"name": "Region", "data_type": "String", "available_on": ["opportunity"]},
    ).json()
    leads_only = api.post(
        "/custom_field_definitions",
        {"name": "Lead thing", "data_type": "String", "available_on": ["lead"]},
    ).json()
    contact = person(api)
    made = create(
        api,
        name="Deal",
        primary_contact_id=contact["id"],
        custom_fields=[{"custom_field_definition_id": definition["id"], "value": "EMEA"}],
    )
    assert made["custom_fields"] == [
        {"custom_field_definition_id": definition["id"], "value": "EMEA"}
    ]
    body = create(
        api,
        422,
        name="Deal",
        primary_contact_id=contact["id"],
        custom_fields=[{"custom_field_definition_id": leads_only["id"], "value": "x"}],
    )
    assert body["errors"] == {"custom_fields": [{"error": "invalid"}]}
    changed = api.put(
        f"/opportunities/{made['id']}",
        {"custom_fields": [{"custom_field_definition_id": definition["id"], "value": None}]},
    ).json()
    assert changed["custom_fields"][0]["value"] is None


# --- the integrator's flow: convert, move, win or lose, find --------------------------------


def test_convert_move_lose_and_find(api: Api, store: Store, services: Services) -> None:
    seen: list[Change] = []
    app_services: Services = api.client.app.state.runtime.services  # type: ignore[attr-defined]
    app_services.observe(lambda tx, change: seen.append(change))
    lead = full_lead(api)
    converted = convert(api, lead["id"], {"person": {}, "opportunity": {"name": "Jane's deal"}})
    opportunity = converted["opportunity"]
    pipeline = sales(api)
    stages = pipeline["stages"]
    assert opportunity["pipeline_stage_id"] == stages[0]["id"]
    activities_before = rows(store, "activities")

    moved = api.put(f"/opportunities/{opportunity['id']}", {"pipeline_stage_id": stages[1]["id"]})
    assert moved.status_code == 200, moved.text
    moved_body = moved.json()
    assert list(moved_body) == OPPORTUNITY_KEYS
    assert moved_body["pipeline_stage_id"] == stages[1]["id"]
    assert moved_body["win_probability"] == stages[1]["win_probability"]
    assert rows(store, "activities") == activities_before + 1
    with services.store.transaction(write=False) as tx:
        from verdigris.domain.activities import ActivityQuery

        logged = tx.activities.page(
            api.principal.account_id, "opportunity", opportunity["id"], ActivityQuery()
        )
    assert [(a.type_id, a.old_value, a.new_value) for a in logged] == [
        (
            3,
            {"id": stages[0]["id"], "name": "Qualified"},
            {"id": stages[1]["id"], "name": "Follow-up"},
        )
    ]

    reason = next(r for r in api.get("/loss_reasons").json() if r["name"] == "Competitor")
    lost = api.put(
        f"/opportunities/{opportunity['id']}",
        {"status": "Lost", "loss_reason_id": reason["id"], "monetary_value": 3000},
    ).json()
    assert (lost["status"], lost["loss_reason_id"], lost["monetary_value"]) == (
        "Lost",
        reason["id"],
        3000,
    )
    assert lost["pipeline_stage_id"] == stages[1]["id"]  # a status change keeps the stage
    assert rows(store, "activities") == activities_before + 1

    found, total = search(
        api,
        {
            "pipeline_ids": [pipeline["id"]],
            "pipeline_stage_ids": [stages[1]["id"]],
            "status_ids": [2],
            "loss_reason_ids": [reason["id"]],
            "minimum_monetary_value": 2999,
            "maximum_monetary_value": 3000,
        },
    )
    assert (ids(found), total) == ([opportunity["id"]], 1)
    assert found[0] == lost
    assert search(api, {"status_ids": [0]}) == ([], 0)
    assert search(api, {"statuses": ["lost"]})[1] == 1
    assert search(api, {"minimum_monetary_value": 3000.5})[1] == 0

    events = [(c.entity, c.event) for c in seen if c.entity == "opportunity"]
    assert events == [("opportunity", "new"), ("opportunity", "update"), ("opportunity", "update")]
    assert api.delete(f"/opportunities/{opportunity['id']}").json() == {
        "id": opportunity["id"],
        "is_deleted": True,
    }
    assert seen[-1].event == "delete" and seen[-1].before is not None


def test_update_that_changes_nothing_changes_nothing(api: Api, store: Store) -> None:
    contact = person(api)
    made = create(api, name="Deal", primary_contact_id=contact["id"], monetary_value=10)
    echo = {k: v for k, v in made.items() if k != "date_modified"}
    activities = rows(store, "activities")
    assert api.put(f"/opportunities/{made['id']}", echo).json() == made
    assert api.put(f"/opportunities/{made['id']}", {}).json() == made
    assert rows(store, "activities") == activities


def test_update_fields_and_clear_them(api: Api) -> None:
    contact = person(api)
    made = create(api, name="Deal", primary_contact_id=contact["id"], close_date="3/4/2027")
    changed = api.put(
        f"/opportunities/{made['id']}",
        {"close_date": None, "company_id": None, "details": "x", "win_probability": 55},
    ).json()
    assert (changed["close_date"], changed["company_id"], changed["company_name"]) == (
        None,
        None,
        None,
    )
    assert (changed["details"], changed["win_probability"]) == ("x", 55)
    assert changed["date_stage_changed"] == made["date_stage_changed"]


def test_update_bad_input_changes_nothing(api: Api, services: Services) -> None:
    contact = person(api)
    made = create(api, name="Deal", primary_contact_id=contact["id"])
    partners = second_pipeline(services, api)
    for body, field, code in (
        ({"pipeline_stage_id": partners["stages"][0]["id"]}, "pipeline_stage_id", "invalid"),
        ({"pipeline_stage_id": 999_999}, "pipeline_stage_id", "not_found"),
        ({"name": None}, "name", "blank"),
        ({"status": "Won", "win_probability": -1}, "win_probability", "invalid"),
    ):
        response = api.put(f"/opportunities/{made['id']}", body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == {field: [{"error": code}]}
    assert api.get(f"/opportunities/{made['id']}").json() == made
    moved = api.put(
        f"/opportunities/{made['id']}",
        {"pipeline_id": partners["id"], "pipeline_stage_id": partners["stages"][1]["id"]},
    ).json()
    assert (moved["pipeline_id"], moved["win_probability"]) == (partners["id"], 60)
    assert api.put("/opportunities/999999", {"name": "x"}).status_code == 404
    assert api.put(f"/opportunities/{made['id']}", [1]).status_code == 400


# --- search ----------------------------------------------------------------------------------


def test_search_filters_sorts_and_pages(api: Api) -> None:
    contact = person(api)
    alone = person(api, name="Sam Solo", company=None)
    pipeline = sales(api)
    a = create(api, name="Alpha", primary_contact_id=contact["id"], monetary_value=100,
               tags=["Hot"], close_date="1/10/2027", priority="Low")  # fmt: skip
    b = create(api, name="bravo", primary_contact_id=alone["id"], monetary_value=500,
               pipeline_stage_id=pipeline["stages"][3]["id"], status="Abandoned")  # fmt: skip
    c = create(api, name="Charlie", primary_contact_id=contact["id"], tags=["cold"],
               assignee_id=api.principal.user_id, priority="High")  # fmt: skip
    found, total = search(api, {})
    assert (ids(found), total) == ([a["id"], b["id"], c["id"]], 3)
    assert ids(search(api, {"sort_by": "value", "sort_direction": "DESC"})[0]) == [
        b["id"], a["id"], c["id"]
    ]  # fmt: skip
    assert ids(search(api, {"sort_by": "priority"})[0]) == [b["id"], a["id"], c["id"]]
    assert ids(search(api, {"sort_by": "stage"})[0]) == [a["id"], c["id"], b["id"]]
    page, total = search(api, {"page_size": 2, "page_number": 2})
    assert (ids(page), total) == ([c["id"]], 3)
    assert ids(search(api, {"name": " ALPHA "})[0]) == [a["id"]]
    assert ids(search(api, {"name": "Alp"})[0]) == []  # Copper: the name must match exactly
    assert ids(search(api, {"tags": ["hot", "COLD"]})[0]) == [a["id"], c["id"]]
    assert ids(search(api, {"tags": {"value": [], "allow_empty": True}})[0]) == [b["id"]]
    assert ids(search(api, {"company_ids": [-2]})[0]) == [b["id"]]
    assert ids(search(api, {"company_ids": [contact["company_id"]]})[0]) == [a["id"], c["id"]]
    assert ids(search(api, {"assignee_ids": [-2]})[0]) == [a["id"], b["id"]]
    assert ids(search(api, {"primary_contact_ids": [alone["id"]]})[0]) == [b["id"]]
    assert ids(search(api, {"priority_ids": [3]})[0]) == [c["id"]]
    assert ids(search(api, {"status_ids": [3]})[0]) == [b["id"]]
    jan = 1_799_539_200  # 2027-01-10T00:00:00Z
    assert ids(search(api, {"minimum_close_date": jan, "maximum_close_date": jan})[0]) == [a["id"]]
    assert ids(search(api, {"ids": [c["id"], a["id"]]})[0]) == [a["id"], c["id"]]
    assert search(api, {"followed": 1}) == ([], 0)
    assert search(api, {"followed": 2})[1] == 3
    found, _ = search(api, {"ids": [a["id"]], "minimum_monetary_value": 100})
    assert found == [api.get(f"/opportunities/{a['id']}").json()]


def test_search_query_string_and_bad_parameters(api: Api) -> None:
    contact = person(api)
    made = create(api, name="Deal", primary_contact_id=contact["id"])
    response = api.post(f"/opportunities/search?ids={made['id']}&page_size=5")
    assert (response.status_code, ids(response.json())) == (200, [made["id"]])
    bad = api.post("/opportunities/search", {"status": "Open", "pageSize": 5}).json()
    assert bad["message"] == (
        "Invalid input: Validation errors: Base: Unrecognized attributes specified: "
        "status, pageSize"
    )
    for params, field in (
        ({"status_ids": [4]}, "status_ids"),
        ({"sort_by": "colour"}, "sort_by"),
        ({"page_size": 201}, "page_size"),
        ({"minimum_monetary_value": "lots"}, "minimum_monetary_value"),
        ({"custom_fields": [{"custom_field_definition_id": 999, "value": 1}]}, "custom_fields"),
        ({"pipeline_ids": list(range(1001))}, "pipeline_ids"),
    ):
        response = api.post("/opportunities/search", params)
        assert response.status_code == 422, params
        assert field in response.json()["errors"], response.text
    assert api.post("/opportunities/search", [1]).status_code == 400


def test_search_by_custom_fields(api: Api) -> None:
    size = api.post(
        "/custom_field_definitions",
        {
            "name": "Size",
            "data_type": "Dropdown",
            "available_on": ["opportunity"],
            "is_filterable": True,
            "options": [{"name": "S"}, {"name": "L"}],
        },
    ).json()
    score = api.post(
        "/custom_field_definitions",
        {"name": "Score", "data_type": "Float", "available_on": ["opportunity"],
         "is_filterable": True},
    ).json()  # fmt: skip
    hidden = api.post(
        "/custom_field_definitions",
        {"name": "Hidden", "data_type": "Float", "available_on": ["opportunity"]},
    ).json()
    leads_only = api.post(
        "/custom_field_definitions",
        {"name": "Lead", "data_type": "Float", "available_on": ["lead"], "is_filterable": True},
    ).json()
    small, large = (o["id"] for o in size["options"])
    contact = person(api)

    def made(name: str, *values: tuple[int, Any]) -> int:
        fields = [{"custom_field_definition_id": d, "value": v} for d, v in values]
        return int(
            create(api, name=name, primary_contact_id=contact["id"], custom_fields=fields)["id"]
        )

    a = made("A", (size["id"], small), (score["id"], 1.5))
    b = made("B", (size["id"], large), (score["id"], 9))
    c = made("C")

    def find(*filters: dict[str, Any]) -> list[int]:
        return ids(search(api, {"custom_fields": list(filters)})[0])

    assert find({"custom_field_definition_id": size["id"], "value": [small]}) == [a]
    shown = api.post(
        "/opportunities/search?custom_field_computed_values=true", {"ids": [a]}
    ).json()[0]["custom_fields"]
    assert shown[0] == {
        "custom_field_definition_id": size["id"],
        "value": small,
        "computed_value": "S",
    }
    assert find({"custom_field_definition_id": size["id"], "value": [large],
                 "allow_empty": True}) == [b, c]  # fmt: skip
    assert find({"custom_field_definition_id": score["id"], "minimum_value": 2}) == [b]
    assert find(
        {"custom_field_definition_id": score["id"], "maximum_value": 9},
        {"custom_field_definition_id": size["id"], "value": [small]},
    ) == [a]
    # a change of the value moves the opportunity from one answer to the other
    change = [{"custom_field_definition_id": size["id"], "value": large}]
    api.put(f"/opportunities/{a}", {"custom_fields": change})
    assert find({"custom_field_definition_id": size["id"], "value": [large]}) == [a, b]
    for definition, code in ((hidden, "not_filterable"), (leads_only, "invalid")):
        response = api.post(
            "/opportunities/search",
            {"custom_fields": [{"custom_field_definition_id": definition["id"], "value": 1}]},
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == {"custom_fields": [{"error": code}]}


# --- lookups ---------------------------------------------------------------------------------


def test_loss_reasons_and_stages_of_a_pipeline(api: Api, services: Services) -> None:
    reasons = api.get("/loss_reasons").json()
    assert [r["name"] for r in reasons] == ["Price", "Features", "Competitor"]
    assert all(list(r) == ["id", "name"] for r in reasons)
    pipeline = sales(api)
    stages = api.get(f"/pipeline_stages/pipeline/{pipeline['id']}").json()
    assert stages == [
        {**{k: s[k] for k in ("id", "name")}, "pipeline_id": pipeline["id"],
         "win_probability": s["win_probability"]}
        for s in pipeline["stages"]
    ]  # fmt: skip
    partners = second_pipeline(services, api)
    assert [s["name"] for s in api.get(f"/pipeline_stages/pipeline/{partners['id']}").json()] == [
        "Intro",
        "Deal",
    ]
    assert len(api.get("/pipeline_stages").json()) == 7
    assert api.get("/pipeline_stages/pipeline/999999").status_code == 404


# --- isolation and limits ----------------------------------------------------------------------


def test_another_account_sees_nothing(api: Api, other_api: Api) -> None:
    contact = person(api)
    made = create(api, name="Deal", primary_contact_id=contact["id"])
    pipeline = sales(api)
    assert other_api.put(f"/opportunities/{made['id']}", {"name": "Mine"}).status_code == 404
    assert other_api.get(f"/opportunities/{made['id']}").status_code == 404
    assert other_api.delete(f"/opportunities/{made['id']}").status_code == 404
    assert search(other_api, {}) == ([], 0)
    assert search(other_api, {"ids": [made["id"]]}) == ([], 0)
    assert other_api.get(f"/pipeline_stages/pipeline/{pipeline['id']}").status_code == 404
    # another account's person, stage and loss reason are unknown here
    theirs = other_api.get("/loss_reasons").json()[0]["id"]
    body = create(other_api, 422, name="x", primary_contact_id=contact["id"])
    assert body["errors"] == {"primary_contact_id": [{"error": "not_found"}]}
    response = api.put(f"/opportunities/{made['id']}", {"loss_reason_id": theirs})
    assert response.json()["errors"] == {"loss_reason_id": [{"error": "not_found"}]}
    assert api.get(f"/opportunities/{made['id']}").json() == made


def test_opportunity_routes_are_rate_limited(store: Store, services: Services) -> None:
    settings = Settings(rate_limit_per_minute=3)
    with TestClient(create_app(settings, store=store)) as client:
        api = make_api(client, services, "opp@example.com", "Opp")
        codes = [
            api.post("/opportunities/search", {}).status_code,
            api.get("/loss_reasons").status_code,
            api.post("/opportunities", {}).status_code,
            api.put("/opportunities/1", {}).status_code,
        ]
        assert codes == [200, 200, 422, 429]
