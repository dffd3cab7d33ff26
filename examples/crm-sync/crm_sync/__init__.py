"""Send sign-ups to Copper as leads (upsert by email), with Copper's headers."""

from __future__ import annotations

import time
from typing import Any

import httpx


class CopperSync:
    def __init__(self, base_url: str, token: str, email: str) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers={
                "X-PW-AccessToken": token,
                "X-PW-Application": "developer_api",
                "X-PW-UserEmail": email,
            },
            timeout=10,
        )

    def signup(self, name: str, email: str, attempts: int = 3) -> dict[str, Any]:
        """Upsert the lead of a sign-up; waits out a 429's Retry-After."""
        body = {
            "properties": {"name": name, "email": {"email": email, "category": "work"}},
            "match": {"field_name": "email", "field_value": email},
        }
        for _ in range(attempts):
            response = self.http.put("/leads/upsert", json=body)
            if response.status_code == 429:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            response.raise_for_status()
            result: dict[str, Any] = response.json()
            return result
        raise RuntimeError("Copper kept rate limiting")

    def count(self) -> int:
        response = self.http.post("/leads/search", json={"page_size": 1})
        response.raise_for_status()
        return int(response.headers["X-PW-TOTAL"])
