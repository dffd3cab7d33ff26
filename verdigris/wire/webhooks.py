"""Webhook subscriptions in Copper's shape, and verdigris's delivery inbox (extension).

Copper's example (developer.copper.com/webhooks/create-new-subscription.html)::

    {"id": 17065, "target": "https://your.endpoint.here", "type": "lead", "event": "update",
     "secret": {"secret": "hook_source", "key": "copper_notifications"},
     "headers": {"Authentication": "Bearer token"}, "custom_field_computed_values": true,
     "created_at": 1489173015}
"""

from __future__ import annotations

from typing import Any

import msgspec


class WebhookOut(msgspec.Struct):
    id: int
    target: str
    type: str
    event: str
    secret: dict[str, Any] | None
    headers: dict[str, str] | None
    custom_field_computed_values: bool
    created_at: int


class WebhookIn(msgspec.Struct, omit_defaults=True):
    """Create (``target``, ``type``, ``event`` required) or update (any of ``target``,
    ``secret``, ``headers``, ``custom_field_computed_values``)."""

    target: str | None = None
    type: str | None = None
    event: str | None = None
    secret: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    custom_field_computed_values: bool | None = None


class WebhookDeletedOut(msgspec.Struct):
    """Copper's delete answer: ``{"id": 17065}``."""

    id: int


# --- verdigris extensions (/verdigris/v1/webhooks/...) ----------------------------------------


class DeliveryModeOut(msgspec.Struct):
    """How a subscription is delivered: ``copper`` (at most once, no retry) or
    ``reliable`` (retries, signed); ``signing_secret`` keys X-Verdigris-Signature."""

    subscription_id: int
    mode: str
    #: whether ``mode`` is the server's default rather than set on the subscription
    default: bool
    signing_secret: str


class DeliveryModeIn(msgspec.Struct, omit_defaults=True):
    mode: str | None = None


class AttemptOut(msgspec.Struct):
    """One delivery attempt of the inbox."""

    id: int
    subscription_id: int
    delivery_id: str
    attempt: int
    at: int
    url: str
    status: int | None
    error: str | None
    duration_ms: int | None
    #: delivered, retrying, failed or dropped
    outcome: str
    replay_of: int | None
    request_headers: dict[str, str]
    request_body: str


class ReplayIn(msgspec.Struct):
    """A replay takes no parameters (the body, if any, is ignored)."""


class ReplayOut(msgspec.Struct):
    """A replay queued: the attempt it sends again."""

    replay_of: int
    queued: bool
