"""Lead use cases: create, read, update, delete, upsert and the bulk endpoints."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from verdigris.domain import activities as activity_rules
from verdigris.domain import leads as lead_rules
from verdigris.domain.errors import (
    AlreadyConverted,
    AmbiguousMatch,
    BulkTooLarge,
    MalformedRequest,
    NotFound,
    ValidationFailed,
    VerdigrisError,
)
from verdigris.domain.matching import (
    LOOKUP_LIMIT,
    Ambiguous,
    Create,
    custom_criteria,
    decide,
    parse_match,
    with_match_value,
)
from verdigris.domain.values import parse_int
from verdigris.services.base import (
    HELD_CHANGES,
    ItemFailure,
    Principal,
    ServiceBase,
    Shown,
    TxContext,
    require_object,
)
from verdigris.services.changes import Change
from verdigris.services.tasks import unrelate_tasks
from verdigris.store.base import StoreTx
from verdigris.wire import catalogue


class _ItemFailed(Exception):
    """An item of a bulk request failed on the first pass (LeadServices._bulk)."""


def log_status_change(
    tx: StoreTx,
    ctx: TxContext,
    who: Principal,
    before: lead_rules.Lead,
    after: lead_rules.Lead,
    at: int,
) -> None:
    """Log a "status changed" activity on the lead if ``after``'s status is not
    ``before``'s (an update, a restore from the history)."""
    if after.status_id == before.status_id:
        return
    names = {s.id: s.name for s in ctx.statuses}
    tx.activities.add(
        activity_rules.lead_status_changed(
            who.account_id,
            after.id,
            who.user_id,
            at,
            old=(before.status_id, names.get(before.status_id or 0)),
            new=(after.status_id, names.get(after.status_id or 0)),
        )
    )


class LeadServices(ServiceBase):
    # leads ------------------------------------------------------------------------------
    def create_lead(self, who: Principal, data: Any) -> Shown:
        data = require_object(data)
        with self.store.transaction(write=True) as tx:
            ctx = self.context(tx, who.account_id)
            ctx.expect_fields()  # shown at the end: asked with the insert
            if self.preparers:
                self.expect_changes(tx, who.account_id, "lead")
            return self._create(tx, who, data, ctx)

    def _create(
        self, tx: StoreTx, who: Principal, data: Mapping[str, Any], ctx: TxContext | None = None
    ) -> Shown:
        ctx = ctx or self.context(tx, who.account_id)
        changes = lead_rules.parse_changes(data, ctx)
        lead = lead_rules.new_lead(
            changes,
            account_id=who.account_id,
            now=self.clock(),
            default_status_id=ctx.default_status_id(),
        )
        lead = tx.leads.insert(lead)
        tx.activities.add(
            activity_rules.lead_created(who.account_id, lead.id, who.user_id, lead.date_created)
        )
        self.record_change(tx, who, "lead", "new", lead.id, None, lead, lead.date_created)
        return ctx.show(lead)

    def get_lead(self, who: Principal, lead_id: int) -> Shown:
        with self.store.transaction(write=False) as tx:
            lead = tx.leads.get(who.account_id, lead_id)
            if lead is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return self.context(tx, who.account_id).show(lead)

    async def get_lead_on_loop(self, who: Principal, lead_id: int) -> Shown | None:
        """:meth:`get_lead` on the store's event-loop connections (``Store.loop_reads``,
        which the caller has checked is there), in one statement: the lead and the
        account's definitions version. It shows the lead only with the account's
        statuses and current definitions in the process cache; None when they are not
        (call :meth:`get_lead`, which loads them)."""
        reads = self.store.loop_reads
        assert reads is not None
        found = await reads.lead(who.account_id, lead_id)
        if found is None:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        lead, version = found
        cached = self.cached_lookups(who.account_id, version)
        if cached is None:
            return None
        statuses, all_fields = cached
        # as TxContext.show
        status = next((s.name for s in statuses if s.id == lead.status_id), None)
        return Shown(lead, status, tuple(d for d in all_fields.values() if d.on_leads))

    def update_lead(self, who: Principal, lead_id: int, data: Any) -> Shown:
        data = require_object(data)
        with self.store.transaction(write=True) as tx:
            ctx = self.context(tx, who.account_id)
            ctx.expect_fields()  # shown at the end: asked with the lead's read
            if self.preparers:
                self.expect_changes(tx, who.account_id, "lead")
            return self._update(tx, who, lead_id, data, ctx)

    def _update(
        self,
        tx: StoreTx,
        who: Principal,
        lead_id: int,
        data: Mapping[str, Any],
        ctx: TxContext | None = None,
    ) -> Shown:
        # the row lock keeps concurrent updates of one lead from losing each other's changes
        current = tx.leads.get_for_update(who.account_id, lead_id)
        if current is None:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        if current.converted_at is not None:
            raise AlreadyConverted(catalogue.CONVERTED_LEAD_MESSAGE.format(lead_id=lead_id))
        ctx = ctx or self.context(tx, who.account_id)
        changes = lead_rules.parse_changes(data, ctx)
        lead = lead_rules.apply_changes(current, changes, self.clock())
        if lead is current:
            return ctx.show(current)  # nothing differs: no write, no activity
        tx.leads.update(lead)
        log_status_change(tx, ctx, who, current, lead, lead.date_modified)
        self.record_change(tx, who, "lead", "update", lead.id, current, lead, lead.date_modified)
        return ctx.show(lead)

    def delete_lead(self, who: Principal, lead_id: int) -> int:
        with self.store.transaction(write=True) as tx:
            before = tx.leads.get_for_update(who.account_id, lead_id) if self.observers else None
            if not tx.leads.delete(who.account_id, lead_id):
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            tx.activities.delete_all(who.account_id, "lead", lead_id)
            unrelate_tasks(self, tx, who, "lead", lead_id)
            self.record_change(tx, who, "lead", "delete", lead_id, before, None)
        return lead_id

    def upsert_lead(self, who: Principal, body: Any) -> Shown:
        """Copper's upsert: match, then create or update, atomically."""
        body = require_object(body)
        properties = require_object(body.get("properties"), "properties value")
        sent = parse_match(body.get("match"))
        with self.store.transaction(write=True) as tx:
            ctx = self.context(tx, who.account_id)
            if sent.field == "custom":
                criteria = custom_criteria(ctx.custom_field, sent)
            else:
                criteria = sent
                ctx.expect_fields()  # shown at the end: asked with the match
            if self.preparers:
                self.expect_changes(tx, who.account_id, "lead")
            tx.leads.lock_match(who.account_id, criteria)
            ids = tx.leads.match_ids(who.account_id, criteria, LOOKUP_LIMIT)
            outcome = decide(ids)
            if isinstance(outcome, Ambiguous):
                raise AmbiguousMatch(outcome.ids, outcome.truncated)
            if isinstance(outcome, Create):
                made = self._create(tx, who, with_match_value(properties, sent), ctx)
                return dataclasses.replace(made, outcome="created")
            changed = self._update(tx, who, outcome.lead_id, properties, ctx)
            return dataclasses.replace(changed, outcome="updated")

    def bulk_update(self, who: Principal, body: Any) -> list[Shown | ItemFailure]:
        items = self._bulk_items(body)

        def one(tx: StoreTx, item: Mapping[str, Any], ctx: TxContext) -> Shown:
            lead_id = parse_int(item.get("id"))
            if lead_id is None:
                raise ValidationFailed({"id": ["blank" if item.get("id") is None else "invalid"]})
            return self._update(tx, who, lead_id, item, ctx)

        def plan(tx: StoreTx) -> bool:
            """Read the leads ahead; run the items together only if every one exists
            and is not converted (then a failure, and a second pass, is rare)."""
            ids = [parse_int(item.get("id")) for item in items if isinstance(item, Mapping)]
            known = [i for i in ids if i is not None]
            found = tx.leads.read_ahead_for_update(who.account_id, known)
            return (
                found is not None
                and len(known) == len(ids)
                and all(i in found and found[i].converted_at is None for i in known)
            )

        return self._bulk(who, items, one, together=plan)

    def bulk_create(self, who: Principal, body: Any) -> list[Shown | ItemFailure]:
        items = self._bulk_items(body)
        return self._bulk(
            who,
            items,
            lambda tx, data, ctx: self._create(tx, who, data, ctx),
            with_id=False,
        )

    def _bulk(
        self,
        who: Principal,
        items: Sequence[Any],
        work: Callable[[StoreTx, Mapping[str, Any], TxContext], Shown],
        *,
        with_id: bool = True,
        together: Callable[[StoreTx], bool] | None = None,
    ) -> list[Shown | ItemFailure]:
        """One transaction for the request: a failed item is rolled back alone, and the
        request pays for one transaction (and one load of the account's lookups), not ten.

        With ``together`` (bulk_update), savepoints only when an item fails: when
        ``together(tx)`` expects no failure, the items first run together in one
        savepoint; if one of them fails all the same, that savepoint is rolled back and
        the items run again, each in a savepoint of its own (what each item does, and the
        changes it reports, are then exactly those of the second pass). Most requests
        fail no item and send two savepoint statements, not two per item
        (docs/performance.md). Creates always run in a savepoint each: a second pass
        would give them other ids on PostgreSQL, whose sequences do not roll back."""
        with self.store.transaction(write=True) as tx:
            ctx = self.context(tx, who.account_id)
            ctx.expect_fields()  # the items are shown: asked with the first statement
            if self.preparers:
                self.expect_changes(tx, who.account_id, "lead")
            if together is not None and together(tx):
                try:
                    with tx.savepoint():
                        return self._bulk_together(tx, ctx, items, work)
                except _ItemFailed:
                    pass
            return [self._bulk_item(tx, ctx, item, work, with_id=with_id) for item in items]

    def _bulk_together(
        self,
        tx: StoreTx,
        ctx: TxContext,
        items: Sequence[Any],
        work: Callable[[StoreTx, Mapping[str, Any], TxContext], Shown],
    ) -> list[Shown | ItemFailure]:
        """The first pass: every item, their changes held back until all succeeded, then
        told to the observers in item order, in the same transaction."""
        held: list[tuple[StoreTx, Change]] = []
        token = HELD_CHANGES.set(held)
        try:
            results = [self._bulk_item_or_raise(tx, ctx, item, work) for item in items]
        finally:
            HELD_CHANGES.reset(token)
        try:
            # the leads' versions, if the history observes, are added together (one read
            # of their newest numbers, one insert of them all: History.together)
            updated = [c.record_id for _, c in held if c.entity == "lead" and c.event == "update"]
            with tx.history.together(ctx.account_id, updated):
                for change_tx, change in held:
                    self.changed(change_tx, change)
        except VerdigrisError as exc:  # an observer refused: find the item in the second pass
            raise _ItemFailed from exc
        return results

    def _bulk_item_or_raise(
        self,
        tx: StoreTx,
        ctx: TxContext,
        item: Any,
        work: Callable[[StoreTx, Mapping[str, Any], TxContext], Shown],
    ) -> Shown | ItemFailure:
        """An item of the first pass: a failure that may have written raises _ItemFailed."""
        if not isinstance(item, Mapping):
            return ItemFailure({"lead": ["invalid_type"]}, catalogue.BULK_ITEM_NOT_AN_OBJECT, None)
        try:
            return work(tx, item, ctx)
        except VerdigrisError as exc:
            raise _ItemFailed from exc

    def _bulk_items(self, body: Any) -> Sequence[Any]:
        body = require_object(body)
        items = body.get("leads")
        if not isinstance(items, list):
            raise MalformedRequest(catalogue.BULK_BODY_MESSAGE)
        if len(items) > self.bulk_limit:
            raise BulkTooLarge(self.bulk_limit)
        return items

    def _bulk_item(
        self,
        tx: StoreTx,
        ctx: TxContext,
        item: Any,
        work: Callable[[StoreTx, Mapping[str, Any], TxContext], Shown],
        *,
        with_id: bool = True,
    ) -> Shown | ItemFailure:
        lead_id = parse_int(item.get("id")) if isinstance(item, Mapping) else None
        if not isinstance(item, Mapping):
            return ItemFailure({"lead": ["invalid_type"]}, catalogue.BULK_ITEM_NOT_AN_OBJECT, None)
        try:
            with tx.savepoint():
                return work(tx, item, ctx)
        except ValidationFailed as exc:
            return ItemFailure(exc.errors, exc.message, lead_id if with_id else None)
        except NotFound as exc:
            return ItemFailure({"id": ["not_found"]}, exc.message, lead_id)
        except VerdigrisError as exc:
            return ItemFailure({"lead": ["invalid"]}, exc.message, lead_id if with_id else None)
