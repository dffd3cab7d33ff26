"""Copper's documented examples of the opportunity routes, replayed on every engine
(tests/data/copper_examples/opportunities.json says where they come from and how ids,
timestamps and custom fields are compared)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api
from tests.server.test_convert_api import convert
from verdigris.services import Services

EXAMPLES = json.loads(
    (Path(__file__).parent.parent / "data" / "copper_examples" / "opportunities.json").read_text()
)
#: the opportunity fields a given record is created with
_CREATED_WITH = (
    "name",
    "close_date",
    "customer_source_id",
    "details",
    "monetary_value",
    "pipeline_id",
    "pipeline_stage_id",
    "priority",
    "status",
    "tags",
    "win_probability",
    "loss_reason_id",
    "assignee_id",
)


def _person(api: Api, name: str, company: str | None) -> dict[str, Any]:
    lead = api.create_lead(name=name, company_name=company)
    return dict(convert(api, lead["id"], {"person": {}})["person"])


def _given(api: Api, services: Services) -> dict[int, int]:
    """Make the records the examples name; Copper's ids -> verdigris's."""
    given = EXAMPLES["given"]
    ids: dict[int, int] = {}
    with services.store.transaction(write=True) as tx:
        for pipeline in given["pipelines"][1:]:
            stages = [(s["name"], s["win_probability"]) for s in pipeline["stages"]]
            tx.crm.add_pipeline(api.principal.account_id, pipeline["name"], stages)
    ours = {p["name"]: p for p in api.get("/pipelines").json()}
    for pipeline in given["pipelines"]:
        mine = ours[pipeline["name"]]
        ids[pipeline["id"]] = mine["id"]
        for stage, local in zip(pipeline["stages"], mine["stages"], strict=True):
            ids[stage["id"]] = local["id"]
    for key in ("customer_sources", "loss_reasons"):
        by_name = {r["name"]: r["id"] for r in api.get("/" + key).json()}
        ids.update({r["id"]: by_name[r["name"]] for r in given[key]})
    for person in given["people"]:
        made = _person(api, person["name"], person["company_name"])
        ids[person["id"]] = made["id"]
        ids[person["company_id"]] = made["company_id"]
    for opportunity in given["opportunities"]:
        contact = _person(api, "Contact of " + opportunity["name"], opportunity["company_name"])
        ids[opportunity["company_id"]] = contact["company_id"]
        body = {k: _local(opportunity[k], ids) for k in _CREATED_WITH if k in opportunity}
        response = api.post("/opportunities", {**body, "primary_contact_id": contact["id"]})
        assert response.status_code == 200, response.text
        made = response.json()
        ids[opportunity["id"]] = made["id"]
        if opportunity["primary_contact_id"] is None:
            cleared = api.put(f"/opportunities/{made['id']}", {"primary_contact_id": None})
            assert cleared.status_code == 200, cleared.text
    return ids


def _local(value: Any, ids: dict[int, int]) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return ids.get(value, value)
    return value


def _path(path: str, ids: dict[int, int]) -> str:
    parts = path.split("/")
    return "/".join(str(ids.get(int(p), p)) if p.isdigit() else p for p in parts)


def _same(expected: Any, actual: Any, ids: dict[int, int], where: str) -> None:
    """``actual`` is what Copper's example shows, up to ids, timestamps and custom fields."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        keys = [k for k in actual if k in expected]
        assert keys == list(expected), f"{where}: {list(expected)} not in order in {list(actual)}"
        for key, value in expected.items():
            at = f"{where}.{key}"
            if key.startswith("date_") and isinstance(value, int):
                assert isinstance(actual[key], int), at
            elif key == "custom_fields":
                assert isinstance(actual[key], list), at
            elif (key == "id" or key.endswith("_id")) and isinstance(value, int):
                if value in ids:
                    assert actual[key] == ids[value], at
                else:  # a record the example creates: any id
                    assert isinstance(actual[key], int), at
            else:
                _same(value, actual[key], ids, at)
    elif isinstance(expected, list):
        assert isinstance(actual, list), where
        assert len(actual) == len(expected), f"{where}: {len(actual)} items, not {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _same(e, a, ids, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


@pytest.mark.parametrize("example", EXAMPLES["examples"], ids=lambda e: e["title"])
def test_copper_example(api: Api, services: Services, example: dict[str, Any]) -> None:
    ids = _given(api, services)
    request = example["request"]
    if isinstance(request, dict):
        request = {k: _local(v, ids) for k, v in request.items()}
    response = api.request(example["method"], _path(example["path"], ids), request)
    assert response.status_code == 200, response.text
    answer = response.json()
    expected = example["response"]
    if example.get("prefix"):
        answer = answer[: len(expected)]
    _same(expected, answer, ids, example["title"])
