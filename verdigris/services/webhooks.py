"""Webhook use cases: Copper's subscriptions, the inbox, and the observer that writes the
outbox in the transaction of each change.

:meth:`WebhookServices.enable_webhooks` registers :meth:`WebhookServices._webhook_event`
as an observer (services/changes.py): for every change of a record whose type and event
an account subscribes to, one outbox row per subscription is written through the
change's own transaction, so a rolled back change leaves none and a committed one is
never lost. Updates carry ``updated_attributes``, computed here from the records before
and after in Copper's names (their wire rendering). Entities are handled generically: a
change of any type (activities, tasks...) reaches the subscriptions of that type.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from verdigris.domain import custom_fields as cf
from verdigris.domain import webhooks as rules
from verdigris.domain.errors import FieldErrors, NotFound
from verdigris.domain.leads import Lead
from verdigris.domain.values import parse_int
from verdigris.domain.webhooks import Attempt, NewEvent, Subscription, TargetRules
from verdigris.services.base import Principal, ServiceBase, TxContext, require_object
from verdigris.services.changes import Change, Entity
from verdigris.store.base import StoreTx
from verdigris.wire import catalogue
from verdigris.wire.leads import CONVERTED_KEYS, LeadOut

#: attempts listed at most per page of the inbox
MAX_ATTEMPTS_PAGE = 200


@dataclass(frozen=True)
class WebhookConfig:
    """The server's webhook settings, as the services need them."""

    #: seconds between a change and its notification (Copper: up to 15 minutes)
    delay: int = 0
    #: the delivery mode of subscriptions that set none: "copper" or "reliable"
    mode: str = rules.COPPER
    targets: TargetRules = field(default_factory=TargetRules)


class WebhookServices(ServiceBase):
    webhook_config: WebhookConfig = WebhookConfig()

    def enable_webhooks(self, config: WebhookConfig | None = None) -> None:
        """Write an outbox row for every subscribed change from now on (once)."""
        if config is not None:
            self.webhook_config = config
        if self._webhook_event not in self.observers:
            self.observe(self._webhook_event)
            self.preparers.append(self._expect_webhook_reads)

    def _expect_webhook_reads(self, tx: StoreTx, account_id: int, entity: Entity) -> None:
        tx.webhooks.expect_type(account_id, rules.entity_type(entity))

    # Copper's /webhooks -------------------------------------------------------------------

    def list_webhooks(self, who: Principal) -> list[Subscription]:
        with self.store.transaction(write=False) as tx:
            return tx.webhooks.all(who.account_id)

    def get_webhook(self, who: Principal, subscription_id: int) -> Subscription:
        with self.store.transaction(write=False) as tx:
            return self._subscription(tx, who, subscription_id)

    def create_webhook(self, who: Principal, data: Any) -> Subscription:
        data = require_object(data)
        fields = rules.parse_subscription(data, self.webhook_config.targets, creating=True)
        with self.store.transaction(write=True) as tx:
            rules.check_count(tx.webhooks.count(who.account_id))
            return tx.webhooks.insert(
                Subscription(
                    account_id=who.account_id,
                    created_at=self.clock(),
                    signing_secret=rules.new_signing_secret(),
                    **fields,
                )
            )

    def update_webhook(self, who: Principal, subscription_id: int, data: Any) -> Subscription:
        data = require_object(data)
        fields = rules.parse_subscription(data, self.webhook_config.targets, creating=False)
        with self.store.transaction(write=True) as tx:
            current = self._subscription(tx, who, subscription_id)
            updated = msgspec.structs.replace(current, **fields)
            if updated != current:
                tx.webhooks.update(updated)
            return updated

    def delete_webhook(self, who: Principal, subscription_id: int) -> int:
        with self.store.transaction(write=True) as tx:
            if not tx.webhooks.delete(who.account_id, subscription_id):
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        return subscription_id

    def _subscription(self, tx: StoreTx, who: Principal, subscription_id: int) -> Subscription:
        found = tx.webhooks.get(who.account_id, subscription_id)
        if found is None:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        return found

    # verdigris's extensions: delivery mode, inbox, replay ---------------------------------

    def webhook_mode(self, subscription: Subscription) -> str:
        return subscription.mode or self.webhook_config.mode

    def get_webhook_delivery(self, who: Principal, subscription_id: int) -> Subscription:
        return self.get_webhook(who, subscription_id)

    def set_webhook_delivery(self, who: Principal, subscription_id: int, data: Any) -> Subscription:
        data = require_object(data)
        mode = data.get("mode")
        if mode is not None and mode not in rules.MODES:
            errors = FieldErrors()
            errors.add("mode", "invalid", catalogue.WEBHOOK_MODE_NOTE)
            errors.raise_if_any()
        with self.store.transaction(write=True) as tx:
            current = self._subscription(tx, who, subscription_id)
            updated = msgspec.structs.replace(current, mode=mode)
            tx.webhooks.update(updated)
            return updated

    def webhook_deliveries(self, who: Principal, query: Mapping[str, str]) -> list[Attempt]:
        """The account's attempts, newest first; ``subscription_id``, ``delivery_id``,
        ``before_id`` and ``page_size`` (at most 200) narrow them."""
        errors = FieldErrors()
        numbers: dict[str, int | None] = {}
        for name in ("subscription_id", "before_id", "page_size"):
            raw = query.get(name)
            numbers[name] = None if raw is None else parse_int(raw)
            if raw is not None and numbers[name] is None:
                errors.add(name, "invalid")
        size = 50 if numbers["page_size"] is None else numbers["page_size"]
        if not 1 <= size <= MAX_ATTEMPTS_PAGE:
            errors.add(
                "page_size", "invalid", f"page_size must be between 1 and {MAX_ATTEMPTS_PAGE}"
            )
        errors.raise_if_any()
        with self.store.transaction(write=False) as tx:
            return tx.outbox.attempts(
                who.account_id,
                subscription_id=numbers["subscription_id"],
                delivery_id=query.get("delivery_id"),
                before_id=numbers["before_id"],
                limit=size,
            )

    def webhook_delivery(self, who: Principal, attempt_id: int) -> Attempt:
        with self.store.transaction(write=False) as tx:
            found = tx.outbox.attempt(who.account_id, attempt_id)
        if found is None:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        return found

    def replay_webhook_delivery(self, who: Principal, attempt_id: int) -> Attempt:
        """Queue the attempt's request to be sent again, as it was, to its subscription's
        current target (the sender records the new attempt with ``replay_of``)."""
        with self.store.transaction(write=True) as tx:
            found = tx.outbox.attempt(who.account_id, attempt_id)
            if found is None or tx.webhooks.get(who.account_id, found.subscription_id) is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            tx.outbox.add_replay(found, self.clock())
            return found

    # the observer ------------------------------------------------------------------------

    def _webhook_event(self, tx: StoreTx, change: Change) -> None:
        subscriptions = tx.webhooks.for_topic(
            change.account_id, rules.entity_type(change.entity), change.event
        )
        if not subscriptions:
            return
        due = change.at + self.webhook_config.delay
        events: list[NewEvent] = []
        keys: list[str] = []
        attributes: dict[bool, dict[str, Any]] = {}
        ctx = self.context(tx, change.account_id)  # one for both sides of every update
        for sub in subscriptions:
            attrs: dict[str, Any] | None = None
            if change.event == "update":
                computed = sub.custom_field_computed_values
                if computed not in attributes:
                    before = self._wire(ctx, change.before, computed)
                    after = self._wire(ctx, change.after, computed)
                    attributes[computed] = rules.updated_attributes(before, after)
                attrs = attributes[computed]
                if not attrs:
                    continue  # metadata alone changed: not an update for Copper
            events.append(
                NewEvent(change.account_id, sub.id, change.record_id, attrs, change.at, due)
            )
            keys.append(rules.group_key(attrs))
        if events:
            tx.outbox.add(events, keys)

    def _wire(self, ctx: TxContext, record: Any, computed: bool) -> dict[str, Any]:
        """``record`` in Copper's names, as its GET would show it (leads exactly; other
        records from their domain fields, custom fields as Copper lists them)."""
        if record is None:
            return {}
        if isinstance(record, Lead):
            data = msgspec.structs.asdict(record)
            data["status"] = next((s.name for s in ctx.statuses if s.id == record.status_id), None)
            data["custom_fields"] = _custom_entries(
                record.custom_fields, ctx.fields.values(), computed
            )
            if record.converted_at is None:
                for key in CONVERTED_KEYS:
                    del data[key]
            rendered = msgspec.convert(data, LeadOut, from_attributes=True)
            out: dict[str, Any] = msgspec.to_builtins(rendered)
            return out
        if isinstance(record, msgspec.Struct):
            plain = msgspec.to_builtins(record)
        elif dataclasses.is_dataclass(record) and not isinstance(record, type):
            plain = msgspec.to_builtins(dataclasses.asdict(record))
        else:
            return {}
        plain.pop("account_id", None)
        stored = getattr(record, "custom_fields", None)
        if isinstance(stored, Mapping):
            definitions = ctx.all_fields
            plain["custom_fields"] = _custom_entries(
                stored, (definitions[i] for i in sorted(stored) if i in definitions), computed
            )
        return dict(plain)


def _custom_entries(
    values: Mapping[int, Any], definitions: Any, computed: bool
) -> list[dict[str, Any]]:
    """``custom_fields`` as Copper lists them; option ids as option names when the
    subscription asks for ``custom_field_computed_values``."""
    entries = []
    for d in definitions:
        stored = values.get(d.id)
        if computed and d.data_type in cf.OPTION_TYPES:
            value = cf.computed_value(d, stored)
        else:
            value = cf.render_value(d, stored)
        entries.append({"custom_field_definition_id": d.id, "value": value})
    return entries
