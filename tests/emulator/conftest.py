"""The emulator on the test store (both engines): an app with ``emulator=True`` and the
users of two accounts, seeded from a fixture file written per test."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from verdigris.config import Settings
from verdigris.server.app import create_app
from verdigris.store.base import Store

ADA = {"email": "ada@example.com", "token": "ada-key-0123456789abcdef"}
BOB = {"email": "bob@example.org", "token": "bob-key-0123456789abcdef"}
ADMIN = "admin-token-0123456789"


def headers(user: dict[str, str]) -> dict[str, str]:
    return {
        "X-PW-AccessToken": user["token"],
        "X-PW-Application": "developer_api",
        "X-PW-UserEmail": user["email"],
    }


def fixture_data() -> dict[str, Any]:
    """Acme with 3 leads sharing one email and 31 sharing another (upsert's two 422s)."""
    three = [{"name": f"Tri {i}", "email": {"email": "tri@example.com", "category": "work"}}
             for i in range(3)]  # fmt: skip
    many = [{"name": f"Many {i}", "email": {"email": "many@example.com", "category": "work"}}
            for i in range(31)]  # fmt: skip
    return {
        "accounts": [
            {
                "name": "Acme",
                "users": [ADA],
                "custom_fields": [
                    {"name": "Region", "data_type": "String", "available_on": ["lead"]}
                ],
                "leads": [
                    {
                        "name": "Grace Hopper",
                        "email": {"email": "grace@example.com", "category": "work"},
                    },
                    *three,
                    *many,
                ],
            },
            {"name": "Globex", "users": [BOB], "leads": [{"name": "Hank Scorpio"}]},
        ]
    }


@dataclass
class Emu:
    client: TestClient
    settings: Settings

    def as_(self, user: dict[str, str]) -> dict[str, str]:
        return headers(user)

    def control(
        self, method: str, path: str, user: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        h = {"X-Verdigris-Admin-Token": ADMIN} if user is None else headers(user)
        h.update(kw.pop("headers", {}))
        response: Any = self.client.request(method, "/verdigris/v1" + path, headers=h, **kw)
        return response  # type: ignore[no-any-return]

    def copper(
        self, method: str, path: str, user: dict[str, str] = ADA, **kw: Any
    ) -> httpx.Response:
        response: Any = self.client.request(
            method, "/developer_api/v1" + path, headers=headers(user), **kw
        )
        return response  # type: ignore[no-any-return]


MakeEmu = Callable[..., Emu]


@pytest.fixture
def make_emu(store: Store, tmp_path: Path) -> Iterator[MakeEmu]:
    """``make_emu(**settings)``: the emulator app on the test store, seeded."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> Emu:
        seed = tmp_path / "seed.json"
        seed.write_text(json.dumps(fixture_data()))
        values: dict[str, Any] = {"emulator": True, "seed": str(seed), "rate_limits": False}
        values.update(overrides)
        settings = Settings(**values)
        client = TestClient(create_app(settings, store=store), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return Emu(client, settings)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def emu(make_emu: MakeEmu) -> Emu:
    """Keys control their own account (no admin token)."""
    return make_emu()


@pytest.fixture
def admin_emu(make_emu: MakeEmu) -> Emu:
    return make_emu(admin_token=ADMIN)
