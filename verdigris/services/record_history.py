"""The history of people, companies and opportunities (issue 21: "webhooks and history
cover them too"): the observer that records a version with every write of one of them,
and the use cases over versions (list, show, diff, restore, deleted records).

The same model as a lead's history (:mod:`verdigris.services.history`): the observer
(:meth:`RecordHistoryServices.record_crm_version`) writes through the change's own
transaction, so a write and its version commit, or roll back, together; a restore is a
normal write of the record, seen by observers (the history itself, webhooks) as an update
(or, for a deleted record, a creation) with ``cause="restore"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verdigris.domain import record_history as rules
from verdigris.domain.crm import Company, Opportunity, Person, Stage
from verdigris.domain.errors import NotFound, ValidationFailed
from verdigris.domain.opportunities import stage_changed
from verdigris.domain.record_history import KINDS, Record, RecordEntity, RecordVersion
from verdigris.services.base import Principal, ServiceBase
from verdigris.services.changes import Change, Event
from verdigris.services.conversion import WithFields
from verdigris.services.history import provenance, version_state
from verdigris.services.people import check_emails, shown
from verdigris.services.request_context import current
from verdigris.store.base import StoreTx
from verdigris.wire import catalogue

#: how messages name each kind
LABELS = {"person": "Person", "company": "Company", "opportunity": "Opportunity"}


@dataclass(frozen=True)
class ShownRecordVersion:
    """A version with what rendering its record needs."""

    version: RecordVersion
    shown: WithFields[Any]


def _version(
    change: Change, record: Record, number: int, event: str, cause: str | None, request: object
) -> RecordVersion:
    return RecordVersion(
        account_id=change.account_id,
        entity=change.entity,
        record_id=change.record_id,
        version=number,
        event=event,
        cause=cause,
        data=rules.record_json(record),
        **provenance(change, event, request),
    )


class RecordHistoryServices(ServiceBase):
    # the observer ----------------------------------------------------------------------
    def record_crm_version(self, tx: StoreTx, change: Change) -> None:
        """Store the person, company or opportunity as ``change`` left it (a delete: as
        it was) as its next version."""
        if change.entity not in KINDS:
            return
        request = current.get()
        stored = version_state(change)
        if stored is None:
            return
        state, event = stored
        history = tx.record_history
        if change.event == "new" and change.cause is None:
            # a new record: its id was never handed out before (migration 0008)
            history.add(_version(change, state, 1, event, None, request))
            return
        # the newest version plus one, read by the insert itself (one round trip)
        number = history.add_next(_version(change, state, 0, event, change.cause, request))
        if number == 1 and change.before is not None:
            # a record older than its history: its state before this write comes first
            history.renumber(change.account_id, change.entity, change.record_id, 1, 2)
            history.add(_version(change, change.before, 1, "baseline", None, request))

    # reads -----------------------------------------------------------------------------
    def _crm_shown(self, tx: StoreTx, who: Principal, version: RecordVersion) -> ShownRecordVersion:
        ctx = self.context(tx, who.account_id)
        return ShownRecordVersion(version, shown(ctx, version.record, version.entity))

    def crm_versions(
        self,
        who: Principal,
        entity: RecordEntity,
        record_id: int,
        *,
        before: int | None = None,
        limit: int = 50,
    ) -> list[ShownRecordVersion]:
        """The record's versions, newest first (404: no such record and no history)."""
        with self.store.transaction(write=False) as tx:
            found = tx.record_history.versions(
                who.account_id, entity, record_id, before=before, limit=limit
            )
            if not found and before is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return [self._crm_shown(tx, who, v) for v in found]

    def crm_version(
        self, who: Principal, entity: RecordEntity, record_id: int, number: int
    ) -> ShownRecordVersion:
        with self.store.transaction(write=False) as tx:
            version = tx.record_history.get(who.account_id, entity, record_id, number)
            if version is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return self._crm_shown(tx, who, version)

    def crm_version_pair(
        self, who: Principal, entity: RecordEntity, record_id: int, first: int, second: int
    ) -> tuple[ShownRecordVersion, ShownRecordVersion]:
        """Two versions of a record, for a diff (404 if either is missing)."""
        with self.store.transaction(write=False) as tx:
            pair = []
            for number in (first, second):
                version = tx.record_history.get(who.account_id, entity, record_id, number)
                if version is None:
                    raise NotFound(catalogue.NOT_FOUND_MESSAGE)
                pair.append(self._crm_shown(tx, who, version))
            return pair[0], pair[1]

    def deleted_crm_records(
        self, who: Principal, entity: RecordEntity, *, after: int | None = None, limit: int = 50
    ) -> list[ShownRecordVersion]:
        """Deleted records of the kind not restored since, by id: each as it was deleted."""
        with self.store.transaction(write=False) as tx:
            found = tx.record_history.deleted(who.account_id, entity, after=after, limit=limit)
            return [self._crm_shown(tx, who, v) for v in found]

    # writes ----------------------------------------------------------------------------
    def restore_crm_version(
        self, who: Principal, entity: RecordEntity, record_id: int, number: int
    ) -> WithFields[Any]:
        """Make the record what version ``number`` holds: a new version; a deleted
        record comes back with its id."""
        with self.store.transaction(write=True) as tx:
            version = tx.record_history.get(who.account_id, entity, record_id, number)
            if version is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return self._crm_restore(tx, who, entity, record_id, version.record)

    def restore_deleted_crm_record(
        self, who: Principal, entity: RecordEntity, record_id: int
    ) -> WithFields[Any]:
        """A deleted record back as it was deleted, with its id (422 if it exists)."""
        with self.store.transaction(write=True) as tx:
            if self._crm_current(tx, who, entity, record_id) is not None:
                raise ValidationFailed(
                    {"id": ["invalid"]},
                    catalogue.RECORD_NOT_DELETED_MESSAGE.format(
                        kind=LABELS[entity], record_id=record_id
                    ),
                )
            history = tx.record_history
            latest = history.latest(who.account_id, entity, record_id)
            version = history.get(who.account_id, entity, record_id, latest) if latest else None
            if version is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return self._crm_restore(tx, who, entity, record_id, version.record)

    @staticmethod
    def _crm_current(
        tx: StoreTx, who: Principal, entity: RecordEntity, record_id: int
    ) -> Record | None:
        """The record as it is now, its row locked until the transaction ends."""
        if entity == "person":
            return tx.people.get_person_for_update(who.account_id, record_id)
        if entity == "company":
            return tx.people.get_company_for_update(who.account_id, record_id)
        return tx.opportunities.get_for_update(who.account_id, record_id)

    def _crm_restore(
        self, tx: StoreTx, who: Principal, entity: RecordEntity, record_id: int, old: Record
    ) -> WithFields[Any]:
        ctx = self.context(tx, who.account_id)
        known = {i: d for i, d in ctx.all_fields.items() if entity in d.available_on}
        now = self.clock()
        before = self._crm_current(tx, who, entity, record_id)
        record: Record
        if before is None:
            record = rules.revived(old, now=now, known_fields=known)
        else:
            record = rules.restored(before, old, now=now, known_fields=known)
        record = self._crm_linked(tx, who, record)
        if isinstance(record, Person):
            check_emails(tx, who.account_id, record)
            if before is None:
                tx.people.reinsert_person(record)
            else:
                tx.people.update_person(record)
        elif isinstance(record, Company):
            if before is None:
                tx.people.reinsert_company(record)
            else:
                tx.people.update_company(record)
                if isinstance(before, Company) and before.name != record.name:
                    tx.people.rename_company_of_people(who.account_id, record_id, record.name)
        else:
            if before is None:
                tx.opportunities.reinsert(record)
            else:
                tx.opportunities.update(record)
                if isinstance(before, Opportunity):
                    self._crm_log_stage(tx, who, before, record, now)
        event: Event = "new" if before is None else "update"
        self.record_change(tx, who, entity, event, record_id, before, record, now, cause="restore")
        return shown(ctx, record, entity)

    @staticmethod
    def _crm_linked(tx: StoreTx, who: Principal, record: Record) -> Record:
        """The record with its references to other records as they can be now."""
        if isinstance(record, Company):
            return record
        company = (
            tx.crm.get_company(who.account_id, record.company_id) if record.company_id else None
        )
        contact = True
        if isinstance(record, Opportunity) and record.primary_contact_id is not None:
            found = tx.crm.get_person(who.account_id, record.primary_contact_id)
            contact = found is not None
        return rules.with_links(record, company=company, contact_exists=contact)

    @staticmethod
    def _crm_log_stage(
        tx: StoreTx, who: Principal, before: Opportunity, after: Opportunity, now: int
    ) -> None:
        """A restore that moves the opportunity to another stage logs the move, as an
        update does."""
        if after.pipeline_stage_id == before.pipeline_stage_id:
            return
        stages: dict[int, Stage] = {
            s.id: s for p in tx.crm.list_pipelines(who.account_id) for s in p.stages
        }
        new = stages.get(after.pipeline_stage_id)
        if new is not None:
            tx.activities.add(
                stage_changed(
                    who.account_id,
                    after.id,
                    who.user_id,
                    now,
                    stages.get(before.pipeline_stage_id),
                    new,
                )
            )
