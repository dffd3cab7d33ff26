"""An emulator server in a thread of the test process, and its controls as methods.

:class:`EmulatorServer` runs ``verdigris serve --emulator`` in-process: uvicorn in a
daemon thread on 127.0.0.1 (a free port), SQLite in a temporary directory, an admin
token of its own, and one seeded account and user. :class:`CopperEmulator` is what the
``copper`` fixture yields: the Copper credentials, an SDK client, and the controls.
"""

from __future__ import annotations

import json
import secrets
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from verdigris.client import Client

ACCOUNT = "copper-test"
EMAIL = "tester@example.com"
#: how long the server may take to answer its first request
START_TIMEOUT = 30.0


class EmulatorServer:
    """One emulator for a test run. ``start()`` / ``stop()``; a context manager too."""

    def __init__(
        self,
        *,
        seed: str | Path | None = None,
        rate_limits: bool = True,
        directory: str | Path | None = None,
        admin: bool = True,
    ) -> None:
        self._tmp = None if directory is not None else tempfile.TemporaryDirectory()
        self.directory = Path(directory if directory is not None else self._tmp.name)  # type: ignore[union-attr]
        self.directory.mkdir(parents=True, exist_ok=True)
        self.token = secrets.token_hex(16)
        #: the controls' admin token (None: the test account's key controls its account)
        self.admin_token: str | None = secrets.token_hex(16) if admin else None
        self.email = EMAIL
        self.account = ACCOUNT
        self.rate_limits = rate_limits
        self.user_seed = Path(seed) if seed is not None else None
        self.host = "127.0.0.1"
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _fixture(self) -> Path:
        """The seed: this run's account and user, plus the user's own fixture."""
        from verdigris.emulator import seed

        account: dict[str, Any] = {
            "name": self.account,
            "users": [{"email": self.email, "token": self.token, "name": "Tester"}],
        }
        fixture: dict[str, Any] = {"accounts": [account]}
        if self.user_seed is not None:
            extra = seed.load(self.user_seed)
            for other in extra.get("accounts", []):
                if other.get("name") == self.account:
                    for key in ("custom_fields", "leads"):
                        account[key] = [*account.get(key, []), *other.get(key, [])]
                else:
                    fixture["accounts"].append(other)
            for key in ("custom_fields", "leads"):
                if extra.get(key):
                    account[key] = [*account.get(key, []), *extra[key]]
        path = self.directory / "seed.json"
        path.write_text(json.dumps(fixture))
        return path

    def start(self) -> EmulatorServer:
        import uvicorn

        from verdigris.config import Settings
        from verdigris.server.app import create_app

        settings = Settings(
            db=f"sqlite:///{self.directory / 'copper.db'}",
            durability="fast",
            emulator=True,
            admin_token=self.admin_token,
            seed=str(self._fixture()),
            rate_limits=self.rate_limits,
            log_level="warning",
        )
        app = create_app(settings)
        sock = socket.socket()
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="copper"
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the verdigris emulator did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class CopperEmulator:
    """The test's view of the emulator: Copper credentials, an SDK client, controls."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        #: Copper's API root on this server, as Copper's own ``https://api.copper.com/developer_api/v1``
        self.base_url = server.root_url + "/developer_api/v1"
        self.token = server.token
        self.email = server.email
        self.account = server.account
        admin = server.admin_token
        self.controls = httpx.Client(
            base_url=server.root_url + "/verdigris/v1",
            headers=self.headers if admin is None else {"X-Verdigris-Admin-Token": admin},
            timeout=30,
        )
        self._client: Client | None = None
        self.account_id: int = next(
            a["id"] for a in self._call("GET", "/emulator/accounts") if a["name"] == self.account
        )

    @property
    def headers(self) -> dict[str, str]:
        """Copper's three authentication headers for the test user."""
        return {
            "X-PW-AccessToken": self.token,
            "X-PW-Application": "developer_api",
            "X-PW-UserEmail": self.email,
        }

    @property
    def client(self) -> Client:
        """verdigris's Copper SDK (blocking), bound to the test user."""
        if self._client is None:
            from verdigris.client import Client

            self._client = Client(self.base_url, self.token, self.email)
        return self._client

    def _call(self, verb: str, url: str, body: Any = None, **params: Any) -> Any:
        response = self.controls.request(
            verb, url, json=body, params={k: v for k, v in params.items() if v is not None}
        )
        if response.status_code >= 400:
            raise RuntimeError(f"{verb} {url}: {response.status_code} {response.text}")
        return response.json()

    # --- state --------------------------------------------------------------------------
    def reset(self) -> dict[str, Any]:
        """Everything back to the seeded state: data, journal, fault rules, clock."""
        result: dict[str, Any] = self._call("POST", "/emulator/reset", {})
        return result

    def seed(self, fixture: dict[str, Any] | None = None, **account: Any) -> dict[str, Any]:
        """Seed the test account (``leads=[...]``, ``custom_fields=[...]``), or a whole
        fixture with ``accounts``; undone by the next reset."""
        body = dict(fixture or {})
        body.update(account)
        if "accounts" not in body:
            body["account_id"] = self.account_id
        result: dict[str, Any] = self._call("POST", "/emulator/seed", body)
        return result

    def snapshot(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST", "/emulator/snapshots", {"name": name, "account_id": self.account_id}
        )
        return result

    def restore(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST", f"/emulator/snapshots/{name}/restore", {"account_id": self.account_id}
        )
        return result

    # --- faults -------------------------------------------------------------------------
    def fault(self, kind: str, **rule: Any) -> dict[str, Any]:
        """Add a fault rule: ``kind`` is rate_limit, error, latency or drop; ``method``,
        ``path`` (a glob), ``times``, ``probability`` and the kind's own fields."""
        result: dict[str, Any] = self._call("POST", "/emulator/faults", {"kind": kind, **rule})
        return result

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/emulator/faults")
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "/emulator/faults")

    # --- journal and clock --------------------------------------------------------------
    def journal(self, **filters: Any) -> list[dict[str, Any]]:
        """Requests seen (oldest first); filters: method, path (glob), status, after, limit."""
        result: list[dict[str, Any]] = self._call("GET", "/journal", **filters)
        return result

    def freeze(self, at: float | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/emulator/clock", {"freeze": True, "at": at})
        return result

    def advance(self, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/emulator/clock", {"advance": seconds})
        return result

    def unfreeze(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/emulator/clock", {"unfreeze": True})
        return result

    def now(self) -> int:
        return int(self._call("GET", "/emulator/clock")["now"])

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self.controls.close()
