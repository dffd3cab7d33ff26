"""The inspector (/verdigris/ui) in a real browser: Debian's chromium driven by
playwright, clicking through every view. Missing chromium or playwright FAILS these
tests (never skips): .ci/run installs both."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from verdigris.testing import CopperEmulator, EmulatorServer

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: pip install -e '.[dev]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def emulator() -> Iterator[CopperEmulator]:
    with EmulatorServer() as server:
        emu = CopperEmulator(server)
        yield emu
        emu.close()


def test_clicking_through_every_view_as_the_admin(browser: Any, emulator: CopperEmulator) -> None:
    emulator.reset()
    emulator.seed(leads=[{"name": "Grace Hopper"}, {"name": "Alan Turing"}])
    # a subscription whose target refuses connections: its attempt lands in the inbox
    emulator.client.create_webhook(
        {"target": "http://127.0.0.1:9/hook", "type": "lead", "event": "new"}
    )
    emulator.client.create_lead({"name": "Made by the SDK"})
    deadline = time.monotonic() + 30
    while not emulator.client.webhook_deliveries():
        assert time.monotonic() < deadline, "the sender recorded no attempt"
        time.sleep(0.05)
    emulator.fault("latency", latency_ms=1, path="/nowhere")
    page = browser.new_page()
    served = httpx.get(emulator.server.root_url + "/verdigris/ui")
    assert served.status_code == 200
    admin = emulator.server.admin_token
    assert admin is not None
    for secret in (emulator.token, admin):
        assert secret not in served.text  # the page carries no credentials
    page.goto(emulator.server.root_url + "/verdigris/ui")
    page.fill("#admin-token", admin)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#journal-rows tr")
    rows = page.inner_text("#journal-rows")
    assert "/developer_api/v1/leads" in rows and "200" in rows
    # live: a new request shows up without reloading
    emulator.client.account()
    page.wait_for_function(
        "() => document.querySelector('#journal-rows').innerText.includes('/account')"
    )
    assert emulator.token not in page.content()

    page.click("#tab-leads")
    page.wait_for_selector("#leads-rows tr")
    assert "Grace Hopper" in page.inner_text("#leads-rows")
    page.fill("#leads-q", "Alan")
    page.click("#leads-search button[type=submit]")
    page.wait_for_function(
        "() => !document.querySelector('#leads-rows').innerText.includes('Grace')"
    )
    assert "Alan Turing" in page.inner_text("#leads-rows")

    page.click("#tab-faults")
    page.wait_for_selector("#faults-rows tr")
    assert "/nowhere" in page.inner_text("#faults-rows")
    page.click("#faults-rows button")
    page.wait_for_function("() => document.querySelectorAll('#faults-rows tr').length === 0")
    assert emulator.faults() == []

    page.click("#tab-clock")
    page.wait_for_function("() => document.querySelector('#clock-now').innerText !== ''")
    page.click("#clock-freeze")
    page.wait_for_function(
        "() => document.querySelector('#clock-state').innerText.startsWith('frozen')"
    )
    frozen = emulator.now()
    page.fill("#clock-seconds", "86400")
    page.click("#clock-advance")
    page.wait_for_function(
        "() => document.querySelector('#clock-state').innerText.includes('s from wall time')"
    )
    assert emulator.now() == frozen + 86400
    page.click("#clock-reset")

    page.click("#tab-webhooks")
    page.wait_for_selector("#webhooks-rows tr")
    assert "127.0.0.1:9/hook" in page.inner_text("#webhooks-rows")
    assert "Made by the SDK" not in page.inner_text("#webhooks-rows")  # ids, not records
    page.click("#webhooks-rows button")
    page.wait_for_function(
        "() => document.querySelector('#webhooks-note').innerText.includes('queued again')"
    )
    deadline = time.monotonic() + 30
    while not any(a.replay_of for a in emulator.client.webhook_deliveries()):
        assert time.monotonic() < deadline, "the replay was not sent"
        time.sleep(0.05)
    page.close()


def test_an_account_key_sees_only_its_account(browser: Any, tmp_path: Path) -> None:
    other = {"email": "other@example.org", "token": "other-key-0123456789"}
    seed = tmp_path / "seed.json"
    account = {"name": "Other Co", "users": [other], "leads": [{"name": "Not For Your Eyes"}]}
    seed.write_text(json.dumps({"accounts": [account]}))
    with EmulatorServer(seed=seed, admin=False) as server:
        emulator = CopperEmulator(server)
        httpx.post(
            emulator.base_url + "/leads",
            json={"name": "Their Secret"},
            headers={
                "X-PW-AccessToken": other["token"],
                "X-PW-Application": "developer_api",
                "X-PW-UserEmail": other["email"],
            },
        )
        emulator.client.create_lead({"name": "Mine"})
        page = browser.new_page()
        page.goto(server.root_url + "/verdigris/ui")
        page.fill("#email", emulator.email)
        page.fill("#api-key", emulator.token)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#journal-rows tr")
        journal = page.content()
        assert "Mine" in journal and "Their Secret" not in journal
        page.click("#tab-leads")
        page.wait_for_selector("#leads-rows tr")
        seen = page.content()
        assert "Mine" in seen
        for secret in ("Not For Your Eyes", "Their Secret", other["token"], "Other Co"):
            assert secret not in seen
        assert emulator.token not in seen
        page.close()
        emulator.close()


def test_a_wrong_key_is_refused(browser: Any, emulator: CopperEmulator) -> None:
    page = browser.new_page()
    page.goto(emulator.server.root_url + "/verdigris/ui")
    page.fill("#admin-token", "wrong")
    page.click("#login-form button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('#login-error').innerText.includes('admin token')"
    )
    assert page.is_visible("#login")
    page.close()
