"""A bulk update's lead versions are numbered as the same writes made one PUT at a time
would number them (issue 20: a bulk request's versions are added together, their
numbers read once, ``History.together``); both engines."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from verdigris.services import Services

EXT = "/verdigris/v1"


def _versions(api: Api, lead_id: int) -> list[tuple[int, str, Any]]:
    """(number, event, title) of the lead's versions, oldest first."""
    answer = api.client.get(f"{EXT}/leads/{lead_id}/versions", headers=api.headers)
    assert answer.status_code == 200, answer.text
    return [(v["version"], v["event"], v["lead"]["title"]) for v in reversed(answer.json())]


def _leads(api: Api, services: Services) -> dict[str, int]:
    """Three leads older than their history (no version) and one made over HTTP (v1)."""
    old = {
        name: services.create_lead(api.principal, {"name": name, "title": "t0"}).lead.id
        for name in ("a", "b", "c")
    }
    return {**old, "d": api.create_lead(name="d", title="t0")["id"]}


# the writes of both runs: (lead, new title), in order, in requests
REQUESTS = [
    [("a", "t1"), ("b", "t1"), ("d", "t1"), ("a", "t2")],
    [("b", "t2"), ("c", "t1"), ("d", "t2")],
]


def test_bulk_update_numbers_versions_as_single_updates_do(api: Api, services: Services) -> None:
    bulk, single = _leads(api, services), _leads(api, services)
    for request in REQUESTS:
        items = [{"id": bulk[name], "title": title} for name, title in request]
        answer = api.post("/leads/bulk_update", {"leads": items})
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-Verdigris-Results"] == ",".join(["updated"] * len(items))
        for name, title in request:
            assert api.put(f"/leads/{single[name]}", {"title": title}).status_code == 200

    expected = {
        # older than its history: the state before its first write as 1, that write 2
        "a": [(1, "baseline", "t0"), (2, "update", "t1"), (3, "update", "t2")],
        "b": [(1, "baseline", "t0"), (2, "update", "t1"), (3, "update", "t2")],
        "c": [(1, "baseline", "t0"), (2, "update", "t1")],
        # made with the history on: its newest plus one
        "d": [(1, "new", "t0"), (2, "update", "t1"), (3, "update", "t2")],
    }
    for name, versions in expected.items():
        assert _versions(api, bulk[name]) == versions, name
        assert _versions(api, single[name]) == versions, name

    # a baseline holds the lead as it was before its first write
    one = api.client.get(f"{EXT}/leads/{bulk['a']}/versions/1", headers=api.headers).json()
    assert one["lead"]["name"] == "a" and one["route"] is None
    two = api.client.get(f"{EXT}/leads/{bulk['a']}/versions/2", headers=api.headers).json()
    assert two["route"] == "POST /developer_api/v1/leads/bulk_update"


def test_a_failed_item_numbers_the_others_as_before(api: Api, services: Services) -> None:
    """A bulk request with a failing item runs its items again, one savepoint each: the
    numbers read for the first pass, rolled back, are not used."""
    leads = _leads(api, services)
    items = [{"id": leads["a"], "title": "t1"}, {"id": leads["d"], "email": {"email": "bad"}}]
    answer = api.post("/leads/bulk_update", {"leads": items})
    assert answer.headers["X-Verdigris-Results"] == "updated,failed"
    assert _versions(api, leads["a"]) == [(1, "baseline", "t0"), (2, "update", "t1")]
    assert _versions(api, leads["d"]) == [(1, "new", "t0")]
    items = [{"id": leads["a"], "title": "t2"}, {"id": leads["d"], "title": "t1"}]
    assert api.post("/leads/bulk_update", {"leads": items}).status_code == 200
    assert _versions(api, leads["a"])[-1] == (3, "update", "t2")
    assert _versions(api, leads["d"])[-1] == (2, "update", "t1")
