"""Webhooks, the rules: subscriptions as Copper takes them, what an event is, how events
become notifications, and what makes a target acceptable. No I/O.

Copper (developer.copper.com/webhooks/overview.html and its sibling pages):

- a subscription is one ``(type, event)`` of an account, with a ``target`` URL, an
  optional ``secret`` object (its pairs are merged into every notification body), an
  optional ``headers`` object (sent as HTTP headers) and ``custom_field_computed_values``;
  at most 100 per account; https targets only;
- a notification carries ``ids`` (1 to 30), ``type``, ``event``, ``subscription_id``,
  the secret's pairs, ``updated_attributes`` (``{field: [old, new]}``) on updates only,
  and a ``timestamp``.

verdigris also accepts http targets on loopback and on allow-listed hosts, and refuses
addresses in private ranges unless allowed (:func:`check_target`, :func:`address_allowed`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import msgspec

from verdigris.domain.errors import FieldErrors, Unprocessable
from verdigris.wire import catalogue

#: Copper's subscription types; ``activity_log`` is on its overview page and list example
TYPES: Final = ("lead", "person", "company", "opportunity", "project", "task", "activity_log")
EVENTS: Final = ("new", "update", "delete")
#: a change's entity (services/changes.py) -> Copper's subscription type
TYPE_OF_ENTITY: Final = {"activity": "activity_log"}
#: Copper: "You may have up to 100 active subscriptions per account"
MAX_SUBSCRIPTIONS: Final = 100
#: Copper: "may contain up to 30 ID's in a single notification"
MAX_IDS: Final = 30
#: delivery modes: Copper's (at most once, no retry) and verdigris's reliable one
COPPER: Final = "copper"
RELIABLE: Final = "reliable"
MODES: Final = (COPPER, RELIABLE)
#: keys that are metadata, not fields: a change of these alone is not an update
#: (Copper: "Update: any field ... is changed. Excludes ... any change in meta data")
META_KEYS: Final = frozenset(("date_modified",))
MAX_TARGET_LENGTH: Final = 2048
LOOPBACK_NAMES: Final = frozenset(("localhost", "localhost.localdomain"))


class Subscription(msgspec.Struct, kw_only=True):
    """A webhook subscription as verdigris stores it."""

    id: int = 0
    account_id: int
    target: str
    type: str
    event: str
    secret: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    custom_field_computed_values: bool = False
    created_at: int = 0
    #: ``copper``, ``reliable``, or None (the server's setting)
    mode: str | None = None
    signing_secret: str = ""


@dataclass(frozen=True)
class TargetRules:
    """Which targets a server accepts (its settings)."""

    #: hosts whose http targets are accepted, and whose private addresses are allowed
    allow_hosts: frozenset[str] = frozenset()
    #: addresses in private ranges (10/8, 192.168/16, fc00::/7...) are accepted
    allow_private: bool = False


def entity_type(entity: str) -> str:
    """A change's entity as Copper's subscription type."""
    return TYPE_OF_ENTITY.get(entity, entity)


def new_signing_secret() -> str:
    return secrets.token_hex(32)


# --- subscription bodies ----------------------------------------------------------------


def parse_subscription(
    data: Mapping[str, Any], rules: TargetRules, *, creating: bool
) -> dict[str, Any]:
    """The fields of a create (``target``, ``type``, ``event`` required) or an update
    (Copper: "all 4 parameters ... can be optionally provided"; ``type`` and ``event``
    are those of the subscription). Field errors first, then the target's own rule."""
    errors = FieldErrors()
    fields: dict[str, Any] = {}
    if creating:
        for name, allowed in (("type", TYPES), ("event", EVENTS)):
            value = data.get(name)
            if value is None or value == "":
                errors.add(name, "blank")
            elif value not in allowed:
                errors.add(name, "invalid", f"{name} must be one of {', '.join(allowed)}")
            else:
                fields[name] = value
    target = data.get("target")
    if "target" in data or creating:
        if target is None or target == "":
            errors.add("target", "blank")
        elif not isinstance(target, str):
            errors.add("target", "invalid_type")
        elif len(target) > MAX_TARGET_LENGTH:
            errors.add("target", "too_long", f"target is at most {MAX_TARGET_LENGTH} characters")
        else:
            fields["target"] = target.strip()
    for name in ("secret", "headers"):
        if name not in data:
            continue
        value = data[name]
        if value is None:
            fields[name] = None
        elif not isinstance(value, Mapping):
            errors.add(name, "invalid_type", f"{name} must be an object")
        elif name == "headers" and not all(
            isinstance(k, str) and _header_name(k) and isinstance(v, str) and _header_value(v)
            for k, v in value.items()
        ):
            errors.add(name, "invalid", "headers must map header names to strings")
        elif name == "secret" and not all(isinstance(k, str) for k in value):
            errors.add(name, "invalid")
        else:
            fields[name] = dict(value)
    if "custom_field_computed_values" in data:
        value = data["custom_field_computed_values"]
        if value is None:
            fields["custom_field_computed_values"] = False
        elif not isinstance(value, bool):
            errors.add("custom_field_computed_values", "invalid_type")
        else:
            fields["custom_field_computed_values"] = value
    errors.raise_if_any()
    if "target" in fields:
        check_target(fields["target"], rules)
    return fields


def _header_name(name: str) -> bool:
    return bool(name) and all(33 <= ord(c) <= 126 and c != ":" for c in name)


def _header_value(value: str) -> bool:
    """Latin-1 text without line breaks or other control characters (they would forge
    headers)."""
    return all(c == "\t" or 32 <= ord(c) <= 126 or 160 <= ord(c) <= 255 for c in value)


def check_target(target: str, rules: TargetRules) -> None:
    """Copper takes https targets only (its 422, ``Invalid URI For External Resource``).
    verdigris also takes http on loopback and on allow-listed hosts, and refuses a
    literal address in a private range unless allowed (names are checked again, once
    resolved, at each delivery)."""
    try:
        parts = urlsplit(target)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise Unprocessable(catalogue.WEBHOOK_TARGET_MESSAGE) from None
    if parts.scheme not in ("https", "http") or not host or any(c.isspace() for c in target):
        raise Unprocessable(catalogue.WEBHOOK_TARGET_MESSAGE)
    if parts.scheme == "http" and not (is_loopback_host(host) or host in rules.allow_hosts):
        raise Unprocessable(catalogue.WEBHOOK_TARGET_MESSAGE)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if not address_allowed(address, host, rules):
        raise Unprocessable(catalogue.WEBHOOK_PRIVATE_TARGET_MESSAGE)


def is_loopback_host(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def address_allowed(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str, rules: TargetRules
) -> bool:
    """Whether a delivery may go to ``address`` (what ``host`` resolved to): loopback
    always (local receivers), public addresses always, private, link-local, reserved
    and unspecified ones only when allowed (all of them, or for an allow-listed host)."""
    if address.is_loopback:
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_allowed(address.ipv4_mapped, host, rules)
    internal = (
        address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
        or address.is_multicast
    )
    return not internal or rules.allow_private or host in rules.allow_hosts


def check_count(existing: int) -> None:
    if existing >= MAX_SUBSCRIPTIONS:
        raise Unprocessable(catalogue.WEBHOOK_LIMIT_MESSAGE.format(limit=MAX_SUBSCRIPTIONS))


# --- events -----------------------------------------------------------------------------


def updated_attributes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``{key: [old, new]}`` for every key of the wire renderings that differs, in the
    rendering's order; metadata (``date_modified``) left out. Custom fields are compared
    per definition: ``custom_fields`` holds ``[old entries, new entries]`` of those that
    changed."""
    changed: dict[str, Any] = {}
    keys = list(after) + [k for k in before if k not in after]
    for key in keys:
        if key in META_KEYS:
            continue
        old, new = before.get(key), after.get(key)
        if key == "custom_fields" and isinstance(old, list) and isinstance(new, list):
            olds, news = _changed_entries(old, new)
            if olds or news:
                changed[key] = [olds, news]
        elif old != new:
            changed[key] = [old, new]
    return changed


def _changed_entries(old: list[Any], new: list[Any]) -> tuple[list[Any], list[Any]]:
    def by_id(entries: list[Any]) -> dict[Any, Any]:
        return {
            e.get("custom_field_definition_id") if isinstance(e, Mapping) else i: e
            for i, e in enumerate(entries)
        }

    before, after = by_id(old), by_id(new)
    ids = list(after) + [i for i in before if i not in after]
    differ = [i for i in ids if before.get(i) != after.get(i)]
    return [before[i] for i in differ if i in before], [after[i] for i in differ if i in after]


def group_key(attributes: Mapping[str, Any] | None) -> str:
    """Events of one subscription share a notification when this is equal: the ids of
    creations and deletions always may; updates when their changes are the same."""
    if attributes is None:
        return "-"
    return hashlib.sha256(msgspec.json.encode(attributes, order="deterministic")).hexdigest()


# --- notifications ----------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """One event of the outbox, as the sender holds it."""

    id: int
    account_id: int
    subscription_id: int
    record_id: int
    attributes: dict[str, Any] | None
    group_key: str
    created_at: int
    due_at: int
    attempts: int
    delivery_id: str | None
    #: an inbox attempt to send again (a replay), instead of an event
    replay_of: int | None = None


def batches(events: Sequence[Pending], now: int) -> list[list[Pending]]:
    """The notifications to send now: events of one subscription with one group key,
    ``MAX_IDS`` at a time, oldest first, for every group that has an event due. Events
    already tried (a delivery id) go out again together, as the same notification."""
    groups: dict[tuple[int, str], list[Pending]] = {}
    for event in sorted(events, key=lambda e: e.id):
        key = (event.subscription_id, event.delivery_id or event.group_key)
        if event.replay_of is not None:
            key = (event.subscription_id, f"replay-{event.id}")
        groups.setdefault(key, []).append(event)
    out: list[list[Pending]] = []
    for group in groups.values():
        if not any(e.due_at <= now for e in group):
            continue
        if group[0].delivery_id is not None:
            out.append(group)
            continue
        for start in range(0, len(group), MAX_IDS):
            out.append(group[start : start + MAX_IDS])
    return out


def timestamp(seconds: int) -> str:
    """ISO 8601 in UTC with milliseconds, as Copper writes ``timestamp``."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def notification(subscription: Subscription, events: Sequence[Pending], at: int) -> dict[str, Any]:
    """The body Copper posts: ids, type, event, subscription_id, the secret's pairs,
    updated_attributes (updates only), timestamp."""
    body: dict[str, Any] = {
        "ids": [e.record_id for e in events],
        "type": subscription.type,
        "event": subscription.event,
        "subscription_id": subscription.id,
    }
    for key, value in (subscription.secret or {}).items():
        if key not in body:
            body[key] = value
    if subscription.event == "update":
        body["updated_attributes"] = events[0].attributes or {}
    body["timestamp"] = timestamp(at)
    return body


def headers_for(
    subscription: Subscription, body: bytes, delivery_id: str, reliable: bool
) -> dict[str, str]:
    """The request's headers: JSON, the subscription's own, then verdigris's delivery id
    and (reliable mode) the body's HMAC-SHA256 signature."""
    headers = {"Content-Type": "application/json", "User-Agent": "verdigris-webhooks"}
    headers.update(subscription.headers or {})
    headers[DELIVERY_HEADER] = delivery_id
    if reliable:
        headers[SIGNATURE_HEADER] = sign(subscription.signing_secret, body)
    return headers


DELIVERY_HEADER: Final = "X-Verdigris-Delivery"
SIGNATURE_HEADER: Final = "X-Verdigris-Signature"


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the body with the signing secret>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), signature)


#: seconds to wait before each retry of a reliable delivery (then it is failed)
BACKOFF: Final = (1, 5, 30, 120, 600, 1800)


def retry_after(attempts: int) -> int | None:
    """Seconds before the next try after ``attempts`` failed ones; None: give up."""
    return BACKOFF[attempts - 1] if 1 <= attempts <= len(BACKOFF) else None


def delivered(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def ids_of(events: Iterable[Pending]) -> list[int]:
    return [e.id for e in events]


class Attempt(msgspec.Struct, kw_only=True):
    """One delivery attempt, as the inbox keeps it."""

    id: int = 0
    account_id: int
    subscription_id: int
    delivery_id: str
    attempt: int
    at: int
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    error: str | None = None
    duration_ms: int | None = None
    #: "delivered", "retrying", "failed" or "dropped"
    outcome: str
    replay_of: int | None = None


@dataclass(frozen=True)
class NewEvent:
    """An outbox row to write with a change."""

    account_id: int
    subscription_id: int
    record_id: int
    attributes: dict[str, Any] | None
    created_at: int
    due_at: int
