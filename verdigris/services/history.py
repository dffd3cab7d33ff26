"""A lead's history (issue 19): the observer that records a version with every lead
write, and the use cases over versions (list, show, diff, restore, deleted leads, the
revert of an import run, retention).

The observer (:meth:`HistoryServices.record_version`) is registered with
:meth:`~verdigris.services.base.ServiceBase.observe` (the server does so unless
``VERDIGRIS_HISTORY=off``); it writes through the change's own transaction, so a write
and its version commit, or roll back, together. A restore is a normal lead write:
observers (the history itself, webhooks) see it as an update (or, for a deleted lead,
a creation) with ``cause="restore"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verdigris.domain import history as rules
from verdigris.domain.errors import AlreadyConverted, NotFound, ValidationFailed
from verdigris.domain.history import Version
from verdigris.domain.leads import Lead
from verdigris.services.base import Principal, ServiceBase, Shown
from verdigris.services.changes import Change
from verdigris.services.leads import log_status_change
from verdigris.services.request_context import current
from verdigris.store.base import StoreTx
from verdigris.wire import catalogue


def version_state(change: Change) -> tuple[Any, str] | None:
    """What a version of ``change`` stores (the record as the change left it; a delete:
    as it was) and the version's event (a restore is one of its own); None: nothing."""
    state = change.after if change.after is not None else change.before
    if state is None:
        return None
    return state, "restore" if change.cause == "restore" else change.event


def provenance(change: Change, event: str, request: object) -> dict[str, Any]:
    """Who, when and through which request a version was written. A baseline (the state
    found before the first recorded write) was written by nobody known."""
    baseline = event == "baseline"
    return {
        "user_id": None if baseline else change.user_id,
        "at": change.at,
        "route": None if baseline else getattr(request, "route", None),
        "request_id": None if baseline else getattr(request, "request_id", None),
    }


@dataclass(frozen=True)
class ShownVersion:
    """A version with what rendering its lead needs."""

    version: Version
    shown: Shown


@dataclass(frozen=True)
class RevertStep:
    """One page of an import run's revert."""

    #: leads put back as they were before the run (updated ones) or deleted (created ones)
    reverted: list[int]
    #: leads left alone, with why: ``changed_since`` (written after the run),
    #: ``already_reverted``, ``deleted``
    skipped: list[tuple[int, str]]
    #: the lead id to continue after, None when the run is done
    next_after: int | None
    #: how many leads the run wrote, in all
    leads: int


class HistoryServices(ServiceBase):
    # the observer ----------------------------------------------------------------------
    def record_version(self, tx: StoreTx, change: Change) -> None:
        """Store the lead as ``change`` left it (a delete: as it was) as its next version."""
        if change.entity != "lead":
            return
        request = current.get()
        stored = version_state(change)
        if stored is None:
            return
        state, event = stored
        if change.event == "new" and change.cause is None:
            # a new lead: its id was never handed out before (migration 0008)
            tx.history.add(self._version(change, state, 1, event, change.cause, request))
            return
        # the newest version plus one, read by the insert itself; a lead older than its
        # history gets its state before this write as version 1 first
        before = change.before
        tx.history.add_following(
            self._version(change, state, 0, event, change.cause, request),
            None
            if before is None
            else lambda: self._version(change, before, 1, "baseline", None, request),
        )

    @staticmethod
    def _version(
        change: Change, lead: Lead, number: int, event: str, cause: str | None, request: object
    ) -> Version:
        return Version(
            account_id=change.account_id,
            lead_id=change.record_id,
            version=number,
            event=event,
            cause=cause,
            data=rules.lead_json(lead),
            **provenance(change, event, request),
            import_run=getattr(request, "import_run", None) if event != "baseline" else None,
        )

    # reads -----------------------------------------------------------------------------
    def lead_versions(
        self, who: Principal, lead_id: int, *, before: int | None = None, limit: int = 50
    ) -> list[ShownVersion]:
        """The lead's versions, newest first (404: no such lead and no history of it)."""
        with self.store.transaction(write=False) as tx:
            found = tx.history.versions(who.account_id, lead_id, before=before, limit=limit)
            if not found and before is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            ctx = self.context(tx, who.account_id)
            return [ShownVersion(v, ctx.show(v.lead)) for v in found]

    def lead_version(self, who: Principal, lead_id: int, number: int) -> ShownVersion:
        with self.store.transaction(write=False) as tx:
            version = tx.history.get(who.account_id, lead_id, number)
            if version is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return ShownVersion(version, self.context(tx, who.account_id).show(version.lead))

    def lead_version_pair(
        self, who: Principal, lead_id: int, first: int, second: int
    ) -> tuple[ShownVersion, ShownVersion]:
        """Two versions of a lead, for a diff (404 if either is missing)."""
        with self.store.transaction(write=False) as tx:
            ctx = self.context(tx, who.account_id)
            pair = []
            for number in (first, second):
                version = tx.history.get(who.account_id, lead_id, number)
                if version is None:
                    raise NotFound(catalogue.NOT_FOUND_MESSAGE)
                pair.append(ShownVersion(version, ctx.show(version.lead)))
            return pair[0], pair[1]

    def deleted_leads(
        self, who: Principal, *, after: int | None = None, limit: int = 50
    ) -> list[ShownVersion]:
        """Deleted leads not restored since, by id: each as it was deleted."""
        with self.store.transaction(write=False) as tx:
            found = tx.history.deleted(who.account_id, after=after, limit=limit)
            ctx = self.context(tx, who.account_id)
            return [ShownVersion(v, ctx.show(v.lead)) for v in found]

    # writes ----------------------------------------------------------------------------
    def restore_version(self, who: Principal, lead_id: int, number: int) -> Shown:
        """Make the lead what version ``number`` holds: a new version; a deleted lead
        comes back with its id."""
        with self.store.transaction(write=True) as tx:
            version = tx.history.get(who.account_id, lead_id, number)
            if version is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return self._restore(tx, who, lead_id, version.lead)

    def restore_deleted(self, who: Principal, lead_id: int) -> Shown:
        """A deleted lead back as it was deleted, with its id (422 if it exists)."""
        with self.store.transaction(write=True) as tx:
            if tx.leads.get(who.account_id, lead_id) is not None:
                raise ValidationFailed(
                    {"id": ["invalid"]},
                    catalogue.LEAD_NOT_DELETED_MESSAGE.format(lead_id=lead_id),
                )
            latest = tx.history.latest(who.account_id, lead_id)
            version = tx.history.get(who.account_id, lead_id, latest) if latest else None
            if version is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return self._restore(tx, who, lead_id, version.lead)

    def _restore(self, tx: StoreTx, who: Principal, lead_id: int, old: Lead) -> Shown:
        ctx = self.context(tx, who.account_id)
        now = self.clock()
        current_lead = tx.leads.get_for_update(who.account_id, lead_id)
        if current_lead is None:
            lead = rules.revived(old, now=now, known_fields=ctx.fields)
            tx.leads.reinsert(lead)
            event: str = "new"
        else:
            if current_lead.converted_at is not None:
                raise AlreadyConverted(catalogue.CONVERTED_LEAD_MESSAGE.format(lead_id=lead_id))
            lead = rules.restored(current_lead, old, now=now, known_fields=ctx.fields)
            tx.leads.update(lead)
            event = "update"
            log_status_change(tx, ctx, who, current_lead, lead, now)
        self.record_change(
            tx,
            who,
            "lead",
            "new" if event == "new" else "update",
            lead_id,
            current_lead,
            lead,
            now,
            cause="restore",
        )
        return ctx.show(lead)

    def revert_import(
        self, who: Principal, run: str, *, after: int | None = None, limit: int = 100
    ) -> RevertStep:
        """Undo what import run ``run`` did to up to ``limit`` leads (ids above ``after``),
        in one transaction: a lead it created is deleted, a lead it updated gets its
        version from before the run back; a lead written since the run is left alone."""
        with self.store.transaction(write=True) as tx:
            leads = tx.history.run_leads(who.account_id, run, after=after, limit=limit)
            reverted: list[int] = []
            skipped: list[tuple[int, str]] = []
            for lead_id, first, last in leads:
                reason = self._revert_one(tx, who, lead_id, first, last)
                if reason is None:
                    reverted.append(lead_id)
                else:
                    skipped.append((lead_id, reason))
            next_after = leads[-1][0] if len(leads) == limit else None
            total = tx.history.run_size(who.account_id, run)
            return RevertStep(reverted, skipped, next_after, total)

    def _revert_one(
        self, tx: StoreTx, who: Principal, lead_id: int, first: int, last: int
    ) -> str | None:
        latest = tx.history.latest(who.account_id, lead_id)
        if latest != last:
            newest = tx.history.get(who.account_id, lead_id, latest)
            if newest is not None and newest.cause == "revert":
                return "already_reverted"
            return "changed_since"
        start = tx.history.get(who.account_id, lead_id, first)
        assert start is not None
        current_lead = tx.leads.get_for_update(who.account_id, lead_id)
        if current_lead is None:
            return "deleted"
        if current_lead.converted_at is not None:
            return "converted"
        if start.event == "new":
            tx.leads.delete(who.account_id, lead_id)
            tx.activities.delete_all(who.account_id, "lead", lead_id)
            after: Lead | None = None
            event = "delete"
        else:
            before = tx.history.get(who.account_id, lead_id, first - 1)
            if before is None:
                return "no_earlier_version"
            ctx = self.context(tx, who.account_id)
            after = rules.restored(
                current_lead, before.lead, now=self.clock(), known_fields=ctx.fields
            )
            tx.leads.update(after)
            event = "update"
        self.record_change(
            tx,
            who,
            "lead",
            "delete" if event == "delete" else "update",
            lead_id,
            current_lead,
            after,
            None,
            cause="revert",
        )
        return None

    def prune_history(self, *, older_than: int | None, keep: int | None) -> int:
        """Retention: drop versions recorded before ``older_than`` (a time) and all but the
        newest ``keep`` of each lead, person, company and opportunity; how many went."""
        if older_than is None and keep is None:
            return 0
        with self.store.transaction(write=True) as tx:
            gone = tx.history.prune(older_than=older_than, keep=keep)
            # people, companies and opportunities (issue 21, services/record_history.py)
            return gone + tx.record_history.prune(older_than=older_than, keep=keep)
