"""People and companies (issue 21): create, update, search, and a person by email.

Each public method is one store transaction. Writes tell the observers
(:mod:`verdigris.services.changes`) inside that transaction. Copper has no upsert for
people or companies, and verdigris invents none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from verdigris.domain import people as rules
from verdigris.domain.crm import PERSON_CONTACT_TYPE, Company, Person, company_key
from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.domain.errors import FieldErrors, NotFound
from verdigris.domain.matching import MatchCriteria
from verdigris.domain.people_search import parse_company_search, parse_people_search
from verdigris.services.base import Principal, ServiceBase, TxContext, require_object
from verdigris.services.conversion import CrmContext, WithFields
from verdigris.store.base import StoreTx
from verdigris.wire import catalogue

#: the upsert-lock namespace of people's email addresses (leads use name/email/custom
#: definitions; a definition id is never negative)
_EMAIL_LOCK = -21
T = TypeVar("T")


class RecordContext:
    """:class:`verdigris.domain.people.RecordContext` over one transaction."""

    def __init__(self, tx: StoreTx, ctx: TxContext, crm: CrmContext) -> None:
        self.tx, self.ctx, self.crm = tx, ctx, crm

    def has_user(self, user_id: int) -> bool:
        return self.crm.has_user(user_id)

    def has_contact_type(self, contact_type_id: int) -> bool:
        return self.crm.has_contact_type(contact_type_id)

    def company(self, company_id: int) -> Company | None:
        return self.tx.crm.get_company(self.ctx.account_id, company_id)

    def custom_field(self, definition_id: int) -> CustomFieldDefinition | None:
        return self.ctx.custom_field(definition_id)


def shown(ctx: TxContext, record: T, entity: str) -> WithFields[T]:
    """``record`` with the definitions available on its kind, from the account cache (as
    ``CrmContext.show`` gives them, without reading every definition per call)."""
    fields = ctx.all_fields
    ids = tuple(i for i, d in fields.items() if entity in d.available_on)
    return WithFields(record, ids, fields)


def check_emails(tx: StoreTx, account_id: int, person: Person) -> None:
    """Copper: "email address is a unique key for People"; a second person with one
    of these addresses is ``emails: taken``. The addresses are locked first (sorted,
    so two writers never wait on each other), as upserts lock their match key."""
    keys = sorted(rules.email_keys(person))
    for key in keys:
        tx.leads.lock_match(account_id, MatchCriteria("custom", key, definition_id=_EMAIL_LOCK))
    for key in keys:
        if any(i != person.id for i in tx.people.person_ids_by_email(account_id, key, 2)):
            errors = FieldErrors()
            errors.add("emails", "taken", f"a person with the email {key} already exists")
            errors.raise_if_any()


class PeopleServices(ServiceBase):
    # people and companies (issue 21) ---------------------------------------------------
    def _contexts(self, tx: StoreTx, who: Principal) -> tuple[CrmContext, RecordContext]:
        crm = CrmContext(tx, who.account_id)
        return crm, RecordContext(tx, self.context(tx, who.account_id), crm)

    def _check_emails(self, tx: StoreTx, who: Principal, person: Person) -> None:
        check_emails(tx, who.account_id, person)

    def create_person(self, who: Principal, data: Any) -> WithFields[Person]:
        data = require_object(data)
        with self.store.transaction(write=True) as tx:
            crm, ctx = self._contexts(tx, who)
            changes = rules.parse_person(data, ctx)
            if "contact_type_id" not in changes:
                # Copper's "Create a New Person" example: a person created without one
                # gets the account's default, the one conversion gives (Uncategorized)
                changes["contact_type_id"] = crm.contact_type_named(PERSON_CONTACT_TYPE)
            person = rules.new_person(changes, account_id=who.account_id, now=self.clock())
            self._check_emails(tx, who, person)
            person = tx.people.insert_person(person)
            self.record_change(
                tx, who, "person", "new", person.id, None, person, person.date_created
            )
            return shown(ctx.ctx, person, "person")

    def update_person(self, who: Principal, person_id: int, data: Any) -> WithFields[Person]:
        data = require_object(data)
        with self.store.transaction(write=True) as tx:
            current = tx.people.get_person_for_update(who.account_id, person_id)
            if current is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            _crm, ctx = self._contexts(tx, who)
            changes = rules.parse_person(data, ctx)
            person = rules.apply_person(current, changes, self.clock())
            if person is current:
                return shown(ctx.ctx, current, "person")  # nothing differs: no write
            if person.emails != current.emails:
                self._check_emails(tx, who, person)
            tx.people.update_person(person)
            self.record_change(
                tx, who, "person", "update", person.id, current, person, person.date_modified
            )
            return shown(ctx.ctx, person, "person")

    def fetch_person_by_email(self, who: Principal, data: Any) -> WithFields[Person]:
        """``POST /people/fetch_by_email``: the person with this address (trimmed, any
        letter case); the oldest one if conversions made several."""
        email = rules.fetch_email(require_object(data))
        with self.store.transaction(write=False) as tx:
            ids = tx.people.person_ids_by_email(who.account_id, email, 1)
            person = tx.crm.get_person(who.account_id, ids[0]) if ids else None
            if person is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return shown(self.context(tx, who.account_id), person, "person")

    def search_people(
        self, who: Principal, params: Mapping[str, Any]
    ) -> tuple[int, list[WithFields[Person]]]:
        query = parse_people_search(params).at(self.clock())
        with self.store.transaction(write=False) as tx:
            total, found = tx.people.search_people(who.account_id, query)
            ctx = self.context(tx, who.account_id)
            return total, [shown(ctx, p, "person") for p in found]

    def create_company(self, who: Principal, data: Any) -> WithFields[Company]:
        data = require_object(data)
        with self.store.transaction(write=True) as tx:
            _crm, ctx = self._contexts(tx, who)
            changes = rules.parse_company(data, ctx)
            company = rules.new_company(
                changes, account_id=who.account_id, now=self.clock(), key=company_key
            )
            company = tx.people.insert_company(company)
            self.record_change(
                tx, who, "company", "new", company.id, None, company, company.date_created
            )
            return shown(ctx.ctx, company, "company")

    def update_company(self, who: Principal, company_id: int, data: Any) -> WithFields[Company]:
        data = require_object(data)
        with self.store.transaction(write=True) as tx:
            current = tx.people.get_company_for_update(who.account_id, company_id)
            if current is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            _crm, ctx = self._contexts(tx, who)
            changes = rules.parse_company(data, ctx)
            company = rules.apply_company(current, changes, self.clock(), company_key)
            if company is current:
                return shown(ctx.ctx, current, "company")
            tx.people.update_company(company)
            if company.name != current.name:
                tx.people.rename_company_of_people(who.account_id, company.id, company.name)
            self.record_change(
                tx, who, "company", "update", company.id, current, company, company.date_modified
            )
            return shown(ctx.ctx, company, "company")

    def search_companies(
        self, who: Principal, params: Mapping[str, Any]
    ) -> tuple[int, list[WithFields[Company]]]:
        query = parse_company_search(params).at(self.clock())
        with self.store.transaction(write=False) as tx:
            total, found = tx.people.search_companies(who.account_id, query)
            ctx = self.context(tx, who.account_id)
            return total, [shown(ctx, c, "company") for c in found]
