"""Copper's webhook subscriptions (``/webhooks``), and verdigris's delivery extensions
(``/verdigris/v1/webhooks/...``): a subscription's delivery mode, the inbox of attempts,
and replays."""

from __future__ import annotations

import msgspec

from verdigris.domain.webhooks import Attempt, Subscription
from verdigris.server.routes import EXTENSION_BASE, Call, RouteSpec
from verdigris.services import Services
from verdigris.wire import webhooks as w


def webhook_out(s: Subscription) -> w.WebhookOut:
    return msgspec.convert(s, w.WebhookOut, from_attributes=True)


def attempt_out(a: Attempt) -> w.AttemptOut:
    return msgspec.convert(a, w.AttemptOut, from_attributes=True)


def list_webhooks(services: Services, call: Call) -> list[w.WebhookOut]:
    return [webhook_out(s) for s in services.list_webhooks(call.principal)]


def get_webhook(services: Services, call: Call) -> w.WebhookOut:
    return webhook_out(services.get_webhook(call.principal, call.path["id"]))


def create_webhook(services: Services, call: Call) -> w.WebhookOut:
    return webhook_out(services.create_webhook(call.principal, call.body))


def update_webhook(services: Services, call: Call) -> w.WebhookOut:
    return webhook_out(services.update_webhook(call.principal, call.path["id"], call.body))


def delete_webhook(services: Services, call: Call) -> w.WebhookDeletedOut:
    return w.WebhookDeletedOut(services.delete_webhook(call.principal, call.path["id"]))


def _mode_out(services: Services, s: Subscription) -> w.DeliveryModeOut:
    return w.DeliveryModeOut(s.id, services.webhook_mode(s), s.mode is None, s.signing_secret)


def get_delivery_mode(services: Services, call: Call) -> w.DeliveryModeOut:
    return _mode_out(services, services.get_webhook_delivery(call.principal, call.path["id"]))


def set_delivery_mode(services: Services, call: Call) -> w.DeliveryModeOut:
    s = services.set_webhook_delivery(call.principal, call.path["id"], call.body)
    return _mode_out(services, s)


def list_deliveries(services: Services, call: Call) -> list[w.AttemptOut]:
    return [attempt_out(a) for a in services.webhook_deliveries(call.principal, call.query)]


def get_delivery(services: Services, call: Call) -> w.AttemptOut:
    return attempt_out(services.webhook_delivery(call.principal, call.path["id"]))


def replay_delivery(services: Services, call: Call) -> w.ReplayOut:
    attempt = services.replay_webhook_delivery(call.principal, call.path["id"])
    return w.ReplayOut(attempt.id, True)


_PATH = "/webhooks"
_ONE = _PATH + "/{id:int}"

ROUTES = [
    RouteSpec(
        "GET",
        _PATH,
        list_webhooks,
        "The account's webhook subscriptions",
        response=list[w.WebhookOut],
    ),
    RouteSpec(
        "POST",
        _PATH,
        create_webhook,
        "Subscribe a target URL to one type and event",
        request=w.WebhookIn,
        response=w.WebhookOut,
    ),
    RouteSpec("GET", _ONE, get_webhook, "Fetch a webhook subscription", response=w.WebhookOut),
    RouteSpec(
        "PUT",
        _ONE,
        update_webhook,
        "Update a subscription's target, secret, headers or custom_field_computed_values",
        request=w.WebhookIn,
        response=w.WebhookOut,
    ),
    RouteSpec(
        "DELETE",
        _ONE,
        delete_webhook,
        "Delete a webhook subscription (unsubscribe)",
        response=w.WebhookDeletedOut,
    ),
    # verdigris's extensions ---------------------------------------------------------------
    RouteSpec(
        "GET",
        "/webhooks/deliveries",
        list_deliveries,
        "Delivery attempts (the inbox), newest first",
        response=list[w.AttemptOut],
        base=EXTENSION_BASE,
    ),
    RouteSpec(
        "GET",
        "/webhooks/deliveries/{id:int}",
        get_delivery,
        "One delivery attempt",
        response=w.AttemptOut,
        base=EXTENSION_BASE,
    ),
    RouteSpec(
        "POST",
        "/webhooks/deliveries/{id:int}/replay",
        replay_delivery,
        "Send a recorded attempt's request again",
        request=w.ReplayIn,
        response=w.ReplayOut,
        base=EXTENSION_BASE,
    ),
    RouteSpec(
        "GET",
        "/webhooks/{id:int}/delivery",
        get_delivery_mode,
        "A subscription's delivery mode and signing secret",
        response=w.DeliveryModeOut,
        base=EXTENSION_BASE,
    ),
    RouteSpec(
        "PUT",
        "/webhooks/{id:int}/delivery",
        set_delivery_mode,
        "Set a subscription's delivery mode (copper, reliable, or null: the server's)",
        request=w.DeliveryModeIn,
        response=w.DeliveryModeOut,
        base=EXTENSION_BASE,
    ),
]
