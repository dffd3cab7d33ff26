"""A real ``verdigris serve`` process over loopback: concurrency and the CLI's start-up."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import LiveServer, start_server, stop_server
from verdigris.store import normalize_url

pytestmark = pytest.mark.slow


@pytest.fixture
def server(live_db: str) -> Iterator[LiveServer]:
    srv = start_server(live_db, "--no-rate-limits")
    yield srv
    stop_server(srv)


def _count(db_url: str, email: str) -> int:
    engine = sa.create_engine(normalize_url(db_url))
    with engine.connect() as conn:
        n = conn.execute(
            sa.text("SELECT count(*) FROM leads WHERE email_norm = :e"), {"e": email}
        ).scalar_one()
    engine.dispose()
    return int(n)


def test_fifty_concurrent_upserts_of_one_new_email_make_one_lead(
    server: LiveServer, live_db: str
) -> None:
    body = {
        "properties": {"name": "Racer", "email": {"email": "race@example.com", "category": "work"}},
        "match": {"field_name": "email", "field_value": "race@example.com"},
    }

    def one(i: int) -> tuple[int, int]:
        with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=60) as c:
            r = c.put("/developer_api/v1/leads/upsert", json=body)
            return r.status_code, r.json().get("id", -1)

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(one, range(50)))
    assert [code for code, _ in results] == [200] * 50
    assert len({lead_id for _, lead_id in results}) == 1
    assert _count(live_db, "race@example.com") == 1


def test_readme_curl_flow(server: LiveServer) -> None:
    """The README's example: create a lead, then read it back."""
    with httpx.Client(base_url=server.base_url, headers=server.headers) as c:
        created = c.post("/developer_api/v1/leads", json={"name": "My Lead"})
        assert created.status_code == 200
        lead_id = created.json()["id"]
        fetched = c.get(f"/developer_api/v1/leads/{lead_id}")
        assert fetched.json()["first_name"] == "My"


def test_fifty_concurrent_upserts_of_one_new_custom_value_make_one_lead(
    server: LiveServer, live_db: str
) -> None:
    with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=60) as c:
        created = c.post(
            "/developer_api/v1/custom_field_definitions",
            json={
                "name": "External ID",
                "data_type": "String",
                "available_on": ["lead"],
                "is_filterable": True,
            },
        )
        assert created.status_code == 200, created.text
    definition_id = created.json()["id"]
    body = {
        "properties": {"name": "Custom Racer"},
        "match": {
            "field_name": "custom",
            "field_value": {"custom_field_definition_id": str(definition_id), "value": "ext-42"},
        },
    }

    def one(i: int) -> tuple[int, int]:
        with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=60) as c:
            r = c.put("/developer_api/v1/leads/upsert", json=body)
            return r.status_code, r.json().get("id", -1)

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(one, range(50)))
    assert [code for code, _ in results] == [200] * 50
    assert len({lead_id for _, lead_id in results}) == 1
    engine = sa.create_engine(normalize_url(live_db))
    with engine.connect() as conn:
        leads = conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one()
        holders = conn.execute(
            sa.text(
                "SELECT count(DISTINCT lead_id) FROM lead_custom_values "
                "WHERE definition_id = :d AND value_key = 'ext-42'"
            ),
            {"d": definition_id},
        ).scalar_one()
    engine.dispose()
    assert (leads, holders) == (1, 1)
