"""Every route's answer, byte for byte, on a fixed data set and a frozen clock.

The requests below touch each route of the API (successes and the usual errors) on a fresh
database; their answers (status, the headers clients read, the body's exact bytes) are kept
in ``tests/data/wire_golden.json``. A refactoring that is meant to change nothing on the
wire must leave this file as it is; a change that is meant to change the wire regenerates
it on purpose and shows the difference in review::

    VERDIGRIS_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/server/test_wire_golden.py -k sqlite

Both engines replay the same requests against the same file.

Each area of the API may add a scenario of its own: a module in ``tests/server/golden/``
with a ``steps()`` function (each scenario starts on a fresh database, so its ids start at
1) and its answers in ``tests/data/wire_golden_<module>.json``. The scenario above is
``leads`` (``tests/data/wire_golden.json``). Together they must reach every route.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.conftest import ENGINES, POSTGRES_URL
from tests.server.golden import SCENARIOS, Step
from verdigris.config import Settings
from verdigris.server.app import all_routes, create_app
from verdigris.server.routes import COPPER_BASE
from verdigris.services import Services
from verdigris.store import normalize_url, open_store
from verdigris.store.base import Store

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "wire_golden.json"
FROZEN = 1_767_225_600  # 2026-01-01T00:00:00Z
#: the response headers a Copper client reads (Date and the like are left out)
HEADERS = ("content-type", "x-pw-total", "allow", "retry-after")


def _steps() -> list[Step]:
    """The scenario: ids are those a fresh database hands out in this order."""
    lead = {
        "name": "Dr. Ada M. Lovelace Jr.",
        "email": {"email": "ada@example.com", "category": "work"},
        "phone_numbers": [
            {"number": "+1 (408) 555-1234", "category": "mobile"},
            {"number": "415-999-4321", "category": "work"},
        ],
        "address": {
            "street": "1 Analytical Way",
            "city": "London",
            "state": "LDN",
            "postal_code": "NW1",
            "country": "GB",
        },
        "tags": ["vip", "engines"],
        "socials": [{"url": "https://twitter.test/ada", "category": "twitter"}],
        "websites": [{"url": "https://ada.test", "category": "personal"}],
        "title": "Countess",
        "company_name": "Analytical Engines",
        "details": "First programmer",
        "monetary_value": 1500,
        "monetary_unit": "usd",
        "custom_fields": [
            {"custom_field_definition_id": 1, "value": "Tall"},
            {"custom_field_definition_id": 2, "value": 2},
            {"custom_field_definition_id": 3, "value": 12.5},
        ],
    }
    return [
        ("GET", "/account", None),
        ("GET", "/users", None),
        ("GET", "/users/me", None),
        ("GET", "/users/1", None),
        ("POST", "/users/search", {}),
        ("GET", "/lead_statuses", None),
        ("GET", "/customer_sources", None),
        ("GET", "/pipelines", None),
        ("GET", "/pipeline_stages", None),
        ("GET", "/contact_types", None),
        # custom field definitions: 1 String, 2 Dropdown (options 1-2), 3 Float
        (
            "POST",
            "/custom_field_definitions",
            {"name": "Height", "data_type": "String", "available_on": ["lead"]},
        ),
        (
            "POST",
            "/custom_field_definitions",
            {
                "name": "Size",
                "data_type": "Dropdown",
                "available_on": ["lead", "person"],
                "is_filterable": True,
                "options": [{"name": "S"}, {"name": "L"}],
            },
        ),
        (
            "POST",
            "/custom_field_definitions",
            {"name": "Score", "data_type": "Float", "available_on": ["lead"]},
        ),
        ("POST", "/custom_field_definitions", {"name": "Bad", "data_type": "Nope"}),
        ("GET", "/custom_field_definitions", None),
        ("GET", "/custom_field_definitions/2", None),
        ("PUT", "/custom_field_definitions/3", {"name": "Rating"}),
        ("GET", "/custom_field_definitions/99", None),
        # leads
        ("POST", "/leads", lead),
        (
            "POST",
            "/leads",
            {
                "name": "Grace Hopper",
                "email": {"email": "grace@example.com", "category": "work"},
                "tags": ["navy"],
            },
        ),
        ("POST", "/leads", {"first_name": "Alan", "last_name": "Turing"}),
        ("POST", "/leads", {"email": {"email": "not an email", "category": "work"}}),
        ("GET", "/leads/1", None),
        ("GET", "/leads/1?custom_field_computed_values=true", None),
        ("GET", "/leads/999", None),
        ("PUT", "/leads/1", {"title": "Countess of Lovelace", "tags": ["vip"]}),
        ("PUT", "/leads/1", {"title": "Countess of Lovelace"}),
        (
            "PUT",
            "/leads/2",
            {
                "status": "Contacted",
                "custom_fields": [{"custom_field_definition_id": "2", "value": 1}],
            },
        ),
        (
            "PUT",
            "/leads/upsert",
            {
                "properties": {"name": "Ada", "title": "Upserted"},
                "match": {"field_name": "email", "field_value": "ADA@example.com"},
            },
        ),
        (
            "PUT",
            "/leads/upsert",
            {
                "properties": {
                    "name": "Linus Torvalds",
                    "email": {"email": "linus@example.com", "category": "work"},
                },
                "match": {"field_name": "email", "field_value": "linus@example.com"},
            },
        ),
        (
            "PUT",
            "/leads/upsert",
            {"properties": {"title": "x"}, "match": {"field_name": "phone", "field_value": "1"}},
        ),
        (
            "POST",
            "/leads/bulk_create",
            {
                "leads": [
                    {
                        "name": "Twin One",
                        "email": {"email": "twin@example.com", "category": "work"},
                    },
                    {
                        "name": "Twin Two",
                        "email": {"email": "twin@example.com", "category": "work"},
                    },
                    {"name": ""},
                ]
            },
        ),
        (
            "PUT",
            "/leads/upsert",
            {
                "properties": {"title": "x"},
                "match": {"field_name": "email", "field_value": "twin@example.com"},
            },
        ),
        (
            "POST",
            "/leads/bulk_update",
            {
                "leads": [
                    {"id": 3, "title": "Mathematician"},
                    {"id": 4, "name": None},
                    {"id": 999, "title": "Nobody"},
                ]
            },
        ),
        ("POST", "/leads/bulk_update", {"leads": [{"id": i} for i in range(1, 12)]}),
        # search
        ("POST", "/leads/search", {}),
        ("POST", "/leads/search", {"name": "ada"}),
        ("POST", "/leads/search", {"emails": ["grace@example.com"]}),
        ("POST", "/leads/search", {"tags": ["vip"], "sort_by": "date_created"}),
        (
            "POST",
            "/leads/search",
            {"page_size": 2, "page_number": 2, "sort_by": "name", "sort_direction": "desc"},
        ),
        (
            "POST",
            "/leads/search",
            {"custom_fields": [{"custom_field_definition_id": 2, "value": [1]}]},
        ),
        ("POST", "/leads/search?page_size=1&sort_by=name", None),
        ("POST", "/leads/search", {"page_size": 500}),
        ("POST", "/leads/search", {"email": "ada@example.com"}),
        ("POST", "/leads/1/activities", {}),
        # conversion
        (
            "POST",
            "/leads/3/convert",
            {
                "details": {
                    "person": {"name": "Alan Turing"},
                    "company": {"name": "Bletchley Park"},
                    "opportunity": {"name": "Enigma", "monetary_value": 1000},
                }
            },
        ),
        ("POST", "/leads/3/convert", {"details": {}}),
        ("GET", "/people/1", None),
        ("GET", "/companies/1", None),
        ("GET", "/opportunities/1", None),
        (
            "POST",
            "/leads/1/convert?custom_field_computed_values=true",
            {"details": {"person": {"name": "Ada Lovelace"}}},
        ),
        ("DELETE", "/people/1", None),
        ("DELETE", "/companies/1", None),
        ("DELETE", "/opportunities/1", None),
        ("GET", "/people/1", None),
        # deletes
        ("DELETE", "/leads/2", None),
        ("GET", "/leads/2", None),
        ("DELETE", "/leads/2", None),
        ("DELETE", "/custom_field_definitions/3", None),
        ("GET", "/leads/1", None),
        # envelope errors
        ("GET", "/nowhere", None),
        ("PATCH", "/leads/1", {}),
        ("POST", "/leads", "{not json"),
    ]


@pytest.fixture(params=ENGINES)
def fresh_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A database of this test's own, so ids start at 1 on every engine."""
    if request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'golden.db'}")
        store.migrate()
        yield store
        store.close()
        return
    request.getfixturevalue("postgres_url")  # skips or fails loudly without PostgreSQL
    admin = sa.create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    schema = f"vgold_{os.getpid()}_{secrets.token_hex(3)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    store = open_store(f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}")
    try:
        store.migrate()
        yield store
    finally:
        store.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _scenarios() -> dict[str, Callable[[], list[Step]]]:
    return {"leads": _steps, **SCENARIOS}


def _golden(name: str) -> Path:
    return GOLDEN if name == "leads" else GOLDEN.with_name(f"wire_golden_{name}.json")


def _replay(store: Store, steps: list[Step], *, with_openapi: bool = True) -> list[dict[str, Any]]:
    _user, token = Services(store).add_user("ada@example.com", account="Acme")
    auth = {
        "X-PW-AccessToken": token,
        "X-PW-Application": "developer_api",
        "X-PW-UserEmail": "ada@example.com",
    }
    app = create_app(Settings(rate_limits=False), store=store)
    answers = []
    with TestClient(app, raise_server_exceptions=False) as client:
        if with_openapi:  # recorded once, in the leads scenario
            response = client.get("/openapi.json")
            answers.append(_answer("GET", "/openapi.json", None, response))
        for method, path, body in steps:
            kw: dict[str, Any] = {"headers": {**auth, "Content-Type": "application/json"}}
            if isinstance(body, str):
                kw["content"] = body.encode()
            elif body is not None:
                kw["content"] = json.dumps(body).encode()
            full = path if path.startswith("/verdigris/") else "/developer_api/v1" + path
            response = client.request(method, full, **kw)
            answers.append(_answer(method, path, body, response))
    answers.append(
        _answer("GET", "/account (no key)", None, TestClient(app).get("/developer_api/v1/account"))
    )
    return answers


_REQUEST_ID = re.compile(r'"request_id":"[0-9a-f]{16}"')


def _answer(method: str, path: str, body: Any, response: Any) -> dict[str, Any]:
    return {
        "request": f"{method} {path}",
        "status": response.status_code,
        "headers": {h: response.headers[h] for h in HEADERS if h in response.headers},
        # request ids are drawn at random (X-Verdigris-Request-Id, kept in lead versions)
        "body": _REQUEST_ID.sub('"request_id":"(random)"', response.content.decode()),
    }


@pytest.mark.parametrize("scenario", sorted(_scenarios()))
def test_every_route_answers_as_recorded(
    fresh_store: Store, scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time", lambda: float(FROZEN))
    answers = _replay(fresh_store, _scenarios()[scenario](), with_openapi=scenario == "leads")
    golden = _golden(scenario)
    if os.environ.get("VERDIGRIS_UPDATE_GOLDEN") == "1":
        golden.write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n")
    recorded = json.loads(golden.read_text())
    assert [a["request"] for a in answers] == [r["request"] for r in recorded]
    for got, want in zip(answers, recorded, strict=True):
        assert got == want, f"{got['request']} answers differently"


def test_the_scenarios_reach_every_route() -> None:
    sent = [f"{m} {p}".split("?")[0] for steps in _scenarios().values() for m, p, _ in steps()]
    for spec in all_routes():
        path = spec.path if spec.base == COPPER_BASE else spec.full_path
        pattern = re.compile(spec.method + " /" + re.sub(r"\{[^}]+\}", "[^/]+", path[1:]))
        assert any(pattern.fullmatch(s) for s in sent), f"no step reaches {spec.method} {spec.path}"
