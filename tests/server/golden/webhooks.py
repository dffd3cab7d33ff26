"""Webhook subscriptions (Copper's /webhooks) and the delivery extensions, on the wire."""

from __future__ import annotations

from tests.server.golden import Step

_COPPER = {
    "target": "https://your.endpoint.here",
    "type": "lead",
    "event": "update",
    "secret": {"secret": "hook_source", "key": "copper_notifications"},
    "headers": {"Authentication": "Bearer token"},
    "custom_field_computed_values": True,
}
_EXT = "/verdigris/v1/webhooks"


def steps() -> list[Step]:
    return [
        ("GET", "/webhooks", None),
        ("POST", "/webhooks", _COPPER),
        (
            "POST",
            "/webhooks",
            {"target": "https://hooks.example/n8n", "type": "person", "event": "new"},
        ),
        ("POST", "/webhooks", {**_COPPER, "target": "http://hooks.example/plain"}),
        ("POST", "/webhooks", {**_COPPER, "target": "https://10.0.0.1/inside"}),
        (
            "POST",
            "/webhooks",
            {"target": "https://hooks.example", "type": "user", "event": "created"},
        ),
        ("POST", "/webhooks", {**_COPPER, "headers": {"X-A": 1}, "secret": "s"}),
        ("POST", "/webhooks", [_COPPER]),
        ("GET", "/webhooks", None),
        ("GET", "/webhooks/1", None),
        ("PUT", "/webhooks/1", {**_COPPER, "target": "https://your.other.endpoint"}),
        ("PUT", "/webhooks/1", {"target": "ftp://nope"}),
        ("GET", "/webhooks/99", None),
        ("DELETE", "/webhooks/2", None),
        ("DELETE", "/webhooks/2", None),
        ("GET", "/webhooks", None),
        ("GET", f"{_EXT}/deliveries", None),
        ("GET", f"{_EXT}/deliveries?page_size=0", None),
        ("GET", f"{_EXT}/deliveries/1", None),
        ("POST", f"{_EXT}/deliveries/1/replay", None),
        ("GET", f"{_EXT}/99/delivery", None),
        ("PUT", f"{_EXT}/1/delivery", {"mode": "sometimes"}),
        ("PUT", f"{_EXT}/99/delivery", {"mode": "reliable"}),
    ]
