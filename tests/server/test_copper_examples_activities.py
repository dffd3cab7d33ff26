"""Copper's documented activity examples (tests/data/copper_examples/activities.json),
replayed: each request is sent as Copper shows it, and the answer must have the keys, key
order and values of Copper's example. Copper's ids are mapped onto this account's own
records first (Copper's user 137658 is the caller); new ids and timestamps are compared
as "some integer"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api

EXAMPLES = json.loads(
    (Path(__file__).resolve().parent.parent / "data/copper_examples/activities.json").read_text()
)["examples"]
#: values that differ from account to account and from moment to moment
VARYING = frozenset(("id", "activity_date", "date_created", "date_modified"))
ANY_INT = "<int>"


def _map(value: Any, ids: dict[int, int]) -> Any:
    """``value`` with Copper's ids replaced by the replay's (every int found in ``ids``)."""
    if isinstance(value, dict):
        return {k: _map(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_map(v, ids) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return ids.get(value, value)
    return value


def _normal(value: Any, ids: set[int], key: str = "") -> Any:
    """Varying values (not mapped ids) as :data:`ANY_INT`; dicts as (key, value) lists,
    so that key order counts."""
    if isinstance(value, dict):
        return [(k, _normal(v, ids, k)) for k, v in value.items()]
    if isinstance(value, list):
        return [_normal(v, ids) for v in value]
    if key in VARYING and isinstance(value, int) and value not in ids:
        return ANY_INT
    return value


@pytest.fixture
def copper_ids(api: Api) -> dict[int, int]:
    """Copper's example ids -> records of this account made to stand for them."""
    lead = api.create_lead(name="Example Person", company_name="Example Co")
    made = api.post(
        f"/leads/{lead['id']}/convert", {"details": {"company": {"name": "Example Co"}}}
    ).json()
    types = {t["name"]: t["id"] for t in api.get("/activity_types").json()["user"]}
    person, company = made["person"]["id"], made["company"]["id"]

    def logged(parent: dict[str, Any], type_id: int, details: str) -> int:
        body = {"parent": parent, "type": {"category": "user", "id": type_id}, "details": details}
        return int(api.post("/activities", body).json()["id"])

    demo = logged({"type": "company", "id": company}, types["Phone Call"], "Demo phone call")
    doomed = logged({"type": "person", "id": person}, 0, "to be deleted")
    return {
        27140359: person,
        9607580: company,
        190711: types["Phone Call"],
        190712: types["Meeting"],
        3061844454: demo,
        99999999: doomed,
        137658: api.principal.user_id,
    }


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_copper_example(api: Api, copper_ids: dict[int, int], example: dict[str, Any]) -> None:
    request = _map(example["request"], copper_ids)
    if isinstance(request, dict) and request.get("activities") == "ELEVEN_NOTES":
        note = {"parent": {"type": "person", "id": copper_ids[27140359]}, "details": "n"}
        request["activities"] = [{**note, "type": {"category": "user", "id": 0}}] * 11
    path = str(_map_path(example["path"], copper_ids))
    response = api.request(example["method"], path, request)
    assert response.status_code == example.get("status", 200), response.text
    want = _map(example["response"], copper_ids)
    got = response.json()
    if example.get("first_user_types"):
        want["user"] = want["user"][: example["first_user_types"]]
    mapped = set(copper_ids.values()) | {0, 1, 3}
    if example.get("shape_only"):
        assert got, "the search found nothing"
        shapes = {tuple(k for k, _ in _normal(item, mapped)) for item in want}
        assert all(tuple(item) in shapes for item in got)
        assert [a["activity_date"] for a in got] == sorted(
            (a["activity_date"] for a in got), reverse=True
        )
        return
    assert _normal(got, mapped) == _normal(want, mapped)


def _map_path(path: str, ids: dict[int, int]) -> str:
    head, _, last = path.rpartition("/")
    return f"{head}/{ids[int(last)]}" if last.isdigit() else path
