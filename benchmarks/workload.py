"""The scenarios, and the same request bodies as ``bench.lua`` built in Python.

wrk drives the server with ``bench.lua``; the in-process store ceiling and the
one-request probe before each run use :class:`Bodies`, which builds the same
bodies. Keep the two in step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from benchmarks.dataset import CITIES, Dataset, email_of, ext_of

BASE = "/developer_api/v1"


@dataclass(frozen=True)
class Scenario:
    key: str  # the generator's name in bench.lua
    label: str
    method: str
    leads_per_request: int  # leads written or read by one request (search: from the probe)
    writes: bool


SCENARIOS: dict[str, Scenario] = {
    s.key: s
    for s in (
        Scenario("account", "GET /account (HTTP floor)", "GET", 0, False),
        Scenario("upsert_email", "upsert by email", "PUT", 1, True),
        Scenario("upsert_custom", "upsert by custom field", "PUT", 1, True),
        Scenario("put", "PUT /leads/{id}", "PUT", 1, True),
        Scenario("bulk_update", "bulk_update of 10", "POST", 10, True),
        Scenario("search", "search, page of 200", "POST", 200, False),
        Scenario("search_interactions", "search by interactions, page of 200", "POST", 200, False),
        Scenario("get", "GET /leads/{id}", "GET", 1, False),
    )
}
ORDER = tuple(SCENARIOS)
CITY_NAMES = tuple(city for city, _ in CITIES)


class Bodies:
    """Request bodies of the upsert mixes, as ``bench.lua`` makes them."""

    def __init__(self, ds: Dataset, nonce: int, thread_id: int = 1) -> None:
        self.ds = ds
        self.nonce = nonce
        self.thread_id = thread_id
        self.counter = 0
        self.rng = random.Random(nonce * 1000 + thread_id)

    def _index(self) -> int:
        return self.rng.randrange(self.ds.size)

    def _city(self) -> str:
        return self.rng.choice(CITY_NAMES)

    def _fresh(self) -> str:
        return f"new-{self.nonce}-{self.thread_id}-{self.counter}"

    def upsert_email(self) -> dict[str, Any]:
        self.counter += 1
        email = (
            email_of(self._index()) if self.counter % 2 == 0 else f"{self._fresh()}@bench.example"
        )
        return {
            "properties": {
                "name": f"Bench Lead {self.counter}",
                "email": {"email": email, "category": "work"},
                "title": "Buyer",
                "company_name": "Bench Co",
                "phone_numbers": [{"number": "+1 415 555 0100", "category": "work"}],
                "address": {"city": self._city(), "country": "US"},
                "tags": ["bench"],
            },
            "match": {"field_name": "email", "field_value": email},
        }

    def upsert_custom(self) -> dict[str, Any]:
        self.counter += 1
        value = ext_of(self._index()) if self.counter % 2 == 0 else self._fresh()
        def_id = self.ds.definition_id
        return {
            "properties": {
                "name": f"Bench Lead {self.counter}",
                "title": "Buyer",
                "company_name": "Bench Co",
                "address": {"city": self._city(), "country": "US"},
                "custom_fields": [{"custom_field_definition_id": def_id, "value": value}],
            },
            "match": {
                "field_name": "custom",
                "field_value": {"custom_field_definition_id": def_id, "value": value},
            },
        }

    def put(self) -> tuple[str, dict[str, Any]]:
        self.counter += 1
        lead_id = self.ds.id_lo + self._index()
        body = {"title": f"Buyer {self.counter}", "details": "updated by the benchmark"}
        return f"{BASE}/leads/{lead_id}", body

    def bulk_update(self) -> dict[str, Any]:
        self.counter += 1
        return {
            "leads": [
                {
                    "id": self.ds.id_lo + self._index(),
                    "title": f"Buyer {self.counter}",
                    "details": "updated by the benchmark",
                }
                for _ in range(10)
            ]
        }

    def search(self) -> dict[str, Any]:
        return {"page_size": 200, "city": self._city()}

    def search_interactions(self) -> dict[str, Any]:
        """Leads with at least N interactions (1-6), latest contact first (issue 16)."""
        return {
            "page_size": 200,
            "minimum_interaction_count": self.rng.randrange(1, 7),
            "sort_by": "inactive_days",
        }

    def request(self, key: str) -> tuple[str, str, dict[str, Any] | None]:
        """``(method, path, body)`` of one request of scenario ``key``."""
        if key == "account":
            return "GET", f"{BASE}/account", None
        if key == "get":
            return "GET", f"{BASE}/leads/{self.ds.id_lo + self._index()}", None
        if key == "upsert_email":
            return "PUT", f"{BASE}/leads/upsert", self.upsert_email()
        if key == "upsert_custom":
            return "PUT", f"{BASE}/leads/upsert", self.upsert_custom()
        if key == "put":
            path, body = self.put()
            return "PUT", path, body
        if key == "bulk_update":
            return "POST", f"{BASE}/leads/bulk_update", self.bulk_update()
        if key == "search":
            return "POST", f"{BASE}/leads/search", self.search()
        if key == "search_interactions":
            return "POST", f"{BASE}/leads/search", self.search_interactions()
        raise ValueError(f"unknown scenario {key!r}")
