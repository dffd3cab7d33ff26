"""The request context under concurrency (issue 19): writes that share a group commit
(SQLite) or run in the thread pool (PostgreSQL) each record their own request's id."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.live import Live

pytestmark = pytest.mark.slow


def test_each_version_records_the_request_that_wrote_it(live: Live) -> None:
    headers = {
        "X-PW-AccessToken": live.token,
        "X-PW-Application": "developer_api",
        "X-PW-UserEmail": live.email,
    }
    origin = live.base_url.removesuffix("/developer_api/v1")

    def create(i: int) -> tuple[int, str]:
        with httpx.Client(base_url=live.base_url, headers=headers, timeout=30) as c:
            r = c.post(live.base_url + "/leads", json={"name": f"Racer {i}"})
            return r.json()["id"], r.headers["X-Verdigris-Request-Id"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        made = list(pool.map(create, range(64)))
    assert len({rid for _, rid in made}) == 64
    with httpx.Client(headers=headers, timeout=30) as c:
        for lead_id, request_id in made:
            versions = c.get(f"{origin}/verdigris/v1/leads/{lead_id}/versions").json()
            assert [(v["version"], v["request_id"]) for v in versions] == [(1, request_id)]
