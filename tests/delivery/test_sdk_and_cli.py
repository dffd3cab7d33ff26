"""The SDK's webhook methods and ``verdigris webhooks deliveries / replay`` against a
``verdigris serve`` process that delivers to a real receiver (both engines)."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import start_server, stop_server
from tests.receiver import receiver
from verdigris.cli import main
from verdigris.client import Client
from verdigris.client.errors import NotFoundError, ValidationError


@pytest.mark.slow
def test_sdk_and_cli(live_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with receiver() as hooks:
        server = start_server(live_db, "--no-rate-limits")
        url = server.base_url + "/developer_api/v1"
        try:
            with Client(url, server.token, server.email) as client:
                made = client.create_webhook({"target": hooks.url, "type": "lead", "event": "new"})
                assert client.webhook(made.id) == made
                assert client.webhooks() == [made]
                assert client.update_webhook(made.id, {"headers": {"X-A": "1"}}).headers == {
                    "X-A": "1"
                }
                mode = client.set_webhook_delivery_mode(made.id, "reliable")
                assert mode.mode == "reliable" and client.webhook_delivery_mode(made.id) == mode
                with pytest.raises(ValidationError):
                    client.create_webhook(
                        {"target": "http://example.com", "type": "lead", "event": "new"}
                    )
                lead = client.create_lead({"name": "Via SDK"})
                [body] = hooks.wait_for(1)
                assert body["ids"] == [lead.id]
                deadline = time.monotonic() + 10
                while not client.webhook_deliveries() and time.monotonic() < deadline:
                    time.sleep(0.05)
                [attempt] = client.webhook_deliveries(subscription_id=made.id)
                assert (
                    attempt.outcome == "delivered"
                    and client.webhook_delivery(attempt.id) == attempt
                )

                flags = ["--url", url, "--token", server.token, "--email", server.email]
                capsys.readouterr()
                assert main(["webhooks", "deliveries", *flags]) == 0
                [line] = capsys.readouterr().out.splitlines()
                assert json.loads(line)["id"] == attempt.id and "request_body" not in line
                assert main(["webhooks", "replay", str(attempt.id), *flags]) == 0
                assert "replay queued" in capsys.readouterr().out
                hooks.wait_for(2)
                assert hooks.received[1].raw == hooks.received[0].raw
                assert main(["webhooks", "deliveries", "--limit", "1", "--body", *flags]) == 0
                newest = json.loads(capsys.readouterr().out)
                assert newest["replay_of"] == attempt.id and newest["request_body"]
                assert main(["webhooks", "replay", "999999", *flags]) == 1

                assert client.delete_webhook(made.id).id == made.id
                with pytest.raises(NotFoundError):
                    client.webhook(made.id)
        finally:
            stop_server(server)
