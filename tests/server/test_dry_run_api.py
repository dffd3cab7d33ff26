"""Dry runs (issue 19): ``?dry_run=true`` or ``X-Verdigris-Dry-Run: true`` answers what the
call would, and the database is byte-identical afterwards (a dump before and after);
both engines."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Api
from verdigris.store import schema
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore


def dump(store: Store) -> list[Any]:
    """Every row of every table, in order (SQLite: ``iterdump``, sequences included)."""
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            raw = conn.connection.dbapi_connection
            assert raw is not None
            return list(raw.iterdump())
        rows: list[Any] = []
        for table in schema.metadata.sorted_tables:
            rows.append(table.name)
            rows.extend(tuple(r) for r in conn.execute(sa.select(table).order_by(*table.c)))
        return rows


def _same_answer(dry: bytes, real: bytes, *, ids: bool) -> None:
    # the two calls may straddle a second: every timestamp the answer takes from the clock
    stamp = rb'"(date_created|date_modified|converted_timestamp)":\d+'
    norm = [re.sub(stamp, b'"date":0', b) for b in (dry, real)]
    if not ids:  # PostgreSQL's sequences hand out an id even to a rolled back insert
        norm = [re.sub(rb'"id":\d+', b'"id":0', b) for b in norm]
    assert norm[0] == norm[1]


CALLS: list[tuple[str, str, Any]] = [
    (
        "POST",
        "/leads",
        {"name": "New Lead", "email": {"email": "n@example.com", "category": "work"}},
    ),
    (
        "PUT",
        "/leads/upsert",
        {
            "properties": {"title": "Upserted"},
            "match": {"field_name": "email", "field_value": "ada@example.com"},
        },
    ),
    (
        "PUT",
        "/leads/upsert",
        {
            "properties": {"name": "Made", "title": "Made"},
            "match": {"field_name": "email", "field_value": "nobody@example.com"},
        },
    ),
    ("PUT", "/leads/{id}", {"title": "Updated", "status": "Contacted"}),
    ("POST", "/leads/bulk_update", {"leads": [{"id": "{id}", "title": "B"}, {"id": 999}]}),
    ("POST", "/leads/bulk_create", {"leads": [{"name": "B1"}, {"name": "B2"}, {"email": 1}]}),
    ("POST", "/leads/{id}/convert", {"details": {"person": {"name": "Ada P"}}}),
]


@pytest.mark.parametrize("how", ["query", "header"])
@pytest.mark.parametrize("call", range(len(CALLS)), ids=[f"{m} {p}" for m, p, _ in CALLS])
def test_a_dry_run_writes_nothing_and_answers_as_the_call(
    api: Api, store: Store, call: int, how: str
) -> None:
    lead = api.create_lead(name="Ada", email={"email": "ada@example.com", "category": "work"})
    api.put(f"/leads/{lead['id']}", {"tags": ["x"]})  # a history to keep
    method, path, body = CALLS[call]
    path = path.replace("{id}", str(lead["id"]))
    if isinstance(body, dict) and "leads" in body:
        body = {
            "leads": [
                {**i, "id": lead["id"]} if i.get("id") == "{id}" else i for i in body["leads"]
            ]
        }
    kw: dict[str, Any] = (
        {"params": {"dry_run": "true"}}
        if how == "query"
        else {"headers": {"X-Verdigris-Dry-Run": "true"}}
    )
    before = dump(store)
    dry = api.request(method, path, body, **kw)
    assert dry.status_code == 200, dry.text
    assert dry.headers["X-Verdigris-Dry-Run"] == "true"
    assert dump(store) == before
    real = api.request(method, path, body)
    assert real.status_code == 200
    assert "X-Verdigris-Dry-Run" not in real.headers
    _same_answer(dry.content, real.content, ids=store.url.startswith("sqlite"))
    for header in ("X-Verdigris-Upsert", "X-Verdigris-Results"):
        assert dry.headers.get(header) == real.headers.get(header)


def test_a_failing_dry_run_answers_the_error(api: Api, store: Store) -> None:
    before = dump(store)
    answer = api.post("/leads?dry_run=true", {"email": {"email": "bad", "category": "work"}})
    assert answer.status_code == 422
    assert answer.headers["X-Verdigris-Dry-Run"] == "true"
    assert dump(store) == before


def test_other_routes_ignore_dry_run(api: Api) -> None:
    lead = api.create_lead(name="Gone")
    answer = api.delete(f"/leads/{lead['id']}?dry_run=true")
    assert answer.status_code == 200
    assert "X-Verdigris-Dry-Run" not in answer.headers
    assert api.get(f"/leads/{lead['id']}").status_code == 404
