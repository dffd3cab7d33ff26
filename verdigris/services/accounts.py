"""Accounts, users, API keys and the account's lookups."""

from __future__ import annotations

import hmac
import secrets

from verdigris.domain import activities as activity_rules
from verdigris.domain import crm
from verdigris.domain import leads as lead_rules
from verdigris.domain.errors import NotFound, Unauthenticated, ValidationFailed
from verdigris.domain.opportunities import DEFAULT_LOSS_REASONS
from verdigris.services.base import _DUMMY_HASH, Principal, ServiceBase, hash_key
from verdigris.store.base import AccountRecord, SourceRecord, StatusRecord, StoreTx, UserRecord
from verdigris.wire import catalogue


class AccountServices(ServiceBase):
    # accounts, users, keys --------------------------------------------------------------
    def authenticate(self, token: str, email: str) -> Principal:
        """Check a key against its owner's stored hashes, in constant time."""
        presented = hash_key(token)
        with self.store.transaction(write=False) as tx:
            user = tx.accounts.find_user(email.strip().lower())
            hashes = tx.accounts.key_hashes(user.id) if user else [_DUMMY_HASH]
        ok = False
        for stored in hashes:
            ok |= hmac.compare_digest(stored, presented)
        if user is None or not ok:
            raise Unauthenticated(catalogue.BAD_CREDENTIALS_MESSAGE)
        return Principal(user.id, user.account_id, user.email)

    def add_user(
        self,
        email: str,
        *,
        account: str = "verdigris",
        name: str | None = None,
        token: str | None = None,
    ) -> tuple[UserRecord, str]:
        """Create the account (seeded) and the user as needed, and give them a key."""
        token = token or secrets.token_hex(16)
        stamp = self.clock()
        with self.store.transaction(write=True) as tx:
            record = tx.accounts.find(account) or self._seed_account(tx, account, stamp)
            user = tx.accounts.find_user(email.strip().lower())
            if user is None:
                user = tx.accounts.create_user(
                    record.id, email.strip(), name or email.split("@")[0], stamp
                )
            elif user.account_id != record.id:
                raise ValidationFailed(
                    {"email": ["invalid"]},
                    f"{email} already belongs to another account",
                )
            tx.accounts.add_key_hash(user.id, hash_key(token), stamp)
        return user, token

    def _seed_account(self, tx: StoreTx, name: str, stamp: int) -> AccountRecord:
        record = tx.accounts.create(name, stamp)
        # Copper numbers statuses from 1 (its List Lead Statuses example)
        for order, status in enumerate(lead_rules.DEFAULT_STATUSES, start=1):
            tx.accounts.add_status(record.id, status, order, is_default=order == 1)
        for source in lead_rules.DEFAULT_SOURCES:
            tx.accounts.add_source(record.id, source)
        for contact_type in crm.DEFAULT_CONTACT_TYPES:
            tx.crm.add_contact_type(record.id, contact_type)
        for pipeline, stages in crm.DEFAULT_PIPELINES:
            tx.crm.add_pipeline(record.id, pipeline, stages)
        for reason in DEFAULT_LOSS_REASONS:
            tx.opportunities.add_loss_reason(record.id, reason)
        # Copper: "Phone Calls and Meetings are assigned IDs when your Copper account is
        # created" (both count as interactions in its List Activity Types example)
        for activity_type in activity_rules.DEFAULT_USER_TYPES:
            tx.activities.add_type(record.id, activity_type, count_as_interaction=True)
        return record

    def user_count(self) -> int:
        with self.store.transaction(write=False) as tx:
            return tx.accounts.count_users()

    def account(self, who: Principal) -> AccountRecord:
        with self.store.transaction(write=False) as tx:
            record = tx.accounts.get(who.account_id)
        if record is None:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        return record

    async def account_on_loop(self, who: Principal) -> AccountRecord:
        """:meth:`account` on the store's event-loop connections (``Store.loop_reads``,
        which the caller has checked is there)."""
        reads = self.store.loop_reads
        assert reads is not None
        found = await reads.account(who.account_id)
        if found is None:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        return found

    def users(self, who: Principal) -> list[UserRecord]:
        with self.store.transaction(write=False) as tx:
            return tx.accounts.list_users(who.account_id)

    def user(self, who: Principal, user_id: int) -> UserRecord:
        with self.store.transaction(write=False) as tx:
            record = tx.accounts.get_user(who.account_id, user_id)
        if record is None:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        return record

    def statuses(self, who: Principal) -> list[StatusRecord]:
        with self.store.transaction(write=False) as tx:
            return tx.accounts.list_statuses(who.account_id)

    def sources(self, who: Principal) -> list[SourceRecord]:
        with self.store.transaction(write=False) as tx:
            return tx.accounts.list_sources(who.account_id)
