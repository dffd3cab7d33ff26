"""Activities through the API (issue 16): list the account's activity types; create,
read, update, delete and search activities; bulk create.

A user activity on a lead whose type counts as an interaction moves the lead's
``interaction_count`` and ``date_last_contacted``: every write here that touches such
an activity recounts the lead's interactions in the same transaction, under the lead's
row lock (so two calls logged at once on one lead cannot lose each other's count).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from verdigris.domain import activities as rules
from verdigris.domain.activities import Activity, ActivityType
from verdigris.domain.activity_input import ActivityInput, parse_activity, parse_search
from verdigris.domain.errors import (
    BulkTooLarge,
    FieldErrors,
    MalformedRequest,
    NotFound,
    ValidationFailed,
    VerdigrisError,
)
from verdigris.services.base import ItemFailure, Principal, ServiceBase, require_object
from verdigris.services.changes import Event
from verdigris.store.base import StoreTx
from verdigris.wire import catalogue


class ActivityTypes:
    """An account's activity types, loaded once per transaction."""

    def __init__(self, stored: list[ActivityType]) -> None:
        self.user = rules.user_types(stored)
        self.system = list(rules.SYSTEM_TYPES)
        self.counting = rules.counting_type_ids(self.user)

    def find(self, category: str, type_id: int) -> ActivityType | None:
        kinds = self.user if category == "user" else self.system
        return next((t for t in kinds if t.id == type_id), None)


class ActivityServices(ServiceBase):
    def activity_types(self, who: Principal) -> ActivityTypes:
        with self.store.transaction(write=False) as tx:
            return ActivityTypes(tx.activities.list_types(who.account_id))

    def create_activity(self, who: Principal, body: Any) -> Activity:
        with self.store.transaction(write=True) as tx:
            types = ActivityTypes(tx.activities.list_types(who.account_id))
            return self._create_activity(tx, who, types, body, cause=None)

    def get_activity(self, who: Principal, activity_id: int) -> Activity:
        """An activity; a deleted one comes back with ``deleted_at`` set (a stub)."""
        with self.store.transaction(write=False) as tx:
            found = tx.activities.get(who.account_id, activity_id)
            if found is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return found

    def update_activity(self, who: Principal, activity_id: int, body: Any) -> Activity:
        changes = parse_activity(require_object(body), rules.LOGGABLE_PARENTS, new=False)
        with self.store.transaction(write=True) as tx:
            current = tx.activities.get(who.account_id, activity_id)
            if current is None or current.deleted_at is not None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            _user_activity(current)
            if current.parent_type == "lead":  # its interactions are recounted below
                tx.leads.get_for_update(who.account_id, current.parent_id)
            types = ActivityTypes(tx.activities.list_types(who.account_id))
            self._check_activity(tx, who, types, changes)
            parent = changes.parent or (current.parent_type, current.parent_id)
            kind = changes.type or (current.type_category, current.type_id)
            now = self.clock()
            updated = Activity(
                id=current.id,
                account_id=current.account_id,
                parent_type=parent[0],
                parent_id=parent[1],
                type_id=kind[1],
                type_category=kind[0],
                user_id=changes.user_id if changes.user_id is not None else current.user_id,
                details=changes.details if changes.has_details else current.details,
                activity_date=(
                    changes.activity_date
                    if changes.activity_date is not None
                    else current.activity_date
                ),
                date_created=current.date_created,
                date_modified=now,
            )
            tx.activities.update(updated)
            self._recount_interactions(tx, who.account_id, types, current, updated)
            self._activity_changed(tx, who, "update", current, updated, now)
            return updated

    def delete_activity(self, who: Principal, activity_id: int) -> int:
        """Delete a user activity; it stays readable as a stub (Copper). Deleting it
        again answers the same stub and changes nothing."""
        with self.store.transaction(write=True) as tx:
            current = tx.activities.get(who.account_id, activity_id)
            if current is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            if current.deleted_at is not None:
                return activity_id
            _user_activity(current)
            types = ActivityTypes(tx.activities.list_types(who.account_id))
            now = self.clock()
            if current.parent_type == "lead":  # its interactions are recounted below
                tx.leads.get_for_update(who.account_id, current.parent_id)
            tx.activities.update(msgspec.structs.replace(current, deleted_at=now))
            self._recount_interactions(tx, who.account_id, types, current, None)
            self._activity_changed(tx, who, "delete", current, None, now)
            return activity_id

    def search_activities(self, who: Principal, body: Any) -> tuple[int, list[Activity]]:
        query = parse_search(body)
        with self.store.transaction(write=False) as tx:
            return tx.activities.search(who.account_id, query)

    def bulk_create_activities(self, who: Principal, body: Any) -> list[Activity | ItemFailure]:
        """Copper's Bulk Create Activities: at most ``bulk_limit`` items, one savepoint
        each, so a failed item is undone alone; results in request order."""
        body = require_object(body)
        items = body.get("activities")
        if not isinstance(items, list):
            raise MalformedRequest(catalogue.ACTIVITY_BULK_BODY_MESSAGE)
        if len(items) > self.bulk_limit:
            raise BulkTooLarge(self.bulk_limit)
        with self.store.transaction(write=True) as tx:
            types = ActivityTypes(tx.activities.list_types(who.account_id))
            return [self._bulk_activity(tx, who, types, item) for item in items]

    # ---------------------------------------------------------------------------------
    def _bulk_activity(
        self, tx: StoreTx, who: Principal, types: ActivityTypes, item: Any
    ) -> Activity | ItemFailure:
        if not isinstance(item, Mapping):
            return ItemFailure(
                {"activity": ["invalid_type"]}, catalogue.BULK_ITEM_NOT_AN_OBJECT, None
            )
        try:
            with tx.savepoint():
                return self._create_activity(tx, who, types, item, cause="bulk_create")
        except ValidationFailed as exc:
            return ItemFailure(exc.errors, exc.message, None)
        except VerdigrisError as exc:
            return ItemFailure({"activity": ["invalid"]}, exc.message, None)

    def _create_activity(
        self, tx: StoreTx, who: Principal, types: ActivityTypes, body: Any, cause: str | None
    ) -> Activity:
        found = parse_activity(body, rules.LOGGABLE_PARENTS, new=True)
        self._check_activity(tx, who, types, found)
        assert found.parent is not None and found.type is not None
        now = self.clock()
        activity = tx.activities.insert(
            Activity(
                account_id=who.account_id,
                parent_type=found.parent[0],
                parent_id=found.parent[1],
                type_id=found.type[1],
                type_category=found.type[0],
                user_id=found.user_id if found.user_id is not None else who.user_id,
                details=found.details,
                activity_date=found.activity_date if found.activity_date is not None else now,
                date_created=now,
                date_modified=now,
            )
        )
        self._recount_interactions(tx, who.account_id, types, None, activity)
        self._activity_changed(tx, who, "new", None, activity, now, cause)
        return activity

    def _check_activity(
        self, tx: StoreTx, who: Principal, types: ActivityTypes, found: ActivityInput
    ) -> None:
        """What the account must hold: the parent (its lead row locked until the end of
        the transaction), a user type that is not disabled, the user."""
        errors = FieldErrors()
        if found.parent is not None and not self._parent_exists(tx, who, *found.parent):
            errors.add("parent", "not_found", f"no {found.parent[0]} {found.parent[1]}")
        if found.type is not None:
            kind = types.find(*found.type)
            if kind is None:
                errors.add("type", "not_found", f"no user activity type {found.type[1]}")
            elif kind.is_disabled:
                errors.add("type", "invalid", f"activity type {kind.name!r} is disabled")
        user_id = found.user_id
        if user_id is not None and tx.accounts.get_user(who.account_id, user_id) is None:
            errors.add("user_id", "not_found", f"no user {found.user_id} in this account")
        errors.raise_if_any()

    def _parent_exists(self, tx: StoreTx, who: Principal, kind: str, ident: int) -> bool:
        if kind == "lead":
            return tx.leads.get_for_update(who.account_id, ident) is not None
        if kind == "person":
            return tx.crm.get_person(who.account_id, ident) is not None
        if kind == "company":
            return tx.crm.get_company(who.account_id, ident) is not None
        if kind == "opportunity":
            return tx.crm.get_opportunity(who.account_id, ident) is not None
        return False

    def _recount_interactions(
        self,
        tx: StoreTx,
        account_id: int,
        types: ActivityTypes,
        before: Activity | None,
        after: Activity | None,
    ) -> None:
        """Recount the interactions of each lead ``before`` or ``after`` is logged on,
        when either is of a type that counts."""
        leads: set[int] = set()
        for activity in (before, after):
            if (
                activity is not None
                and activity.parent_type == "lead"
                and activity.type_category == "user"
                and activity.type_id in types.counting
            ):
                leads.add(activity.parent_id)
        for lead_id in sorted(leads):
            count, last = tx.activities.interactions(account_id, lead_id, types.counting)
            tx.leads.set_interactions(account_id, lead_id, count, last)

    def _activity_changed(
        self,
        tx: StoreTx,
        who: Principal,
        event: Event,
        before: Activity | None,
        after: Activity | None,
        now: int,
        cause: str | None = None,
    ) -> None:
        record = after or before
        assert record is not None
        self.record_change(tx, who, "activity", event, record.id, before, after, now, cause=cause)


def _user_activity(activity: Activity) -> None:
    """Copper: "Only User type Activities can be created or modified"."""
    if activity.type_category != "user":
        errors = FieldErrors()
        errors.add("type", "invalid", "system activities are read-only")
        errors.raise_if_any()
