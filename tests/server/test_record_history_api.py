"""History of people, companies and opportunities over HTTP (issue 21): versions on every
write, diff, restore, deleted records, rollback, account isolation, retention; both
engines."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from verdigris.services import Services
from verdigris.services.changes import Change
from verdigris.store.base import Store, StoreTx

EXT = "/verdigris/v1"


def ext(api: Api, method: str, path: str, json: Any = None, **kw: Any) -> httpx.Response:
    headers = {**api.headers, **kw.pop("headers", {})}
    response: Any = api.client.request(method, EXT + path, json=json, headers=headers, **kw)
    return response  # type: ignore[no-any-return]


def _undated(body: bytes) -> bytes:
    return re.sub(rb'"date_modified":\d+', b'"date_modified":0', body)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


_EMAILS = itertools.count(1)


def _person(api: Api, email: str | None = None) -> dict[str, Any]:
    """A person with every list filled (a new address each time unless ``email``)."""
    address = email or f"ada{next(_EMAILS)}@example.com"
    return _ok(
        api.post(
            "/people",
            {
                "name": "Ada Lovelace",
                "emails": [{"email": address, "category": "work"}],
                "title": "Countess",
                "tags": ["vip"],
                "phone_numbers": [{"number": "+1 408 555 1234", "category": "mobile"}],
            },
        )
    )


def _company(api: Api) -> dict[str, Any]:
    return _ok(
        api.post(
            "/companies",
            {
                "name": "Analytical Engines",
                "email_domain": "engines.test",
                "details": "Babbage's",
                "tags": ["hardware"],
                "address": {"street": "1 Way", "city": "London"},
            },
        )
    )


def _opportunity(api: Api) -> dict[str, Any]:
    contact = _ok(api.post("/people", {"name": "Grace Hopper"}))
    body = {"name": "Big deal", "primary_contact_id": contact["id"], "monetary_value": 1500}
    return _ok(api.post("/opportunities", {**body, "tags": ["q1"]}))


@dataclass(frozen=True)
class Kind:
    entity: str
    plural: str
    create: Callable[[Api], dict[str, Any]]
    #: an update, and the keys of Copper's object it changes (in the object's order)
    update: dict[str, Any]
    changed: list[str]
    #: a tag the created record has (its side rows, for search)
    tag: str


KINDS = [
    Kind(
        "person",
        "people",
        _person,
        {"title": "Programmer", "tags": ["engines"]},
        ["tags", "title"],
        "vip",
    ),
    Kind(
        "company",
        "companies",
        _company,
        {"details": "An update", "tags": []},
        ["details", "tags"],
        "hardware",
    ),
    Kind(
        "opportunity",
        "opportunities",
        _opportunity,
        {"monetary_value": 9, "details": "x"},
        ["details", "monetary_value"],
        "q1",
    ),
]
BY_NAME = pytest.mark.parametrize("kind", KINDS, ids=[k.entity for k in KINDS])


@BY_NAME
def test_create_update_delete_are_versions(api: Api, kind: Kind) -> None:
    made = kind.create(api)
    rid = made["id"]
    updated = api.put(f"/{kind.plural}/{rid}", kind.update)
    assert updated.status_code == 200, updated.text
    deleted = api.delete(f"/{kind.plural}/{rid}")
    assert deleted.status_code == 200, deleted.text

    versions = ext(api, "GET", f"/{kind.plural}/{rid}/versions").json()
    assert [(v["version"], v["event"], v["cause"]) for v in versions] == [
        (3, "delete", None),
        (2, "update", None),
        (1, "new", None),
    ]
    assert list(versions[0]) == [
        "version",
        "event",
        "cause",
        "user_id",
        "date_created",
        "route",
        "request_id",
        kind.entity,
    ]
    assert versions[0]["route"] == f"DELETE /developer_api/v1/{kind.plural}/{{id}}"
    assert versions[1]["route"] == f"PUT /developer_api/v1/{kind.plural}/{{id}}"
    assert versions[1]["request_id"] == updated.headers["X-Verdigris-Request-Id"]
    assert {v["user_id"] for v in versions} == {api.principal.user_id}
    # each version renders the record as Copper's GET did after that write
    assert versions[2][kind.entity] == made
    assert versions[1][kind.entity] == updated.json()
    assert versions[0][kind.entity] == updated.json()  # a delete: as it was
    one = ext(api, "GET", f"/{kind.plural}/{rid}/versions/2")
    assert one.json() == versions[1]
    older = ext(api, "GET", f"/{kind.plural}/{rid}/versions?before=3&limit=1").json()
    assert [v["version"] for v in older] == [2]

    diff = ext(api, "GET", f"/{kind.plural}/{rid}/diff?from=1&to=2").json()
    assert diff[f"{kind.entity}_id"] == rid
    assert (diff["from_version"], diff["to_version"]) == (1, 2)
    assert [c["field"] for c in diff["changes"]] == kind.changed


@BY_NAME
def test_restore_makes_the_record_what_the_version_holds(api: Api, kind: Kind) -> None:
    rid = kind.create(api)["id"]
    before = api.get(f"/{kind.plural}/{rid}").content
    assert api.put(f"/{kind.plural}/{rid}", kind.update).status_code == 200
    assert _undated(api.get(f"/{kind.plural}/{rid}").content) != _undated(before)

    restored = ext(api, "POST", f"/{kind.plural}/{rid}/versions/1/restore")
    assert restored.status_code == 200, restored.text
    after = api.get(f"/{kind.plural}/{rid}").content
    assert _undated(after) == _undated(before)
    assert restored.content == after
    newest = ext(api, "GET", f"/{kind.plural}/{rid}/versions").json()[0]
    assert (newest["version"], newest["event"], newest["cause"]) == (3, "restore", "restore")
    assert newest[kind.entity] == restored.json()
    assert ext(api, "POST", f"/{kind.plural}/{rid}/versions/9/restore").status_code == 404


@BY_NAME
def test_delete_and_restore_keeps_the_id(api: Api, kind: Kind) -> None:
    rid = kind.create(api)["id"]
    before = api.get(f"/{kind.plural}/{rid}").content
    assert api.delete(f"/{kind.plural}/{rid}").status_code == 200
    assert api.get(f"/{kind.plural}/{rid}").status_code == 404
    deleted = ext(api, "GET", f"/{kind.plural}/deleted").json()
    assert [(d[kind.entity]["id"], d["event"]) for d in deleted] == [(rid, "delete")]
    assert ext(api, "GET", f"/{kind.plural}/deleted?after={rid}").json() == []

    restored = ext(api, "POST", f"/{kind.plural}/{rid}/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["id"] == rid
    assert _undated(api.get(f"/{kind.plural}/{rid}").content) == _undated(before)
    assert ext(api, "GET", f"/{kind.plural}/deleted").json() == []
    versions = ext(api, "GET", f"/{kind.plural}/{rid}/versions").json()
    assert [(v["event"], v["cause"]) for v in versions][:2] == [
        ("restore", "restore"),
        ("delete", None),
    ]
    # one that exists is not restored as deleted
    again = ext(api, "POST", f"/{kind.plural}/{rid}/restore")
    assert again.status_code == 422
    label = {"person": "Person", "company": "Company", "opportunity": "Opportunity"}
    assert again.json()["message"] == f"{label[kind.entity]} {rid} is not deleted"
    # the restored record is found by search again (its keys and side rows came back)
    found = api.post(f"/{kind.plural}/search", {"tags": [kind.tag]}).json()
    assert [r["id"] for r in found] == [rid]
    # ids are never reused
    assert kind.create(api)["id"] > rid


def test_a_rolled_back_write_records_no_version(api: Api) -> None:
    person = _person(api)
    company = _company(api)
    runtime_services: Services = api.client.app.state.runtime.services  # type: ignore[attr-defined]

    def refuse(tx: StoreTx, change: Change) -> None:
        if change.event == "update":
            raise RuntimeError("observer failed after the history one")

    runtime_services.observe(refuse)
    try:
        assert api.put(f"/people/{person['id']}", {"title": "Never"}).status_code == 500
        assert api.put(f"/companies/{company['id']}", {"details": "Never"}).status_code == 500
    finally:
        runtime_services.observers.remove(refuse)
    # refused by validation: nothing written either
    bad = api.put(f"/people/{person['id']}", {"emails": [{"email": "not an address"}]})
    assert bad.status_code == 422
    for plural, rid in (("people", person["id"]), ("companies", company["id"])):
        versions = ext(api, "GET", f"/{plural}/{rid}/versions").json()
        assert [v["event"] for v in versions] == ["new"], plural
    assert api.get(f"/people/{person['id']}").json() == person


def test_conversion_records_the_records_it_makes(api: Api) -> None:
    lead = api.create_lead(name="Jane Doe", company_name="Initech")
    converted = api.post(
        f"/leads/{lead['id']}/convert", {"details": {"opportunity": {"name": "Deal"}}}
    )
    assert converted.status_code == 200, converted.text
    body = converted.json()
    for entity, plural in (("person", "people"), ("company", "companies")):
        versions = ext(api, "GET", f"/{plural}/{body[entity]['id']}/versions").json()
        assert [(v["version"], v["event"]) for v in versions] == [(1, "new")]
        assert versions[0]["route"] == "POST /developer_api/v1/leads/{id}/convert"
        assert versions[0][entity] == body[entity]
    opportunity = body["opportunity"]
    versions = ext(api, "GET", f"/opportunities/{opportunity['id']}/versions").json()
    assert [(v["event"], v["opportunity"]) for v in versions] == [("new", opportunity)]


def test_restore_follows_the_account_as_it_is_now(api: Api) -> None:
    company = _company(api)
    person = _ok(api.post("/people", {"name": "Pat", "company_id": company["id"]}))
    assert person["company_name"] == "Analytical Engines"
    api.put(f"/people/{person['id']}", {"title": "Boss"})
    api.put(f"/companies/{company['id']}", {"name": "Difference Engines"})
    # a company renamed since: its current name
    renamed = ext(api, "POST", f"/people/{person['id']}/versions/1/restore").json()
    assert (renamed["company_id"], renamed["company_name"]) == (
        company["id"],
        "Difference Engines",
    )
    # a company deleted since: no company
    api.delete(f"/companies/{company['id']}")
    gone = ext(api, "POST", f"/people/{person['id']}/versions/1/restore").json()
    assert (gone["company_id"], gone["company_name"], gone["title"]) == (None, None, None)
    # an address another person took since is refused
    ada = _person(api, "ada@example.com")
    api.delete(f"/people/{ada['id']}")
    _ok(api.post("/people", {"name": "Ada II", "emails": [{"email": "ada@example.com"}]}))
    taken = ext(api, "POST", f"/people/{ada['id']}/restore")
    assert taken.status_code == 422, taken.text
    assert taken.json()["errors"] == {"emails": [{"error": "taken"}]}
    assert api.get(f"/people/{ada['id']}").status_code == 404


def test_a_restored_opportunity_loses_a_contact_deleted_since(api: Api) -> None:
    opportunity = _opportunity(api)
    api.put(f"/opportunities/{opportunity['id']}", {"details": "x"})
    assert api.delete(f"/people/{opportunity['primary_contact_id']}").status_code == 200
    back = ext(api, "POST", f"/opportunities/{opportunity['id']}/versions/1/restore")
    assert back.status_code == 200, back.text
    assert (back.json()["primary_contact_id"], back.json()["details"]) == (None, None)


def test_a_restore_that_moves_an_opportunity_logs_the_stage(api: Api, store: Store) -> None:
    opportunity = _opportunity(api)
    stages = next(p for p in api.get("/pipelines").json() if p["name"] == "Sales")["stages"]
    moved = api.put(f"/opportunities/{opportunity['id']}", {"pipeline_stage_id": stages[2]["id"]})
    assert moved.status_code == 200, moved.text
    back = ext(api, "POST", f"/opportunities/{opportunity['id']}/versions/1/restore").json()
    assert back["pipeline_stage_id"] == stages[0]["id"]
    with store.transaction(write=False) as tx:
        from verdigris.domain.activities import ActivityQuery

        logged = tx.activities.page(
            api.principal.account_id, "opportunity", opportunity["id"], ActivityQuery()
        )
    moves = [(a.old_value, a.new_value) for a in logged]
    assert len(moves) == 2
    assert (
        {"id": stages[2]["id"], "name": stages[2]["name"]},
        {"id": stages[0]["id"], "name": stages[0]["name"]},
    ) in moves


@BY_NAME
def test_another_account_gets_404_everywhere(api: Api, other_api: Api, kind: Kind) -> None:
    rid = kind.create(api)["id"]
    api.put(f"/{kind.plural}/{rid}", kind.update)
    gone = kind.create(api)["id"]
    api.delete(f"/{kind.plural}/{gone}")
    for method, path in (
        ("GET", f"/{kind.plural}/{rid}/versions"),
        ("GET", f"/{kind.plural}/{rid}/versions/1"),
        ("GET", f"/{kind.plural}/{rid}/diff?from=1&to=2"),
        ("POST", f"/{kind.plural}/{rid}/versions/1/restore"),
        ("GET", f"/{kind.plural}/{gone}/versions"),
        ("POST", f"/{kind.plural}/{gone}/versions/1/restore"),
        ("POST", f"/{kind.plural}/{gone}/restore"),
    ):
        answer = ext(other_api, method, path)
        assert answer.status_code == 404, (method, path)
        assert answer.json() == {"success": False, "status": 404, "message": "Resource not found"}
    assert ext(other_api, "GET", f"/{kind.plural}/deleted").json() == []
    # and nothing of theirs changed
    assert api.get(f"/{kind.plural}/{gone}").status_code == 404
    assert len(ext(api, "GET", f"/{kind.plural}/{rid}/versions").json()) == 2
    # bad parameters, as on the lead routes
    bad = ext(api, "GET", f"/{kind.plural}/{rid}/versions?limit=0")
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"limit": [{"error": "invalid"}]}
    blank = ext(api, "GET", f"/{kind.plural}/{rid}/diff?from=1")
    assert blank.status_code == 422
    assert blank.json()["message"] == f"from and to must be version numbers of this {kind.entity}"
    assert api.client.get(EXT + f"/{kind.plural}/{rid}/versions").status_code == 401


def test_a_record_older_than_its_history_gets_a_baseline(api: Api, services: Services) -> None:
    made = services.create_person(api.principal, {"name": "Old"}).record  # no observer
    assert ext(api, "GET", f"/people/{made.id}/versions").status_code == 404
    api.put(f"/people/{made.id}", {"title": "New"})
    versions = ext(api, "GET", f"/people/{made.id}/versions").json()
    assert [(v["version"], v["event"], v["person"]["title"]) for v in versions] == [
        (2, "update", "New"),
        (1, "baseline", None),
    ]
    assert versions[1]["route"] is None and versions[1]["user_id"] is None


def test_retention_prunes_these_versions_too(api: Api, services: Services) -> None:
    company = _company(api)
    for n in range(4):
        api.put(f"/companies/{company['id']}", {"details": f"d{n}"})
    lead = api.create_lead(name="Kept")
    api.put(f"/leads/{lead['id']}", {"title": "t"})
    # per record: the company keeps 2 of 5, the lead 2 of 2
    assert services.prune_history(older_than=None, keep=2) == 3
    versions = ext(api, "GET", f"/companies/{company['id']}/versions").json()
    assert [v["version"] for v in versions] == [5, 4]
    assert services.prune_history(older_than=services.clock() + 1, keep=None) == 4
    assert ext(api, "GET", f"/companies/{company['id']}/versions").status_code == 404
