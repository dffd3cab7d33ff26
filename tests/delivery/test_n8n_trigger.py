"""n8n's Copper Trigger node against verdigris, over HTTP with the server's own sender.

The driver makes the node's calls (n8n-io/n8n, packages/nodes-base/nodes/Copper/
CopperTrigger.node.ts): ``checkExists`` is ``GET /webhooks/{id}`` (any error: absent),
``create`` is ``POST /webhooks`` with ``target``, ``type``, ``event`` and
``secret: {"secret": <automatic secret>}``, keeping the answer's ``id``; ``delete`` is
``DELETE /webhooks/{id}``. Its webhook handler drops any notification whose body's
``secret`` is not the automatic secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.conftest import Api
from tests.receiver import receiver


@dataclass
class CopperTrigger:
    """The node's webhookMethods, for one workflow's static data."""

    api: Api
    resource: str
    event: str
    secret: str
    webhook_id: int | None = None

    def check_exists(self) -> bool:
        if self.webhook_id is None:
            return False
        return self.api.get(f"/webhooks/{self.webhook_id}").is_success

    def create(self, url: str) -> bool:
        body = {"target": url, "type": self.resource, "event": self.event}
        body["secret"] = {"secret": self.secret}  # type: ignore[assignment]
        response = self.api.post("/webhooks", body)
        response.raise_for_status()
        self.webhook_id = response.json()["id"]
        return True

    def delete(self) -> bool:
        if not self.api.delete(f"/webhooks/{self.webhook_id}").is_success:
            return False
        self.webhook_id = None
        return True

    def accepts(self, body: dict[str, Any]) -> bool:
        return body.get("secret") == self.secret


def test_the_copper_trigger_lifecycle(api: Api) -> None:
    trigger = CopperTrigger(api, "lead", "new", "n8n-automatic-secret")
    with receiver() as hooks:
        assert not trigger.check_exists()  # activation: nothing registered yet
        assert trigger.create(hooks.url)
        assert trigger.check_exists()
        lead = api.create_lead(name="From n8n")
        [body] = hooks.wait_for(1)
        assert trigger.accepts(body)
        assert body["ids"] == [lead["id"]] and body["type"] == "lead" and body["event"] == "new"
        assert trigger.delete()  # deactivation
        assert not CopperTrigger(
            api, "lead", "new", "x", webhook_id=body["subscription_id"]
        ).check_exists()
        api.create_lead(name="After")
        assert api.get("/webhooks").json() == []
    # a deleted subscription's id is simply absent
    assert not trigger.delete()
