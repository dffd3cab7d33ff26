"""``verdigris serve`` with and without ``--emulator``, as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_server, stop_server

pytestmark = pytest.mark.slow


def test_controls_are_404_on_a_plain_server_and_there_with_emulator(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    plain = start_server(db)
    try:
        for path in ("/verdigris/v1/journal", "/verdigris/v1/emulator", "/verdigris/ui"):
            response = httpx.get(plain.base_url + path, headers=plain.headers)
            assert response.status_code == 404, path
    finally:
        stop_server(plain)
        plain.process.wait(10)
    csv = tmp_path / "more.csv"
    csv.write_text("name,email\nFrom CSV,csv@example.com\n")
    fixture = tmp_path / "fixture.json"
    fixture.write_text(
        json.dumps(
            {
                "accounts": [
                    {
                        "name": "Seeded",
                        "users": [{"email": "s@example.com", "token": "seeded-key-0123456789"}],
                        "leads": [{"name": "From JSON"}],
                        "leads_csv": "more.csv",
                    }
                ]
            }
        )
    )
    emulated = start_server(
        db, "--emulator", "--admin-token", "admin-0123456789", "--seed", str(fixture)
    )
    try:
        base = emulated.base_url
        assert httpx.get(base + "/verdigris/v1/journal").status_code == 401
        admin = {"X-Verdigris-Admin-Token": "admin-0123456789"}
        accounts = httpx.get(base + "/verdigris/v1/emulator/accounts", headers=admin).json()
        seeded = next(a["id"] for a in accounts if a["name"] == "Seeded")
        page = httpx.get(
            base + f"/verdigris/v1/emulator/leads?account_id={seeded}", headers=admin
        ).json()
        assert sorted(lead["name"] for lead in page["leads"]) == ["From CSV", "From JSON"]
        ui = httpx.get(base + "/verdigris/ui")
        assert ui.status_code == 200 and "admin-0123456789" not in ui.text
    finally:
        stop_server(emulated)
        emulated.process.wait(10)


def test_the_emulator_refuses_several_workers_and_seed_without_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    for extra, words in (
        (["--emulator", "--workers", "2"], "--workers 1"),
        (["--seed", "x.json"], "go with --emulator"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "verdigris", "serve", "--db", db, *extra],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert words in result.stderr


def test_a_csv_seed_fills_the_bootstrapped_account(tmp_path: Path) -> None:
    csv = tmp_path / "leads.csv"
    csv.write_text("name,email,tags\nAda,ada@example.com,vip;new\nGrace,grace@example.com,\n")
    server = start_server(f"sqlite:///{tmp_path / 'csv.db'}", "--emulator", "--seed", str(csv))
    try:
        found = httpx.post(
            server.base_url + "/developer_api/v1/leads/search",
            json={"tags": ["vip"]},
            headers=server.headers,
        )
        assert [lead["name"] for lead in found.json()] == ["Ada"]
    finally:
        stop_server(server)
        server.process.wait(10)
